import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import type { RuntimeState } from '../../dynamic/runtime.ts';
import type { StaticConfig } from '../../static/types.ts';
import type { ProviderStatus } from '../../providers/provider.ts';
import type { Handler } from '../../proxy/context.ts';
import type { Tracing } from '../../observability/tracing.ts';
import { apiRoutes } from './api.ts';
import { DASHBOARD_HTML } from '../../dashboard/page.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { RouteTable } from '../../routing/index.ts';
import type { Route } from '../build.ts';

/** What the admin endpoints read from the running gateway. */
export interface GatewayView {
  readonly config: StaticConfig;
  readonly startDate: Date;
  readonly tracing: Tracing | undefined;
  readonly metrics: Metrics | undefined;
  state(): RuntimeState;
  providerStatuses(): ProviderStatus[];
  reloads(): { count: number; lastAt: number | undefined };
  table(entryPoint: string): RouteTable<Route> | undefined;
}

/**
 * The internal services (api@internal, dashboard@internal, ping@internal, prometheus@internal) as one
 * Hono app, exposed as a request-path Handler so internal routers route like any other.
 */
export function createAdminApp(view: GatewayView): Handler {
  const app = new Hono();
  app.get('/ping', (c) => c.text('OK'));
  app.route('/api', apiRoutes(view));
  app.get('/', (c) => c.redirect('/dashboard/', 302));
  app.get('/dashboard', (c) => c.redirect('/dashboard/', 301));
  app.get('/dashboard/', (c) => c.html(DASHBOARD_HTML));
  app.get('/metrics', async (c) => {
    if (!view.metrics) return c.text('404 page not found\n', 404);
    return c.body(await view.metrics.registry.metrics(), 200, { 'content-type': view.metrics.registry.contentType });
  });
  // Go's mux answer for an unknown path, byte for byte.
  app.notFound((c) => c.body('404 page not found\n', 404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }));
  const listener = getRequestListener(app.fetch);
  return function adminHandler(ctx) {
    ctx.status = 200;
    ctx.res.once('finish', () => { ctx.status = ctx.res.statusCode; });
    void listener(ctx.req, ctx.res);
  };
}
