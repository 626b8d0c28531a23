import type { Router } from '../dynamic/types.ts';
import { applyEntryPointModels, providerOf, type Aggregated, type EntryPointModel } from '../dynamic/aggregate.ts';
import { addError, type RuntimeState } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import type { Route } from '../http/route.ts';
import { buildRouteTable, type RouteInput, type RouteTable } from '../routing/index.ts';
import { TRAEFIK_PROVIDER_PRECEDENCE } from '../routing/precedence.ts';
import { defaultEntryPoints } from '../static/entrypoints.ts';
import type { EntryPointConfig } from '../static/types.ts';
import { attachIssues, bareMiddleware, bareRouter, bareService, errorMessage, isolate } from './issues.ts';
import { middlewareInfo, MiddlewareResolver, type MiddlewareEntry } from './middlewares.ts';
import { buildRouter, type RouterBuild } from './routers.ts';
import { serviceInfo, type ServiceSource } from './services.ts';
import { compileOptions, DEFAULT_OPTIONS_NAME, type CompiledOptions } from '../tls/options.ts';
import { resolveRouterTls, type RouterTlsResult, type TlsRouter } from '../tls/routers.ts';
import type { TlsTable } from '../tls/table.ts';
import type { Logger } from '../util/log.ts';

export interface BuildResult {
  state: RuntimeState;
  tables: Map<string, RouteTable<Route>>;
  /** Routers with `tls`, per entry point: only TLS connections see them (cleartext ones see `tables`). */
  tlsTables: Map<string, RouteTable<Route>>;
  /** Which TLS options each host gets per entry point (handshakes by SNI). */
  hostOptions: Map<string, Map<string, string>>;
  /** The TLS world of this build (certificates, options by SNI), set by the runtime stage. */
  tls?: TlsTable;
  /** Middleware instances in use, keyed by qualified name (kept across reloads when unchanged). */
  middlewares: ReadonlyMap<string, MiddlewareEntry>;
}

export interface BuildInput {
  aggregated: Aggregated;
  entryPoints: Readonly<Record<string, EntryPointConfig>>;
  services: ServiceSource;
  /** Handlers for `<name>@internal` services (api, dashboard, ping, prometheus). */
  internalServices: ReadonlyMap<string, Handler>;
  /** `providers.precedence`: which provider's routers go first on equal priority (default: Traefik's list). */
  precedence?: readonly string[];
  /** Middleware instances of the previous build, reused when their definition did not change. */
  previousMiddlewares?: ReadonlyMap<string, MiddlewareEntry>;
  /** The gateway's logger, for middlewares that log at request time (forwardAuth). */
  logger?: Logger;
  /** TLS options of the configuration (default: Traefik's default options only). */
  tlsOptions?: ReadonlyMap<string, CompiledOptions | Error>;
}

/**
 * Turns the aggregated configuration into the runtime state (what the API shows) and one compiled
 * route table per entry point (what requests use). Each item builds on its own: a bad one gets an error
 * and is disabled, even when its build throws, and the others still build (Traefik's AddError + continue).
 */
export function buildRuntime(input: BuildInput): BuildResult {
  const { configuration: conf, issues } = input.aggregated;
  const state: RuntimeState = { routers: {}, services: {}, middlewares: {} };
  for (const [name, svc] of Object.entries(conf.http.services)) {
    isolate(`service "${name}"`, () => { state.services[name] = serviceInfo(name, svc); }, () => state.services[name] ??= bareService(name, providerOf(name)));
  }
  const service = (qualified: string): Handler | Error => {
    if (providerOf(qualified) === 'internal') return input.internalServices.get(qualified) ?? new Error(`the service "${qualified}" does not exist`);
    const def = conf.http.services[qualified];
    if (def === undefined) return new Error(`the service "${qualified}" does not exist`);
    const got = input.services.get(qualified, def);
    if (got instanceof Error && state.services[qualified]) addError(state.services[qualified], got.message, true);
    return got;
  };
  const middlewares = new MiddlewareResolver(conf.http.middlewares, input.previousMiddlewares, { ...(input.logger ? { logger: input.logger } : {}), service });
  for (const [name, def] of Object.entries(conf.http.middlewares)) {
    isolate(`middleware "${name}"`, () => {
      const info = state.middlewares[name] = middlewareInfo(name, def);
      const built = middlewares.get(name);
      if (built instanceof Error) addError(info, built.message, true);
    }, () => state.middlewares[name] ??= bareMiddleware(name, providerOf(name)));
  }
  const { routers, renamed } = routersPerEntryPoint(conf.http.routers, input.entryPoints, state);
  const originalName = new Map<string, string>();
  for (const [orig, copies] of renamed) for (const copy of copies) originalName.set(copy, orig);
  const routerTls = routersTls(routers, input, state);
  const build: RouterBuild = {
    state, entryPoints: input.entryPoints, issues, originalName, middlewares,
    services: input.services, serviceDefinitions: conf.http.services, internalServices: input.internalServices,
    precedence: input.precedence ?? TRAEFIK_PROVIDER_PRECEDENCE,
    routes: new Map(Object.keys(input.entryPoints).map((ep) => [ep, []])),
    tlsRoutes: new Map(Object.keys(input.entryPoints).map((ep) => [ep, []])),
    routerTls,
  };
  for (const [name, router] of Object.entries(routers)) {
    isolate(`router "${name}"`, () => buildRouter(name, router, build), () => state.routers[name] ??= bareRouter(name, providerOf(name)));
  }
  attachIssues(state, issues, renamed);
  for (const item of [...Object.values(state.services), ...Object.values(state.middlewares)]) item.usedBy = [...new Set(item.usedBy)].sort();
  return {
    state, tables: compileTables(build.routes, state), tlsTables: compileTables(build.tlsRoutes, state),
    hostOptions: routerTls.hostOptions, middlewares: middlewares.built,
  };
}

