/**
 * Issue 2 at the level a user sees it: services registered in devcatalog through its agent API, read by the
 * real Consul client in the Consul Catalog provider, and what the gateway's admin API answers (Traefik v3 shapes),
 * plus requests through `web` reaching real upstreams, so the API and the data path agree.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { DevCatalog } from '../../../src/dev/devcatalog/index.ts';
import type { Gateway } from '../../../src/server/gateway.ts';
import type { RuntimeState } from '../../../src/dynamic/runtime.ts';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import { startUpstream, type Upstream } from '../../support/upstream.ts';
import { api, instance, registerAll, via, DEFAULT_OBS, DEFAULT_SOURCES, LB_DEFAULTS } from './support.ts';

type Json = Record<string, unknown>;

interface Ctx { t: TestContext; gw: Gateway; dc: DevCatalog; admin: string; web: string; up: Upstream[] }

interface Case {
  desc: string;
  flags?: string[];
  /** Upstreams to start (named a, b, c...). */
  upstreams?: number;
  register(dc: DevCatalog, up: Upstream[]): void;
  /** The state to wait for before asserting (after the provider's first emit). */
  ready(s: RuntimeState): boolean;
  check(c: Ctx): Promise<void>;
}

const router = async (c: Ctx, name: string): Promise<Json> => {
  const r = await api<Json>(c.admin, `/api/http/routers/${name}`);
  assert.equal(r.status, 200, `router ${name}: ${r.text}`);
  return r.body;
};
const service = async (c: Ctx, name: string): Promise<Json> => {
  const r = await api<Json>(c.admin, `/api/http/services/${name}`);
  assert.equal(r.status, 200, `service ${name}: ${r.text}`);
  return r.body;
};
const routerNames = async (c: Ctx): Promise<string[]> =>
  (await api<Json[]>(c.admin, '/api/http/routers')).body.map((r) => r['name'] as string).filter((n) => !n.endsWith('@internal'));
const serviceNames = async (c: Ctx): Promise<string[]> =>
  (await api<Json[]>(c.admin, '/api/http/services')).body.map((r) => r['name'] as string).filter((n) => !n.endsWith('@internal'));

/** The enabled router Traefik makes for a service with no tags. */
function defaultRouter(name: string, extra: Json = {}): Json {
  const rule = `Host(\`${name}\`)`;
  return {
    entryPoints: ['web'], rule, service: name, name: `${name}@consulcatalog`, provider: 'consulcatalog',
    priority: rule.length, observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES, status: 'enabled', using: ['web'], ...extra,
  };
}

/** What the API shows for a router a provider dropped (Traefik would not show it at all): name, status, defaults. */
function dropped(name: string): Json {
  return { name: `${name}@consulcatalog`, provider: 'consulcatalog', status: 'disabled', observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES };
}

function lbService(name: string, urls: string[], usedBy: string[], extra: Json = {}): Json {
  return {
    loadBalancer: { ...LB_DEFAULTS, servers: urls.map((url) => ({ url })) },
    name: `${name}@consulcatalog`, provider: 'consulcatalog', type: 'loadbalancer', status: 'enabled',
    ...(usedBy.length > 0 ? { usedBy, serverStatus: Object.fromEntries(urls.map((u) => [u, 'UP'])) } : {}),
    ...extra,
  };
}

const has = (s: RuntimeState, ...routers: string[]): boolean => routers.every((r) => s.routers[`${r}@consulcatalog`] !== undefined);
const hasService = (s: RuntimeState, ...services: string[]): boolean => services.every((r) => s.services[`${r}@consulcatalog`] !== undefined);

