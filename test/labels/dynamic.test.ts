import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDynamicLabels, decodeExtraConfig, UNSUPPORTED_TCP_UDP } from '../../src/labels/index.ts';
import type { LabelError } from '../../src/labels/index.ts';
import type { HTTPConfiguration } from '../../src/dynamic/types.ts';

const P = 'traefik';

function http(partial: Partial<HTTPConfiguration>): HTTPConfiguration {
  return { routers: {}, services: {}, middlewares: {}, ...partial };
}

describe('decodeDynamicLabels: configurations', () => {
  const cases: { desc: string; labels: Record<string, string>; want: HTTPConfiguration; prefix?: string }[] = [
    {
      desc: 'router with rule, entry points list and service',
      labels: {
        'traefik.http.routers.api.rule': 'Host(`api.example.com`)',
        'traefik.http.routers.api.entrypoints': 'web, websecure',
        'traefik.http.routers.api.service': 'api-svc',
        'traefik.http.routers.api.priority': '42',
      },
      want: http({ routers: { api: { rule: 'Host(`api.example.com`)', entryPoints: ['web', 'websecure'], service: 'api-svc', priority: 42 } } }),
    },
    {
      desc: 'field names are case-insensitive, router names keep their case',
      labels: { 'traefik.HTTP.Routers.MyRouter.RULE': 'Path(`/`)', 'traefik.http.routers.MyRouter.EntryPoints': 'web' },
      want: http({ routers: { MyRouter: { rule: 'Path(`/`)', entryPoints: ['web'] } } }),
    },
    {
      desc: 'two spellings of one name merge, as in Traefik (first in sort order names it)',
      labels: { 'traefik.http.routers.Api.rule': 'Path(`/`)', 'traefik.http.routers.api.service': 's' },
      want: http({ routers: { Api: { rule: 'Path(`/`)', service: 's' } } }),
    },
    {
      desc: 'tls=true switches on an empty section',
      labels: { 'traefik.http.routers.r.tls': 'true' },
      want: http({ routers: { r: { tls: {} } } }),
    },
    {
      desc: 'tls=false leaves it unset',
      labels: { 'traefik.http.routers.r.tls': 'false', 'traefik.http.routers.r.rule': 'Path(`/`)' },
      want: http({ routers: { r: { rule: 'Path(`/`)' } } }),
    },
    {
      desc: 'tls=true together with tls options',
      labels: { 'traefik.http.routers.r.tls': 'true', 'traefik.http.routers.r.tls.certresolver': 'le' },
      want: http({ routers: { r: { tls: { certResolver: 'le' } } } }),
    },
    {
      desc: 'indexed domains',
      labels: {
        'traefik.http.routers.r.tls.domains[0].main': 'example.com',
        'traefik.http.routers.r.tls.domains[0].sans': 'a.example.com,b.example.com',
        'traefik.http.routers.r.tls.domains[1].main': 'example.org',
      },
      want: http({ routers: { r: { tls: { domains: [{ main: 'example.com', sans: ['a.example.com', 'b.example.com'] }, { main: 'example.org' }] } } } }),
    },
    {
      desc: 'router observability, verbosity matched case-insensitively',
      labels: { 'traefik.http.routers.r.observability.tracing': 'false', 'traefik.http.routers.r.observability.traceVerbosity': 'Detailed' },
      want: http({ routers: { r: { observability: { tracing: false, traceVerbosity: 'detailed' } } } }),
    },
    {
      desc: 'Go booleans',
      labels: {
        'traefik.http.services.s.loadbalancer.passhostheader': 'F',
        'traefik.http.services.s.loadbalancer.sticky.cookie.secure': '1',
        'traefik.http.services.s.loadbalancer.sticky.cookie.httponly': 'TRUE',
      },
      want: http({ services: { s: { loadBalancer: { passHostHeader: false, sticky: { cookie: { secure: true, httpOnly: true } } } } } }),
    },
    {
      desc: 'label-only server port and scheme fill servers[0]',
      labels: { 'traefik.http.services.s.loadbalancer.server.port': '8080', 'traefik.http.services.s.loadbalancer.server.scheme': 'h2c', 'traefik.http.services.s.loadbalancer.server.weight': '3' },
      want: http({ services: { s: { loadBalancer: { servers: [{ port: '8080', scheme: 'h2c', weight: 3 }] } } } }),
    },
    {
      desc: 'sticky=true and sticky.cookie=true',
      labels: { 'traefik.http.services.a.loadbalancer.sticky': 'true', 'traefik.http.services.b.loadbalancer.sticky.cookie': 'true' },
      want: http({ services: { a: { loadBalancer: { sticky: {} } }, b: { loadBalancer: { sticky: { cookie: {} } } } } }),
    },
    {
      desc: 'durations stay strings, bare numbers accepted',
      labels: { 'traefik.http.services.s.loadbalancer.healthcheck.interval': '10s', 'traefik.http.services.s.loadbalancer.healthcheck.timeout': '3', 'traefik.http.services.s.loadbalancer.healthcheck.headers.X-Check': 'Yes' },
      want: http({ services: { s: { loadBalancer: { healthCheck: { interval: '10s', timeout: '3', headers: { 'X-Check': 'Yes' } } } } } }),
    },
    {
      desc: 'middlewares: header map keys keep case, compress=true, lists',
      labels: {
        'traefik.http.middlewares.h.headers.customrequestheaders.X-Request-Id': 'abc',
        'traefik.http.middlewares.h.headers.accesscontrolallowmethods': 'GET,POST',
        'traefik.http.middlewares.c.compress': 'true',
        'traefik.http.middlewares.sp.stripprefix.prefixes': '/a,/b',
        'traefik.http.middlewares.rl.ratelimit.average': '0x10',
        'traefik.http.middlewares.rl.ratelimit.period': '1m',
      },
      want: http({ middlewares: {
        h: { headers: { customRequestHeaders: { 'X-Request-Id': 'abc' }, accessControlAllowMethods: ['GET', 'POST'] } },
        c: { compress: {} },
        sp: { stripPrefix: { prefixes: ['/a', '/b'] } },
        rl: { rateLimit: { average: 16, period: '1m' } },
      } }),
    },
    {
      desc: 'keys outside the prefix, enable and consulcatalog extras are not decoded here',
      labels: { 'traefik.enable': 'true', 'traefik.consulcatalog.connect': 'true', 'other.http.routers.x.rule': 'y', 'TRAEFIK.http.routers.x.rule': 'z' },
      want: http({}),
    },
    {
      desc: 'custom prefix',
      prefix: 'edge',
      labels: { 'edge.http.routers.r.rule': 'Path(`/`)', 'traefik.http.routers.t.rule': 'ignored' },
      want: http({ routers: { r: { rule: 'Path(`/`)' } } }),
    },
    {
      desc: 'a router name that is a JavaScript special name stays a plain key',
      labels: { 'traefik.http.routers.__proto__.rule': 'Path(`/`)', 'traefik.http.routers.constructor.rule': 'Path(`/c`)' },
      want: (() => {
        const routers = {};
        Object.defineProperty(routers, '__proto__', { value: { rule: 'Path(`/`)' }, enumerable: true, writable: true, configurable: true });
        Object.defineProperty(routers, 'constructor', { value: { rule: 'Path(`/c`)' }, enumerable: true, writable: true, configurable: true });
        return http({ routers });
      })(),
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const r = decodeDynamicLabels(c.labels, c.prefix ?? P);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.configuration, { http: c.want });
    });
  }
});