/**
 * Traefik's default entry points and entry-point models (≥ 3.3.3), router by router: an entry point with
 * middlewares or observability settings has a model, and routers on it are copied per entry point, so each
 * shows exactly what it runs. A router whose copy fails is shown disabled with the error.
 */
function routersPerEntryPoint(routers: Readonly<Record<string, Router>>, entryPoints: Readonly<Record<string, EntryPointConfig>>, state: RuntimeState):
  { routers: Record<string, Router>; renamed: Map<string, string[]> } {
  const defaults = defaultEntryPoints(entryPoints);
  const models = new Map<string, EntryPointModel>();
  for (const [ep, cfg] of Object.entries(entryPoints)) {
    const observability = Object.values(cfg.observability).some((v) => v !== undefined);
    if (cfg.http.middlewares.length > 0 || observability || cfg.http.tls) models.set(ep, { middlewares: cfg.http.middlewares, ...(cfg.http.tls ? { tls: cfg.http.tls } : {}) });
  }
  const out: Record<string, Router> = {};
  const renamed = new Map<string, string[]>();
  for (const [name, router] of Object.entries(routers)) {
    isolate(`router "${name}"`, () => {
      const one = applyEntryPointModels({ [name]: router }, defaults, models);
      Object.assign(out, one.routers);
      for (const [orig, copies] of one.renamed) renamed.set(orig, copies);
    }, () => state.routers[name] ??= bareRouter(name, providerOf(name)));
  }
  return { routers: out, renamed };
}

/**
 * The TLS options of the routers with `tls`, resolved together (a host's options must agree across routers).
 * Should the resolution throw, the TLS routers are disabled with the error and the others still build.
 */
function routersTls(routers: Readonly<Record<string, Router>>, input: BuildInput, state: RuntimeState): RouterTlsResult {
  const tlsRouters: TlsRouter[] = [];
  for (const [name, r] of Object.entries(routers)) {
    if (r.tls === undefined) continue;
    isolate(`router "${name}"`, () => {
      tlsRouters.push({ name, provider: providerOf(name), ...(r.rule !== undefined ? { rule: r.rule } : {}), entryPoints: (r.entryPoints ?? []).filter((ep) => input.entryPoints[ep] !== undefined), tls: r.tls! });
    }, () => state.routers[name] ??= bareRouter(name, providerOf(name)));
  }
  try {
    return resolveRouterTls(tlsRouters, input.tlsOptions ?? new Map([[DEFAULT_OPTIONS_NAME, compileOptions(DEFAULT_OPTIONS_NAME, {})]]));
  } catch (err) {
    const error = [{ message: `TLS options could not be resolved: ${errorMessage(err)}`, fatal: true }];
    return { resolved: new Map(), errors: new Map(tlsRouters.map((r) => [r.name, error])), hostOptions: new Map() };
  }
}

/**
 * One route table per entry point. Should the table reject a route by throwing, the routes are tried one
 * by one: the ones the table refuses are dropped and their routers disabled with the error.
 */
function compileTables(routes: ReadonlyMap<string, Array<RouteInput<Route>>>, state: RuntimeState): Map<string, RouteTable<Route>> {
  const tables = new Map<string, RouteTable<Route>>();
  for (const [ep, list] of routes) {
    try {
      tables.set(ep, buildRouteTable(list));
    } catch {
      const kept = list.filter((route) => {
        try { buildRouteTable([route]); return true; } catch (err) {
          const info = state.routers[route.name];
          if (info) addError(info, `router "${route.name}" could not be built: ${errorMessage(err)}`, true);
          return false;
        }
      });
      tables.set(ep, buildRouteTable(kept));
    }
  }
  return tables;
}

