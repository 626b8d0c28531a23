/**
 * Loading the static configuration: `--configFile` (YAML or TOML by extension), then CLI flags, then `TAGWAY_*`
 * environment variables, each layer overriding the one before (env wins over flags, flags over the file).
 * Note: Traefik takes only ONE of these sources (file, else flags, else env); tagway layers them so a Nomad
 * job can keep a shared file and override a value per allocation. Any unknown key, wrong type or bad duration
 * stops startup with a StaticConfigError naming the key, and the file and line when it came from the file.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { decodeDocument } from '../labels/document.ts';
import { decodeFlat } from '../labels/flat.ts';
import { formatPath, setOwn } from '../labels/descriptor.ts';
import type { DecodeIssue, StructDesc } from '../labels/descriptor.ts';
import type { FlatEntry } from '../labels/flat.ts';
import { staticConfigSchema } from './schema.ts';
import { staticDesc } from './describe.ts';
import { formatProblem, StaticConfigError } from './errors.ts';
import type { StaticProblem } from './errors.ts';
import { ENV_PREFIX, parseEnv, parseFlags } from './flat-sources.ts';
import { formatOf, parseSource } from './source.ts';
import type { Locate } from './source.ts';
import type { StaticConfig } from './types.ts';
import { unimplementedOptionWarnings } from './accepted.ts';
import { recordOrigins } from './origins.ts';

export interface LoadStaticOptions {
  /** Flags only (no node, script or subcommand), e.g. `['--configFile=tagway.yml', '--api.insecure']`. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Base for a relative --configFile; default process.cwd(). */
  cwd?: string;
  /**
   * Told about each `TAGWAY_*` variable that names no option (one line, with a "did you mean"). Such
   * variables are ignored: orchestrators set them on their own (Kubernetes' `TAGWAY_PORT`, `TAGWAY_SERVICE_HOST`).
   * Also told about each Traefik option that is accepted but not implemented and set (see ./accepted.ts).
   */
  onWarning?: (message: string) => void;
}

type Tree = Record<string, unknown>;

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Later layers win; objects merge key by key, anything else is replaced whole (lists included).
 * Keys match case-insensitively and keep the first spelling: env names are lowercased, so
 * TAGWAY_ENTRYPOINTS_WEBSECURE_ADDRESS must land on the file's `webSecure`, not create a second entry point.
 */
function mergeLayers(...layers: Tree[]): Tree {
  const out: Tree = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const key = Object.keys(out).find((existing) => existing.toLowerCase() === k.toLowerCase()) ?? k;
      const prev = Object.hasOwn(out, key) ? out[key] : undefined;
      setOwn(out, key, isObject(v) && isObject(prev) ? mergeLayers(prev, v) : v);
    }
  }
  return out;
}

function hasPath(tree: unknown, path: readonly PropertyKey[]): boolean {
  let node = tree;
  for (const seg of path) {
    if (!isObject(node)) return false;
    const key = Object.keys(node).find((k) => k.toLowerCase() === String(seg).toLowerCase());
    if (key === undefined) return false;
    node = node[key];
  }
  return true;
}

/** The path as the document spells it (names are case-insensitive), for line lookup. */
function rawPathFor(doc: unknown, path: readonly PropertyKey[]): (string | number)[] {
  const out: (string | number)[] = [];
  let node = doc;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') { out.push(seg); node = node[seg]; continue; }
    if (!isObject(node)) break;
    const key = Object.hasOwn(node, String(seg)) ? String(seg) : Object.keys(node).find((k) => k.toLowerCase() === String(seg).toLowerCase());
    if (key === undefined) break;
    out.push(key);
    node = node[key];
  }
  return out;
}

function fromIssue(i: DecodeIssue, where: { file?: string; locate?: Locate }): StaticProblem {
  const line = where.locate?.(i.rawPath);
  return {
    path: formatPath(i.path),
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(i.key !== undefined && where.file === undefined ? { source: i.key } : {}),
    message: i.message,
    ...(i.suggestion !== undefined ? { suggestion: i.suggestion } : {}),
  };
}

/**
 * The warning for a variable that names no option: the decoder's message for it, and the variable the
 * decoder's "did you mean" points to (`TAGWAY_LOG_LEVL` → `TAGWAY_LOG_LEVEL`).
 */
