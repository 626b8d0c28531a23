/**
 * Traefik's runtime view: `integration/testdata/rawdata-consul.json` (v3.7.9; `rawdata-etcd`, `-redis` and `-zk.json`
 * are the same document with another provider name), the `/api/rawdata` Traefik prints for the dynamic configuration
 * of `integration/consul_test.go` TestSimpleConfiguration. The same configuration is given to the real gateway by the
 * file provider (so `@consul` reads `@file`); every router, service and middleware of Traefik's document is one case:
 * its fields (names, qualified names, `status`, `using`, `usedBy`, defaults, `serverStatus`) must be in tagway's
 * `/api/rawdata` and in `/api/http/<kind>/<name>` (there with `name`, `provider` and, for services and middlewares, `type`). tagway's additions (`error`,
 * `observabilitySources`, ...) are extra fields and are not compared. The Kubernetes rawdata files are not ported
 * (tagway has no Kubernetes providers).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startFileGateway, type DynamicHttp, type FileGateway } from '../../support/file-gateway.ts';
import { Tally, TRAEFIK_VERSION } from '../../support/traefik-tables.ts';

type Json = Record<string, unknown>;
type Kind = 'routers' | 'services' | 'middlewares';

/** TestSimpleConfiguration's KV pairs, as the file provider's YAML (the mirroring service is a case of its own). */
const DYNAMIC: DynamicHttp = {
  routers: {
    Router0: { entryPoints: ['web'], middlewares: ['compressor', 'striper'], service: 'simplesvc', rule: 'Host(`kv1.localhost`)', priority: 42, tls: {} },
    Router1: {
      rule: 'Host(`kv2.localhost`)', priority: 42, entryPoints: ['web'], service: 'simplesvc',
      tls: { domains: [{ main: 'aaa.localhost', sans: ['aaa.aaa.localhost', 'bbb.aaa.localhost'] }, { main: 'bbb.localhost', sans: ['aaa.bbb.localhost', 'bbb.bbb.localhost'] }] },
    },
  },
  services: {
    simplesvc: { loadBalancer: { servers: [{ url: 'http://10.0.1.1:8888' }, { url: 'http://10.0.1.1:8889' }] } },
    srvcA: { loadBalancer: { servers: [{ url: 'http://10.0.1.2:8888' }, { url: 'http://10.0.1.2:8889' }] } },
    srvcB: { loadBalancer: { servers: [{ url: 'http://10.0.1.3:8888' }, { url: 'http://10.0.1.3:8889' }] } },
    Service03: { weighted: { services: [{ name: 'srvcA', weight: 42 }, { name: 'srvcB', weight: 42 }] } },
  },
  middlewares: { compressor: { compress: {} }, striper: { stripPrefix: { prefixes: ['foo', 'bar'] } } },
};

const OBS = { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal' };
const lbDefaults = (...urls: string[]): Json => ({
  loadBalancer: { servers: urls.map((url) => ({ url })), strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } },
});

/** Traefik's rawdata-consul.json, entry by entry (`@consul` → `@file`). */
const TRAEFIK: Record<Kind, Record<string, Json>> = {
  routers: {
    'Router0@file': {
      entryPoints: ['web'], middlewares: ['compressor@file', 'striper@file'], service: 'simplesvc', rule: 'Host(`kv1.localhost`)',
      priority: 42, tls: {}, observability: OBS, status: 'enabled', using: ['web'],
    },
    'Router1@file': {
      entryPoints: ['web'], service: 'simplesvc', rule: 'Host(`kv2.localhost`)', priority: 42,
      tls: { domains: [{ main: 'aaa.localhost', sans: ['aaa.aaa.localhost', 'bbb.aaa.localhost'] }, { main: 'bbb.localhost', sans: ['aaa.bbb.localhost', 'bbb.bbb.localhost'] }] },
      observability: OBS, status: 'enabled', using: ['web'],
    },
    'api@internal': {
      entryPoints: ['traefik'], service: 'api@internal', rule: 'PathPrefix(`/api`)', ruleSyntax: 'default',
      priority: '9223372036854775806', observability: OBS, status: 'enabled', using: ['traefik'],
    },
    'dashboard@internal': {
      entryPoints: ['traefik'], middlewares: ['dashboard_redirect@internal', 'dashboard_stripprefix@internal'], service: 'dashboard@internal',
      rule: 'PathPrefix(`/`)', ruleSyntax: 'default', priority: '9223372036854775805', observability: OBS, status: 'enabled', using: ['traefik'],
    },
  },
  middlewares: {
    'compressor@file': { compress: { encodings: ['gzip', 'br', 'zstd'] }, status: 'enabled', usedBy: ['Router0@file'] },
    'dashboard_redirect@internal': {
      redirectRegex: { regex: '^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)\\/$', replacement: '${1}/dashboard/', permanent: true },
      status: 'enabled', usedBy: ['dashboard@internal'],
    },
    'dashboard_stripprefix@internal': { stripPrefix: { prefixes: ['/dashboard/', '/dashboard'] }, status: 'enabled', usedBy: ['dashboard@internal'] },
    'striper@file': { stripPrefix: { prefixes: ['foo', 'bar'] }, status: 'enabled', usedBy: ['Router0@file'] },
  },
  services: {
    'Service03@file': { weighted: { services: [{ name: 'srvcA', weight: 42 }, { name: 'srvcB', weight: 42 }] }, status: 'enabled' },
    'api@internal': { status: 'enabled', usedBy: ['api@internal'] },
    'dashboard@internal': { status: 'enabled', usedBy: ['dashboard@internal'] },
    'mirror@file': {
      mirroring: { service: 'simplesvc', mirrorBody: true, maxBodySize: -1, mirrors: [{ name: 'srvcA', percent: 42 }, { name: 'srvcB', percent: 42 }] },
      status: 'enabled',
    },
    'noop@internal': { status: 'enabled' },
    'simplesvc@file': {
      ...lbDefaults('http://10.0.1.1:8888', 'http://10.0.1.1:8889'), status: 'enabled', usedBy: ['Router0@file', 'Router1@file'],
      serverStatus: { 'http://10.0.1.1:8888': 'UP', 'http://10.0.1.1:8889': 'UP' },
    },
    'srvcA@file': { ...lbDefaults('http://10.0.1.2:8888', 'http://10.0.1.2:8889'), status: 'enabled' },
    'srvcB@file': { ...lbDefaults('http://10.0.1.3:8888', 'http://10.0.1.3:8889'), status: 'enabled' },
  },
};

