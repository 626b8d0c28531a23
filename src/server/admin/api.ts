import { Hono, type Context } from 'hono';
import { routerTlsHosts } from '../../tls/hosts.ts';
import { countByStatus, type ItemStatus, type MiddlewareInfo, type OverviewSource, type RouterInfo, type RuntimeState, type ServiceInfo } from '../../dynamic/runtime.ts';
import { defaultEntryPoints, redactStatic } from '../../static/index.ts';
import type { GatewayView } from './view.ts';
import { VERSION_INFO } from './version.ts';
import { explain } from '../../routing/explain.ts';
import { represent, representEntryPoint, representMiddleware, representRouter, representService } from './represent.ts';
import { formatDuration } from '../../util/duration.ts';
import { byName, middlewareList, routerList, serviceList } from './lists.ts';

const DEFAULT_PER_PAGE = 100;

interface Listed {
  name: string; status: ItemStatus; provider: string; rule?: string; service?: string; middlewares?: string[];
  entryPoints?: string[]; using?: string[]; type?: string;
}

/**
 * Traefik's list filters (`search`, `status`, `serviceName`, `middlewareName`), per Traefik's criterion.go, and
 * tagway's (the dashboard's filters): `provider` (exact), `entryPoint` (a router listening there), `type`
 * (a service's or middleware's type, case-insensitive).
 */
interface Criterion { search: string; status: string; serviceName: string; middlewareName: string; provider: string; entryPoint: string; type: string }

function criterionOf(c: Context): Criterion {
  const q = c.req.query();
  return {
    search: q['search'] ?? '', status: q['status'] ?? '', serviceName: q['serviceName'] ?? '', middlewareName: q['middlewareName'] ?? '',
    provider: q['provider'] ?? '', entryPoint: q['entryPoint'] ?? '', type: q['type'] ?? '',
  };
}

function tagwayFilters(k: Criterion, i: Listed): boolean {
  return (k.provider === '' || i.provider === k.provider)
    && (k.entryPoint === '' || (i.using ?? i.entryPoints ?? []).includes(k.entryPoint))
    && (k.type === '' || (i.type ?? '').toLowerCase() === k.type.toLowerCase());
}

function withStatus(k: Criterion, status: string): boolean {
  return k.status === '' || k.status.toLowerCase() === status.toLowerCase();
}

function searchIn(k: Criterion, ...values: Array<string | undefined>): boolean {
  if (k.search === '') return true;
  const needle = k.search.toLowerCase();
  return values.some((v) => v !== undefined && v.toLowerCase().includes(needle));
}

/** A router's service as written ("whoami") matches `serviceName=whoami@consulcatalog`; a qualified one must match whole. */
function filterService(k: Criterion, service: string | undefined): boolean {
  if (k.serviceName === '') return true;
  const name = service ?? '';
  return name.includes('@') ? k.serviceName === name : k.serviceName.split('@')[0] === name;
}

function filterMiddleware(k: Criterion, middlewares: string[] | undefined): boolean {
  return k.middlewareName === '' || (middlewares ?? []).includes(k.middlewareName);
}

const keepRouter = (k: Criterion, r: Listed): boolean =>
  withStatus(k, r.status) && searchIn(k, r.rule, r.name) && filterService(k, r.service) && filterMiddleware(k, r.middlewares) && tagwayFilters(k, r);
const keepOther = (k: Criterion, i: Listed): boolean => withStatus(k, i.status) && searchIn(k, i.name) && tagwayFilters(k, i);

type SortKey<T> = (item: T) => string | number;
const ROUTER_SORT: Record<string, SortKey<RouterInfo>> = {
  provider: (r) => r.provider, priority: (r) => r.priority, status: (r) => r.status, rule: (r) => r.rule ?? '',
  service: (r) => r.service ?? '', entryPoints: (r) => r.entryPoints?.length ?? 0,
};
const SERVICE_SORT: Record<string, SortKey<ServiceInfo>> = {
  type: (s) => s.type, servers: (s) => s.loadBalancer?.servers?.length ?? 0, provider: (s) => s.provider, status: (s) => s.status,
};
const MIDDLEWARE_SORT: Record<string, SortKey<MiddlewareInfo>> = { type: (m) => m.type, provider: (m) => m.provider, status: (m) => m.status };

