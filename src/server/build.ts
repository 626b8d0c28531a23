import type { Middleware, Service } from '../dynamic/types.ts';
import type { Aggregated } from '../dynamic/aggregate.ts';
import { applyEntryPointModels, qualify, providerOf, type EntryPointModel } from '../dynamic/aggregate.ts';
import { addError, type MiddlewareInfo, type RouterInfo, type RuntimeState, type ServiceInfo } from '../dynamic/runtime.ts';
import type { EntryPointConfig } from '../static/types.ts';
import { defaultEntryPoints } from '../static/entrypoints.ts';
import { DEFAULT_SOURCES, OBSERVABILITY_DEFAULTS } from '../http/observability.ts';
import type { Handler } from '../http/context.ts';
import type { Route } from '../http/route.ts';
import { compileRule, defaultPriority, type CompiledRule } from '../rules/index.ts';
import { buildRouteTable, type RouteTable } from '../routing/index.ts';
import { buildMiddleware, type BuiltMiddleware } from '../middlewares/index.ts';
import { mergeObservability } from '../observability/merge.ts';


export interface BuildResult {
  state: RuntimeState;
  tables: Map<string, RouteTable<Route>>;
  /** Middleware instances in use, keyed by qualified name (kept across reloads when unchanged). */
  middlewares: Map<string, { json: string; built: BuiltMiddleware }>;
}

/** Where route handlers for services come from: the live registry, or a dry one for `tagway check`. */
export interface ServiceSource { get(name: string, service: Service): Handler | Error }

export interface BuildInput {
  aggregated: Aggregated;
  entryPoints: Record<string, EntryPointConfig>;
  services: ServiceSource;
  /** Handlers for `<name>@internal` services (api, dashboard, ping, prometheus). */
  internalServices: ReadonlyMap<string, Handler>;
  /** Middleware instances of the previous build, reused when their definition did not change. */
  previousMiddlewares?: Map<string, { json: string; built: BuiltMiddleware }>;
}

/** Traefik's `type` in the API: the middleware's one type key, lower-cased (the registry validates it). */
function middlewareType(m: Middleware): string {
  const key = (Object.keys(m) as Array<keyof Middleware>).find((k) => m[k] !== undefined);
  return key ? key.toLowerCase() : 'unknown';
}

function serviceType(s: Service): string {
  return s.weighted ? 'weighted' : 'loadbalancer';
}

/**
 * Turns the aggregated configuration into the runtime state (what the API shows) and one compiled
 * route table per entry point (what requests use). A bad item gets an error and is skipped; the
 * others still build (Traefik's AddError + continue).
 */