describe('decodeDynamicLabels: errors', () => {
  const cases: { desc: string; labels: Record<string, string>; want: LabelError[] }[] = [
    {
      desc: 'misspelled field with a suggestion',
      labels: { 'traefik.http.routers.r.tsl': 'true' },
      want: [{ key: 'traefik.http.routers.r.tsl', path: 'http.routers.r.tsl', message: 'unknown key "tsl" in Router', suggestion: 'tls' }],
    },
    {
      desc: 'every label under a misspelled section is named',
      labels: { 'traefik.http.routers.r.observabilty.tracing': 'true', 'traefik.http.routers.r.observabilty.metrics': 'true' },
      want: [
        { key: 'traefik.http.routers.r.observabilty.metrics', path: 'http.routers.r.observabilty', message: 'unknown key "observabilty" in Router', suggestion: 'observability' },
        { key: 'traefik.http.routers.r.observabilty.tracing', path: 'http.routers.r.observabilty', message: 'unknown key "observabilty" in Router', suggestion: 'observability' },
      ],
    },
    {
      desc: 'bad integer',
      labels: { 'traefik.http.routers.r.priority': 'high' },
      want: [{ key: 'traefik.http.routers.r.priority', path: 'http.routers.r.priority', message: 'invalid integer "high"' }],
    },
    {
      desc: 'bad boolean',
      labels: { 'traefik.http.services.s.loadbalancer.passhostheader': 'yes' },
      want: [{ key: 'traefik.http.services.s.loadbalancer.passhostheader', path: 'http.services.s.loadBalancer.passHostHeader', message: 'invalid boolean "yes": expected true or false' }],
    },
    {
      desc: 'bad duration',
      labels: { 'traefik.http.middlewares.r.retry.initialinterval': '100' + 'x' },
      want: [{ key: 'traefik.http.middlewares.r.retry.initialinterval', path: 'http.middlewares.r.retry.initialInterval', message: 'invalid duration "100x": unknown unit "x" (use ns, us, ms, s, m or h)' }],
    },
    {
      desc: 'bad enum value with suggestion',
      labels: { 'traefik.http.routers.r.observability.traceverbosity': 'minimall' },
      want: [{ key: 'traefik.http.routers.r.observability.traceverbosity', path: 'http.routers.r.observability.traceVerbosity', message: 'invalid value "minimall": expected one of minimal, detailed', suggestion: 'minimal' }],
    },
    {
      desc: 'servers[0] is how files spell it; labels use server',
      labels: { 'traefik.http.services.s.loadbalancer.servers[0].url': 'http://127.0.0.1' },
      want: [{ key: 'traefik.http.services.s.loadbalancer.servers[0].url', path: 'http.services.s.loadBalancer.servers', message: 'unknown key "servers": labels address this list as "server"', suggestion: 'server' }],
    },
    {
      desc: 'weighted services cannot come from labels',
      labels: { 'traefik.http.services.s.weighted.services[0].name': 'a' },
      want: [{ key: 'traefik.http.services.s.weighted.services[0].name', path: 'http.services.s.weighted', message: '"weighted" cannot be set with labels (only in files)' }],
    },
    {
      desc: 'a section given a value',
      labels: { 'traefik.http.routers.r.observability': 'true' },
      want: [{ key: 'traefik.http.routers.r.observability', path: 'http.routers.r.observability', message: 'observability is a section: set one of its options (e.g. observability.accessLogs=…), not a value' }],
    },
    {
      desc: 'a value given sub-keys',
      labels: { 'traefik.http.routers.r.rule.host': 'x' },
      want: [{ key: 'traefik.http.routers.r.rule.host', path: 'http.routers.r.rule.host', message: 'unknown key "host": rule takes a value, not sub-keys' }],
    },
    {
      desc: 'router without options',
      labels: { 'traefik.http.routers.r': 'x' },
      want: [{ key: 'traefik.http.routers.r', path: 'http.routers.r', message: 'expected sub-keys of Router, not a value' }],
    },
    {
      desc: 'empty key element',
      labels: { 'traefik.http.routers..rule': 'x' },
      want: [{ key: 'traefik.http.routers..rule', path: 'http.routers..rule', message: 'empty element in key "http.routers..rule"' }],
    },
    {
      desc: 'index too large',
      labels: { 'traefik.http.routers.r.tls.domains[5000].main': 'x' },
      want: [{ key: 'traefik.http.routers.r.tls.domains[5000].main', path: 'http.routers.r.tls.domains[5000]', message: 'index 5000 is too large (max 1000)' }],
    },
    {
      desc: 'a Traefik middleware tagway lacks is named as unsupported, not as a typo',
      labels: { 'traefik.http.middlewares.auth.plugin.x.a': 'r' },
      want: [{ key: 'traefik.http.middlewares.auth.plugin.x.a', path: 'http.middlewares.auth.plugin', message: 'middleware "plugin" is not supported by tagway' }],
    },
    {
      desc: 'a root that Traefik\'s "traefik.http" filter lets through fails',
      labels: { 'traefik.https.routers.r.rule': 'x' },
      want: [{ key: 'traefik.https.routers.r.rule', path: 'https', message: 'unknown key "https" after "traefik."', suggestion: 'http' }],
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const r = decodeDynamicLabels(c.labels, P);
      const sorted = [...r.errors].sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(sorted, c.want);
    });
  }

  it('TCP and UDP labels are named as unsupported, apart from errors (the HTTP part still decodes)', () => {
    const r = decodeDynamicLabels({ 'traefik.tcp.routers.t.rule': 'HostSNI(`*`)', 'traefik.udp.services.u.loadbalancer.server.port': '53', 'traefik.http.routers.h.rule': 'Path(`/`)' }, P);
    assert.deepEqual(r.errors, []);
    assert.deepEqual([...r.unsupported].sort((a, b) => a.key.localeCompare(b.key)), [
      { key: 'traefik.tcp.routers.t.rule', path: 'tcp', message: UNSUPPORTED_TCP_UDP },
      { key: 'traefik.udp.services.u.loadbalancer.server.port', path: 'udp', message: UNSUPPORTED_TCP_UDP },
    ]);
    assert.deepEqual(r.configuration.http.routers, { h: { rule: 'Path(`/`)' } });
  });

  it('keeps the valid routers when another label is wrong', () => {
    const r = decodeDynamicLabels({ 'traefik.http.routers.ok.rule': 'Path(`/`)', 'traefik.http.routers.bad.prority': '1' }, P);
    assert.deepEqual(r.configuration.http.routers.ok, { rule: 'Path(`/`)' });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.suggestion, 'priority');
  });

  it('warns (not errors) on keys under the prefix that Traefik ignores', () => {
    const r = decodeDynamicLabels({ 'traefik.htp.routers.r.rule': 'x', 'traefik.foo': 'bar' }, P);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map((w) => [w.key, w.suggestion]).sort(), [['traefik.foo', undefined], ['traefik.htp.routers.r.rule', 'http']]);
  });
});

describe('decodeExtraConfig', () => {
  const cases: { desc: string; labels: Record<string, string>; want: ReturnType<typeof decodeExtraConfig> }[] = [
    { desc: 'nothing set', labels: { 'traefik.http.routers.r.rule': 'x' }, want: { errors: [] } },
    { desc: 'enable=false', labels: { 'traefik.enable': 'false' }, want: { enable: false, errors: [] } },
    { desc: 'case-insensitive names, Go bools', labels: { 'traefik.Enable': 'T', 'traefik.consulCatalog.Connect': '1', 'traefik.consulcatalog.canary': 'true' }, want: { enable: true, connect: true, canary: true, errors: [] } },
    {
      desc: 'bad bool',
      labels: { 'traefik.enable': 'yes' },
      want: { errors: [{ key: 'traefik.enable', path: 'enable', message: 'invalid boolean "yes": expected true or false' }] },
    },
    {
      desc: 'misspelled option',
      labels: { 'traefik.consulcatalog.canry': 'true' },
      want: { errors: [{ key: 'traefik.consulcatalog.canry', path: 'consulCatalog.canry', message: 'unknown key "canry" in consulCatalog', suggestion: 'canary' }] },
    },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(decodeExtraConfig(c.labels, P), c.want));
});
