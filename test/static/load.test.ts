import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadStaticConfig, StaticConfigError } from '../../src/static/index.ts';
import type { StaticConfig } from '../../src/static/index.ts';

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'tagway-static-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(argv: string[], env: Record<string, string | undefined> = {}): StaticConfig {
  return loadStaticConfig({ argv, env, cwd: dir });
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StaticConfigError);
    assert.equal(err.code, 'TAGWAY_BAD_STATIC_CONFIG');
    return err.message.split('\n');
  }
  assert.fail('expected a StaticConfigError');
}

describe('defaults', () => {
  it('no configuration at all: Traefik\'s default entry point, nothing else enabled', () => {
    const c = load([]);
    assert.deepEqual(Object.keys(c.entryPoints), ['http']);
    assert.equal(c.entryPoints.http!.address, ':80');
    assert.deepEqual(c.entryPoints.http!.observability, {});
    assert.deepEqual(c.entryPoints.http!.transport, {
      respondingTimeouts: { readTimeout: 60_000, writeTimeout: 0, idleTimeout: 180_000 }, lifeCycle: { requestAcceptGraceTimeout: 0, graceTimeOut: 10_000 },
      keepAliveMaxRequests: 0, keepAliveMaxTime: 0,
    });
    assert.equal(c.providers.consulCatalog, undefined);
    assert.equal(c.providers.providersThrottleDuration, 2000);
    assert.equal(c.tracing, undefined);
    assert.equal(c.api, undefined);
    assert.deepEqual(c.log, { level: 'ERROR', format: 'common' });
    assert.equal(c.workers, availableParallelism());
  });

  it('an empty consulCatalog section gets Traefik\'s defaults (watch on, tagway\'s choice)', () => {
    const c = load(['--configFile', file('cc.yml', 'providers:\n  consulCatalog: {}\n')]);
    assert.deepEqual(c.providers.consulCatalog, {
      endpoint: { address: '127.0.0.1:8500', scheme: 'http', datacenter: '', token: '', endpointWaitTime: 0 },
      prefix: 'traefik', exposedByDefault: true, defaultRule: 'Host(`{{ normalize .Name }}`)', constraints: '',
      strictChecks: ['passing', 'warning'], refreshInterval: 15_000, watch: true, stale: false, requireConsistent: false,
      cache: false, connectAware: false, connectByDefault: false, serviceName: 'traefik', namespaces: [],
    });
  });

  it('an empty tracing section gets the OTel batch defaults', () => {
    const c = load(['--tracing']);
    assert.deepEqual(c.tracing, {
      serviceName: 'tagway', sampleRate: 1, resourceAttributes: {}, capturedRequestHeaders: [], capturedResponseHeaders: [],
      safeQueryParams: [], addInternals: false, otlp: { http: { endpoint: 'http://localhost:4318/v1/traces', headers: {} } },
      batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelay: 5000, exportTimeout: 30_000 }, shutdownTimeout: 5000, exportThread: false,
    });
  });

  const admin: { desc: string; argv: string[]; want: string[] }[] = [
    { desc: 'api.insecure adds "traefik" on :8080', argv: ['--api.insecure'], want: ['http', 'traefik'] },
    { desc: 'ping adds "traefik"', argv: ['--ping'], want: ['http', 'traefik'] },
    { desc: 'prometheus metrics add "traefik"', argv: ['--metrics.prometheus'], want: ['http', 'traefik'] },
    { desc: 'api without insecure does not', argv: ['--api'], want: ['http'] },
    { desc: 'ping on another entry point does not', argv: ['--ping.entryPoint=web', '--entryPoints.web.address=:8000'], want: ['web'] },
    { desc: 'an operator-defined "traefik" is kept', argv: ['--api.insecure', '--entryPoints.traefik.address=127.0.0.1:9000'], want: ['traefik'] },
  ];
  for (const c of admin) {
    it(c.desc, () => {
      const config = load(c.argv);
      assert.deepEqual(Object.keys(config.entryPoints).sort(), c.want);
      if (c.want.includes('traefik') && c.argv.every((a) => !a.startsWith('--entryPoints.traefik'))) assert.equal(config.entryPoints.traefik!.address, ':8080');
    });
  }
});

