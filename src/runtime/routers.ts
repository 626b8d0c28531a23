import type { Router, Service } from '../dynamic/types.ts';
import { providerOf, qualify, type QualifiedIssue } from '../dynamic/aggregate.ts';
import { addError, type RouterInfo } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import { DEFAULT_SOURCES, OBSERVABILITY_DEFAULTS } from '../http/observability.ts';
import type { Route } from '../http/route.ts';
import { mergeObservability } from '../observability/merge.ts';
import type { RouteInput } from '../routing/index.ts';
import { compileRule, defaultPriority, type CompiledRule } from '../rules/index.ts';
import type { EntryPointConfig } from '../static/types.ts';
import type { BuiltMiddleware } from '../middlewares/index.ts';
import type { MiddlewareResolver } from './middlewares.ts';
import type { ServiceSource } from './services.ts';
import type { RouterTlsResult } from '../tls/routers.ts';
import { providerRank } from '../routing/precedence.ts';
import { denyRouterRecursion } from './recursion.ts';

/** What building one router reads. */
export interface RouterBuild {
  entryPoints: Readonly<Record<string, EntryPointConfig>>;
  /** The providers' issues about one item (`kind`, qualified name; routers by their configured name). */
  issuesOf(kind: QualifiedIssue['kind'], name: string): readonly QualifiedIssue[];
  /** A router copied per entry point → the name it had in the configuration. */
  originalName: ReadonlyMap<string, string>;
  middlewares: MiddlewareResolver;
  services: ServiceSource;
  /** Whether the service has a record (it is in the configuration, even broken). */
  hasService(name: string): boolean;
  serviceDefinitions: Readonly<Record<string, Service>>;
  internalServices: ReadonlyMap<string, Handler>;
  /** Providers routing precedence: the routes' `rank` on equal priority. */
  precedence: readonly string[];
  /** Routers' TLS options, resolved for the whole configuration (conflicts, unknown options). */
  routerTls: RouterTlsResult;
}

/**
 * One router, built: what the API shows before the providers' issues are attached, its routes (one per entry
 * point; `tls`: the TLS world), and what it tells other items (its references for `usedBy`, a service error).
 * Filled as the build goes, so a build that throws halfway still leaves what it had.
 */
export interface BuiltRouter {
  info?: RouterInfo;
  routes: Array<{ ep: string; tls: boolean; route: RouteInput<Route> }>;
  /** The items the router names (Traefik's PopulateUsedBy counts a router whether or not it builds). */
  uses?: { service?: string; middlewares: string[] };
  /** The service's handler could not be made: the error goes on the service too. */
  serviceError?: { service: string; message: string };
  /** The service whose live handler this router holds. */
  handlerService?: string;
  /** The route table refused a route of this router (attached after the issues). */
  refused?: string;
}

/** What the API shows for a router before it is built: its definition, defaults, enabled. */
export function routerInfo(name: string, router: Router): RouterInfo {
  // Traefik's json:"-": never in the API (a rest copy only when it is there: one copy less per router otherwise)
  const shown = Object.hasOwn(router, 'defaultRule') ? withoutDefaultRule(router) : router;
  return {
    ...shown, name, provider: providerOf(name),
    priority: router.priority || defaultPriority(router.rule ?? ''),
    observability: { ...OBSERVABILITY_DEFAULTS },
    observabilitySources: { ...DEFAULT_SOURCES },
    status: 'enabled',
  };
}

function withoutDefaultRule(router: Router): Omit<Router, 'defaultRule'> {
  const { defaultRule: _internal, ...shown } = router;
  return shown;
}

/**
 * Builds one router: its entry points, effective observability, compiled rule, service and middleware
 * chain, then one route per entry point. A problem is attached to the router (and it is disabled when the
 * problem is critical); its routes are added only when all of them built.
 */
export function buildRouter(name: string, router: Router, b: RouterBuild, out: BuiltRouter): void {
  const info = out.info = routerInfo(name, router);
  out.uses = usesOf(name, router);
  const using = entryPointsOf(info, router, b.entryPoints);
  if (!using) return;
  const merged = mergeObservability(router.observability, b.entryPoints[using[0]!]!.observability);
  info.observability = { accessLogs: merged.accessLogs, metrics: merged.metrics, tracing: merged.tracing, traceVerbosity: merged.traceVerbosity };
  info.observabilitySources = merged.sources;

  if (!router.rule) { addError(info, 'router has no rule', true); return; }
  const compiled = compileRuleCached(router.rule);
  // The rule and its caret line stay on lines of their own so the caret lines up in the API and logs.
  if (!compiled.ok) { addError(info, `invalid rule at column ${compiled.column}: ${compiled.reason}\n${compiled.message}`, true); return; }
  if (router.tls) {
    const problems = b.routerTls.errors.get(name) ?? [];
    for (const p of problems) addError(info, p.message, p.fatal);
    if (problems.some((p) => p.fatal)) return;
  }
  const service = serviceOf(name, info, router, b, out);
  if (!service) return;
  const chain = chainOf(info, router, b);
  if (!chain) return;
  const handler = wrap(service.handler, chain);
  const routes = using.map((ep) => routeOn(ep, name, info, router, compiled, service.name, router.defaultRule ? denyRouterRecursion(name, handler) : handler, b));
  // TLS routers answer only on TLS connections, the others only on cleartext ones (Traefik's two worlds).
  for (const [ep, route] of routes) out.routes.push({ ep, tls: router.tls !== undefined, route });
}

