/**
 * The admin API's own mechanics (Traefik's pkg/api: criterion.go, sort.go, handler_*.go) over a catalog of a few
 * services: pagination and X-Next-Page, filters, sorting, 400/404 bodies, entry points, overview, rawdata,
 * version, ping.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, waitForState, type TestGateway } from '../../support/gateway.ts';
import { request, startUpstream } from '../../support/upstream.ts';
import { api, instance, registerAll, DEFAULT_OBS } from './support.ts';
import { waitFor } from '../../support/wait.ts';

type Json = Record<string, unknown>;

describe('admin API endpoints (Traefik v3 shapes)', () => {
  let g: TestGateway;
  let upUrl = '';
  const names = async (path: string): Promise<{ status: number; names: string[]; next: string | null; text: string }> => {
    const r = await api<Json[] | Json>(g.admin, path);
    return { status: r.status, names: Array.isArray(r.body) ? r.body.map((i) => i['name'] as string) : [], next: r.headers.get('x-next-page'), text: r.text };
  };

  // One gateway for the whole suite (these tests only read); its clean-ups run when the suite ends.
  const cleanups: Array<() => unknown> = [];
  const suite = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });
  before(async () => {
    g = await startTestGateway(suite);
    const up = await startUpstream(suite, 'a');
    upUrl = up.url;
    registerAll(g.catalog!, [
      instance('alpha-1', 'alpha', up.port),
      instance('beta-1', 'beta', up.port, [
        'traefik.http.routers.beta-r.rule=Host(`beta.test`)',
        'traefik.http.routers.beta-r.middlewares=strip',
        'traefik.http.middlewares.strip.stripPrefix.prefixes=/b',
      ]),
      instance('gamma-1', 'gamma', up.port, [
        'traefik.http.routers.gamma-r.rule=Host(`gamma.test`) && Path(`/only`)',
        'traefik.http.routers.gamma-r.priority=7',
        'traefik.http.routers.broken.rule=Host(`broken.test`)',
        'traefik.http.routers.broken.middlewares=missing',
      ]),
    ]);
    await waitForState(g.gateway, (s) => ['alpha', 'beta-r', 'gamma-r', 'broken'].every((r) => s.routers[`${r}@consulcatalog`]));
  });

  // Routers, sorted by name: alpha, api@internal, beta-r, broken, dashboard@internal, gamma-r, ping@internal.
  const listCases: Array<{ desc: string; path: string; status?: number; names?: string[]; next?: string; body?: string }> = [
    { desc: 'all routers, sorted by name, last page says 1', path: '/api/http/routers',
      names: ['alpha@consulcatalog', 'api@internal', 'beta-r@consulcatalog', 'broken@consulcatalog', 'dashboard@internal', 'gamma-r@consulcatalog', 'ping@internal'], next: '1' },
    { desc: 'per_page=3 page 1 points to page 2', path: '/api/http/routers?per_page=3', names: ['alpha@consulcatalog', 'api@internal', 'beta-r@consulcatalog'], next: '2' },
    { desc: 'per_page=3 page 3 is the last', path: '/api/http/routers?per_page=3&page=3', names: ['ping@internal'], next: '1' },
    { desc: 'a page past the end is a 400', path: '/api/http/routers?per_page=3&page=4', status: 400, body: '{"message":"invalid request: page: 4, per_page: 3"}\n' },
    { desc: 'per_page=0 is a 400', path: '/api/http/routers?per_page=0', status: 400, body: '{"message":"invalid request: per_page: 0"}\n' },
    { desc: 'a non-number page is a 400 naming 0', path: '/api/http/routers?page=x', status: 400, body: '{"message":"invalid request: page: 0"}\n' },
    { desc: 'search looks in the rule', path: '/api/http/routers?search=GAMMA.test', names: ['gamma-r@consulcatalog'], next: '1' },
    { desc: 'search looks in the name', path: '/api/http/routers?search=beta-', names: ['beta-r@consulcatalog'], next: '1' },
    { desc: 'status filter, case-insensitive', path: '/api/http/routers?status=DISABLED', names: ['broken@consulcatalog'], next: '1' },
    { desc: 'serviceName qualified matches a router service written unqualified', path: '/api/http/routers?serviceName=gamma@consulcatalog', names: ['broken@consulcatalog', 'gamma-r@consulcatalog'], next: '1' },
    { desc: 'middlewareName matches the name qualified as Traefik shows it once built', path: '/api/http/routers?middlewareName=strip@consulcatalog', names: ['beta-r@consulcatalog'], next: '1' },
    { desc: 'middlewareName unqualified matches nothing (Traefik compares qualified names)', path: '/api/http/routers?middlewareName=strip', names: [], next: '1' },
    { desc: 'sortBy=priority desc (rule lengths 19, 17, 13, then the explicit 7)', path: '/api/http/routers?sortBy=priority&direction=desc&search=consulcatalog',
      names: ['broken@consulcatalog', 'beta-r@consulcatalog', 'alpha@consulcatalog', 'gamma-r@consulcatalog'], next: '1' },
    { desc: 'sortBy=service asc, ties by name', path: '/api/http/routers?sortBy=service&search=consulcatalog',
      names: ['alpha@consulcatalog', 'beta-r@consulcatalog', 'broken@consulcatalog', 'gamma-r@consulcatalog'], next: '1' },
    { desc: 'services: internal ones only for enabled features (no prometheus)', path: '/api/http/services',
      names: ['alpha@consulcatalog', 'api@internal', 'beta@consulcatalog', 'dashboard@internal', 'gamma@consulcatalog', 'ping@internal'], next: '1' },
    { desc: 'services search', path: '/api/http/services?search=internal&per_page=2', names: ['api@internal', 'dashboard@internal'], next: '2' },
    { desc: 'middlewares', path: '/api/http/middlewares', names: ['strip@consulcatalog'], next: '1' },
    { desc: 'middlewares by status', path: '/api/http/middlewares?status=disabled', names: [], next: '1' },
    { desc: 'entry points are paginated too', path: '/api/entrypoints?per_page=1', names: ['traefik'], next: '2' },
    // tagway's filters (the dashboard's): provider, entryPoint, type
    { desc: 'provider filter (exact)', path: '/api/http/routers?provider=internal', names: ['api@internal', 'dashboard@internal', 'ping@internal'], next: '1' },
    { desc: 'entryPoint filter: routers listening there', path: '/api/http/routers?entryPoint=traefik', names: ['api@internal', 'dashboard@internal', 'ping@internal'], next: '1' },
    { desc: 'entryPoint filter with search and paging', path: '/api/http/routers?entryPoint=web&search=a&per_page=2',
      names: ['alpha@consulcatalog', 'beta-r@consulcatalog'], next: '2' },
    { desc: 'services by provider', path: '/api/http/services?provider=consulcatalog&per_page=2', names: ['alpha@consulcatalog', 'beta@consulcatalog'], next: '2' },
    { desc: 'middlewares by type, case-insensitive', path: '/api/http/middlewares?type=STRIPPREFIX', names: ['strip@consulcatalog'], next: '1' },
    { desc: 'middlewares by another type', path: '/api/http/middlewares?type=headers', names: [], next: '1' },
  ];
  for (const k of listCases) {
    it(k.desc, async () => {
      const r = await names(k.path);
      assert.equal(r.status, k.status ?? 200, r.text);
      if (k.body !== undefined) assert.equal(r.text, k.body);
      if (k.names) assert.deepEqual(r.names, k.names);
      if (k.next) assert.equal(r.next, k.next);
    });
  }

  const notFound: Array<{ desc: string; path: string; body: string }> = [
    { desc: 'unknown router', path: '/api/http/routers/nope@consulcatalog', body: '{"message":"router not found: nope@consulcatalog"}\n' },
    { desc: 'unknown service', path: '/api/http/services/nope@file', body: '{"message":"service not found: nope@file"}\n' },
    { desc: 'unknown middleware', path: '/api/http/middlewares/nope@file', body: '{"message":"middleware not found: nope@file"}\n' },
    { desc: 'unknown entry point', path: '/api/entrypoints/websecure', body: '{"message":"entry point not found: websecure"}\n' },
    { desc: 'unknown API path', path: '/api/nothing', body: '404 page not found\n' },
  ];
  for (const k of notFound) {
    it(`404: ${k.desc}`, async () => {
      const r = await api(g.admin, k.path);
      assert.deepEqual([r.status, r.text, r.headers.get('content-type')], [404, k.body, 'text/plain; charset=utf-8']);
    });
  }

  it('one router: the stored object with computed priority, default entry points, merged observability, middlewares qualified as Traefik shows them once built', async () => {
    assert.deepEqual((await api(g.admin, '/api/http/routers/beta-r@consulcatalog')).body, {
      entryPoints: ['web'], middlewares: ['strip@consulcatalog'], rule: 'Host(`beta.test`)', service: 'beta', name: 'beta-r@consulcatalog', provider: 'consulcatalog',
      priority: 'Host(`beta.test`)'.length, observability: DEFAULT_OBS,
      observabilitySources: { accessLogs: 'default', metrics: 'default', tracing: 'default', traceVerbosity: 'default' },
      status: 'enabled', using: ['web'],
    });
    const broken = (await api<Json>(g.admin, '/api/http/routers/broken@consulcatalog')).body;
    assert.deepEqual([broken['status'], broken['error'], broken['using']], ['disabled', ['middleware "missing@consulcatalog" does not exist'], ['web']]);
  });

  it('a percent-encoded name is decoded once, as Traefik does', async () => {
    const r = await api<Json>(g.admin, '/api/http/routers/alpha%40consulcatalog');
    assert.deepEqual([r.status, r.body['name']], [200, 'alpha@consulcatalog']);
    assert.equal((await api(g.admin, '/api/http/routers/foo%2Fbar%40file')).text, '{"message":"router not found: foo/bar@file"}\n');
  });

  it('an internal router as Traefik shows it (ruleSyntax default, top priority, on the traefik entry point)', async () => {
    assert.deepEqual((await api(g.admin, '/api/http/routers/api@internal')).body, {
      entryPoints: ['traefik'], rule: 'PathPrefix(`/api`)', ruleSyntax: 'default', service: 'api@internal', priority: Number.MAX_SAFE_INTEGER - 1,
      name: 'api@internal', provider: 'internal', observability: DEFAULT_OBS,
      observabilitySources: { accessLogs: 'default', metrics: 'default', tracing: 'default', traceVerbosity: 'default' },
      status: 'enabled', using: ['traefik'],
    });
  });

  it('services: usedBy sorted, every router that names it counted (a disabled one too), serverStatus per URL, internal ones without type', async () => {
    const gamma = (await api<Json>(g.admin, '/api/http/services/gamma@consulcatalog')).body;
    assert.deepEqual([gamma['usedBy'], gamma['serverStatus']], [['broken@consulcatalog', 'gamma-r@consulcatalog'], { [upUrl]: 'UP' }]);
    assert.deepEqual((await api(g.admin, '/api/http/services/api@internal')).body, { name: 'api@internal', provider: 'internal', status: 'enabled', usedBy: ['api@internal'] });
  });

  it('a middleware: its options, type in lower case, usedBy', async () => {
    assert.deepEqual((await api(g.admin, '/api/http/middlewares/strip@consulcatalog')).body,
      { stripPrefix: { prefixes: ['/b'] }, name: 'strip@consulcatalog', provider: 'consulcatalog', type: 'stripprefix', status: 'enabled', usedBy: ['beta-r@consulcatalog'] });
  });

  it('entry points: static config with Go JSON durations, zero ones left out, observability defaults', async () => {
    const expected = (name: string) => ({
      address: '127.0.0.1:0',
      transport: { lifeCycle: { graceTimeOut: '10000000000ns' }, respondingTimeouts: { readTimeout: '60000000000ns', idleTimeout: '180000000000ns' } },
      forwardedHeaders: {}, http: { maxHeaderBytes: 1048576, sanitizePath: true }, observability: { accessLogs: true, tracing: true, metrics: true, traceVerbosity: 'minimal' }, name,
    });
    const all = await api(g.admin, '/api/entrypoints');
    assert.deepEqual([all.body, all.headers.get('x-next-page')], [[expected('traefik'), expected('web')], '1']);
    assert.deepEqual((await api(g.admin, '/api/entrypoints/web')).body, expected('web'));
  });

  it('overview: counts by status, features, providers, and the provider status with configuration time', async () => {
    const o = (await api<Json>(g.admin, '/api/overview')).body;
    const zero = { total: 0, warnings: 0, errors: 0 };
    assert.deepEqual(o['http'], { routers: { total: 7, warnings: 0, errors: 1 }, services: { total: 6, warnings: 0, errors: 0 }, middlewares: { total: 1, warnings: 0, errors: 0 } });
    assert.deepEqual(o['tcp'], { routers: zero, services: zero, middlewares: zero });
    assert.deepEqual(o['udp'], { routers: zero, services: zero });
    assert.deepEqual(o['features'], { tracing: '', metrics: '', accessLog: false });
    assert.deepEqual(o['providers'], ['ConsulCatalog']);
    const [status] = o['providerStatus'] as Json[];
    assert.equal(status!['name'], 'consulcatalog');
    assert.equal(status!['error'], undefined);
    assert.equal(typeof status!['configurationAt'], 'number');
    assert.ok((status!['lastContact'] as number) >= (status!['configurationAt'] as number) - 1000);
    // tagway addition: what needs attention first
    assert.deepEqual((o['attention'] as Json[]).map((a) => [a['kind'], a['name'], a['status']]), [['router', 'broken@consulcatalog', 'disabled']]);
    assert.match(String((o['attention'] as Json[])[0]!['error']), /missing/);
  });

  it('live traffic: totals per router and service, and one router\'s seconds (whole seconds only, so: waited for)', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await request(`${g.web}/x`, { headers: { host: 'alpha' } })).status, 200);
    const totals = async () => (await api<{ routers: Json[]; services: Json[] }>(g.admin, '/api/tagway/traffic?seconds=30')).body;
    await waitFor('the five requests in the totals', async () => (await totals()).routers.find((r) => r['name'] === 'alpha@consulcatalog')?.['requests'] === 5);
    const t = await totals();
    assert.deepEqual(t.services.map((x) => [x['name'], x['requests'], x['errorRate']]), [['alpha@consulcatalog', 5, 0]]);
    assert.equal(t.routers.some((r) => String(r['name']).endsWith('@internal')), false, 'internal routers (the API itself) are not counted');
    const one = (await api<{ points: Json[]; totals: Json }>(g.admin, '/api/tagway/traffic/routers/alpha%40consulcatalog?seconds=30')).body;
    assert.equal(one.points.length, 30);
    assert.equal(one.points.reduce((n, p) => n + (p['requests'] as number), 0), 5);
    assert.equal(one.totals['requests'], 5);
    assert.equal(typeof one.totals['p99'], 'number');
    const none = (await api<{ points: Json[]; totals: Json }>(g.admin, '/api/tagway/traffic/services/nobody?seconds=5')).body;
    assert.deepEqual([none.points.length, none.totals['requests'], none.totals['p50']], [5, 0, null]);
    const bad = await api(g.admin, '/api/tagway/traffic?seconds=0');
    assert.deepEqual([bad.status, bad.text], [400, '{"message":"invalid request: seconds: 0"}\n']);
  });

  it('rawdata: the runtime records keyed by name, without name/provider/type, services with serverStatus', async () => {
    const raw = (await api<Record<string, Record<string, Json>>>(g.admin, '/api/rawdata')).body;
    assert.deepEqual(Object.keys(raw['routers']!).sort(), ['alpha@consulcatalog', 'api@internal', 'beta-r@consulcatalog', 'broken@consulcatalog', 'dashboard@internal', 'gamma-r@consulcatalog', 'ping@internal']);
    const alpha = raw['routers']!['alpha@consulcatalog']!;
    assert.equal(alpha['name'], undefined);
    assert.deepEqual([alpha['rule'], alpha['service'], alpha['status'], alpha['using']], ['Host(`alpha`)', 'alpha', 'enabled', ['web']]);
    const svc = raw['services']!['alpha@consulcatalog']!;
    assert.deepEqual([svc['type'], svc['usedBy'], svc['serverStatus']], [undefined, ['alpha@consulcatalog'], { [upUrl]: 'UP' }]);
    assert.deepEqual(Object.keys(raw['middlewares']!), ['strip@consulcatalog']);
  });

  it('version and ping', async () => {
    const v = (await api<Json>(g.admin, '/api/version')).body;
    assert.deepEqual(Object.keys(v).sort(), ['Codename', 'Version', 'startDate']);
    assert.ok(!Number.isNaN(Date.parse(v['startDate'] as string)));
    const ping = await api(g.admin, '/ping');
    assert.deepEqual([ping.status, ping.text], [200, 'OK']);
  });
});

describe('internal services answer only their own paths', () => {
  it('a ping router on a traffic entry point exposes /ping, never the API or the dashboard', async (t) => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tagway-internal-'));
    const file = join(dir, 'dynamic.yml');
    writeFileSync(file, 'http:\n  routers:\n    everything:\n      rule: "PathPrefix(`/`)"\n      entryPoints: [web]\n      service: ping@internal\n');
    const { gateway, web } = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`, '--providers.file.watch=false'] });
    await waitForState(gateway, (s) => s.routers['everything@file']?.status === 'enabled');
    assert.equal((await request(`${web}/ping`)).body, 'OK');
    assert.equal((await request(`${web}/api/http/routers`)).status, 404);
    assert.equal((await request(`${web}/dashboard/`)).status, 404);
  });
});