describe('good files', () => {
  const yaml = `
entryPoints:
  web:
    address: ":8000"
    observability: { tracing: false, traceVerbosity: detailed }
    forwardedHeaders: { trustedIPs: [127.0.0.1/32, "::1"] }
    transport:
      respondingTimeouts: { idleTimeout: 30s, readTimeout: 10 }
providers:
  consulCatalog:
    endpoint: { address: "127.0.0.1:8501", token: secret, endpointWaitTime: 1m }
    prefix: edge
    exposedByDefault: false
    strictChecks: [passing]
    refreshInterval: 30s
  file: { filename: dynamic.yml }
tracing:
  serviceName: gw
  sampleRate: 0.25
  resourceAttributes: { deployment.environment: test }
  otlp: { http: { endpoint: "http://127.0.0.1:4318", headers: { Authorization: "Bearer t" } } }
  batch: { scheduledDelay: 500ms }
api: { insecure: true }
log: { level: debug, format: json }
workers: 1
`;
  const toml = `
workers = 1

[entryPoints.web]
  address = ":8000"
  [entryPoints.web.observability]
    tracing = false
    traceVerbosity = "detailed"
  [entryPoints.web.forwardedHeaders]
    trustedIPs = ["127.0.0.1/32", "::1"]
  [entryPoints.web.transport.respondingTimeouts]
    idleTimeout = "30s"
    readTimeout = 10

[providers.consulCatalog]
  prefix = "edge"
  exposedByDefault = false
  strictChecks = ["passing"]
  refreshInterval = "30s"
  [providers.consulCatalog.endpoint]
    address = "127.0.0.1:8501"
    token = "secret"
    endpointWaitTime = "1m"

[providers.file]
  filename = "dynamic.yml"

[tracing]
  serviceName = "gw"
  sampleRate = 0.25
  [tracing.resourceAttributes]
    "deployment.environment" = "test"
  [tracing.otlp.http]
    endpoint = "http://127.0.0.1:4318"
    headers = { Authorization = "Bearer t" }
  [tracing.batch]
    scheduledDelay = "500ms"

[api]
  insecure = true

[log]
  level = "debug"
  format = "json"
`;
  for (const [desc, name, text] of [['YAML', 'good.yml', yaml], ['TOML', 'good.toml', toml]] as const) {
    it(`${desc}: every section decoded, durations in ms, defaults filled`, () => {
      const c = load([`--configFile=${file(name, text)}`]);
      assert.deepEqual(Object.keys(c.entryPoints).sort(), ['traefik', 'web']);
      const web = c.entryPoints.web!;
      assert.equal(web.address, ':8000');
      assert.deepEqual(web.observability, { tracing: false, traceVerbosity: 'detailed' });
      assert.deepEqual(web.forwardedHeaders, { trustedIPs: ['127.0.0.1/32', '::1'], insecure: false, connection: [], notAppendXForwardedFor: false });
      assert.deepEqual(web.transport.respondingTimeouts, { readTimeout: 10_000, writeTimeout: 0, idleTimeout: 30_000 });
      const cc = c.providers.consulCatalog!;
      assert.deepEqual(cc.endpoint, { address: '127.0.0.1:8501', scheme: 'http', datacenter: '', token: 'secret', endpointWaitTime: 60_000 });
      assert.equal(cc.prefix, 'edge');
      assert.equal(cc.exposedByDefault, false);
      assert.deepEqual(cc.strictChecks, ['passing']);
      assert.equal(cc.refreshInterval, 30_000);
      assert.deepEqual(c.providers.file, { filename: 'dynamic.yml', watch: true });
      assert.equal(c.tracing!.serviceName, 'gw');
      assert.equal(c.tracing!.sampleRate, 0.25);
      assert.deepEqual(c.tracing!.resourceAttributes, { 'deployment.environment': 'test' });
      assert.equal(c.tracing!.otlp.http.endpoint, 'http://127.0.0.1:4318/v1/traces');
      assert.deepEqual(c.tracing!.otlp.http.headers, { Authorization: 'Bearer t' });
      assert.equal(c.tracing!.batch.scheduledDelay, 500);
      assert.equal(c.tracing!.batch.maxQueueSize, 2048);
      assert.deepEqual(c.api, { dashboard: true, insecure: true, debug: false });
      assert.deepEqual(c.log, { level: 'DEBUG', format: 'json' });
      assert.equal(c.workers, 1);
    });
  }

  it('names are case-insensitive in files, as in Traefik', () => {
    const c = load([`--configFile=${file('case.yml', 'EntryPoints:\n  Web:\n    Address: ":81"\nproviders:\n  consulcatalog:\n    ExposedByDefault: false\n')}`]);
    assert.equal(c.entryPoints.Web!.address, ':81');
    assert.equal(c.providers.consulCatalog!.exposedByDefault, false);
  });

  it('YAML merge keys (<<: *anchor) work, as in go-yaml', () => {
    const text = 'entryPoints:\n  a: &ep\n    address: ":81"\n    transport:\n      lifeCycle: { graceTimeOut: 3s }\n  b:\n    <<: *ep\n    address: ":82"\n';
    const c = load([`--configFile=${file('merge.yml', text)}`]);
    assert.equal(c.entryPoints.b!.transport.lifeCycle.graceTimeOut, 3000);
    assert.equal(c.entryPoints.b!.address, ':82');
  });

  it('an OTLP endpoint with a path keeps it', () => {
    assert.equal(load(['--tracing.otlp.http.endpoint=https://collector.local:4318/custom']).tracing!.otlp.http.endpoint, 'https://collector.local:4318/custom');
  });
});

