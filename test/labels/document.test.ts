import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource } from '../../src/static/source.ts';
import { decodeDynamicDocument, UNSUPPORTED_TCP_UDP } from '../../src/labels/index.ts';
import type { DocError } from '../../src/labels/index.ts';
import type { HTTPConfiguration } from '../../src/dynamic/types.ts';

function http(partial: Partial<HTTPConfiguration>): HTTPConfiguration {
  return { routers: {}, services: {}, middlewares: {}, ...partial };
}

/** Parses YAML and locates key paths to lines, as the file provider can (src/static/source.ts). */
function yaml(text: string): { doc: unknown; locate: (path: (string | number)[]) => number | undefined } {
  const parsed = parseSource(text, 'yaml');
  assert.deepEqual(parsed.syntaxErrors, []);
  return { doc: parsed.doc, locate: parsed.locate };
}

describe('decodeDynamicDocument: configurations', () => {
  const cases: { desc: string; doc: unknown; want: HTTPConfiguration }[] = [
    { desc: 'empty document', doc: null, want: http({}) },
    {
      desc: 'router and service with servers list',
      doc: { http: { routers: { web: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } }, services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082', weight: 2 }] } } } } },
      want: http({ routers: { web: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } }, services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082', weight: 2 }] } } } }),
    },
    {
      desc: 'field names case-insensitive; scalars read like Traefik (string numbers, comma lists)',
      doc: { HTTP: { Routers: { r: { Priority: '10', EntryPoints: 'web,admin', TLS: {} } } } },
      want: http({ routers: { r: { priority: 10, entryPoints: ['web', 'admin'], tls: {} } } }),
    },
    {
      desc: 'weighted service (file only) and preservePath',
      doc: { http: { services: { w: { weighted: { services: [{ name: 'a', weight: 3 }, { name: 'b' }] } }, s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1', preservePath: true }] } } } } },
      want: http({ services: { w: { weighted: { services: [{ name: 'a', weight: 3 }, { name: 'b' }] } }, s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1', preservePath: true }] } } } }),
    },
    {
      desc: 'allowEmpty sections: null and true',
      doc: { http: { routers: { r: { tls: null } }, middlewares: { c: { compress: true } } } },
      want: http({ routers: { r: { tls: {} } }, middlewares: { c: { compress: {} } } }),
    },
    {
      desc: 'a number for a string field is kept as text',
      doc: { http: { middlewares: { rs: { redirectScheme: { scheme: 'https', port: 8443 } } } } },
      want: http({ middlewares: { rs: { redirectScheme: { scheme: 'https', port: '8443' } } } }),
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const r = decodeDynamicDocument(c.doc);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.configuration, { http: c.want });
    });
  }
});

describe('decodeDynamicDocument: errors with lines', () => {
  const cases: { desc: string; text: string; want: DocError[] }[] = [
    {
      desc: 'unknown key with suggestion',
      text: 'http:\n  routers:\n    r:\n      rul: x\n',
      want: [{ path: 'http.routers.r.rul', line: 4, message: 'unknown key "rul" in Router', suggestion: 'rule' }],
    },
    {
      desc: 'wrong type',
      text: 'http:\n  routers:\n    r:\n      priority: high\n',
      want: [{ path: 'http.routers.r.priority', line: 4, message: 'invalid integer "high"' }],
    },
    {
      desc: 'a list where a mapping is expected',
      text: 'http:\n  services:\n    s:\n      loadBalancer: [1]\n',
      want: [{ path: 'http.services.s.loadBalancer', line: 4, message: 'expected a mapping (ServersLoadBalancer), got a list' }],
    },
    {
      desc: 'label-only field in a file',
      text: 'http:\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - port: "80"\n',
      want: [{ path: 'http.services.s.loadBalancer.servers[0].port', line: 6, message: '"port" can only be set with labels' }],
    },
    {
      desc: 'bad duration in a list item',
      text: 'http:\n  services:\n    s:\n      loadBalancer:\n        healthCheck:\n          interval: soon\n',
      want: [{ path: 'http.services.s.loadBalancer.healthCheck.interval', line: 6, message: 'invalid duration "soon": expected a number at "soon"' }],
    },
    {
      desc: 'the same field twice in different case',
      text: 'http:\n  routers:\n    r:\n      rule: a\n      Rule: b\n',
      want: [{ path: 'http.routers.r.rule', line: 5, message: '"Rule" is set twice (also as "rule"; names are case-insensitive)' }],
    },
    {
      desc: 'Traefik sections tagway lacks are named as unsupported',
      text: 'http:\n  serversTransports:\n    t: { spiffe: {} }\n  services:\n    m:\n      highestRandomWeight: {}\n    w:\n      middlewares: [a]\n',
      want: [
        { path: 'http.serversTransports.t.spiffe', line: 3, message: 'serversTransport option "spiffe" is not supported by tagway' },
        { path: 'http.services.m.highestRandomWeight', line: 6, message: 'service type "highestRandomWeight" is not supported by tagway' },
        { path: 'http.services.w.middlewares', line: 8, message: 'service "middlewares" (Traefik v3.7) is not supported by tagway: name them on the routers of the service' },
      ],
    },
    {
      desc: 'tcp, udp and tls at the top level',
      text: 'tcp:\n  routers: {}\nudp: {}\nhtpp: {}\n',
      want: [
        { path: 'tcp', line: 1, message: UNSUPPORTED_TCP_UDP },
        { path: 'udp', line: 3, message: UNSUPPORTED_TCP_UDP },
        { path: 'htpp', line: 4, message: 'unknown key "htpp" in the dynamic configuration', suggestion: 'http' },
      ],
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const { doc, locate } = yaml(c.text);
      const r = decodeDynamicDocument(doc, locate);
      assert.deepEqual(r.errors.map(({ item: _item, ...e }) => e), c.want);
    });
  }

  it('names the router, service or middleware a problem is inside of (the file provider leaves only that item out)', () => {
    const { doc, locate } = yaml('http:\n  routers:\n    "my.router":\n      rul: x\n  serversTransports:\n    t: { spiffe: {} }\n  middlewares:\n    m:\n      plugin: {}\n  routerz: {}\n');
    const r = decodeDynamicDocument(doc, locate);
    assert.deepEqual(r.errors.map((e) => [e.path, e.item]), [
      ['http.routers.my.router.rul', { kind: 'router', name: 'my.router' }],
      ['http.serversTransports.t.spiffe', undefined],
      ['http.middlewares.m.plugin', { kind: 'middleware', name: 'm' }],
      ['http.routerz', undefined],
    ]);
  });

  it('a throwing locate does not break decoding', () => {
    const r = decodeDynamicDocument({ http: { routers: { r: { rul: 'x' } } } }, () => { throw new Error('boom'); });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.line, undefined);
  });

  it('refuses a non-mapping document', () => {
    assert.deepEqual(decodeDynamicDocument(['x']).errors, [{ path: '', message: 'expected a mapping at the top level' }]);
  });
});
