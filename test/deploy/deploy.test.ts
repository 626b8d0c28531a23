// Checks the deployment files an operator runs: every HCL file parses, the tagway Nomad job keeps the
// properties a safe edge rollout needs, the static config its template renders is one tagway accepts, and
// the example services' tags decode. Parsing uses @cdktf/hcl2json (HashiCorp's HCL parser compiled to WASM),
// which keeps Nomad runtime interpolations such as "${node.class}" as literal strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { TAGWAY_NODE_FLAGS } from '../../bench/lib/tagway.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEPLOY = join(ROOT, 'deploy');
const JOB_FILE = join(DEPLOY, 'tagway.nomad.hcl');

type Obj = Record<string, unknown>;

/** hcl2json renders every block as an array of bodies; labelled blocks as { label: [body] }. */
function block(parent: Obj, name: string): Obj {
  const v = parent[name];
  assert.ok(Array.isArray(v) && v.length === 1, `expected exactly one "${name}" block`);
  return v[0] as Obj;
}
function labelled(parent: Obj, name: string, label: string): Obj {
  const v = (parent[name] as Record<string, Obj[]> | undefined)?.[label];
  assert.ok(Array.isArray(v) && v.length === 1, `expected one ${name} "${label}" block`);
  return v[0]!;
}

function hclFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return hclFiles(p);
    return name.endsWith('.hcl') ? [p] : [];
  });
}

async function parseFile(path: string): Promise<Obj> {
  return (await parseHcl(path, readFileSync(path, 'utf8'))) as Obj;
}