describe('bad files', () => {
  const cases: { desc: string; name: string; text: string; want: string[] }[] = [
    {
      desc: 'YAML: misspelled key, with line and suggestion',
      name: 'typo.yml',
      text: 'providers:\n  consulCatalog:\n    endpoint:\n      adress: "127.0.0.1:8500"\n',
      want: ['typo.yml:4: providers.consulCatalog.endpoint.adress: unknown key "adress" in endpoint (did you mean "address"?)'],
    },
    {
      desc: 'YAML: wrong type and bad duration, both reported',
      name: 'types.yml',
      text: 'providers:\n  consulCatalog:\n    exposedByDefault: maybe\n    refreshInterval: 10x\n',
      want: [
        'types.yml:3: providers.consulCatalog.exposedByDefault: invalid boolean "maybe": expected true or false',
        'types.yml:4: providers.consulCatalog.refreshInterval: invalid duration "10x": unknown unit "x" (use ns, us, ms, s, m or h)',
      ],
    },
    {
      desc: 'YAML: value out of range (schema check) points at the line',
      name: 'range.yml',
      text: 'tracing:\n  serviceName: x\n  sampleRate: 2\n',
      want: ['range.yml:3: tracing.sampleRate: Too big: expected number to be <=1'],
    },
    {
      desc: 'YAML: entry point without address',
      name: 'noaddr.yml',
      text: 'entryPoints:\n  web:\n    observability:\n      tracing: true\n',
      want: ['noaddr.yml:2: entryPoints.web.address: is required'],
    },
    {
      desc: 'YAML: bad address',
      name: 'addr.yml',
      text: 'entryPoints:\n  web:\n    address: "8000"\n',
      want: ['addr.yml:3: entryPoints.web.address: expected an address like ":8000", "127.0.0.1:8000" or "[::1]:8000" (UDP is not supported)'],
    },
    {
      desc: 'YAML: enum value with suggestion',
      name: 'enum.yml',
      text: 'log:\n  level: warnn\n',
      want: ['enum.yml:2: log.level: invalid value "warnn": expected one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC (did you mean "WARN"?)'],
    },
    {
      desc: 'YAML: syntax error',
      name: 'syntax.yml',
      text: 'entryPoints:\n  web: [\n',
      want: ['syntax.yml:3: syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    },
    {
      desc: 'YAML: duplicate key',
      name: 'dup.yml',
      text: 'log:\n  level: INFO\n  level: DEBUG\n',
      want: ['dup.yml:3: syntax error: Map keys must be unique'],
    },
    {
      desc: 'YAML: a section given a scalar',
      name: 'scalar.yml',
      text: 'providers:\n  consulCatalog:\n    endpoint: "127.0.0.1:8500"\n',
      want: ['scalar.yml:3: providers.consulCatalog.endpoint: expected a mapping (endpoint), got string "127.0.0.1:8500"'],
    },
    {
      desc: 'TOML: misspelled key under a table header',
      name: 'typo.toml',
      text: '[providers.consulCatalog]\n  prefix = "traefik"\n\n[providers.consulCatalog.endpoint]\n  adress = "127.0.0.1:8500"\n',
      want: ['typo.toml:5: providers.consulCatalog.endpoint.adress: unknown key "adress" in endpoint (did you mean "address"?)'],
    },
    {
      desc: 'TOML: bad duration and unknown section',
      name: 'bad.toml',
      text: '[tracing]\nshutdownTimeout = "soon"\n\n[tracng2]\nx = 1\n',
      want: [
        'bad.toml:2: tracing.shutdownTimeout: invalid duration "soon": expected a number at "soon"',
        'bad.toml:4: tracng2: unknown key "tracng2" in static configuration (did you mean "tracing"?)',
      ],
    },
    {
      desc: 'TOML: dotted keys',
      name: 'dotted.toml',
      text: '[providers]\nconsulCatalog.endpoint.adress = "x"\n',
      want: ['dotted.toml:2: providers.consulCatalog.endpoint.adress: unknown key "adress" in endpoint (did you mean "address"?)'],
    },
    {
      desc: 'TOML: syntax error with line',
      name: 'syntax.toml',
      text: '[log]\nlevel = \n',
      want: ['syntax.toml:2: syntax error: invalid value'],
    },
    {
      desc: 'YAML: Traefik options tagway lacks are named as such',
      name: 'traefik.yml',
      text: 'global:\n  checkNewVersion: false\nentryPoints:\n  web:\n    address: ":80"\n    proxyProtocol:\n      insecure: true\n',
      want: [
        'traefik.yml:1: global: Traefik option "global" is not supported by tagway; remove it',
        'traefik.yml:6: entryPoints.web.proxyProtocol: Traefik option "proxyProtocol" is not supported by tagway; remove it',
      ],
    },
    {
      desc: 'unknown extension',
      name: 'conf.json',
      text: '{}',
      want: ['conf.json: configFile: unknown file type: use .yml, .yaml or .toml'],
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const path = file(c.name, c.text);
      const lines = problemsOf(() => load([`--configFile=${path}`]));
      assert.deepEqual(lines.map((l) => l.replace(`${dir}/`, '')), c.want);
    });
  }

  it('a missing file', () => {
    const lines = problemsOf(() => load(['--configFile=nope.yml']));
    assert.deepEqual(lines, ['nope.yml: configFile: file not found']);
  });

  it('problems carry path, file, line and suggestion as data', () => {
    const path = file('data.yml', 'api:\n  insecur: true\n');
    try { load([`--configFile=${path}`]); assert.fail('should throw'); } catch (err) {
      assert.ok(err instanceof StaticConfigError);
      assert.deepEqual(err.problems, [{ path: 'api.insecur', file: path, line: 2, message: 'unknown key "insecur" in api', suggestion: 'insecure' }]);
    }
  });
});

describe('flags', () => {
  const good: { desc: string; argv: string[]; check: (c: StaticConfig) => void }[] = [
    { desc: '--a.b=value', argv: ['--providers.consulCatalog.endpoint.address=10.0.0.1:8500'], check: (c) => assert.equal(c.providers.consulCatalog!.endpoint.address, '10.0.0.1:8500') },
    { desc: '--a.b value', argv: ['--providers.consulcatalog.prefix', 'edge'], check: (c) => assert.equal(c.providers.consulCatalog!.prefix, 'edge') },
    { desc: 'names are case-insensitive', argv: ['--PROVIDERS.CONSULCATALOG.EXPOSEDBYDEFAULT=false'], check: (c) => assert.equal(c.providers.consulCatalog!.exposedByDefault, false) },
    { desc: 'bare boolean is true', argv: ['--api.insecure'], check: (c) => assert.equal(c.api!.insecure, true) },
    { desc: 'boolean followed by a bool word takes it', argv: ['--api.insecure', 'false'], check: (c) => assert.equal(c.api!.insecure, false) },
    { desc: 'bare boolean followed by another flag', argv: ['--api.insecure', '--log.level=warn'], check: (c) => { assert.equal(c.api!.insecure, true); assert.equal(c.log.level, 'WARN'); } },
    { desc: 'bare section switches it on', argv: ['--providers.consulCatalog'], check: (c) => assert.equal(c.providers.consulCatalog!.prefix, 'traefik') },
    { desc: 'section=true', argv: ['--tracing=true'], check: (c) => assert.equal(c.tracing!.serviceName, 'tagway') },
    { desc: 'comma lists', argv: ['--providers.consulCatalog.strictChecks=passing, warning ,critical'], check: (c) => assert.deepEqual(c.providers.consulCatalog!.strictChecks, ['passing', 'warning', 'critical']) },
    { desc: 'entry point names keep case', argv: ['--entryPoints.WebSecure.address=:8443'], check: (c) => assert.deepEqual(Object.keys(c.entryPoints), ['WebSecure']) },
    { desc: 'map values', argv: ['--tracing.resourceAttributes.team=edge'], check: (c) => assert.deepEqual(c.tracing!.resourceAttributes, { team: 'edge' }) },
    { desc: 'numbers', argv: ['--metrics.prometheus.buckets=0.5,1,2.5', '--workers=3'], check: (c) => { assert.deepEqual(c.metrics!.prometheus!.buckets, [0.5, 1, 2.5]); assert.equal(c.workers, 3); } },
    { desc: 'durations: Go style or seconds', argv: ['--tracing.shutdownTimeout=1m30s', '--providers.providersThrottleDuration=3'], check: (c) => { assert.equal(c.tracing!.shutdownTimeout, 90_000); assert.equal(c.providers.providersThrottleDuration, 3000); } },
    { desc: '--configfile FILE (lowercase, separate value)', argv: ['--configfile', 'flagfile.yml'], check: (c) => assert.equal(c.log.level, 'WARN') },
  ];
  before(() => file('flagfile.yml', 'log:\n  level: WARN\n'));
  for (const c of good) it(c.desc, () => c.check(load(c.argv)));

  const bad: { desc: string; argv: string[]; want: string[] }[] = [
    { desc: 'unknown flag with suggestion', argv: ['--api.insecur'], want: ['--api.insecur: api.insecur: unknown key "insecur" in api (did you mean "insecure"?)'] },
    { desc: 'bad value', argv: ['--workers=many'], want: ['--workers: workers: invalid integer "many"'] },
    { desc: 'positional argument', argv: ['demo'], want: ['demo: unexpected argument (options are --name=value)'] },
    { desc: 'string flag without value', argv: ['--log.filePath'], want: ['--log.filePath: log.filePath: expects a value (--name=value)'] },
    { desc: 'schema check names the source', argv: ['--workers=0'], want: ['command line: workers: Too small: expected number to be >0'] },
  ];
  for (const c of bad) it(c.desc, () => assert.deepEqual(problemsOf(() => load(c.argv)), c.want));
});

describe('environment', () => {
  it('TAGWAY_* names split on "_", matched case-insensitively; map keys lowercased', () => {
    const c = load([], {
      TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_ADDRESS: '10.1.1.1:8500',
      TAGWAY_ENTRYPOINTS_WEB_ADDRESS: ':8000',
      TAGWAY_TRACING_OTLP_HTTP_HEADERS_X_API_KEY: 'k',
      TAGWAY_API_INSECURE: 'true',
      PATH: '/usr/bin',
      TAGWAY_LOG_FILEPATH: '',
    });
    assert.equal(c.providers.consulCatalog!.endpoint.address, '10.1.1.1:8500');
    assert.deepEqual(Object.keys(c.entryPoints).sort(), ['traefik', 'web']);
    assert.deepEqual(c.tracing!.otlp.http.headers, { x_api_key: 'k' });
    assert.equal(c.log.filePath, undefined);
  });

  it('TAGWAY_CONFIGFILE names the file when no flag does', () => {
    const path = file('envfile.yml', 'log:\n  format: json\n');
    assert.equal(load([], { TAGWAY_CONFIGFILE: path }).log.format, 'json');
  });

  it('unknown variable: ignored with a warning (orchestrators set TAGWAY_* on their own), see env.test.ts', () => {
    const warnings: string[] = [];
    const c = loadStaticConfig({ argv: [], env: { TAGWAY_LOG_LEVL: 'info' }, onWarning: (m) => warnings.push(m) });
    assert.equal(c.log.level, 'ERROR');
    assert.deepEqual(warnings, ['TAGWAY_LOG_LEVL: unknown key "LEVL" in log; variable ignored (did you mean "TAGWAY_LOG_LEVEL"?)']);
  });
});

describe('precedence: env over flags over file', () => {
  const cases: { desc: string; flags: string[]; env: Record<string, string>; want: string }[] = [
    { desc: 'file only', flags: [], env: {}, want: 'file:8500' },
    { desc: 'flag beats file', flags: ['--providers.consulCatalog.endpoint.address=flag:8500'], env: {}, want: 'flag:8500' },
    { desc: 'env beats flag and file', flags: ['--providers.consulCatalog.endpoint.address=flag:8500'], env: { TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_ADDRESS: 'env:8500' }, want: 'env:8500' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const path = file('prec.yml', 'providers:\n  consulCatalog:\n    prefix: fromfile\n    endpoint:\n      address: "file:8500"\n');
      const config = load([`--configFile=${path}`, ...c.flags], c.env);
      assert.equal(config.providers.consulCatalog!.endpoint.address, c.want);
      assert.equal(config.providers.consulCatalog!.prefix, 'fromfile', 'other file values survive the merge');
    });
  }

  it('map keys from env (lowercased) land on the file\'s spelling', () => {
    const path = file('ep.yml', 'entryPoints:\n  webSecure:\n    address: ":8443"\n    forwardedHeaders: { insecure: true }\n');
    const c = load([`--configFile=${path}`], { TAGWAY_ENTRYPOINTS_WEBSECURE_ADDRESS: ':9443' });
    assert.deepEqual(Object.keys(c.entryPoints), ['webSecure']);
    assert.equal(c.entryPoints.webSecure!.address, ':9443');
    assert.equal(c.entryPoints.webSecure!.forwardedHeaders.insecure, true);
  });

  it('a list from a later layer replaces the whole list', () => {
    const path = file('list.yml', 'providers:\n  consulCatalog:\n    strictChecks: [passing, warning]\n');
    assert.deepEqual(load([`--configFile=${path}`], { TAGWAY_PROVIDERS_CONSULCATALOG_STRICTCHECKS: 'passing' }).providers.consulCatalog!.strictChecks, ['passing']);
  });
});