/** Traefik's `sortBy` / `direction` (asc by default); ties and unknown keys sort by name. */
function sortItems<T extends { name: string }>(c: Context, items: T[], keys: Record<string, SortKey<T>>): T[] {
  const key = keys[c.req.query('sortBy') ?? ''];
  const sign = c.req.query('direction') === 'desc' ? -1 : 1;
  if (!key) return sign === 1 ? items : items.reverse(); // the lists come ordered by name (lists.ts)
  const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
  return items.sort((a, b) => sign * ((key ? cmp(key(a), key(b)) : 0) || cmp(a.name, b.name)));
}

/** Traefik's getIntParam: absent → default; not a positive integer → 400 "invalid request: <key>: <value>". */
function intParam(c: Context, key: string, fallback: number): number | Error {
  const raw = c.req.query(key);
  if (raw === undefined || raw === '') return fallback;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : 0;
  return value > 0 ? value : new Error(`invalid request: ${key}: ${value}`);
}

/** Traefik's writeError: http.Error with a JSON body, so text/plain and a trailing newline. */
export function apiError(c: Context, message: string, status: 400 | 404 | 500): Response {
  return c.body(JSON.stringify({ message }) + '\n', status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
}

/** One page of `items` (already filtered and sorted), with `X-Next-Page` ("1" on the last page). */
function page<T extends object>(c: Context, items: T[]): Response {
  const perPage = intParam(c, 'per_page', DEFAULT_PER_PAGE);
  if (perPage instanceof Error) return apiError(c, perPage.message, 400);
  const pageNo = intParam(c, 'page', 1);
  if (pageNo instanceof Error) return apiError(c, pageNo.message, 400);
  const start = (pageNo - 1) * perPage;
  if (start !== 0 && start >= items.length) return apiError(c, `invalid request: page: ${pageNo}, per_page: ${perPage}`, 400);
  c.header('X-Next-Page', String(pageNo * perPage < items.length ? pageNo + 1 : 1));
  return c.json(items.slice(start, start + perPage).map((i) => represent(i)));
}

/** A path parameter as Traefik reads it: percent-decoded once (Hono does it), so "foo%2Fbar@file" names "foo/bar@file". */
function idParam(c: Context, name: string): string {
  return c.req.param(name) ?? '';
}

/** The `/api` routes, Traefik-compatible shapes. */
export function apiRoutes(view: GatewayView): Hono {
  const api = new Hono();

  api.get('/http/routers', (c) => {
    const k = criterionOf(c);
    return page(c, sortItems(c, routerList(view.state().routers).filter((r) => keepRouter(k, r)), ROUTER_SORT));
  });
  api.get('/http/routers/:name', (c) => {
    const id = idParam(c, 'name');
    const r = view.state().routers[id];
    return r ? c.json(represent(representRouter(r))) : apiError(c, `router not found: ${id}`, 404);
  });
  api.get('/http/services', (c) => {
    const k = criterionOf(c);
    return page(c, sortItems(c, serviceList(view.state().services).filter((s) => keepOther(k, s)), SERVICE_SORT));
  });
  api.get('/http/services/:name', (c) => {
    const id = idParam(c, 'name');
    const s = view.state().services[id];
    // tagway addition on the one-service answer: the health checks' last probe and failure per server
    return s ? c.json(represent({ ...representService(s), serverHealth: view.serverHealth?.(id) })) : apiError(c, `service not found: ${id}`, 404);
  });
  api.get('/http/middlewares', (c) => {
    const k = criterionOf(c);
    return page(c, sortItems(c, middlewareList(view.state().middlewares).filter((m) => keepOther(k, m)), MIDDLEWARE_SORT));
  });
  api.get('/http/middlewares/:name', (c) => {
    const id = idParam(c, 'name');
    const m = view.state().middlewares[id];
    return m ? c.json(represent(representMiddleware(m))) : apiError(c, `middleware not found: ${id}`, 404);
  });

  api.get('/entrypoints', (c) => page(c, Object.entries(view.config.entryPoints)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, ep]) => representEntryPoint(name, ep))));
  api.get('/entrypoints/:name', (c) => {
    const id = idParam(c, 'name');
    const ep = view.config.entryPoints[id];
    return ep ? c.json(representEntryPoint(id, ep)) : apiError(c, `entry point not found: ${id}`, 404);
  });

  api.get('/overview', (c) => {
    const source = view.overview?.() ?? overviewOf(view.state());
    const empty = { total: 0, warnings: 0, errors: 0 };
    const providers = view.providerStatuses();
    return c.json({
      http: { routers: source.count('routers'), services: source.count('services'), middlewares: source.count('middlewares') },
      tcp: { routers: empty, services: empty, middlewares: empty },
      udp: { routers: empty, services: empty },
      features: {
        // Traefik names the first exporter section set in static `tracing` (Go field name): ours is always OTLP.
        tracing: view.config.tracing ? 'OTLP' : '',
        metrics: view.config.metrics?.prometheus ? 'Prometheus' : '',
        accessLog: view.config.accessLog !== undefined,
      },
      providers: providers.map((p) => providerDisplayName(p.name)),
      // tagway additions: the state of each provider's source (with the age of the configuration in use, Go
      // duration, whole seconds) and of the span export.
      providerStatus: providers.map((p) => (p.configurationAt === undefined ? p
        : { ...p, configurationAge: formatDuration(Math.max(0, Math.round((Date.now() - p.configurationAt) / 1000)) * 1000) })),
      tracing: view.tracing ? view.tracing.stats() : undefined,
      // the effective exporter/batch/sampler settings, each with its source (file, flag, env, default)
      tracingSettings: view.tracing?.settings(),
      reloads: view.reloads(),
      attention: attention(source),
    });
  });

  api.get('/rawdata', (c) => {
    const state = view.state();
    // Traefik's rawdata prints the runtime records themselves: no name/provider/type (the list views add those).
    const strip = <T extends { name: string; provider: string }>(items: Record<string, T>) =>
      Object.fromEntries(Object.entries(items).map(([k, v]) => {
        const { name: _n, provider: _p, ...rest } = v;
        if ('type' in rest) delete (rest as { type?: string }).type;
        return [k, represent(rest)];
      }));
    const each = <T>(items: Record<string, T>, f: (i: T) => T): Record<string, T> => Object.fromEntries(Object.entries(items).map(([k, v]) => [k, f(v)]));
    return c.json({
      routers: strip(each(state.routers, representRouter)), services: strip(each(state.services, representService)),
      middlewares: strip(each(state.middlewares, representMiddleware)), static: redactStatic(view.config) });
  });

  api.get('/version', (c) => c.json({ ...VERSION_INFO, startDate: view.startDate.toISOString() }));
  // tagway additions
  // The certificates of the configuration: where each came from, the names it serves, and its problems (a
  // broken file keeps its last good version, with status "warning").
  api.get('/tls/certificates', (c) => c.json(view.tls?.().certificates ?? []));
  // Per TLS router, what a handshake for each of its domains gets: options and certificate (the dashboard shows it).
  api.get('/tls/routers', (c) => {
    const tls = view.tls?.();
    return c.json(tls ? routerTlsHosts(view.state().routers, tls) : {});
  });
  api.get('/explain', (c) => {
    const q = c.req.query();
    const defaultEp = defaultEntryPoints(view.config.entryPoints)[0] ?? 'traefik';
    const entryPoint = q['entryPoint'] ?? defaultEp;
    if (!view.config.entryPoints[entryPoint]) return c.json({ message: `no entry point "${entryPoint}"` }, 400);
    if (!q['url']) return c.json({ message: 'give url=http://host/path (and optionally method, header=Name:value, clientIp, entryPoint)' }, 400);
    const headers: Record<string, string> = {};
    for (const h of c.req.queries('header') ?? []) {
      const colon = h.indexOf(':');
      if (colon > 0) headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    const state = view.state();
    // An https URL is a request on a TLS connection: the TLS routers answer it, after a handshake by SNI.
    const secure = /^https:/i.test(q['url']);
    const result = explain({ entryPoint, method: q['method'] ?? 'GET', url: q['url'], headers, clientIp: q['clientIp'] ?? '127.0.0.1' },
      secure ? view.tlsRouteTable?.(entryPoint) : view.table(entryPoint), state.routers, state.services, { configured: view.tracing !== undefined, addInternals: view.config.tracing?.addInternals ?? false },
      view.config.entryPoints[entryPoint]!.observability.tracing !== false);
    if (result instanceof Error) return c.json({ message: result.message }, 400);
    // the effective exporter, batch, sampler and limit settings, each with its source (file, flag, env, default)
    const tracingSettings = view.tracing?.settings();
    return c.json({ ...result, ...(secure && view.tls ? { tls: view.tls().explain(entryPoint, result.request.host) } : {}), ...(tracingSettings ? { tracingSettings } : {}) });
  });
  api.get('/tagway/traces', (c) => c.json(view.tracing ? view.tracing.recent() : []));
  // Live traffic (the dashboard's charts): totals of the busiest routers and services, and one item's seconds.
  api.get('/tagway/traffic', (c) => {
    const seconds = intParam(c, 'seconds', 60);
    if (seconds instanceof Error) return apiError(c, seconds.message, 400);
    const limit = intParam(c, 'limit', 50);
    if (limit instanceof Error) return apiError(c, limit.message, 400);
    const t = view.traffic;
    return c.json({ seconds, routers: t?.totals('router', seconds, limit) ?? [], services: t?.totals('service', seconds, limit) ?? [] });
  });
  api.get('/tagway/traffic/:kind{routers|services}/:name', (c) => {
    const seconds = intParam(c, 'seconds', 60);
    if (seconds instanceof Error) return apiError(c, seconds.message, 400);
    const kind = c.req.param('kind') === 'routers' ? 'router' : 'service';
    const name = idParam(c, 'name');
    const t = view.traffic;
    return c.json({ kind, name, seconds, totals: t?.total(kind, name, seconds) ?? { name, requests: 0, rps: 0, errorRate: 0, p50: null, p99: null },
      points: t?.series(kind, name, seconds) ?? [] });
  });
  api.notFound((c) => c.body('404 page not found\n', 404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }));
  return api;
}