/** Nomad-style duration ("10s", "2m", "500ms") to ms; enough for the job file. */
function nomadMs(d: unknown): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(String(d));
  assert.ok(m, `not a duration: ${String(d)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** The one group and task of the tagway job. */
async function tagwayJob(): Promise<{ job: Obj; group: Obj; task: Obj; vars: Obj }> {
  const doc = await parseFile(JOB_FILE);
  const job = labelled(doc, 'job', 'tagway');
  const group = labelled(job, 'group', 'tagway');
  const task = labelled(group, 'task', 'tagway');
  return { job, group, task, vars: (doc.variable ?? {}) as Obj };
}

function templates(task: Obj): Obj[] {
  return task.template as Obj[];
}
function configTemplate(task: Obj): Obj {
  const t = templates(task).find((x) => x.destination === 'local/tagway.yml');
  assert.ok(t, 'a template renders local/tagway.yml');
  return t;
}

// Values a Nomad client would put in the task environment on an edge node.
const SAMPLE_ENV: Record<string, string> = {
  CONSUL_HTTP_ADDR: '127.0.0.1:8500',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
  NOMAD_ALLOC_ID: '5c6328f7-48c5-4d03-bada-91ef2e904d0d',
  'node.unique.name': 'edge-1',
  NOMAD_TASK_DIR: '/local',
  ACME_EMAIL: 'ops@example.com',
  ACME_CA_SERVER: 'https://acme-staging-v02.api.letsencrypt.org/directory',
};
const ENV_LOOKUP = /\{\{\s*env\s+"([^"]+)"\s*\}\}/g;

/** Substitutes `{{ env "X" }}` the way Nomad's template runner would; any other template action fails. */
function render(data: string, env: Record<string, string>): string {
  const out = data.replace(ENV_LOOKUP, (_m, name: string) => {
    assert.ok(name in env, `no sample value for env "${name}"`);
    return env[name]!;
  });
  assert.ok(!out.includes('{{'), 'the config template uses only env lookups');
  return out;
}

function renderedConfigText(task: Obj): string {
  return render(String(configTemplate(task).data), SAMPLE_ENV);
}

/** Writes the rendered config to a temp dir and returns its path; removed after the test. */
function writeConfig(t: { after: (fn: () => void) => void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tagway-deploy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tagway.yml');
  writeFileSync(path, text);
  return path;
}

function portOf(address: string): number {
  const m = /:(\d+)$/.exec(address);
  assert.ok(m, `address without port: ${address}`);
  return Number(m[1]);
}

/** Consul tags to labels as Traefik reads them: split at the first "=", tags without one are not labels. */
function tagsToLabels(tags: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    const i = tag.indexOf('=');
    if (i > 0) labels[tag.slice(0, i)] = tag.slice(i + 1);
  }
  return labels;
}

test('every .hcl file under deploy/ parses', async () => {
  const files = hclFiles(DEPLOY);
  assert.ok(files.length >= 2, 'the tagway job and the whoami example');
  for (const f of files) {
    await assert.doesNotReject(parseFile(f), relative(ROOT, f));
  }
});

test('the HCL parser rejects a broken job (the parse test can fail)', async () => {
  await assert.rejects(parseHcl('broken.hcl', 'job "x" {\n  type = "system"\n'));
});

test('tagway job: system job on edge nodes, one node at a time with auto revert', async () => {
  const { job, group } = await tagwayJob();
  assert.equal(job.type, 'system');
  const constraints = [...((job.constraint as Obj[]) ?? []), ...((group.constraint as Obj[]) ?? [])];
  assert.ok(constraints.some((c) => c.attribute === '${node.class}' && c.value === 'edge'), 'constraint node.class = edge');
  const update = block(job.update ? job : group, 'update');
  assert.equal(update.max_parallel, 1);
  assert.equal(update.auto_revert, true);
  assert.equal(update.health_check, 'checks');
});

test('tagway job: image, args and config destination agree', async () => {
  const { task, vars } = await tagwayJob();
  assert.equal(task.driver, 'docker');
  const config = block(task, 'config');
  assert.equal(config.image, 'tagway:${var.version}');
  const version = block(vars, 'version');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.default, pkg.version, 'default image tag is the package version');
  const args = config.args as string[];
  const flag = args.find((a) => a.startsWith('--configFile='));
  assert.ok(flag, '--configFile argument');
  // Docker mounts the task's local/ at NOMAD_TASK_DIR; the argument must point at the template's output.
  assert.equal(flag.slice('--configFile='.length).replace('${NOMAD_TASK_DIR}', 'local'), configTemplate(task).destination);
  assert.deepEqual([...(config.ports as string[])].sort(), ['admin', 'web', 'websecure']);
});

test('tagway job: static ports, drain timings and memory limits', async () => {
  const { group, task } = await tagwayJob();
  const network = block(group, 'network');
  const cases = [
    { desc: 'web listens on host port 80', label: 'web', hostPort: 80 },
    { desc: 'websecure listens on host port 443', label: 'websecure', hostPort: 443 },
    { desc: 'admin listens on host port 8080', label: 'admin', hostPort: 8080 },
  ];
  for (const c of cases) {
    assert.equal(labelled(network, 'port', c.label).static, c.hostPort, c.desc);
  }
  const shutdownDelay = group.shutdown_delay ?? task.shutdown_delay;
  assert.ok(nomadMs(shutdownDelay) > 0, 'shutdown_delay so Consul deregisters before the stop signal');
  assert.ok(nomadMs(task.kill_timeout) >= 10_000, 'kill_timeout leaves time to finish requests in flight');
  assert.equal(task.kill_signal, 'SIGTERM');
  const resources = block(task, 'resources');
  assert.ok(typeof resources.memory === 'number' && typeof resources.memory_max === 'number');
  assert.ok(resources.memory_max > resources.memory, 'memory_max above memory');
});

test('tagway job: Consul service with a /ping check on the admin port, never routed by itself', async () => {
  const { group, task } = await tagwayJob();
  const services = [...((group.service as Obj[]) ?? []), ...((task.service as Obj[]) ?? [])];
  const svc = services.find((s) => s.name === 'tagway');
  assert.ok(svc, 'service "tagway"');
  assert.ok((svc.tags as string[]).includes('traefik.enable=false'));
  const check = block(svc, 'check');
  assert.equal(check.type, 'http');
  assert.equal(check.path, '/ping');
  assert.equal(check.port ?? svc.port, 'admin');
});

test('tagway job: no Consul token in the file; it comes from a Nomad Variable into the env', async () => {
  const text = readFileSync(JOB_FILE, 'utf8');
  assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, 'no UUID-shaped secret');
  const { task } = await tagwayJob();
  const literalTokens: string[] = [];
  (function walk(v: unknown, path: string): void {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else if (/token/i.test(path) && typeof v === 'string' && v !== '') literalTokens.push(path);
  })(task, 'task');
  assert.deepEqual(literalTokens, [], 'no token-named attribute with a literal value');
  assert.doesNotMatch(String(configTemplate(task).data), /token\s*:/i, 'the config file carries no token');
  const secret = templates(task).find((x) => x.env === true);
  assert.ok(secret, 'an env = true template');
  assert.match(String(secret.destination), /^secrets\//);
  assert.match(String(secret.data), /nomadVar "nomad\/jobs\/tagway"/);
  assert.match(String(secret.data), /^\{\{[^}]*\}\}TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_TOKEN=\{\{ \.consul_token \}\}/);
});

test('tagway job: the config template reads only variables the task has', async () => {
  const { task } = await tagwayJob();
  const env = block(task, 'env');
  const used = [...String(configTemplate(task).data).matchAll(ENV_LOOKUP)].map((m) => m[1]!);
  assert.ok(used.includes('CONSUL_HTTP_ADDR') && used.includes('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'));
  for (const name of used) {
    const fromNomad = name.startsWith('NOMAD_') || name.startsWith('node.') || name.startsWith('attr.');
    assert.ok(fromNomad || name in env, `env "${name}" is set by the task env block or by Nomad`);
  }
});

test('tagway job: entry point ports agree with the job ports, ping with the check', async () => {
  const { group, task } = await tagwayJob();
  const cfg = parseYaml(renderedConfigText(task)) as { entryPoints: Record<string, { address: string }>; ping?: { entryPoint?: string } };
  const network = block(group, 'network');
  const cases = [
    { desc: 'host port web serves entry point web', label: 'web', entryPoint: 'web' },
    { desc: 'host port websecure serves entry point websecure', label: 'websecure', entryPoint: 'websecure' },
    { desc: 'host port admin serves entry point traefik', label: 'admin', entryPoint: 'traefik' },
  ];
  for (const c of cases) {
    const port = labelled(network, 'port', c.label);
    const containerPort = port.to ?? port.static;
    const ep = cfg.entryPoints[c.entryPoint];
    assert.ok(ep, `entry point ${c.entryPoint}`);
    assert.equal(portOf(ep.address), containerPort, c.desc);
  }
  const svc = (group.service as Obj[]).find((s) => s.name === 'tagway')!;
  const checkLabel = block(svc, 'check').port ?? svc.port;
  const pingEntryPoint = cfg.ping?.entryPoint ?? 'traefik';
  assert.equal(cases.find((c) => c.label === checkLabel)?.entryPoint, pingEntryPoint, '/ping is served where the check looks');
});

test('tagway job: the rendered static config loads, with the drain budget inside kill_timeout', async (t) => {
  const { loadStaticConfig } = await import('../../src/static/index.ts');
  const { group, task } = await tagwayJob();
  const path = writeConfig(t, renderedConfigText(task));
  const cfg = loadStaticConfig({ argv: ['--configFile=' + path], env: {} });
  assert.equal(cfg.providers.consulCatalog?.endpoint.address, SAMPLE_ENV.CONSUL_HTTP_ADDR);
  assert.equal(cfg.providers.consulCatalog?.endpoint.token, '');
  assert.equal(cfg.tracing?.otlp.http.endpoint, SAMPLE_ENV.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  // ACME in shared mode (Consul KV), HTTP-01 on the entry point of host port 80.
  const le = cfg.certificatesResolvers?.['le']?.acme;
  assert.deepEqual([le?.storage, le?.httpChallenge?.entryPoint, le?.caServer, le?.email], ['consul', 'web', SAMPLE_ENV['ACME_CA_SERVER'], 'ops@example.com']);
  assert.equal(cfg.api?.insecure, true);
  assert.equal(cfg.ping?.entryPoint, 'traefik');
  assert.deepEqual(Object.keys(cfg.entryPoints).sort(), ['traefik', 'web', 'websecure']);
  assert.deepEqual(cfg.entryPoints.web!.http.redirections?.entryPoint, { to: 'websecure', scheme: 'https', permanent: true, priority: Number.MAX_SAFE_INTEGER - 1 });
  assert.deepEqual(cfg.entryPoints.websecure!.http.tls, {});
  assert.equal(cfg.entryPoints.websecure!.asDefault, true);
  assert.equal(cfg.providers.file?.directory, '/local/dynamic');
  for (const ep of ['web', 'websecure'] as const) {
    const l = cfg.entryPoints[ep]!.transport.lifeCycle;
    assert.ok(nomadMs(task.kill_timeout) > l.requestAcceptGraceTimeout + l.graceTimeOut, `kill_timeout above ${ep}'s drain`);
  }
  const life = cfg.entryPoints.web!.transport.lifeCycle;
  const drain = life.requestAcceptGraceTimeout + life.graceTimeOut;
  assert.ok(nomadMs(task.kill_timeout) > drain, `kill_timeout above the entry point's drain (${drain} ms)`);
  assert.ok(nomadMs(group.shutdown_delay ?? task.shutdown_delay) > 0);
});

