import type { IncomingHttpHeaders } from 'node:http';
import type { RouteTable } from './index.ts';
import type { Route } from '../http/route.ts';
import type { RouterInfo, ServiceInfo } from '../dynamic/runtime.ts';
import { matchingHost } from '../http/request-context.ts';
import { cleanPath } from '../http/path.ts';
import { shouldTrace } from '../observability/decision.ts';

export interface ExplainRequest {
  entryPoint: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  clientIp: string;
}

export interface Explanation {
  request: { entryPoint: string; method: string; host: string; path: string; query: string; clientIp: string };
  matched: string | null;
  /** Every router of the entry point tried before the match, in evaluation order, with why it did not match. */
  evaluated: Array<{ router: string; priority: number; matched: boolean; reason?: string }>;
  router?: Pick<RouterInfo, 'name' | 'rule' | 'priority' | 'service' | 'middlewares' | 'status' | 'observability' | 'observabilitySources'>;
  service?: { name: string; servers: Array<{ url: string; weight: number; status: 'UP' | 'DOWN' | 'unknown' }>; pick: string };
  traced: boolean;
  /** Why the request would or would not be traced, in the decision's order (tracing section, internal router, merged flag). */
  tracedBecause: string;
}

/** What the tracing decision reads besides the route: the static `tracing` section and its `addInternals`. */
export interface ExplainTracing { configured: boolean; addInternals: boolean }

/**
 * Answers "which router would take this request, and why not the others": evaluates the entry
 * point's compiled table (the one live requests use) against a synthetic request, and decides tracing
 * with the gateway's own `shouldTrace`. `entryPointTracing` is the entry point's own
 * `observability.tracing` (unset: true), which decides for unmatched requests.
 */
export function explain(req: ExplainRequest, table: RouteTable<Route> | undefined, routers: Record<string, RouterInfo>, services: Record<string, ServiceInfo>, tracing: ExplainTracing, entryPointTracing = true): Explanation | Error {
  const tracingOn = tracing.configured;
  let url: URL;
  try { url = new URL(req.url); } catch { return new Error(`invalid url "${req.url}": give an absolute URL such as http://whoami.localhost/path`); }
  const path = cleanPath(url.pathname);
  if (path === null) return new Error('malformed percent-escape in the path (a request like this gets 400)');
  const headers: IncomingHttpHeaders = { host: url.host, ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v])) };
  const match = { method: req.method.toUpperCase(), host: matchingHost(headers.host), path, rawQuery: url.search.slice(1), clientIp: req.clientIp, headers };
  const evaluated = table ? table.explain(match).map((e) => ({ router: e.name, priority: e.priority, matched: e.matched, ...(e.reason ? { reason: e.reason } : {}) })) : [];
  const hit = table?.match(match);
  const out: Explanation = {
    request: { entryPoint: req.entryPoint, method: match.method, host: match.host, path, query: match.rawQuery, clientIp: req.clientIp },
    matched: hit?.name ?? null,
    evaluated: hit ? evaluated.slice(0, evaluated.findIndex((e) => e.router === hit.name) + 1) : evaluated,
    // An unmatched request is traced (its 404) by the entry point's own setting, as the gateway does.
    traced: !hit && shouldTrace({ tracingConfigured: tracingOn, internal: false, addInternals: tracing.addInternals, tracing: entryPointTracing }),
    tracedBecause: !tracingOn ? 'tracing is off: the static configuration has no tracing section'
      : `no router matches: the entry point's observability.tracing (${String(entryPointTracing)}) applies to the 404`,
  };
  if (!hit) return out;
  const info = routers[hit.name];
  if (info) {
    out.router = { name: info.name, rule: info.rule, priority: info.priority, service: info.service, middlewares: info.middlewares, status: info.status, observability: hit.observability, observabilitySources: info.observabilitySources };
  }
  out.traced = shouldTrace({ tracingConfigured: tracingOn, internal: hit.internal, addInternals: tracing.addInternals, tracing: hit.observability.tracing });
  const source = info?.observabilitySources.tracing ?? 'default';
  out.tracedBecause = !tracingOn ? 'tracing is off: the static configuration has no tracing section'
    : hit.internal && !tracing.addInternals ? 'internal routers are traced only with tracing.addInternals'
      : `observability.tracing is ${String(hit.observability.tracing)} (from ${source === 'entryPoint' ? 'the entry point' : source === 'router' ? 'the router' : 'the default'})`;
  const svc = services[hit.service];
  if (svc?.loadBalancer) {
    const servers = (svc.loadBalancer.servers ?? []).map((s) => ({ url: s.url ?? '', weight: s.weight ?? 1, status: svc.serverStatus?.[s.url ?? ''] ?? 'unknown' as const }));
    const up = servers.filter((s) => s.status !== 'DOWN');
    const total = up.reduce((n, s) => n + s.weight, 0);
    out.service = {
      name: svc.name, servers,
      pick: up.length === 0 ? 'no healthy server: the request would get 503'
        : `weighted round robin over ${up.length} healthy server(s): ` + up.map((s) => `${s.url} ${total > 0 ? Math.round(100 * s.weight / total) : 0}%`).join(', ')
          + (svc.loadBalancer.sticky?.cookie ? ` (sticky cookie "${svc.loadBalancer.sticky.cookie.name ?? 'derived from the service name'}" pins a client to one)` : ''),
    };
  }
  return out;
}