function foreignVariable(entry: FlatEntry, desc: StructDesc): string {
  const issue = decodeFlat([entry], desc, { durations: 'ms' }).errors[0];
  const parts = entry.key.slice(ENV_PREFIX.length).split('_');
  const at = issue ? issue.path.length - 1 : -1;
  const suggestion = issue?.suggestion !== undefined && at >= 0 && at < parts.length
    ? ENV_PREFIX + [...parts.slice(0, at), issue.suggestion.toUpperCase(), ...parts.slice(at + 1)].join('_')
    : undefined;
  return formatProblem({
    path: '',
    source: entry.key,
    message: `${issue?.message ?? 'names no option'}; variable ignored`,
    ...(suggestion !== undefined ? { suggestion } : {}),
  });
}

function readFile(file: string, cwd: string): { text?: string; problem?: StaticProblem } {
  try {
    return { text: readFileSync(resolvePath(cwd, file), 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: { path: 'configFile', file, message: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}` } };
  }
}

/**
 * Loads, layers and validates the static configuration.
 * @throws {StaticConfigError} listing every problem, one line each (`FILE:LINE: key.path: message (did you mean "x"?)`).
 * @example
 * const config = loadStaticConfig({ argv: ['--configFile=tagway.yml'], env: process.env });
 * config.providers.consulCatalog?.endpoint.address // "127.0.0.1:8500" unless set
 */
export function loadStaticConfig(options: LoadStaticOptions): StaticConfig {
  const desc = staticDesc();
  const cwd = options.cwd ?? process.cwd();
  const problems: StaticProblem[] = [];

  const flags = parseFlags(options.argv, desc);
  problems.push(...flags.problems);
  const env = parseEnv(options.env, desc);

  let fileLayer: Tree = {};
  let fileDoc: unknown;
  let locate: Locate | undefined;
  const file = flags.configFile ?? env.configFile;
  if (file !== undefined) {
    const format = formatOf(file);
    if (format === undefined) {
      problems.push({ path: 'configFile', file, message: 'unknown file type: use .yml, .yaml or .toml' });
    } else {
      const read = readFile(file, cwd);
      if (read.problem !== undefined) problems.push(read.problem);
      else {
        const parsed = parseSource(read.text!, format);
        for (const e of parsed.syntaxErrors) problems.push({ path: '', file, ...(e.line !== undefined ? { line: e.line } : {}), message: `syntax error: ${e.message}` });
        if (parsed.syntaxErrors.length === 0) {
          fileDoc = parsed.doc;
          locate = parsed.locate;
          const decoded = decodeDocument(parsed.doc, desc, { durations: 'ms' });
          for (const i of decoded.errors) problems.push(fromIssue(i, { file, locate }));
          fileLayer = decoded.value;
        }
      }
    }
  }

  const flagLayer = decodeFlat(flags.entries, desc, { durations: 'ms' });
  for (const i of flagLayer.errors) problems.push(fromIssue(i, {}));
  const envLayer = decodeFlat(env.entries, desc, { durations: 'ms' });
  for (const i of envLayer.errors) problems.push(fromIssue(i, {}));
  for (const entry of env.foreign) options.onWarning?.(foreignVariable(entry, desc));
  if (problems.length > 0) throw new StaticConfigError(problems);

  const merged = mergeLayers(fileLayer, flagLayer.value, envLayer.value);
  const result = staticConfigSchema.safeParse(merged);
  if (result.success) {
    for (const warning of unimplementedOptionWarnings(result.data)) options.onWarning?.(warning);
    recordOrigins(result.data, { file: fileLayer, flag: flagLayer.value, env: envLayer.value }, { tracing: result.data.tracing });
    return result.data;
  }

  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const message = /received undefined/.test(issue.message) ? 'is required' : issue.message;
    const base = { path: formatPath(path), message };
    if (hasPath(envLayer.value, path)) problems.push({ ...base, source: 'environment (TAGWAY_*)' });
    else if (hasPath(flagLayer.value, path)) problems.push({ ...base, source: 'command line' });
    else if (file !== undefined && locate !== undefined) {
      const line = locate(rawPathFor(fileDoc, path));
      problems.push({ ...base, file, ...(line !== undefined ? { line } : {}) });
    } else problems.push(base);
  }
  throw new StaticConfigError(problems);
}