/**
 * Compiled rules by rule text, kept while some router uses them: a router rebuilt with the same rule (its
 * service or a middleware changed) reuses the compiled matcher. Bounded: cleared when it outgrows the routers.
 */
const compiledRules = new Map<string, ReturnType<typeof compileRule>>();
const COMPILED_RULES_MAX = 50_000;
function compileRuleCached(rule: string): ReturnType<typeof compileRule> {
  let hit = compiledRules.get(rule);
  if (hit === undefined) {
    hit = compileRule(rule);
    if (compiledRules.size >= COMPILED_RULES_MAX) compiledRules.clear();
    compiledRules.set(rule, hit);
  }
  return hit;
}

/** The qualified names a router refers to (usedBy counts every router that names an item). */
function usesOf(name: string, router: Router): { service?: string; middlewares: string[] } {
  const provider = providerOf(name);
  const middlewares: string[] = [];
  if (router.middlewares !== undefined) for (const ref of router.middlewares) middlewares.push(qualify(ref, provider));
  return router.service ? { service: qualify(router.service, provider), middlewares } : { middlewares };
}

/** The router's existing entry points, sorted; an unknown one is a warning, none at all disables it. */
function entryPointsOf(info: RouterInfo, router: Router, entryPoints: Readonly<Record<string, EntryPointConfig>>): string[] | undefined {
  // Traefik's aggregator gives a router without entry points the default ones, and the API shows them.
  const wanted = router.entryPoints ?? [];
  for (const ep of wanted) if (!entryPoints[ep]) addError(info, `entryPoint "${ep}" doesn't exist`, false);
  const using = [...new Set(wanted.filter((ep) => entryPoints[ep] !== undefined))].sort();
  if (using.length === 0) { addError(info, 'no valid entryPoint for this router', true); return undefined; }
  info.using = using;
  return using;
}

/** The handler of the router's service, or undefined with the error on the router (and on the service). */
function serviceOf(name: string, info: RouterInfo, router: Router, b: RouterBuild, out: BuiltRouter): { name: string; handler: Handler } | undefined {
  if (!router.service) { addError(info, 'the service is missing on the router', true); return undefined; }
  const serviceName = qualify(router.service, info.provider);
  if (!b.hasService(serviceName)) {
    // Traefik's message, plus why the provider dropped the service unless the provider already told this router.
    const dropped = b.issuesOf('service', serviceName).find((i) => i.dropped);
    const told = dropped && b.issuesOf('router', b.originalName.get(name) ?? name).some((i) => i.message.includes(dropped.message));
    addError(info, `the service "${serviceName}" does not exist` + (dropped && !told ? `: ${dropped.message}` : ''), true);
    return undefined;
  }
  let handler: Handler | undefined;
  if (providerOf(serviceName) === 'internal') handler = b.internalServices.get(serviceName);
  else {
    const got = b.services.get(serviceName, b.serviceDefinitions[serviceName]!, b.serviceDefinitions);
    if (got instanceof Error) { out.serviceError = { service: serviceName, message: got.message }; addError(info, `service "${serviceName}": ${got.message}`, true); return undefined; }
    handler = got;
    out.handlerService = serviceName;
  }
  if (!handler) { addError(info, `the service "${serviceName}" does not exist`, true); return undefined; }
  return { name: serviceName, handler };
}

/** The router's middlewares, built (the entry point's are already first: its model). */
function chainOf(info: RouterInfo, router: Router, b: RouterBuild): BuiltMiddleware[] | undefined {
  const built: BuiltMiddleware[] = [];
  for (const ref of router.middlewares ?? []) {
    const qualified = qualify(ref, info.provider);
    const mw = b.middlewares.get(qualified);
    if (mw instanceof Error) {
      addError(info, mw.message.includes(`"${qualified}"`) ? mw.message : `middleware "${qualified}": ${mw.message}`, true);
      return undefined;
    }
    built.push(mw);
  }
  return built;
}

/** The service wrapped in the middlewares, the first outermost (one wrapping per entry point). */
function wrap(service: Handler, chain: readonly BuiltMiddleware[]): Handler {
  let handler = service;
  for (let i = chain.length - 1; i >= 0; i--) handler = chain[i]!.wrap(handler);
  return handler;
}

/** The route of the router on one entry point, with the observability that entry point gives it. */
function routeOn(ep: string, name: string, info: RouterInfo, router: Router, rule: CompiledRule, service: string, handler: Handler, b: RouterBuild): [string, RouteInput<Route>] {
  const o = mergeObservability(router.observability, b.entryPoints[ep]!.observability);
  return [ep, {
    name, rule, priority: info.priority, rank: providerRank(info.provider, b.precedence),
    value: {
      name, rule: router.rule!, service, internal: info.provider === 'internal', handler,
      ...(router.tls ? { tlsOptions: b.routerTls.defaultedOn.get(ep)?.get(name) ?? b.routerTls.resolved.get(name) ?? 'default' } : {}),
      observability: { accessLogs: o.accessLogs, metrics: o.metrics, tracing: o.tracing, traceVerbosity: o.traceVerbosity },
    },
  }];
}
