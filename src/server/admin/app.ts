import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { STATUS_CODES } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { respond, type Handler } from '../../http/context.ts';
import { apiRoutes } from './api.ts';
import type { GatewayView } from './view.ts';
import { DASHBOARD_HTML } from '../../dashboard/page.ts';
import { dashboardAsset } from '../../dashboard/assets.ts';

/**
 * The internal services, one Hono app each, exposed as request-path Handlers so internal routers route
 * like any other. Each answers only its own paths: routing `ping@internal` onto a traffic entry point
 * exposes /ping, never the API or the dashboard.
 */
export function createInternalServices(view: GatewayView): Map<string, Handler> {
  const api = new Hono();
  api.route('/api', apiRoutes(view));
  const dashboard = new Hono();
  dashboard.get('/', (c) => c.redirect('/dashboard/', 302));
  dashboard.get('/dashboard', (c) => c.redirect('/dashboard/', 301));
  dashboard.get('/dashboard/', (c) => c.html(DASHBOARD_HTML));
  // The app's modules and its libraries; a new tagway version is a new page load, so no long caching.
  dashboard.get('/dashboard/:kind{vendor|app}/:file{.+}', async (c) => {
    const asset = await dashboardAsset(c.req.param('kind') as 'vendor' | 'app', c.req.param('file'));
    if (!asset) return c.body('404 page not found\n', 404, { 'content-type': 'text/plain; charset=utf-8' });
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
  });
  const ping = new Hono();
  // Traefik's ping handler: 200 "OK", and from the stop signal on `terminatingStatusCode` (503) with its
  // status text, so a load balancer in front stops sending while requestAcceptGraceTimeout still accepts.
  const terminatingStatus = view.config.ping?.terminatingStatusCode ?? 503;
  ping.get('/ping', (c) => (view.terminating()
    ? c.body(STATUS_CODES[terminatingStatus] ?? '', terminatingStatus as ContentfulStatusCode, { 'content-type': 'text/plain; charset=utf-8' })
    : c.text('OK')));
  const prometheus = new Hono();
  prometheus.get('/metrics', async (c) => {
    if (!view.metrics) return c.text('404 page not found\n', 404);
    return c.body(await view.metrics.registry.metrics(), 200, { 'content-type': view.metrics.registry.contentType });
  });
  return new Map([
    ['api@internal', asHandler(api)],
    ['dashboard@internal', asHandler(dashboard)],
    ['ping@internal', asHandler(ping)],
    ['prometheus@internal', asHandler(prometheus)],
    // Behind the entry-point redirection routers, which always answer first.
    ['noop@internal', function noopHandler(ctx) { respond(ctx, 404, '404 page not found\n'); }],
  ]);
}

function asHandler(app: Hono): Handler {
  // Go's mux answer for an unknown path, byte for byte.
  app.notFound((c) => c.body('404 page not found\n', 404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }));
  const listener = getRequestListener(app.fetch);
  return function internalHandler(ctx) {
    ctx.status = 200;
    ctx.res.once('finish', () => { ctx.status = ctx.res.statusCode; });
    void listener(ctx.req, ctx.res);
  };
}