export function buildRuntime(input: BuildInput): BuildResult {
  const { configuration: conf, issues } = input.aggregated;
  const state: RuntimeState = { routers: {}, services: {}, middlewares: {} };
  const epNames = Object.keys(input.entryPoints);
  const defaultEps = defaultEntryPoints(input.entryPoints);
  // An entry point with middlewares or observability settings has a model (Traefik ≥ 3.3.3): routers on it
  // are copied per entry point, so each shows exactly what it runs.
  const models = new Map<string, EntryPointModel>();
  for (const [ep, cfg] of Object.entries(input.entryPoints)) {
    const observability = Object.values(cfg.observability).some((v) => v !== undefined);
    if (cfg.http.middlewares.length > 0 || observability) models.set(ep, { middlewares: cfg.http.middlewares });
  }
  const { routers, renamed } = applyEntryPointModels(conf.http.routers, defaultEps, models);
  const originalName = new Map<string, string>();
  for (const [orig, copies] of renamed) for (const copy of copies) originalName.set(copy, orig);

  // Services
  for (const [name, svc] of Object.entries(conf.http.services)) {
    const provider = providerOf(name);
    // Internal services have no configuration, hence no type (Traefik omits it).
    state.services[name] = { ...svc, name, provider, type: provider === 'internal' ? '' : serviceType(svc), status: 'enabled', usedBy: [] };
  }
  // Middlewares
  const middlewares = new Map<string, { json: string; built: BuiltMiddleware }>();
  const buildErrors = new Map<string, string>();
  for (const [name, mw] of Object.entries(conf.http.middlewares)) {
    state.middlewares[name] = { ...mw, name, provider: providerOf(name), type: middlewareType(mw), status: 'enabled', usedBy: [] };
  }
  const resolving = new Set<string>();
  const resolveMiddleware = (qualified: string): BuiltMiddleware | Error => {
    const done = middlewares.get(qualified);
    if (done) return done.built;
    const known = buildErrors.get(qualified);
    if (known) return new Error(known);
    const def = conf.http.middlewares[qualified];
    if (!def) return new Error(`middleware "${qualified}" does not exist`);
    if (resolving.has(qualified)) return new Error(`middleware "${qualified}" is part of a chain cycle`);
    const json = JSON.stringify(def);
    const previous = input.previousMiddlewares?.get(qualified);
    if (previous && previous.json === json) { middlewares.set(qualified, previous); return previous.built; }
    resolving.add(qualified);
    const provider = providerOf(qualified);
    const built = buildMiddleware(qualified, def, (ref) => resolveMiddleware(qualify(ref, provider)));
    resolving.delete(qualified);
    if (built instanceof Error) { buildErrors.set(qualified, built.message); return built; }
    middlewares.set(qualified, { json, built });
    return built;
  };
  for (const name of Object.keys(conf.http.middlewares)) {
    const r = resolveMiddleware(name);
    if (r instanceof Error) addError(state.middlewares[name]!, r.message, true);
  }

  // Routers
  const perEp = new Map<string, Array<{ name: string; rule: CompiledRule; priority: number; value: Route }>>();
  for (const ep of epNames) perEp.set(ep, []);
  for (const [name, router] of Object.entries(routers)) {
    const provider = providerOf(name);
    const info: RouterInfo = {
      ...router, name, provider,
      priority: router.priority || defaultPriority(router.rule ?? ''),
      observability: { ...OBSERVABILITY_DEFAULTS },
      observabilitySources: { ...DEFAULT_SOURCES },
      status: 'enabled',
    };
    state.routers[name] = info;
    // Traefik's aggregator gives a router without entry points the default ones, and the API shows them.
    const wanted = router.entryPoints ?? [];
    // usedBy counts every router that names the item, whether or not it builds (Traefik's PopulateUsedBy).
    if (router.service) state.services[qualify(router.service, provider)]?.usedBy.push(name);
    for (const ref of router.middlewares ?? []) state.middlewares[qualify(ref, provider)]?.usedBy.push(name);
    const using = [...new Set(wanted.filter((ep) => input.entryPoints[ep] !== undefined))].sort();
    for (const ep of wanted) if (!input.entryPoints[ep]) addError(info, `entryPoint "${ep}" doesn't exist`, false);
    if (using.length === 0) { addError(info, 'no valid entryPoint for this router', true); continue; }
    info.using = using;
    const merged = mergeObservability(router.observability, input.entryPoints[using[0]!]!.observability);
    info.observability = { accessLogs: merged.accessLogs, metrics: merged.metrics, tracing: merged.tracing, traceVerbosity: merged.traceVerbosity };
    info.observabilitySources = merged.sources;

    if (!router.rule) { addError(info, 'router has no rule', true); continue; }
    const compiled = compileRule(router.rule);
    // The rule and its caret line stay on lines of their own so the caret lines up in the API and logs.
    if (!compiled.ok) { addError(info, `invalid rule at column ${compiled.column}: ${compiled.reason}\n${compiled.message}`, true); continue; }
    if (!router.service) { addError(info, 'the service is missing on the router', true); continue; }
    const serviceName = qualify(router.service, provider);
    const svcInfo = state.services[serviceName];
    if (!svcInfo) {
      // Traefik's message, plus why the provider dropped the service unless the provider already told this router.
      const dropped = issues.find((i) => i.kind === 'service' && i.name === serviceName && i.dropped);
      const told = dropped && issues.some((i) => i.kind === 'router' && i.name === (originalName.get(name) ?? name) && i.message.includes(dropped.message));
      addError(info, `the service "${serviceName}" does not exist` + (dropped && !told ? `: ${dropped.message}` : ''), true);
      continue;
    }
    const internal = provider === 'internal';
    let service: Handler | undefined;
    if (providerOf(serviceName) === 'internal') service = input.internalServices.get(serviceName);
    else {
      const got = input.services.get(serviceName, conf.http.services[serviceName]!);
      if (got instanceof Error) { addError(svcInfo, got.message, true); addError(info, `service "${serviceName}": ${got.message}`, true); continue; }
      service = got;
    }
    if (!service) { addError(info, `the service "${serviceName}" does not exist`, true); continue; }

    let failed = false;
    for (const ep of using) {
      // The entry point's middlewares are already first in the router's (its model).
      const chainNames = router.middlewares ?? [];
      let handler = service;
      const builtChain: BuiltMiddleware[] = [];
      for (const ref of chainNames) {
        const qualified = qualify(ref, provider);
        const mw = resolveMiddleware(qualified);
        if (mw instanceof Error) {
          addError(info, mw.message.includes(`"${qualified}"`) ? mw.message : `middleware "${qualified}": ${mw.message}`, true);
          failed = true;
          break;
        }
        builtChain.push(mw);
        const mwInfo = state.middlewares[qualified];
        if (mwInfo && !mwInfo.usedBy.includes(name)) mwInfo.usedBy.push(name);
      }
      if (failed) break;
      for (let i = builtChain.length - 1; i >= 0; i--) handler = builtChain[i]!.wrap(handler);
      const epMerged = ep === using[0] ? merged : mergeObservability(router.observability, input.entryPoints[ep]!.observability);
      perEp.get(ep)!.push({
        name, rule: compiled, priority: info.priority,
        value: {
          name, rule: router.rule, service: serviceName, internal, handler,
          observability: { accessLogs: epMerged.accessLogs, metrics: epMerged.metrics, tracing: epMerged.tracing, traceVerbosity: epMerged.traceVerbosity },
        },
      });
    }
    if (failed) for (const ep of using) { const list = perEp.get(ep)!; const i = list.findIndex((r) => r.name === name); if (i !== -1) list.splice(i, 1); }
  }

  // Problems the providers reported: attach to the item, or show the dropped item disabled.
  for (const issue of issues) {
    if (issue.kind === 'router' && renamed.has(issue.name)) {
      for (const copy of renamed.get(issue.name)!) addError(state.routers[copy]!, issue.message, issue.dropped);
      continue;
    }
    const bucket = issue.kind === 'router' ? state.routers : issue.kind === 'service' ? state.services : state.middlewares;
    let item = (bucket as Record<string, RouterInfo | ServiceInfo | MiddlewareInfo>)[issue.name];
    if (!item) {
      if (issue.kind === 'router') {
        item = state.routers[issue.name] = {
          name: issue.name, provider: issue.provider, priority: 0, status: 'disabled',
          observability: { ...OBSERVABILITY_DEFAULTS },
          observabilitySources: { ...DEFAULT_SOURCES },
        };
      } else if (issue.kind === 'service') {
        item = state.services[issue.name] = { name: issue.name, provider: issue.provider, type: 'loadbalancer', status: 'disabled', usedBy: [] };
      } else {
        item = state.middlewares[issue.name] = { name: issue.name, provider: issue.provider, type: 'unknown', status: 'disabled', usedBy: [] };
      }
    }
    addError(item, issue.message, issue.dropped);
  }

  for (const item of [...Object.values(state.services), ...Object.values(state.middlewares)]) item.usedBy = [...new Set(item.usedBy)].sort();

  const tables = new Map<string, RouteTable<Route>>();
  for (const [ep, routes] of perEp) tables.set(ep, buildRouteTable(routes));
  return { state, tables, middlewares };
}