test('tagway job: the token the env template writes is the one tagway reads', async (t) => {
  const { loadStaticConfig } = await import('../../src/static/index.ts');
  const { task } = await tagwayJob();
  const path = writeConfig(t, renderedConfigText(task));
  const cfg = loadStaticConfig({ argv: ['--configFile=' + path], env: { TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_TOKEN: 'sample' } });
  assert.equal(cfg.providers.consulCatalog?.endpoint.token, 'sample');
});

test('tagway job: a config with a typo is refused (the load test can fail)', async (t) => {
  const { loadStaticConfig, StaticConfigError } = await import('../../src/static/index.ts');
  const { task } = await tagwayJob();
  const path = writeConfig(t, renderedConfigText(task).replace('exposedByDefault:', 'exposedByDefalt:'));
  assert.throws(() => loadStaticConfig({ argv: ['--configFile=' + path], env: {} }), StaticConfigError);
});

/** Tags of the example services: Nomad's whoami job and the Consul agent definition. */
async function exampleTagSets(): Promise<{ desc: string; tags: string[] }[]> {
  const doc = await parseFile(join(DEPLOY, 'examples', 'whoami.nomad.hcl'));
  const job = labelled(doc, 'job', 'whoami');
  const group = labelled(job, 'group', 'whoami');
  const svc = block(group, 'service');
  const consul = JSON.parse(readFileSync(join(DEPLOY, 'examples', 'consul-service.json'), 'utf8')) as { service: { tags: string[] } };
  return [
    { desc: 'whoami Nomad job', tags: svc.tags as string[] },
    { desc: 'Consul agent service definition', tags: consul.service.tags },
  ];
}

