/**
 * Issue 17: a change costs what it reaches. The incremental runtime must give, after any sequence of changes,
 * exactly what a full build of the last configuration gives (route tables and API), and must build only the
 * dependents of a change (counted).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aggregate } from '../../src/dynamic/aggregate.ts';
import type { Configuration, ItemIssue, Message, Middleware, Router, Service } from '../../src/dynamic/types.ts';
import type { OverviewSource, RuntimeState } from '../../src/dynamic/runtime.ts';
import type { Handler } from '../../src/http/context.ts';
import type { Route } from '../../src/http/route.ts';
import type { MatchRequest } from '../../src/rules/types.ts';
import type { PatchableRouteTable, RouteTable } from '../../src/routing/index.ts';
import { buildRuntime, IncrementalRuntime, type BuildResult } from '../../src/runtime/build.ts';
import { ConfigurationAggregator } from '../../src/runtime/changes.ts';
import type { ServiceSource } from '../../src/runtime/services.ts';
import { apiRoutes } from '../../src/server/admin/api.ts';
import type { GatewayView } from '../../src/server/admin/view.ts';
import { loadStaticConfig } from '../../src/static/load.ts';
import { compileOptions } from '../../src/tls/options.ts';

const config = loadStaticConfig({
  argv: ['--entryPoints.web.address=127.0.0.1:0', '--entryPoints.admin.address=127.0.0.1:0', '--entryPoints.admin.http.middlewares=epmw@file'],
  env: {},
});
const { entryPoints } = config;

/** A service source that fails the way the live registry does (no load balancer), and counts what it creates. */
function source(): ServiceSource & { created: string[] } {
  const created: string[] = [];
  const handlers = new Map<string, Handler>();
  return {
    created,
    get(name, service) {
      if (!service.loadBalancer) return new Error('only loadBalancer services are supported by tagway');
      const key = `${name} ${JSON.stringify(service)}`;
      let h = handlers.get(key);
      if (!h) { created.push(name); h = function serve() {}; handlers.set(key, h); }
      return h;
    },
  };
}

const env = (services: ServiceSource) => ({ entryPoints, services, internalServices: new Map<string, Handler>() });
const tlsOptions = new Map([['default', compileOptions('default', {})]]);

// ---- random configurations: two providers, a few items each, references across them ----
const PROVIDERS = ['consulcatalog', 'file'] as const;
const rules = ['Host(`a.test`)', 'Host(`b.test`) && PathPrefix(`/x`)', 'PathPrefix(`/x`)', 'Host(`a.test`) || Host(`c.test`)', 'HostRegexp(`^.*\\.test$`)', 'Host(`', 'Path(`/y`)'];
const serviceRefs = ['s0', 's1', 's2', 's0@file', 's1@consulcatalog', 'gone'];
const mwRefs = ['m0', 'm1', 'm2', 'm0@file', 'epmw@file', 'nope'];
const routerArb: fc.Arbitrary<Router> = fc.record({
  rule: fc.constantFrom(...rules), service: fc.constantFrom(...serviceRefs),
  middlewares: fc.subarray(mwRefs, { maxLength: 2 }), entryPoints: fc.subarray(['web', 'admin', 'missing'], { minLength: 1 }),
  priority: fc.constantFrom(0, 0, 5, 100), tls: fc.constantFrom(undefined, undefined, {}, { options: 'modern' }),
}).map((r) => JSON.parse(JSON.stringify(r)) as Router);
const serviceArb: fc.Arbitrary<Service> = fc.oneof(
  fc.constantFrom('http://127.0.0.1:1', 'http://127.0.0.1:2').map((url) => ({ loadBalancer: { servers: [{ url }] } })),
  fc.constant({ weighted: { services: [{ name: 's0' }] } } as Service),
);
const middlewareArb: fc.Arbitrary<Middleware> = fc.oneof(
  fc.constantFrom('/p', '/q').map((prefix) => ({ addPrefix: { prefix } })),
  fc.subarray(['m0', 'm1', 'm2', 'nope'], { minLength: 1, maxLength: 2 }).map((middlewares) => ({ chain: { middlewares } })),
  fc.constant({ stripPrefix: { prefixes: ['/x'] } } as Middleware),
  fc.constantFrom('s1', 's2@file', 'gone').map((service) => ({ errors: { status: ['500-599'], service, query: '/{status}' } }) as Middleware),
);
const issueArb: fc.Arbitrary<ItemIssue> = fc.record({
  kind: fc.constantFrom('router' as const, 'service' as const, 'middleware' as const),
  name: fc.constantFrom('r0', 'r1', 's0', 's1', 'm0', 'ghost'),
  severity: fc.constantFrom('error' as const, 'warning' as const),
  message: fc.constantFrom('bad tag', 'conflict'),
  dropped: fc.boolean(),
});
/** One change to one provider: set or delete an item, or replace the issues. */
const stepArb = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  op: fc.oneof(
    fc.record({ kind: fc.constant('routers' as const), name: fc.constantFrom('r0', 'r1', 'r2', 'r3'), value: fc.option(routerArb, { nil: undefined }) }),
    fc.record({ kind: fc.constant('services' as const), name: fc.constantFrom('s0', 's1', 's2'), value: fc.option(serviceArb, { nil: undefined }) }),
    fc.record({ kind: fc.constant('middlewares' as const), name: fc.constantFrom('m0', 'm1', 'm2', 'epmw'), value: fc.option(middlewareArb, { nil: undefined }) }),
    fc.record({ kind: fc.constant('issues' as const), name: fc.constant(''), value: fc.array(issueArb, { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('touch' as const), name: fc.constantFrom('r0', 's0', 'm0'), value: fc.constant(undefined) }),
    // The provider's whole snapshot again, every item a new object and no note (a restarted provider thread, a
    // worker catching up), with one item set or removed on the way, or none.
    fc.record({ kind: fc.constant('snapshot' as const), name: fc.constantFrom('r1', 's1', 'm1', ''), value: fc.option(fc.oneof(routerArb, serviceArb, middlewareArb), { nil: undefined }) }),
  ),
});

