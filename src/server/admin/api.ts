import { Hono, type Context } from 'hono';
import { countByStatus, type ItemStatus } from '../../dynamic/runtime.ts';
import { redactStatic } from '../../static/index.ts';
import type { GatewayView } from './app.ts';
import { VERSION_INFO } from './version.ts';
import { explain } from '../../check/explain.ts';

const DEFAULT_PER_PAGE = 100;

interface Listed { name: string; status: ItemStatus; provider: string; service?: string; middlewares?: string[] }

/**
 * Traefik's list query parameters: `search` (substring of the name), `status`, `serviceName`,
 * `middlewareName`, `page` / `per_page` with `X-Next-Page`. Items sorted by name.
 */
function paginate<T extends Listed>(c: Context, items: T[]): Response {
  const q = c.req.query();
  const search = (q['search'] ?? '').toLowerCase();
  let list = items
    .filter((i) => !search || i.name.toLowerCase().includes(search))
    .filter((i) => !q['status'] || i.status === q['status'])
    .filter((i) => !q['serviceName'] || i.service === q['serviceName'])
    .filter((i) => !q['middlewareName'] || (i.middlewares ?? []).includes(q['middlewareName']))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const perPage = Math.max(1, Number(q['per_page'] ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE);
  const page = Math.max(1, Number(q['page'] ?? 1) || 1);
  const start = (page - 1) * perPage;
  if (start > 0 && start >= list.length) return c.json({ message: 'invalid request: page: ' + page + ', per_page: ' + perPage }, 400);
  const next = start + perPage < list.length ? String(page + 1) : '1';
  list = list.slice(start, start + perPage);
  c.header('X-Next-Page', next);
  return c.json(list);
}

/** The `/api` routes, Traefik-compatible shapes. */
export function apiRoutes(view: GatewayView): Hono {
  const api = new Hono();

  api.get('/http/routers', (c) => paginate(c, Object.values(view.state().routers)));
  api.get('/http/routers/:name', (c) => {
    const r = view.state().routers[c.req.param('name')];
    return r ? c.json(r) : c.json({ message: 'router not found' }, 404);
  });
  api.get('/http/services', (c) => paginate(c, Object.values(view.state().services)));
  api.get('/http/services/:name', (c) => {
    const s = view.state().services[c.req.param('name')];
    return s ? c.json(s) : c.json({ message: 'service not found' }, 404);
  });
  api.get('/http/middlewares', (c) => paginate(c, Object.values(view.state().middlewares)));
  api.get('/http/middlewares/:name', (c) => {
    const m = view.state().middlewares[c.req.param('name')];
    return m ? c.json(m) : c.json({ message: 'middleware not found' }, 404);
  });

  api.get('/entrypoints', (c) => c.json(Object.entries(view.config.entryPoints).map(([name, ep]) => ({ ...ep, name }))
    .sort((a, b) => (a.name < b.name ? -1 : 1))));
  api.get('/entrypoints/:name', (c) => {
    const ep = view.config.entryPoints[c.req.param('name')];
    return ep ? c.json({ ...ep, name: c.req.param('name') }) : c.json({ message: 'entry point not found' }, 404);
  });

  api.get('/overview', (c) => {
    const state = view.state();
    const empty = { total: 0, warnings: 0, errors: 0 };
    const providers = view.providerStatuses();
    return c.json({
      http: { routers: countByStatus(state.routers), services: countByStatus(state.services), middlewares: countByStatus(state.middlewares) },
      tcp: { routers: empty, services: empty, middlewares: empty },
      udp: { routers: empty, services: empty },
      features: {
        tracing: view.config.tracing ? 'OpenTelemetry' : '',
        metrics: view.config.metrics?.prometheus ? 'Prometheus' : '',
        accessLog: view.config.accessLog !== undefined,
      },
      providers: providers.map((p) => providerDisplayName(p.name)),
      // tagway additions: the state of each provider's source and of the span export.
      providerStatus: providers,
      tracing: view.tracing ? view.tracing.stats() : undefined,
      reloads: view.reloads(),
    });
  });

  api.get('/rawdata', (c) => {
    const state = view.state();
    const strip = <T extends { name: string; provider: string }>(items: Record<string, T>) =>
      Object.fromEntries(Object.entries(items).map(([k, v]) => { const { name: _n, provider: _p, ...rest } = v; return [k, rest]; }));
    return c.json({ routers: strip(state.routers), services: strip(state.services), middlewares: strip(state.middlewares), static: redactStatic(view.config) });
  });

  api.get('/version', (c) => c.json({ ...VERSION_INFO, startDate: view.startDate.toISOString() }));
  // tagway additions
  api.get('/explain', (c) => {
    const q = c.req.query();
    const defaultEp = Object.keys(view.config.entryPoints).find((n) => n !== 'traefik') ?? 'traefik';
    const entryPoint = q['entryPoint'] ?? defaultEp;
    if (!view.config.entryPoints[entryPoint]) return c.json({ message: `no entry point "${entryPoint}"` }, 400);
    if (!q['url']) return c.json({ message: 'give url=http://host/path (and optionally method, header=Name:value, clientIp, entryPoint)' }, 400);
    const headers: Record<string, string> = {};
    for (const h of c.req.queries('header') ?? []) {
      const colon = h.indexOf(':');
      if (colon > 0) headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    const state = view.state();
    const result = explain({ entryPoint, method: q['method'] ?? 'GET', url: q['url'], headers, clientIp: q['clientIp'] ?? '127.0.0.1' },
      view.table(entryPoint), state.routers, state.services, view.tracing !== undefined);
    return result instanceof Error ? c.json({ message: result.message }, 400) : c.json(result);
  });
  api.get('/tagway/traces', (c) => c.json(view.tracing ? view.tracing.recent() : []));
  api.notFound((c) => c.json({ message: '404 page not found' }, 404));
  return api;
}

function providerDisplayName(name: string): string {
  return name === 'consulcatalog' ? 'ConsulCatalog' : name === 'file' ? 'File' : name;
}