test('examples: whoami is a service job with a health check and tracing on its router', async () => {
  const doc = await parseFile(join(DEPLOY, 'examples', 'whoami.nomad.hcl'));
  const job = labelled(doc, 'job', 'whoami');
  assert.equal(job.type, 'service');
  const group = labelled(job, 'group', 'whoami');
  const svc = block(group, 'service');
  assert.equal(block(svc, 'check').type, 'http');
  const labels = tagsToLabels(svc.tags as string[]);
  assert.equal(labels['traefik.http.routers.whoami.observability.tracing'], 'true');
  assert.equal(labels['traefik.http.routers.whoami.entryPoints'], 'websecure');
  assert.equal(labels['traefik.http.routers.whoami.tls'], 'true');
  assert.equal(labels['traefik.http.routers.whoami.tls.options'], 'modern@file', 'TLS options from a tag must name their provider');
  assert.match(labels['traefik.http.routers.whoami.rule'] ?? '', /^Host\(`[^`]+`\)$/);
  assert.ok(labels['traefik.http.routers.whoami.middlewares'], 'a middleware');
  const task = labelled(group, 'task', 'whoami');
  assert.equal(task.driver, 'docker');
  assert.match(String(block(task, 'config').image), /^traefik\/whoami(:|$)/);
});

test('examples: the Consul agent definition has tags and a check', () => {
  const consul = JSON.parse(readFileSync(join(DEPLOY, 'examples', 'consul-service.json'), 'utf8')) as {
    service: { name: string; port: number; tags: string[]; checks: { http?: string; interval?: string }[] };
  };
  assert.ok(consul.service.name && consul.service.port > 0);
  assert.ok(consul.service.tags.includes('traefik.enable=true'));
  assert.ok(consul.service.checks.length > 0 && consul.service.checks.every((c) => c.http && c.interval));
});

test('examples: service tags decode without errors', async () => {
  const { decodeDynamicLabels } = await import('../../src/labels/index.ts');
  for (const c of await exampleTagSets()) {
    const result = decodeDynamicLabels(tagsToLabels(c.tags), 'traefik');
    assert.deepEqual(result.errors, [], c.desc);
    assert.deepEqual(result.warnings, [], c.desc);
    const routers = Object.values(result.configuration.http.routers);
    assert.equal(routers.length, 1, c.desc);
    assert.equal(routers[0]!.observability?.tracing, true, c.desc);
    assert.equal(Object.keys(result.configuration.http.middlewares).length, 1, c.desc);
  }
});

test('the mesh variant: connect=false by default; with it, Connect by env and the example is a Connect service', async () => {
  const doc = await parseFile(JOB_FILE);
  const connect = (doc.variable as Record<string, Obj[]>)['connect']![0]!;
  assert.equal(connect.default, false);
  const { task } = await tagwayJob();
  const env = block(task, 'env');
  assert.equal(env.TAGWAY_PROVIDERS_CONSULCATALOG_CONNECTAWARE, '${var.connect}');
  assert.equal(env.TAGWAY_PROVIDERS_CONSULCATALOG_SERVICENAME, 'tagway');
  // The environment tagway would see on a node: accepted and applied over the rendered file.
  const { loadStaticConfig } = await import('../../src/static/load.ts');
  const text = renderedConfigText(task);
  const dir = mkdtempSync(join(tmpdir(), 'tagway-deploy-'));
  try {
    const path = join(dir, 'tagway.yml');
    writeFileSync(path, text);
    const cc = loadStaticConfig({ argv: ['--configFile=' + path], env: { TAGWAY_PROVIDERS_CONSULCATALOG_CONNECTAWARE: 'true', TAGWAY_PROVIDERS_CONSULCATALOG_SERVICENAME: 'tagway' } }).providers.consulCatalog!;
    assert.equal(cc.connectAware, true);
    assert.equal(cc.serviceName, 'tagway');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ex = labelled(labelled(await parseFile(join(DEPLOY, 'examples', 'web-connect.nomad.hcl')), 'job', 'web-connect'), 'group', 'web');
  const svc = block(ex, 'service');
  assert.ok(block(block(svc, 'connect'), 'sidecar_service') !== undefined);
  const labels = tagsToLabels(svc.tags as string[]);
  assert.equal(labels['traefik.consulcatalog.connect'], 'true', 'the sidecar\'s inherited copy must build nothing');
  assert.equal(labels['traefik.enable'], 'true');
});

test('Dockerfile: Node 24 slim, production dependencies only, non-root, the package entry', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/.test(l));
  assert.ok(froms.length > 0 && froms.every((l) => /^FROM node:24-slim(\s|$)/.test(l)), 'every stage on node:24-slim');
  assert.ok(lines.some((l) => /npm ci\b.*--omit=dev/.test(l)), 'npm ci --omit=dev');
  const user = lines.filter((l) => /^USER\s/.test(l)).at(-1);
  assert.ok(user && !/^USER\s+(root|0)(:|\s|$)/.test(user), 'runs as a non-root user');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>; dependencies: Record<string, string>; scripts: Record<string, string>;
  };
  // under the node flags the benchmarks run tagway with (bench/lib/tagway.ts), so that they measure what ships
  const flags = TAGWAY_NODE_FLAGS.map((f) => `"${f}", `).join('');
  assert.ok(lines.includes(`ENTRYPOINT ["node", ${flags}"${pkg.bin.tagway}"]`), `ENTRYPOINT runs the package bin under ${TAGWAY_NODE_FLAGS.join(' ')}`);
  assert.ok(pkg.scripts.start.includes(`node ${TAGWAY_NODE_FLAGS.join(' ')} dist/cli.js`), 'npm start: the same flags');
  assert.ok(pkg.scripts.demo.includes(`node ${TAGWAY_NODE_FLAGS.join(' ')} dist/cli.js demo`), 'npm run demo: the same flags');
  for (const loader of ['tsx', 'typescript']) assert.ok(!(loader in pkg.dependencies), `${loader} is a dev dependency only: the image runs JavaScript`);
  // the runtime stage runs what a build stage compiled: dist/ comes from a stage that ran `npm run build`
  const stages = text.split(/^FROM\s/m).slice(1);
  const runtime = stages.at(-1)!;
  const built = /^COPY --from=(\S+) \/app\/dist \.\/dist\/?$/m.exec(runtime);
  assert.ok(built, 'the runtime stage copies dist/ from a build stage');
  const builder = stages.find((s) => s.startsWith(`node:24-slim AS ${built[1]}`));
  assert.ok(builder && /^RUN npm run build$/m.test(builder), `stage ${built[1]} runs npm run build`);
  assert.doesNotMatch(runtime, /^COPY src\//m, 'no TypeScript sources in the image');
  // Each COPY from the build context names something that exists and that .dockerignore lets through.
  const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')
    .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
  const copies = lines.filter((l) => /^COPY\s/.test(l) && !l.includes('--from='));
  assert.ok(copies.length >= 3);
  for (const l of copies) {
    for (const src of l.split(/\s+/).slice(1, -1)) {
      const name = src.replace(/\/$/, '');
      statSync(join(ROOT, name));
      assert.ok(allowed.includes(name), `.dockerignore lets ${name} into the build context`);
    }
  }
  for (const port of ['8000', '8080']) assert.match(text, new RegExp(`^EXPOSE .*\\b${port}\\b`, 'm'));
});

test('tagway job: the certificate comes from a Nomad Variable into secrets/, named by a dynamic file the provider watches', async () => {
  const { task } = await tagwayJob();
  const byDest = new Map(templates(task).map((x) => [String(x.destination), x]));
  for (const f of ['secrets/tls/cert.pem', 'secrets/tls/key.pem']) {
    const t = byDest.get(f);
    assert.ok(t, `a template renders ${f}`);
    assert.match(String(t.data), /nomadVar "nomad\/jobs\/tagway\/tls"/);
    assert.equal(t.change_mode, 'noop', 'tagway reloads certificates itself');
  }
  const dyn = byDest.get('local/dynamic/tls.yml');
  assert.ok(dyn, 'a dynamic configuration file for the file provider');
  const rendered = render(String(dyn.data), { ...SAMPLE_ENV, NOMAD_SECRETS_DIR: '/secrets' });
  const { decodeDynamicDocument } = await import('../../src/labels/index.ts');
  const decoded = decodeDynamicDocument(parseYaml(rendered));
  assert.deepEqual(decoded.errors, []);
  assert.deepEqual(decoded.configuration.tls?.certificates, [{ certFile: '/secrets/tls/cert.pem', keyFile: '/secrets/tls/key.pem' }]);
  assert.ok(decoded.configuration.tls?.options?.['modern'], 'the options the example router names (modern@file)');
});