const cases: Case[] = [
  {
    desc: 'a service with no tags gets the default router (rule from defaultRule, priority = rule length) and service',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('whoami-1', 'whoami', a!.port)),
    ready: (s) => has(s, 'whoami'),
    async check(c) {
      assert.deepEqual(await router(c, 'whoami@consulcatalog'), defaultRouter('whoami'));
      assert.deepEqual(await service(c, 'whoami@consulcatalog'), lbService('whoami', [c.up[0]!.url], ['whoami@consulcatalog']));
      const r = await via(c.web, 'whoami', '/hello');
      assert.deepEqual([r.status, r.upstream, r.url], [200, 'a', '/hello']);
    },
  },
  {
    desc: 'explicit router: entry points as written, explicit priority kept, unknown entry point is a warning',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('api-1', 'api', a!.port, [
      'traefik.http.routers.api-v1.rule=Host(`api.test`) && PathPrefix(`/v1`)',
      'traefik.http.routers.api-v1.entryPoints=web,websecure',
      'traefik.http.routers.api-v1.priority=42',
    ])),
    ready: (s) => has(s, 'api-v1'),
    async check(c) {
      assert.deepEqual(await router(c, 'api-v1@consulcatalog'), {
        entryPoints: ['web', 'websecure'], rule: 'Host(`api.test`) && PathPrefix(`/v1`)', service: 'api', priority: 42,
        name: 'api-v1@consulcatalog', provider: 'consulcatalog', observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES,
        status: 'warning', error: ['entryPoint "websecure" doesn\'t exist'], using: ['web'],
      });
      assert.deepEqual(await routerNames(c), ['api-v1@consulcatalog'], 'no default router when the instance declares one');
      assert.equal((await via(c.web, 'api.test', '/v1/x')).upstream, 'a');
      assert.equal((await via(c.web, 'api.test', '/v2/x')).status, 404);
    },
  },
  {
    desc: 'server.port and server.scheme override the registered port and http',
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('app-1', 'app', 1, [`traefik.http.services.app.loadbalancer.server.port=${a!.port}`]),
      instance('secure-1', 'secure', 8443, ['traefik.http.services.secure.loadbalancer.server.scheme=https']),
    ]),
    ready: (s) => has(s, 'app', 'secure'),
    async check(c) {
      assert.deepEqual(await service(c, 'app@consulcatalog'), lbService('app', [c.up[0]!.url], ['app@consulcatalog']));
      assert.deepEqual((await service(c, 'secure@consulcatalog'))['loadBalancer'], { ...LB_DEFAULTS, servers: [{ url: 'https://127.0.0.1:8443' }] });
      assert.equal((await via(c.web, 'app')).upstream, 'a');
    },
  },
  {
    desc: 'server.url replaces address and port',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('ext-1', 'ext', 9, [`traefik.http.services.ext.loadbalancer.server.url=${a!.url}`])),
    ready: (s) => has(s, 'ext'),
    async check(c) {
      assert.deepEqual((await service(c, 'ext@consulcatalog'))['loadBalancer'], { ...LB_DEFAULTS, servers: [{ url: c.up[0]!.url }] });
      assert.equal((await via(c.web, 'ext')).upstream, 'a');
    },
  },
  {
    desc: 'enable=false on one instance hides the whole service; the API shows why, naming the instances',
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('shy-1', 'shy', a!.port),
      instance('shy-2', 'shy', a!.port, ['traefik.enable=false']),
      instance('seen-1', 'seen', a!.port),
    ]),
    ready: (s) => has(s, 'seen'),
    async check(c) {
      const why = 'Consul service "shy": instance "shy-2" has traefik.enable=false, which hides the whole service in Traefik, including instance "shy-1" that did not disable it; remove the tag or set it on every instance';
      // Traefik would show nothing at all; tagway shows the default router and service it would have made, disabled.
      assert.deepEqual(await router(c, 'shy@consulcatalog'), {
        name: 'shy@consulcatalog', provider: 'consulcatalog', status: 'disabled', observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES, error: [why],
      });
      assert.deepEqual(await service(c, 'shy@consulcatalog'), { name: 'shy@consulcatalog', provider: 'consulcatalog', type: 'loadbalancer', status: 'disabled', error: [why] });
      assert.equal((await via(c.web, 'shy')).status, 404);
      assert.equal((await via(c.web, 'seen')).upstream, 'a');
    },
  },
  {
    desc: 'exposedByDefault=false: only services with enable=true appear',
    flags: ['--providers.consulCatalog.exposedByDefault=false'],
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('quiet-1', 'quiet', a!.port),
      instance('loud-1', 'loud', a!.port, ['traefik.enable=true']),
    ]),
    ready: (s) => has(s, 'loud'),
    async check(c) {
      assert.deepEqual(await routerNames(c), ['loud@consulcatalog']);
      assert.deepEqual(await serviceNames(c), ['loud@consulcatalog']);
      assert.equal((await via(c.web, 'quiet')).status, 404);
    },
  },
  {
    desc: 'instances that disagree on a router: the router is shown disabled with the service, instance IDs and key',
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('split-1', 'split', a!.port, ['traefik.http.routers.split.rule=Host(`one.test`)']),
      instance('split-2', 'split', a!.port, ['traefik.http.routers.split.rule=Host(`two.test`)']),
    ]),
    ready: (s) => has(s, 'split'),
    async check(c) {
      assert.deepEqual(await router(c, 'split@consulcatalog'), { ...dropped('split'), error: ['Consul service "split": instances "split-1", "split-2" define router "split" differently (key traefik.http.routers.split.rule: "Host(`one.test`)" on "split-1" vs "Host(`two.test`)" on "split-2"); Traefik drops the router entirely'] });
      assert.equal((await via(c.web, 'one.test')).status, 404);
      assert.equal((await via(c.web, 'two.test')).status, 404);
      // The service itself agrees, so it stays, unused; the same URL twice is one server (Traefik's AddService).
      assert.deepEqual(await service(c, 'split@consulcatalog'), lbService('split', [c.up[0]!.url], []));
    },
  },
  {
    desc: 'two services on one instance: a router bound with .service works, one without is disabled ("too many services")',
    upstreams: 2,
    register: (dc, [a, b]) => registerAll(dc, [
      instance('duo-1', 'duo', 1, [
        `traefik.http.services.front.loadbalancer.server.port=${a!.port}`,
        `traefik.http.services.back.loadbalancer.server.port=${b!.port}`,
        'traefik.http.routers.bound.rule=Host(`bound.test`)',
        'traefik.http.routers.bound.service=back',
      ]),
      instance('trio-1', 'trio', 1, [
        `traefik.http.services.x.loadbalancer.server.port=${a!.port}`,
        `traefik.http.services.y.loadbalancer.server.port=${b!.port}`,
        'traefik.http.routers.unbound.rule=Host(`unbound.test`)',
      ]),
    ]),
    ready: (s) => has(s, 'bound') && hasService(s, 'x', 'y'),
    async check(c) {
      const bound = await router(c, 'bound@consulcatalog');
      assert.deepEqual([bound['service'], bound['status']], ['back', 'enabled']);
      assert.deepEqual(await service(c, 'back@consulcatalog'), lbService('back', [c.up[1]!.url], ['bound@consulcatalog']));
      assert.deepEqual(await service(c, 'front@consulcatalog'), lbService('front', [c.up[0]!.url], []));
      assert.equal((await via(c.web, 'bound.test')).upstream, 'b');
      assert.deepEqual(await router(c, 'unbound@consulcatalog'), { ...dropped('unbound'), error: [
        'Consul service "trio", instance "trio-1": could not define the service name for the router: too many services (x, y); set traefik.http.routers.unbound.service',
      ] });
      assert.equal((await via(c.web, 'unbound.test')).status, 404);
    },
  },
  {
    desc: 'observability.tracing=false on a router shows in the merged block, with its source',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('quiet-1', 'quiet', a!.port, ['traefik.http.routers.quiet.observability.tracing=false'])),
    ready: (s) => has(s, 'quiet'),
    async check(c) {
      const r = await router(c, 'quiet@consulcatalog');
      assert.deepEqual(r['observability'], { ...DEFAULT_OBS, tracing: false });
      assert.deepEqual(r['observabilitySources'], { ...DEFAULT_SOURCES, tracing: 'router' });
    },
  },
  {
    desc: 'entry point tracing=false: routers inherit false, a router with tracing=true wins',
    flags: ['--entryPoints.web.observability.tracing=false'],
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('inherit-1', 'inherit', a!.port),
      instance('loud-1', 'loud', a!.port, ['traefik.http.routers.loud.observability.tracing=true']),
    ]),
    ready: (s) => has(s, 'inherit', 'loud'),
    async check(c) {
      const inherit = await router(c, 'inherit@consulcatalog');
      assert.deepEqual([inherit['observability'], inherit['observabilitySources']], [{ ...DEFAULT_OBS, tracing: false }, { ...DEFAULT_SOURCES, tracing: 'entryPoint' }]);
      const loud = await router(c, 'loud@consulcatalog');
      assert.deepEqual([loud['observability'], loud['observabilitySources']], [DEFAULT_OBS, { ...DEFAULT_SOURCES, tracing: 'router' }]);
    },
  },
  {
    desc: 'an entry point with observability settings has a model: a router on several entry points is split per model (Traefik ≥ 3.3.3)',
    flags: ['--entryPoints.web.observability.tracing=false', '--entryPoints.other.address=127.0.0.1:0'],
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('multi-1', 'multi', a!.port, [
      'traefik.http.routers.multi.rule=Host(`multi.test`)',
      'traefik.http.routers.multi.entryPoints=web,other',
    ])),
    ready: (s) => has(s, 'multi', 'web-multi'),
    async check(c) {
      assert.deepEqual(await routerNames(c), ['multi@consulcatalog', 'web-multi@consulcatalog']);
      const common = { rule: 'Host(`multi.test`)', service: 'multi', provider: 'consulcatalog', priority: 18, status: 'enabled' };
      assert.deepEqual(await router(c, 'web-multi@consulcatalog'), {
        ...common, name: 'web-multi@consulcatalog', entryPoints: ['web'], using: ['web'],
        observability: { ...DEFAULT_OBS, tracing: false }, observabilitySources: { ...DEFAULT_SOURCES, tracing: 'entryPoint' },
      });
      assert.deepEqual(await router(c, 'multi@consulcatalog'), {
        ...common, name: 'multi@consulcatalog', entryPoints: ['other'], using: ['other'], observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES,
      });
      assert.deepEqual((await service(c, 'multi@consulcatalog'))['usedBy'], ['multi@consulcatalog', 'web-multi@consulcatalog']);
      assert.equal((await via(c.web, 'multi.test')).upstream, 'a');
      assert.equal((await via(c.gw.url('other'), 'multi.test')).upstream, 'a');
    },
  },
  {
    desc: 'entry point middlewares come first in the router\'s middlewares, and run',
    flags: ['--entryPoints.web.http.middlewares=stamp@consulcatalog'],
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('mws-1', 'mws', a!.port, ['traefik.http.middlewares.stamp.headers.customRequestHeaders.X-Stamp=ep']),
      instance('own-1', 'own', a!.port, [
        'traefik.http.routers.own.rule=Host(`own.test`)',
        'traefik.http.routers.own.middlewares=pre',
        'traefik.http.middlewares.pre.addPrefix.prefix=/p',
      ]),
    ]),
    ready: (s) => has(s, 'own', 'mws'),
    async check(c) {
      assert.deepEqual((await router(c, 'own@consulcatalog'))['middlewares'], ['stamp@consulcatalog', 'pre@consulcatalog']);
      assert.deepEqual((await api<Json>(c.admin, '/api/http/middlewares/stamp@consulcatalog')).body['usedBy'], ['mws@consulcatalog', 'own@consulcatalog']);
      const r = await via(c.web, 'own.test', '/x');
      assert.equal(r.url, '/p/x');
      assert.equal(c.up[0]!.seen.at(-1)!.headers['x-stamp'], 'ep');
      const ids = (await api<Json[]>(c.admin, '/api/http/routers?middlewareName=stamp@consulcatalog')).body.map((x) => x['name']);
      assert.deepEqual(ids, ['mws@consulcatalog', 'own@consulcatalog']);
    },
  },
  {
    desc: 'a custom prefix: only its tags count',
    flags: ['--providers.consulCatalog.prefix=edge'],
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('pre-1', 'pre', a!.port, [
      'edge.http.routers.mine.rule=Host(`edge.test`)',
      'traefik.http.routers.theirs.rule=Host(`traefik.test`)',
    ])),
    ready: (s) => has(s, 'mine'),
    async check(c) {
      assert.deepEqual(await routerNames(c), ['mine@consulcatalog']);
      assert.equal((await via(c.web, 'edge.test')).upstream, 'a');
    },
  },
  {
    desc: 'a middleware reference is applied on the data path and listed with usedBy; a missing one disables the router',
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('mw-1', 'mw', a!.port, [
        'traefik.http.routers.mw.rule=Host(`mw.test`)',
        'traefik.http.routers.mw.middlewares=pfx',
        'traefik.http.middlewares.pfx.addPrefix.prefix=/inner',
      ]),
      instance('lost-1', 'lost', a!.port, [
        'traefik.http.routers.lost.rule=Host(`lost.test`)',
        'traefik.http.routers.lost.middlewares=nope',
      ]),
    ]),
    ready: (s) => has(s, 'mw', 'lost'),
    async check(c) {
      const mw = await api<Json>(c.admin, '/api/http/middlewares/pfx@consulcatalog');
      assert.deepEqual(mw.body, { addPrefix: { prefix: '/inner' }, name: 'pfx@consulcatalog', provider: 'consulcatalog', type: 'addprefix', status: 'enabled', usedBy: ['mw@consulcatalog'] });
      assert.deepEqual((await router(c, 'mw@consulcatalog'))['middlewares'], ['pfx@consulcatalog']);
      assert.deepEqual((await via(c.web, 'mw.test', '/x')).url, '/inner/x');
      const lost = await router(c, 'lost@consulcatalog');
      assert.deepEqual([lost['status'], lost['error']], ['disabled', ['middleware "nope@consulcatalog" does not exist']]);
      assert.equal((await via(c.web, 'lost.test')).status, 404);
    },
  },
  {
    desc: 'health: critical instances never serve; warning ones do by default',
    upstreams: 3,
    register: (dc, [a, b, x]) => registerAll(dc, [
      instance('h-1', 'health', a!.port),
      instance('h-2', 'health', b!.port, [], {}, 'warning'),
      instance('h-3', 'health', x!.port, [], {}, 'critical'),
    ]),
    ready: (s) => hasService(s, 'health'),
    async check(c) {
      assert.deepEqual(((await service(c, 'health@consulcatalog'))['loadBalancer'] as Json)['servers'], [{ url: c.up[0]!.url }, { url: c.up[1]!.url }]);
    },
  },
  {
    desc: 'health with strictChecks=passing: only passing instances serve, and a check going critical removes its server',
    flags: ['--providers.consulCatalog.strictChecks=passing'],
    upstreams: 2,
    register: (dc, [a, b]) => registerAll(dc, [
      instance('s-1', 'strict', a!.port),
      instance('s-2', 'strict', b!.port, [], {}, 'warning'),
    ]),
    ready: (s) => hasService(s, 'strict'),
    async check(c) {
      assert.deepEqual(((await service(c, 'strict@consulcatalog'))['loadBalancer'] as Json)['servers'], [{ url: c.up[0]!.url }]);
      for (let i = 0; i < 3; i++) assert.equal((await via(c.web, 'strict')).upstream, 'a');
      c.dc.setCheck('check-s-1', 'critical');
      await waitForState(c.gw, (s) => !hasService(s, 'strict'));
      assert.equal((await via(c.web, 'strict')).status, 404);
    },
  },
  {
    desc: 'an instance without an address uses its node address; IPv6 service addresses are bracketed',
    upstreams: 1,
    register: (dc, [a]) => {
      dc.register(instance('node-1', 'nodeaddr', a!.port, [], { Address: '' }), { name: 'n1', address: '127.0.0.1' });
    },
    ready: (s) => has(s, 'nodeaddr'),
    async check(c) {
      assert.deepEqual(((await service(c, 'nodeaddr@consulcatalog'))['loadBalancer'] as Json)['servers'], [{ url: c.up[0]!.url }]);
      assert.equal((await via(c.web, 'nodeaddr')).upstream, 'a');
      const v6 = createServer((req, res) => { req.resume(); res.end(JSON.stringify({ name: 'v6', url: req.url })); });
      await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
      c.t.after(() => new Promise<void>((resolve) => { v6.closeAllConnections(); v6.close(() => resolve()); }));
      const port = (v6.address() as { port: number }).port;
      c.dc.register(instance('six-1', 'six', port, [], { Address: '::1' }));
      await waitForState(c.gw, (s) => has(s, 'six'));
      assert.deepEqual(((await service(c, 'six@consulcatalog'))['loadBalancer'] as Json)['servers'], [{ url: `http://[::1]:${port}` }]);
      assert.equal((await via(c.web, 'six')).upstream, 'v6');
    },
  },
  {
    desc: 'constraints keep only the services whose tags match',
    flags: ['--providers.consulCatalog.constraints=Tag(`public`)'],
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('pub-1', 'pub', a!.port, ['public']),
      instance('priv-1', 'priv', a!.port, ['internal']),
    ]),
    ready: (s) => has(s, 'pub'),
    async check(c) {
      assert.deepEqual(await routerNames(c), ['pub@consulcatalog']);
      assert.equal((await via(c.web, 'priv')).status, 404);
    },
  },
  {
    desc: 'keys after the prefix are case-insensitive, router and service names keep their case',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('case-1', 'case', 1, [
      'traefik.HTTP.Routers.MyRouter.RULE=Host(`case.test`)',
      `traefik.http.services.MySvc.LoadBalancer.Server.Port=${a!.port}`,
    ])),
    ready: (s) => has(s, 'MyRouter'),
    async check(c) {
      const r = await router(c, 'MyRouter@consulcatalog');
      assert.deepEqual([r['rule'], r['service'], r['status']], ['Host(`case.test`)', 'MySvc', 'enabled']);
      assert.deepEqual(await service(c, 'MySvc@consulcatalog'), lbService('MySvc', [c.up[0]!.url], ['MyRouter@consulcatalog']));
      assert.equal((await via(c.web, 'case.test')).upstream, 'a');
    },
  },
  {
    desc: 'an unknown key drops what the instance declared and says "did you mean"',
    upstreams: 1,
    register: (dc, [a]) => dc.register(instance('typo-1', 'typo', a!.port, ['traefik.http.routers.typo.rulee=Host(`typo.test`)'])),
    ready: (s) => has(s, 'typo'),
    async check(c) {
      assert.deepEqual(await router(c, 'typo@consulcatalog'), {
        name: 'typo@consulcatalog', provider: 'consulcatalog', status: 'disabled', observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES,
        error: ['Consul service "typo", instance "typo-1": traefik.http.routers.typo.rulee: unknown key "rulee" in Router (did you mean "rule"?); Traefik ignores everything this instance declares, so it is skipped'],
      });
      assert.deepEqual(await serviceNames(c), [], 'the instance declared nothing else');
      assert.equal((await via(c.web, 'typo.test')).status, 404);
    },
  },
  {
    desc: 'a router whose service was dropped stays, disabled, and says why',
    upstreams: 1,
    register: (dc, [a]) => registerAll(dc, [
      instance('orph-1', 'orph', a!.port, ['traefik.http.routers.orph.rule=Host(`orph.test`)', 'traefik.http.services.orph.loadbalancer.passHostHeader=true']),
      instance('orph-2', 'orph', a!.port, ['traefik.http.routers.orph.rule=Host(`orph.test`)', 'traefik.http.services.orph.loadbalancer.passHostHeader=false']),
    ]),
    ready: (s) => has(s, 'orph'),
    async check(c) {
      const why = 'Consul service "orph": instances "orph-1", "orph-2" define service "orph" differently (key traefik.http.services.orph.loadBalancer.passHostHeader: true on "orph-1" vs false on "orph-2"); Traefik drops the service entirely';
      assert.deepEqual(await router(c, 'orph@consulcatalog'), {
        entryPoints: ['web'], rule: 'Host(`orph.test`)', service: 'orph', name: 'orph@consulcatalog', provider: 'consulcatalog', priority: 17,
        observability: DEFAULT_OBS, observabilitySources: DEFAULT_SOURCES, status: 'disabled', using: ['web'],
        error: ['the service "orph@consulcatalog" does not exist', `router "orph" stays but its service "orph" was dropped (${why}); requests it matches will fail`],
      });
      assert.deepEqual(await service(c, 'orph@consulcatalog'), { name: 'orph@consulcatalog', provider: 'consulcatalog', type: 'loadbalancer', status: 'disabled', error: [why] });
      assert.equal((await via(c.web, 'orph.test')).status, 404);
    },
  },
];

describe('admin API over services registered in devcatalog', () => {
  for (const k of cases) {
    it(k.desc, async (t) => {
      const { gateway: gw, catalog, admin, web } = await startTestGateway(t, { flags: k.flags });
      const up: Upstream[] = [];
      for (let i = 0; i < (k.upstreams ?? 0); i++) up.push(await startUpstream(t, String.fromCharCode(97 + i)));
      k.register(catalog!, up);
      await waitForState(gw, k.ready);
      await k.check({ t, gw, dc: catalog!, admin, web, up });
    });
  }
});