/**
 * What an operator should look at first: items in error, then in warning (with their first error), then servers
 * down; at most 20 in all, of which up to 10 servers down, so a flood of broken items does not hide them.
 */
function attention(source: OverviewSource): Array<Record<string, unknown>> {
  const MAX = 20;
  const SERVERS = 10;
  const servers: Array<Record<string, unknown>> = [];
  // By name: the same answer whatever order a build made the records in.
  for (const svc of source.downServices()) {
    for (const [url, up] of Object.entries(svc.serverStatus ?? {})) {
      if (up === 'DOWN' && servers.length < SERVERS) servers.push({ kind: 'server', name: svc.name, url, status: 'down' });
    }
  }
  const items: Array<Record<string, unknown>> = [];
  const room = MAX - servers.length;
  const lists = [['router', source.notEnabled('routers')], ['service', source.notEnabled('services')], ['middleware', source.notEnabled('middlewares')]] as const;
  for (const status of ['disabled', 'warning'] as const) {
    for (const [kind, all] of lists) {
      for (const i of all) {
        if (i.status !== status) continue;
        if (items.length >= room) return [...items, ...servers];
        items.push({ kind, name: i.name, status, error: i.error?.[0] ?? '' });
      }
    }
  }
  return [...items, ...servers];
}

/** The overview's figures counted from a state (a view without `overview()`: every item per request). */
export function overviewOf(state: RuntimeState): OverviewSource {
  const notEnabled = <T extends { name: string; status: ItemStatus }>(items: Record<string, T>): T[] => byName(items).filter((i) => i.status !== 'enabled');
  return {
    count: (kind) => countByStatus(state[kind]),
    notEnabled: (kind) => notEnabled(state[kind] as Record<string, RouterInfo | ServiceInfo | MiddlewareInfo>),
    downServices: () => byName(state.services).filter((s) => Object.values(s.serverStatus ?? {}).includes('DOWN')),
  };
}

function providerDisplayName(name: string): string {
  return name === 'consulcatalog' ? 'ConsulCatalog' : name === 'file' ? 'File' : name;
}