function emptyMessage(provider: string): Message {
  return { providerName: provider, configuration: { http: { routers: {}, services: {}, middlewares: {} } }, issues: [] };
}

/** The provider's next snapshot: unchanged items are the same objects (what the providers and deltas give). */
function applyStep(m: Message, step: { kind: string; name: string; value: unknown }): Message {
  const http = m.configuration.http;
  const next: Configuration = { http: { routers: { ...http.routers }, services: { ...http.services }, middlewares: { ...http.middlewares } } };
  let issues = m.issues;
  if (step.kind === 'issues') issues = step.value as ItemIssue[];
  else if (step.kind === 'snapshot') {
    const whole = structuredClone({ configuration: next, issues });
    if (step.name !== '') {
      const kind = step.name.startsWith('r') ? 'routers' : step.name.startsWith('s') ? 'services' : 'middlewares';
      const rec = whole.configuration.http[kind] as Record<string, unknown>;
      if (step.value === undefined) delete rec[step.name]; else rec[step.name] = structuredClone(step.value);
    }
    return { providerName: m.providerName, ...whole };
  } else if (step.kind === 'touch') {
    // the same definition as a new object (a file reload): a rebuild that changes nothing
    for (const kind of ['routers', 'services', 'middlewares'] as const) {
      const rec = next.http[kind] as Record<string, unknown>;
      if (rec[step.name] !== undefined) rec[step.name] = structuredClone(rec[step.name]);
    }
  } else {
    const rec = next.http[step.kind as 'routers'] as Record<string, unknown>;
    if (step.value === undefined) delete rec[step.name]; else rec[step.name] = step.value;
  }
  return { providerName: m.providerName, configuration: next, issues };
}

/** Objects with sorted keys, so two states compare whatever order their items were inserted in. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

const requests: MatchRequest[] = ['a.test', 'b.test', 'c.test', 'x.test', 'other'].flatMap((host) => ['/', '/x', '/y'].map((path) => ({ method: 'GET', host, path, rawQuery: '', clientIp: '127.0.0.1', headers: {} })));

function tableView(tables: Map<string, RouteTable<Route>>): unknown {
  return [...tables.keys()].sort().map((ep) => {
    const t = tables.get(ep)! as PatchableRouteTable<Route>;
    return [ep, t.order(), requests.map((r) => t.match(r)?.name ?? '-')];
  });
}

/** The API over a state; with `summary`, /api/overview reads the runtime's kept counts (else it counts the state). */
async function apiView(state: RuntimeState, summary?: BuildResult['summary']): Promise<unknown> {
  const overview = summary && ((): OverviewSource => ({ count: (k) => summary.count(k), notEnabled: (k) => summary.notEnabled(k), downServices: () => [] }));
  const view = { config, startDate: new Date(0), tracing: undefined, metrics: undefined, state: () => state, ...(overview ? { overview } : {}), providerStatuses: () => [], reloads: () => ({ count: 0, lastAt: undefined }), table: () => undefined, terminating: () => false } satisfies GatewayView;
  const app = apiRoutes(view);
  const out: Record<string, unknown> = {};
  for (const path of ['/http/routers?per_page=1000', '/http/services?per_page=1000', '/http/middlewares?per_page=1000', '/http/routers?per_page=2&page=2&sortBy=priority', '/rawdata', '/overview']) {
    const res = await app.request(path);
    out[path] = canonical(JSON.parse(await res.text()));
  }
  return out;
}

