import { loadStaticConfig, StaticConfigError } from '../static/index.ts';
import { FileProvider } from '../providers/file/index.ts';
import type { Message } from '../dynamic/types.ts';
import { checkCatalog, formatFinding } from './index.ts';
import { instancesFromConsul, instancesFromFile } from './catalog.ts';

const HELP = `tagway check [--catalog=FILE.json] [--configFile=FILE] [static flags…]

Reads the catalog (from Consul as configured, or from a JSON file of services and tags) and the file
provider's files, and prints every problem Traefik would silently act on. Exit status 1 when there are errors.`;

export async function runCheck(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(HELP + '\n'); return 0; }
  let catalogFile: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--catalog=')) catalogFile = a.slice('--catalog='.length);
    else if (a === '--catalog') catalogFile = argv[++i];
    else rest.push(a);
  }
  let config;
  try {
    config = loadStaticConfig({ argv: rest, env: process.env, cwd: process.cwd(), onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  } catch (err) {
    if (err instanceof StaticConfigError) { process.stderr.write(`static configuration:\n${err.message}\n`); return 1; }
    throw err;
  }
  if (catalogFile && !config.providers.consulCatalog) {
    config = { ...config, providers: { ...config.providers, consulCatalog: loadStaticConfig({ argv: ['--providers.consulCatalog=true'], env: {} }).providers.consulCatalog! } };
  }
  let instances;
  try {
    instances = catalogFile ? await instancesFromFile(catalogFile) : config.providers.consulCatalog ? await instancesFromConsul(config.providers.consulCatalog) : [];
  } catch (err) {
    process.stderr.write(`cannot read the catalog: ${(err as Error).message}\n`);
    return 1;
  }
  const extra: Message[] = [];
  const fileProblems: string[] = [];
  if (config.providers.file) {
    const ac = new AbortController();
    const files = new FileProvider({ ...config.providers.file, watch: false });
    await files.provide((m) => extra.push(m), ac.signal);
    ac.abort();
    const fileError = files.status().error;
    if (fileError) for (const line of fileError.split('\n')) fileProblems.push(`ERROR   file ${line}`);
  }
  const findings = checkCatalog(config, instances, extra);
  for (const line of fileProblems) process.stdout.write(line + '\n');
  for (const f of findings) process.stdout.write(formatFinding(f) + '\n');
  const errors = findings.filter((f) => f.severity === 'error').length + fileProblems.length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  process.stdout.write(`${instances.length} instance(s) checked: ${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 ? 1 : 0;
}