/** Where tagway deliberately differs: why, and what it shows instead (`absent`, or the fields that differ). */
interface Difference { why: string; instead: 'absent' | Json }
const NO_MIRRORING = 'tagway has no `mirroring` service (HTTP mirroring is not implemented; see "Differences from Traefik"): the test configuration leaves it out';
const PRIORITY = 'internal routers sit at the top priorities; Traefik\'s MaxInt64-1/-2 is not a JavaScript number (JSON.parse would round it), tagway uses Number.MAX_SAFE_INTEGER-1/-2 (ping: MAX_SAFE_INTEGER)';
const DASHBOARD = 'tagway\'s dashboard app answers `/` and `/dashboard/` itself: no dashboard_redirect / dashboard_stripprefix internal middlewares';
const NOOP = 'Traefik always declares `noop@internal` (the service of its entry-point redirection routers); tagway declares it only when an entry point redirects';
const DIFFERENCES: Partial<Record<Kind, Record<string, Difference>>> = {
  routers: {
    'api@internal': { why: PRIORITY, instead: { priority: Number.MAX_SAFE_INTEGER - 1 } },
    'dashboard@internal': { why: `${PRIORITY}; ${DASHBOARD}`, instead: { priority: Number.MAX_SAFE_INTEGER - 2, middlewares: undefined } },
  },
  middlewares: {
    'dashboard_redirect@internal': { why: DASHBOARD, instead: 'absent' },
    'dashboard_stripprefix@internal': { why: DASHBOARD, instead: 'absent' },
  },
  services: {
    'mirror@file': { why: NO_MIRRORING, instead: 'absent' },
    'noop@internal': { why: NOOP, instead: 'absent' },
  },
};

/** Traefik's fields of `expected`, read from tagway's item (tagway's extra fields left out). */
function traefikFields(item: Json, expected: Json): Json {
  return Object.fromEntries(Object.keys(expected).map((k) => [k, item[k]]));
}

const tally = new Tally(`${TRAEFIK_VERSION} integration/testdata/rawdata-{consul,etcd,redis,zk}.json`);

describe('Traefik rawdata through the running gateway (file provider)', () => {
  let g: FileGateway;
  let raw: Record<Kind, Record<string, Json>>;
  const cleanups: Array<() => unknown> = [];
  const suite = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });
  before(async () => {
    g = await startFileGateway(suite, DYNAMIC);
    raw = await (await fetch(`${g.admin}/api/rawdata`)).json() as typeof raw;
  });

  for (const kind of ['routers', 'services', 'middlewares'] as const) {
    for (const [name, traefik] of Object.entries(TRAEFIK[kind])) {
      const desc = `${kind} ${name}`;
      const diff = DIFFERENCES[kind]?.[name];
      it(desc, async () => tally.runAsync(desc, diff?.why, async () => {
        const one = await fetch(`${g.admin}/api/http/${kind}/${encodeURIComponent(name)}`);
        if (diff?.instead === 'absent') {
          assert.equal(raw[kind][name], undefined, `${name} in /api/rawdata`);
          assert.equal(one.status, 404);
          return;
        }
        const expected = diff ? Object.fromEntries(Object.entries({ ...traefik, ...diff.instead }).filter(([, v]) => v !== undefined)) : traefik;
        const item = raw[kind][name];
        assert.ok(item, `${name} missing from /api/rawdata: ${Object.keys(raw[kind]).join(', ')}`);
        assert.deepEqual(traefikFields(item, expected), expected, 'rawdata');
        for (const k of Object.keys(traefik)) if (!(k in expected)) assert.equal(item[k], undefined, `${k} absent`);
        assert.equal(one.status, 200);
        const single = await one.json() as Json;
        const provider = name.slice(name.indexOf('@') + 1);
        // Traefik's service and middleware representations add `type`: the configured section, lower-cased (none: omitted).
        const section = kind === 'routers' ? undefined : Object.keys(expected).find((k) => !['status', 'usedBy', 'serverStatus'].includes(k));
        const shown = { ...expected, name, provider, ...(kind === 'routers' ? {} : { type: section?.toLowerCase() }) };
        assert.deepEqual(traefikFields(single, shown), shown, `/api/http/${kind}/${name}`);
        const listed = (await (await fetch(`${g.admin}/api/http/${kind}`)).json() as Json[]).find((i) => i['name'] === name);
        assert.deepEqual(listed, single, `/api/http/${kind} lists it as /api/http/${kind}/${name} shows it`);
      }));
    }
  }

  it('count', (t) => tally.report(t));
});