describe('incremental runtime = full build', () => {
  it('after any sequence of changes: the same route tables and the same API as a full build of the last configuration', async () => {
    await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
      let messages = new Map<string, Message>(PROVIDERS.map((p) => [p, emptyMessage(p)]));
      const aggregator = new ConfigurationAggregator();
      const runtime = new IncrementalRuntime(env(source()));
      runtime.full(aggregator.update(messages).aggregated, tlsOptions);
      for (const step of steps) {
        messages = new Map(messages);
        messages.set(step.provider, applyStep(messages.get(step.provider)!, step.op));
        const { aggregated, changes } = aggregator.update(messages);
        assert.ok(changes, 'no TLS section: always incremental');
        const inc = runtime.update(aggregated, changes);
        const full = buildRuntime({ ...env(source()), aggregated: aggregate(messages), tlsOptions });
        assert.deepEqual(canonical(inc.state), canonical(full.state), JSON.stringify(steps));
        assert.deepEqual(tableView(inc.tables), tableView(full.tables), 'cleartext tables');
        assert.deepEqual(tableView(inc.tlsTables), tableView(full.tlsTables), 'TLS tables');
        assert.deepEqual(canonical([...inc.hostOptions].map(([k, v]) => [k, [...v]])), canonical([...full.hostOptions].map(([k, v]) => [k, [...v]])));
        const [ia, fa] = [await apiView(inc.state, inc.summary), await apiView(full.state)] as Array<Record<string, unknown>>;
        for (const path of Object.keys(fa!)) assert.deepEqual(ia![path], fa![path], `${path} after ${JSON.stringify(steps)}`);
      }
    }), { numRuns: 150, seed: 2026_12_06 });
  });
});

describe('a change builds only its dependents', () => {
  /** N services, each with a router and a middleware, as the Consul provider gives them; one file router on svc-0. */
  function catalog(n: number, change?: (c: Configuration) => void): Map<string, Message> {
    const c: Configuration = { http: { routers: {}, services: {}, middlewares: {} } };
    for (let i = 0; i < n; i++) {
      c.http.routers[`svc-${i}`] = { rule: `Host(\`svc-${i}.test\`)`, service: `svc-${i}`, middlewares: [`svc-${i}-strip`], entryPoints: ['web'] };
      c.http.services[`svc-${i}`] = { loadBalancer: { servers: [{ url: `http://10.0.0.${i % 250}:80` }] } };
      c.http.middlewares[`svc-${i}-strip`] = { stripPrefix: { prefixes: ['/api'] } };
    }
    change?.(c);
    const file: Configuration = { http: {
      routers: { edge: { rule: 'PathPrefix(`/edge`)', service: 'svc-0@consulcatalog', middlewares: ['auth'], entryPoints: ['web'] } },
      services: {}, middlewares: { auth: { chain: { middlewares: ['svc-1-strip@consulcatalog'] } } },
    } };
    return new Map([['consulcatalog', { providerName: 'consulcatalog', configuration: c, issues: [] }], ['file', { providerName: 'file', configuration: file, issues: [] }]]);
  }
  /** The next snapshot of the catalog provider: every item the same object but those `edit` replaces. */
  function next(messages: Map<string, Message>, edit: (http: Configuration['http']) => void): Map<string, Message> {
    const m = messages.get('consulcatalog')!;
    const http = { routers: { ...m.configuration.http.routers }, services: { ...m.configuration.http.services }, middlewares: { ...m.configuration.http.middlewares } };
    edit(http);
    return new Map([...messages, ['consulcatalog', { ...m, configuration: { http } }]]);
  }

  function start(n: number) {
    const services = source();
    const aggregator = new ConfigurationAggregator();
    const runtime = new IncrementalRuntime(env(services));
    let messages = catalog(n);
    const first = runtime.full(aggregator.update(messages).aggregated, tlsOptions);
    return {
      services, first,
      change(edit: (http: Configuration['http']) => void): BuildResult {
        messages = next(messages, edit);
        const { aggregated, changes } = aggregator.update(messages);
        return runtime.update(aggregated, changes!);
      },
    };
  }

  it('a first build builds everything (1,000 services)', () => {
    const { first, services } = start(1000);
    assert.equal(first.work.full, true);
    assert.equal(first.work.routers.length, 1001);
    assert.equal(first.work.middlewares.length, 1001);
    assert.equal(services.created.length, 1000);
  });

  it('a health flip (one service\'s servers) rebuilds that service\'s routers only; 999 other services keep their handlers', () => {
    const gw = start(1000);
    const before = gw.services.created.length;
    const r = gw.change((http) => { http.services['svc-42'] = { loadBalancer: { servers: [{ url: 'http://10.0.0.42:80' }, { url: 'http://10.0.1.42:80' }] } }; });
    assert.deepEqual(r.work, { full: false, routers: ['svc-42@consulcatalog'], services: ['svc-42@consulcatalog'], middlewares: [] });
    assert.deepEqual(gw.services.created.slice(before), ['svc-42@consulcatalog'], 'one handler created');
    assert.deepEqual(r.state.services['svc-42@consulcatalog']!.loadBalancer!.servers!.map((s) => s.url), ['http://10.0.0.42:80', 'http://10.0.1.42:80']);
    assert.equal(r.tables.get('web')!.match({ method: 'GET', host: 'svc-42.test', path: '/', rawQuery: '', clientIp: '127.0.0.1', headers: {} })?.name, 'svc-42@consulcatalog');
  });

  it('a service another provider\'s router uses: that router is rebuilt too (cross-provider reference)', () => {
    const gw = start(50);
    const r = gw.change((http) => { http.services['svc-0'] = { loadBalancer: { servers: [{ url: 'http://10.9.9.9:80' }] } }; });
    assert.deepEqual(r.work.routers.sort(), ['edge@file', 'svc-0@consulcatalog']);
    assert.deepEqual(r.work.services, ['svc-0@consulcatalog']);
  });

  it('a middleware: its routers and the chains holding it (and their routers) are rebuilt, nothing else', () => {
    const gw = start(50);
    const r = gw.change((http) => { http.middlewares['svc-1-strip'] = { stripPrefix: { prefixes: ['/v2'] } }; });
    assert.deepEqual(r.work.middlewares.sort(), ['auth@file', 'svc-1-strip@consulcatalog']);
    assert.deepEqual(r.work.routers.sort(), ['edge@file', 'svc-1@consulcatalog']);
    assert.deepEqual(r.work.services, []);
  });

  it('a new service and a removed one: their routers only; the removed handler is released', () => {
    const gw = start(50);
    const r = gw.change((http) => {
      http.routers['new'] = { rule: 'Host(`new.test`)', service: 'new', entryPoints: ['web'] };
      http.services['new'] = { loadBalancer: { servers: [{ url: 'http://10.1.1.1:80' }] } };
      delete http.routers['svc-7']; delete http.services['svc-7']; delete http.middlewares['svc-7-strip'];
    });
    assert.deepEqual(r.work.routers, ['new@consulcatalog']);
    assert.deepEqual(r.released, ['svc-7@consulcatalog']);
    assert.equal(r.state.routers['svc-7@consulcatalog'], undefined);
    assert.equal(r.tables.get('web')!.size, 51);
  });

  it('the same definitions again (new objects, equal values): nothing is rebuilt', () => {
    const gw = start(50);
    const before = gw.services.created.length;
    const r = gw.change((http) => { http.services['svc-3'] = structuredClone(http.services['svc-3']!); http.middlewares['svc-3-strip'] = structuredClone(http.middlewares['svc-3-strip']!); });
    assert.deepEqual(r.work, { full: false, routers: [], services: [], middlewares: [] });
    assert.equal(gw.services.created.length, before, 'the handler is kept');
    assert.deepEqual(r.retired, []);
  });

  it('a whole snapshot (a restarted provider thread, a worker catching up; no note): only what differs is rebuilt (1,000 services)', () => {
    const gw = start(1000);
    const before = gw.services.created.length;
    const kept = gw.first.state.routers['svc-7@consulcatalog'];
    const r = gw.change((http) => {
      const copy = structuredClone(http);
      Object.assign(http, copy); // every item a new object, as a decoded snapshot
      http.services['svc-42'] = { loadBalancer: { servers: [{ url: 'http://10.0.0.42:80' }, { url: 'http://10.0.1.42:80' }] } };
      delete http.routers['svc-9'];
    });
    assert.deepEqual(r.work, { full: false, routers: ['svc-42@consulcatalog'], services: ['svc-42@consulcatalog'], middlewares: [] });
    assert.deepEqual(gw.services.created.slice(before), ['svc-42@consulcatalog'], 'one handler created');
    assert.equal(r.state.routers['svc-9@consulcatalog'], undefined);
    assert.equal(r.state.routers['svc-7@consulcatalog'], kept, 'an unchanged router keeps its record');
    assert.equal(r.tables.get('web')!.size, 1000);
  });
});
