import type { Configuration, Middleware, Router, Service } from '../dynamic/types.ts';
import { providerOf, qualify, routerCopies, type Aggregated, type EntryPointModel, type QualifiedIssue } from '../dynamic/aggregate.ts';
import { addError, type MiddlewareInfo, type RouterInfo, type RuntimeState, type ServiceInfo } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import type { Route } from '../http/route.ts';
import { buildRouteTable, type PatchableRouteTable, type RouteInput, type RouteTable } from '../routing/index.ts';
import { TRAEFIK_PROVIDER_PRECEDENCE } from '../routing/precedence.ts';
import { defaultEntryPoints } from '../static/entrypoints.ts';
import type { EntryPointConfig } from '../static/types.ts';
import { bareMiddleware, bareRouter, bareService, errorMessage } from './issues.ts';
import { middlewareInfo, MiddlewareResolver, type MiddlewareEntry } from './middlewares.ts';
import { buildRouter, type BuiltRouter, type RouterBuild } from './routers.ts';
import { serviceInfo, type ServiceSource } from './services.ts';
import { compileOptions, DEFAULT_OPTIONS_NAME, type CompiledOptions } from '../tls/options.ts';
import { resolveRouterTls, type RouterTlsResult, type TlsRouter } from '../tls/routers.ts';
import type { TlsTable } from '../tls/table.ts';
import type { Logger } from '../util/log.ts';
import { StateSummary, type StateKind } from './summary.ts';

export interface BuildResult {
  state: RuntimeState;
  /** Counts of `state` and its records not enabled (what /api/overview shows), kept as records are written. */
  summary: StateSummary;
  tables: Map<string, RouteTable<Route>>;
  /** Routers with `tls`, per entry point: only TLS connections see them (cleartext ones see `tables`). */
  tlsTables: Map<string, RouteTable<Route>>;
  /** Which TLS options each host gets per entry point (handshakes by SNI). */
  hostOptions: Map<string, Map<string, string>>;
  /** The TLS world of this build (certificates, options by SNI), set by the runtime stage. */
  tls?: TlsTable;
  /** Middleware instances in use, keyed by qualified name (kept across reloads when unchanged). */
  middlewares: ReadonlyMap<string, MiddlewareEntry>;
  /** What the build did: everything, or only the items a change reaches (names of what it built). */
  work: BuildWork;
  /** Middleware instances the previous build used and this one replaced or dropped: close them once it is live. */
  retired: MiddlewareEntry[];
  /** Incremental builds: services whose live handler no router holds any more (release them once it is live). */
  released?: string[];
  /** Incremental builds: the services whose API record was made again or removed (the others are the same objects). */
  serviceRecords?: string[];
}

/** The items a build built (compiled, instantiated), by qualified name; the others were kept as they were. */
export interface BuildWork {
  full: boolean;
  routers: string[];
  services: string[];
  middlewares: string[];
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

/** What stays the same from one build to the next: the static side of `BuildInput`. */
export type RuntimeEnv = Omit<BuildInput, 'aggregated' | 'previousMiddlewares' | 'tlsOptions'>;

/** Qualified names whose definition changed since the last build (added, removed or replaced). */
export interface ConfigChanges {
  routers: Iterable<string>;
  services: Iterable<string>;
  middlewares: Iterable<string>;
}

/**
 * Turns the aggregated configuration into the runtime state (what the API shows) and one compiled
 * route table per entry point (what requests use). Each item builds on its own: a bad one gets an error
 * and is disabled, even when its build throws, and the others still build (Traefik's AddError + continue).
 */
export function buildRuntime(input: BuildInput): BuildResult {
  return new IncrementalRuntime(input).full(input.aggregated, input.tlsOptions, input.previousMiddlewares);
}

type IssueKind = QualifiedIssue['kind'];
const issueKey = (kind: IssueKind, name: string): string => `${kind}\0${name}`;
const NO_ISSUES: readonly QualifiedIssue[] = Object.freeze([]);
/** Past this many rebuilt routers (and a quarter of all), route tables are built anew rather than patched. */
const BULK_ROUTES = 256;

/**
 * The runtime, kept between builds so a change costs what it reaches. `full` builds everything (first
 * configuration, new TLS options, certificate reload); `update` takes the names whose definitions changed and
 * rebuilds their dependents only: a service's routers, a middleware's routers and the chains that hold it, a
 * service's parents (weighted, mirroring, failover), the items whose provider issues changed. Everything else
 * (compiled rules, middleware chains, service handlers with their balancers and pools) is kept, and the route
 * tables are patched in place. Both paths run the same per-item code; a property test checks that any sequence
 * of updates gives what a full build of the last configuration gives.
 *
 * @example
 * const runtime = new IncrementalRuntime({ entryPoints, services, internalServices });
 * let result = runtime.full(aggregate(messages));
 * result = runtime.update(aggregate(next), { routers: [], services: ['whoami@consulcatalog'], middlewares: [] });
 * result.work.routers // ['whoami@consulcatalog']: the one router that uses the service
 */
export class IncrementalRuntime {
  readonly #env: RuntimeEnv;
  readonly #defaults: string[];
  readonly #models = new Map<string, EntryPointModel>();
  #http: Configuration['http'] = { routers: {}, services: {}, middlewares: {} };
  #tlsOptions: ReadonlyMap<string, CompiledOptions | Error> = new Map();
  #issues = new Map<string, QualifiedIssue[]>();
  #issueSigs = new Map<string, string>();
  #lastIssues: readonly QualifiedIssue[] | undefined;
  /** Configured router name → the routers it became (one per entry point with a model, else itself). */
  #origins = new Map<string, string[]>();
  #originOf = new Map<string, string>();
  #routers = new Map<string, BuiltRouter>();
  #serviceBases = new Map<string, ServiceInfo>();
  #middlewareBases = new Map<string, MiddlewareInfo>();
  #mwResults = new Map<string, MiddlewareEntry | Error>();
  #mwEntries = new Map<string, MiddlewareEntry>();
  /** Reverse references: item → the routers (or chains, or parent services) that name it. */
  #routersByService = new Map<string, Set<string>>();
  #routersByMiddleware = new Map<string, Set<string>>();
  #chainUsers = new Map<string, Set<string>>();
  #chainRefs = new Map<string, readonly string[]>();
  #serviceUsers = new Map<string, Set<string>>();
  #serviceRefs = new Map<string, readonly string[]>();
  /** Middlewares that name a service (errors' pages): rebuilt with it, and they hold its handler. */
  #mwServiceUsers = new Map<string, Set<string>>();
  #mwServiceRefs = new Map<string, readonly string[]>();
  /** What a middleware's service lookups gave: the handlers it holds, the errors to show on the services. */
  #mwServiceUse = new Map<string, Array<{ service: string; error?: string }>>();
  #tlsRouters = new Map<string, TlsRouter>();
  #routerTls: RouterTlsResult = { resolved: new Map(), defaultedOn: new Map(), errors: new Map(), hostOptions: new Map() };
  #state: RuntimeState = { routers: {}, services: {}, middlewares: {} };
  /** Counts and the records not enabled, kept with `#state` (every write goes through `#put`). */
  #summary = new StateSummary();
  #tables = new Map<string, PatchableRouteTable<Route>>();
  #tlsTables = new Map<string, PatchableRouteTable<Route>>();
  #built = false;

  constructor(env: RuntimeEnv) {
    this.#env = env;
    this.#defaults = defaultEntryPoints(env.entryPoints);
    for (const [ep, cfg] of Object.entries(env.entryPoints)) {
      const observability = Object.values(cfg.observability).some((v) => v !== undefined);
      if (cfg.http.middlewares.length > 0 || observability || cfg.http.tls) this.#models.set(ep, { middlewares: cfg.http.middlewares, ...(cfg.http.tls ? { tls: cfg.http.tls } : {}) });
    }
  }

  /** Whether a first (full) build happened: `update` needs one. */
  get built(): boolean { return this.#built; }

  /** Builds everything anew; `previousMiddlewares` (default: this runtime's) are reused where unchanged. */
  full(aggregated: Aggregated, tlsOptions?: ReadonlyMap<string, CompiledOptions | Error>, previousMiddlewares?: ReadonlyMap<string, MiddlewareEntry>): BuildResult {
    const previous = previousMiddlewares ?? this.#mwEntries;
    this.#origins = new Map(); this.#originOf = new Map(); this.#routers = new Map();
    this.#serviceBases = new Map(); this.#middlewareBases = new Map(); this.#mwResults = new Map(); this.#mwEntries = new Map();
    this.#routersByService = new Map(); this.#routersByMiddleware = new Map(); this.#chainUsers = new Map(); this.#chainRefs = new Map();
    this.#serviceUsers = new Map(); this.#serviceRefs = new Map(); this.#tlsRouters = new Map(); this.#issueSigs = new Map(); this.#lastIssues = undefined;
    this.#mwServiceUsers = new Map(); this.#mwServiceRefs = new Map(); this.#mwServiceUse = new Map();
    this.#state = { routers: {}, services: {}, middlewares: {} };
    this.#summary = new StateSummary();
    this.#tlsOptions = tlsOptions ?? new Map([[DEFAULT_OPTIONS_NAME, compileOptions(DEFAULT_OPTIONS_NAME, {})]]);
    this.#http = aggregated.configuration.http;
    const result = this.#build(aggregated.issues, {
      routers: Object.keys(this.#http.routers), services: Object.keys(this.#http.services), middlewares: Object.keys(this.#http.middlewares),
    }, previous, true);
    this.#built = true;
    return result;
  }

  /**
   * Applies a new configuration of which only `changes` differ from the last one (by definition; the provider
   * issues are compared here). The TLS options must be those of the last build (else: `full`).
   */
  update(aggregated: Aggregated, changes: ConfigChanges): BuildResult {
    if (!this.#built) throw new Error('IncrementalRuntime.update before a full build');
    this.#http = aggregated.configuration.http;
    return this.#build(aggregated.issues, changes, this.#mwEntries, false);
  }

  #build(issues: readonly QualifiedIssue[], changes: ConfigChanges, previousMws: ReadonlyMap<string, MiddlewareEntry>, full: boolean): BuildResult {
    const http = this.#http;
    const issueChanged = this.#setIssues(issues);

    // Services: the changed ones and the services that name them (weighted, mirroring, failover).
    const sBuild = closure(changes.services, this.#serviceUsers);
    sBuild.forEach((name) => this.#baseService(name));

    // Middlewares: the changed ones, those naming a rebuilt service, and every chain that holds one, transitively.
    const mwStart = new Set<string>(changes.middlewares);
    sBuild.forEach((svc) => { const users = this.#mwServiceUsers.get(svc); if (users !== undefined) for (const m of users) mwStart.add(m); });
    const mwBuild = closure(mwStart, this.#chainUsers);
    mwBuild.forEach((name) => this.#mwResults.delete(name));
    const service = (qualified: string): Handler | Error => {
      const by = resolver.current;
      let got: Handler | Error;
      if (providerOf(qualified) === 'internal') got = this.#env.internalServices.get(qualified) ?? new Error(`the service "${qualified}" does not exist`);
      else {
        const def = Object.hasOwn(http.services, qualified) ? http.services[qualified] : undefined;
        got = def === undefined ? new Error(`the service "${qualified}" does not exist`) : this.#env.services.get(qualified, def, http.services);
        if (by !== undefined && def !== undefined) {
          const uses = this.#mwServiceUse.get(by) ?? [];
          uses.push(got instanceof Error ? { service: qualified, error: got.message } : { service: qualified });
          this.#mwServiceUse.set(by, uses);
        }
      }
      return got;
    };
    const resolver: MiddlewareResolver = new MiddlewareResolver(http.middlewares, previousMws, { ...(this.#env.logger ? { logger: this.#env.logger } : {}), service }, this.#mwResults);
    const mwNew = new Map<string, MiddlewareEntry | Error>();
    const sInfo = new Set<string>(sBuild);
    const handlerServices = new Set<string>(sBuild);
    // The services a rebuilt middleware held before its build and holds after it: their records are remade, and
    // those no longer held are released.
    const noteUses = (name: string): void => {
      const uses = this.#mwServiceUse.get(name);
      if (uses !== undefined) for (const use of uses) { sInfo.add(use.service); handlerServices.add(use.service); }
    };
    mwBuild.forEach((name) => { noteUses(name); this.#mwServiceUse.delete(name); });
    const mwOrder = [...mwBuild].sort();
    for (let i = 0; i < mwOrder.length; i++) this.#baseMiddleware(mwOrder[i]!, resolver, mwNew);
    mwBuild.forEach((name) => noteUses(name));

    // Routers: the changed ones, those of a rebuilt service or middleware, those whose issues changed.
    const rBuild = new Set<string>(changes.routers);
    const originsOf = (copies: Iterable<string> | undefined): void => { if (copies !== undefined) for (const c of copies) rBuild.add(this.#originOf.get(c) ?? c); };
    sBuild.forEach((s) => originsOf(this.#routersByService.get(s)));
    mwBuild.forEach((m) => originsOf(this.#routersByMiddleware.get(m)));
    for (const key of issueChanged) {
      const [kind, name] = key.split('\0') as [IssueKind, string];
      if (kind === 'router') rBuild.add(name);
      else if (kind === 'service') originsOf(this.#routersByService.get(name));
    }
    const copiesOf = new Map<string, { routers: Array<[string, Router]>; failed?: unknown }>();
    const originOfNew = new Map<string, string>();
    const computeCopies = (origin: string): void => {
      if (copiesOf.has(origin) || !Object.hasOwn(http.routers, origin)) return;
      try {
        const routers = routerCopies(origin, http.routers[origin]!, this.#defaults, this.#models);
        copiesOf.set(origin, { routers });
        for (const [copy] of routers) originOfNew.set(copy, origin);
      } catch (failed) {
        copiesOf.set(origin, { routers: [], failed });
      }
    };
    let tlsTouched = full;
    const tlsPending = [...rBuild];
    // The TLS options of routers are resolved together (a host's options must agree): when a TLS router changes,
    // they are resolved again and the routers whose outcome changed are rebuilt too.
    while (tlsPending.length > 0) {
      const origin = tlsPending.pop()!;
      computeCopies(origin);
      for (const copy of this.#origins.get(origin) ?? []) if (this.#tlsRouters.delete(copy)) tlsTouched = true;
      for (const [copy, r] of copiesOf.get(origin)?.routers ?? []) {
        try {
          if (r.tls === undefined) continue;
          this.#tlsRouters.set(copy, { name: copy, provider: providerOf(copy), ...(r.rule !== undefined ? { rule: r.rule } : {}), entryPoints: (r.entryPoints ?? []).filter((ep) => this.#env.entryPoints[ep] !== undefined), tls: r.tls });
          tlsTouched = true;
        } catch { /* the router's own build reports what cannot be read */ }
      }
      if (tlsPending.length === 0 && tlsTouched) {
        tlsTouched = false;
        const before = this.#routerTls;
        this.#routerTls = this.#resolveTls();
        for (const copy of new Set([...before.resolved.keys(), ...before.errors.keys(), ...this.#routerTls.resolved.keys(), ...this.#routerTls.errors.keys()])) {
          if (before.resolved.get(copy) === this.#routerTls.resolved.get(copy) && JSON.stringify(before.errors.get(copy)) === JSON.stringify(this.#routerTls.errors.get(copy))) continue;
          const origin = originOfNew.get(copy) ?? this.#originOf.get(copy) ?? copy;
          if (!rBuild.has(origin)) { rBuild.add(origin); tlsPending.push(origin); }
        }
      }
    }

    const b: RouterBuild = {
      entryPoints: this.#env.entryPoints, originalName: this.#originOf, middlewares: resolver, services: this.#env.services,
      issuesOf: (kind, name) => this.#issues.get(issueKey(kind, name)) ?? NO_ISSUES,
      hasService: (name) => this.#serviceBases.has(name), serviceDefinitions: http.services,
      internalServices: this.#env.internalServices, precedence: this.#env.precedence ?? TRAEFIK_PROVIDER_PRECEDENCE, routerTls: this.#routerTls,
    };
    const mInfo = new Set<string>(mwBuild);
    const rInfo = new Set<string>(rBuild);
    const removedCopies: string[] = [];
    const rebuilt: string[] = [];
    const touch = (rec: BuiltRouter | undefined): void => {
      if (rec?.uses?.service) sInfo.add(rec.uses.service);
      for (const m of rec?.uses?.middlewares ?? []) mInfo.add(m);
      if (rec?.serviceError) sInfo.add(rec.serviceError.service);
      if (rec?.handlerService) handlerServices.add(rec.handlerService);
    };
    // Full builds go in configuration order (as the providers gave it); updates in any order (same result).
    const round: RouterRound = { b, copiesOf, computeCopies, touch, removedCopies, rebuilt };
    if (full) {
      const origins = Object.keys(http.routers);
      for (let i = 0; i < origins.length; i++) this.#buildOrigin(origins[i]!, round);
    } else rBuild.forEach((origin) => this.#buildOrigin(origin, round));
    for (const key of issueChanged) {
      const [kind, name] = key.split('\0') as [IssueKind, string];
      (kind === 'router' ? rInfo : kind === 'service' ? sInfo : mInfo).add(name);
    }

    // The middleware instances now in use; those replaced or dropped retire once the build is live.
    const retired: MiddlewareEntry[] = [];
    mwBuild.forEach((name) => {
      const now = mwNew.get(name);
      if (now === undefined) this.#mwResults.delete(name); else this.#mwResults.set(name, now);
      const before = this.#mwEntries.get(name);
      if (now === undefined || now instanceof Error) this.#mwEntries.delete(name); else this.#mwEntries.set(name, now);
      if (before && before !== now) retired.push(before);
    });
    if (full) for (const [name, entry] of previousMws) if (this.#mwEntries.get(name) !== entry) retired.push(entry);

    // What the API shows: bases with the usedBy, service errors and provider issues of now.
    sInfo.forEach((name) => this.#finalService(name));
    mInfo.forEach((name) => this.#finalMiddleware(name));
    for (let i = 0; i < removedCopies.length; i++) if (!this.#routers.has(removedCopies[i]!)) this.#put('routers', removedCopies[i]!, undefined);
    rInfo.forEach((origin) => this.#finalRouters(origin));

    if (full) this.#compileTables();
    else this.#patchTables(removedCopies, rebuilt);

    const released: string[] = [];
    if (!full) handlerServices.forEach((s) => { if (!this.#held(s)) released.push(s); });
    return {
      state: this.#state, summary: this.#summary, tables: this.#tables, tlsTables: this.#tlsTables, hostOptions: this.#routerTls.hostOptions,
      middlewares: this.#mwEntries, retired, ...(full ? {} : { released, serviceRecords: [...sInfo] }),
      work: { full, routers: rebuilt, services: [...sBuild].filter((s) => Object.hasOwn(http.services, s)), middlewares: resolver.rebuilt },
    };
  }

  /** A rebuilt service's record before its users are known, and what it names (the per-item steps are methods: V8 optimizes them). */
  #baseService(name: string): void {
    unindex(this.#serviceUsers, name, this.#serviceRefs.get(name));
    this.#serviceRefs.delete(name);
    const http = this.#http;
    if (!Object.hasOwn(http.services, name)) { this.#serviceBases.delete(name); return; }
    const def = http.services[name]!;
    let base: ServiceInfo;
    try {
      base = serviceInfo(name, def);
    } catch (err) {
      base = bareService(name, providerOf(name));
      addError(base, couldNotBuild('service', name, err), true);
    }
    this.#serviceBases.set(name, base);
    const refs = serviceRefsOf(name, def);
    if (refs.length > 0) { this.#serviceRefs.set(name, refs); index(this.#serviceUsers, name, refs); }
  }

  /** A rebuilt middleware: its instance (or error) through the build's resolver, its record, what it names. */
  #baseMiddleware(name: string, resolver: MiddlewareResolver, mwNew: Map<string, MiddlewareEntry | Error>): void {
    unindex(this.#chainUsers, name, this.#chainRefs.get(name));
    unindex(this.#mwServiceUsers, name, this.#mwServiceRefs.get(name));
    this.#chainRefs.delete(name);
    this.#mwServiceRefs.delete(name);
    const http = this.#http;
    if (!Object.hasOwn(http.middlewares, name)) { this.#middlewareBases.delete(name); return; }
    const def = http.middlewares[name]!;
    let base: MiddlewareInfo | undefined;
    try {
      base = middlewareInfo(name, def);
      const built = resolver.entry(name);
      mwNew.set(name, built);
      if (built instanceof Error) addError(base, built.message, true);
      else if (built.built.warnings !== undefined) for (const warning of built.built.warnings) addError(base, warning, false);
    } catch (err) {
      base ??= bareMiddleware(name, providerOf(name));
      addError(base, couldNotBuild('middleware', name, err), true);
    }
    this.#middlewareBases.set(name, base);
    const refs = chainRefsOf(name, def);
    if (refs.length > 0) { this.#chainRefs.set(name, refs); index(this.#chainUsers, name, refs); }
    const services = mwServiceRefsOf(name, def);
    if (services.length > 0) { this.#mwServiceRefs.set(name, services); index(this.#mwServiceUsers, name, services); }
  }

  /** One configured router: its previous copies out, its copies (one per entry point with a model) built. */
  #buildOrigin(origin: string, round: RouterRound): void {
    const copiesBefore = this.#origins.get(origin);
    if (copiesBefore !== undefined) {
      for (const copy of copiesBefore) {
        const old = this.#routers.get(copy);
        round.touch(old);
        if (old?.uses?.service) this.#routersByService.get(old.uses.service)?.delete(copy);
        if (old?.uses !== undefined) for (const m of old.uses.middlewares) this.#routersByMiddleware.get(m)?.delete(copy);
        this.#routers.delete(copy);
        this.#originOf.delete(copy);
        round.removedCopies.push(copy);
      }
      this.#origins.delete(origin);
    }
    if (!Object.hasOwn(this.#http.routers, origin)) return;
    round.computeCopies(origin);
    const { routers, failed } = round.copiesOf.get(origin)!;
    if (failed !== undefined) {
      const info = bareRouter(origin, providerOf(origin));
      addError(info, couldNotBuild('router', origin, failed), true);
      this.#routers.set(origin, { info, routes: [] });
      this.#origins.set(origin, [origin]);
      return;
    }
    const copies: string[] = [];
    for (let i = 0; i < routers.length; i++) {
      const copy = routers[i]![0];
      copies.push(copy);
      if (copy !== origin) this.#originOf.set(copy, origin);
    }
    this.#origins.set(origin, copies);
    for (let i = 0; i < routers.length; i++) {
      const [copy, router] = routers[i]!;
      const rec: BuiltRouter = { routes: [] };
      try {
        buildRouter(copy, router, round.b, rec);
      } catch (err) {
        addError(rec.info ??= bareRouter(copy, providerOf(copy)), couldNotBuild('router', copy, err), true);
      }
      this.#routers.set(copy, rec);
      round.rebuilt.push(copy);
      round.touch(rec);
      const uses = rec.uses;
      if (uses !== undefined) {
        if (uses.service) addTo(this.#routersByService, uses.service, copy);
        for (const m of uses.middlewares) addTo(this.#routersByMiddleware, m, copy);
      }
    }
  }

  /** Whether a router or a middleware (errors' page) still holds the live handler of service `s`. */
  #held(s: string): boolean {
    const copies = this.#routersByService.get(s);
    if (copies !== undefined) for (const copy of copies) if (this.#routers.get(copy)?.handlerService === s) return true;
    const mws = this.#mwServiceUsers.get(s);
    if (mws !== undefined) for (const m of mws) if (this.#mwServiceUse.get(m)?.some((u) => u.service === s && u.error === undefined)) return true;
    return false;
  }

  /** Indexes the providers' issues by item; returns the items whose issues changed. */
  #setIssues(issues: readonly QualifiedIssue[]): Set<string> {
    // The aggregator hands the same array while no provider's issues moved: nothing to compare.
    if (issues === this.#lastIssues) return new Set();
    this.#lastIssues = issues;
    const byKey = new Map<string, QualifiedIssue[]>();
    for (const issue of issues) {
      const key = issueKey(issue.kind, issue.name);
      const list = byKey.get(key);
      if (list) list.push(issue); else byKey.set(key, [issue]);
    }
    const sigs = new Map<string, string>();
    for (const [key, list] of byKey) sigs.set(key, JSON.stringify(list.map((i) => [i.message, i.dropped, i.provider])));
    const changed = new Set<string>();
    for (const [key, sig] of sigs) if (this.#issueSigs.get(key) !== sig) changed.add(key);
    for (const key of this.#issueSigs.keys()) if (!sigs.has(key)) changed.add(key);
    this.#issues = byKey;
    this.#issueSigs = sigs;
    return changed;
  }

  #resolveTls(): RouterTlsResult {
    const routers = [...this.#tlsRouters.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    try {
      return resolveRouterTls(routers, this.#tlsOptions);
    } catch (err) {
      // Should the resolution throw, the TLS routers are disabled with the error and the others still build.
      const error = [{ message: `TLS options could not be resolved: ${errorMessage(err)}`, fatal: true }];
      return { resolved: new Map(), defaultedOn: new Map(), errors: new Map(routers.map((r) => [r.name, error])), hostOptions: new Map() };
    }
  }

  #finalService(name: string): void {
    const base = this.#serviceBases.get(name);
    const issues = this.#issues.get(issueKey('service', name));
    if (!base) {
      this.#put('services', name, issues ? withIssues(bareService(name, issues[0]!.provider), issues) : undefined);
      return;
    }
    const info: ServiceInfo = { ...base, usedBy: [], ...(base.error ? { error: [...base.error] } : {}) };
    const mwUsers = this.#mwServiceUsers.get(name);
    if (mwUsers !== undefined) {
      for (const m of mwUsers) for (const use of this.#mwServiceUse.get(m) ?? []) if (use.service === name && use.error !== undefined) addError(info, use.error, true);
    }
    const usedBy: string[] = [];
    // (copies are unique in the index: no set needed)
    const copies = this.#routersByService.get(name);
    if (copies !== undefined) {
      for (const copy of copies) {
        const rec = this.#routers.get(copy);
        if (rec?.uses?.service === name) usedBy.push(copy);
        if (rec?.serviceError?.service === name) addError(info, rec.serviceError.message, true);
      }
    }
    info.usedBy = usedBy.length > 1 ? usedBy.sort() : usedBy;
    this.#put('services', name, issues ? withIssues(info, issues) : info);
  }

  #finalMiddleware(name: string): void {
    const base = this.#middlewareBases.get(name);
    const issues = this.#issues.get(issueKey('middleware', name));
    if (!base) {
      this.#put('middlewares', name, issues ? withIssues(bareMiddleware(name, issues[0]!.provider), issues) : undefined);
      return;
    }
    const info: MiddlewareInfo = { ...base, usedBy: [], ...(base.error ? { error: [...base.error] } : {}) };
    const usedBy: string[] = [];
    const copies = this.#routersByMiddleware.get(name);
    if (copies !== undefined) for (const copy of copies) if (this.#routers.get(copy)?.uses?.middlewares.includes(name)) usedBy.push(copy);
    info.usedBy = usedBy.length > 1 ? usedBy.sort() : usedBy;
    this.#put('middlewares', name, issues ? withIssues(info, issues) : info);
  }

  /** The routers a configured router became, with its issues (every copy gets them), or its bare record. */
  #finalRouters(origin: string): void {
    const issues = this.#issues.get(issueKey('router', origin));
    const copies = this.#origins.get(origin);
    if (!copies) {
      this.#put('routers', origin, issues ? withIssues(bareRouter(origin, issues[0]!.provider), issues) : undefined);
      return;
    }
    for (const copy of copies) {
      const rec = this.#routers.get(copy)!;
      let info = rec.info!;
      if (issues || rec.refused) {
        info = { ...info, ...(info.error ? { error: [...info.error] } : {}) };
        if (issues) withIssues(info, issues);
        if (rec.refused) addError(info, rec.refused, true);
      }
      this.#put('routers', copy, info);
    }
  }

  /**
   * One route table per entry point. Should the table reject a route by throwing, the routes are tried one
   * by one: the ones the table refuses are dropped and their routers disabled with the error.
   */
  #compileTables(): void {
    for (const [world, tls] of [[this.#tables, false], [this.#tlsTables, true]] as const) {
      world.clear();
      for (const ep of Object.keys(this.#env.entryPoints)) {
        const list: Array<RouteInput<Route>> = [];
        // (a router the table refused before stays out, as a patch leaves it: a full build has none yet)
        this.#routers.forEach((rec) => {
          if (rec.refused) return;
          for (let i = 0; i < rec.routes.length; i++) { const r = rec.routes[i]!; if (r.ep === ep && r.tls === tls) list.push(r.route); }
        });
        try {
          world.set(ep, buildRouteTable(list));
        } catch {
          const kept = list.filter((route) => {
            try { buildRouteTable([route]); return true; } catch (err) {
              this.#refuse(route.name, err);
              return false;
            }
          });
          world.set(ep, buildRouteTable(kept));
        }
      }
    }
  }

  /**
   * The routes of the rebuilt routers replace those of their previous builds, in place; when they are a large part of
   * the table (a provider's first configuration), a new table sorted once costs less than inserting them one by one.
   */
  #patchTables(removed: readonly string[], rebuilt: readonly string[]): void {
    if (rebuilt.length > BULK_ROUTES && rebuilt.length * 4 > this.#routers.size) { this.#compileTables(); return; }
    for (const [world, tls] of [[this.#tables, false], [this.#tlsTables, true]] as const) {
      for (const [ep, table] of world) {
        const add: Array<RouteInput<Route>> = [];
        for (const copy of rebuilt) for (const r of this.#routers.get(copy)!.routes) if (r.ep === ep && r.tls === tls) add.push(r.route);
        for (const { name, error } of table.patch(removed, add)) this.#refuse(name, error);
      }
    }
  }

  /** Writes (or, `info` undefined, removes) the API record of an item, keeping the summary with it. */
  #put<K extends StateKind>(kind: K, name: string, info: RuntimeState[K][string] | undefined): void {
    const items = this.#state[kind] as Record<string, RuntimeState[K][string]>;
    const before = Object.hasOwn(items, name) ? items[name] : undefined;
    if (info === undefined) delete items[name]; else items[name] = info;
    this.#summary.put(kind, name, before, info);
  }

  #refuse(name: string, err: unknown): void {
    const rec = this.#routers.get(name);
    const message = `router "${name}" could not be built: ${errorMessage(err)}`;
    if (rec) rec.refused = message;
    const info = this.#state.routers[name];
    if (info) { addError(info, message, true); this.#summary.put('routers', name, info, info); }
  }
}

function withIssues<T extends { status: RouterInfo['status']; error?: string[] }>(item: T, issues: readonly QualifiedIssue[]): T {
  for (const issue of issues) addError(item, issue.message, issue.dropped);
  return item;
}

const NO_REFS: readonly string[] = Object.freeze([]);

/** What the routers of one build share (`#buildOrigin`). */
interface RouterRound {
  b: RouterBuild;
  copiesOf: Map<string, { routers: Array<[string, Router]>; failed?: unknown }>;
  computeCopies(origin: string): void;
  /** Notes what a router (built now, or the previous build of one) names: their records are remade. */
  touch(rec: BuiltRouter | undefined): void;
  removedCopies: string[];
  rebuilt: string[];
}

/** Whatever an item's build throws (a parser bug, a stack overflow on hostile input) disables that item with it. */
function couldNotBuild(kind: 'router' | 'service' | 'middleware', name: string, err: unknown): string {
  return `${kind} "${name}" could not be built: ${errorMessage(err)}`;
}

/** `start` and everything that names one of them through `users`, transitively. */
function closure(start: Iterable<string>, users: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const out = new Set<string>(start);
  const queue = [...out];
  while (queue.length > 0) {
    for (const user of users.get(queue.pop()!) ?? []) if (!out.has(user)) { out.add(user); queue.push(user); }
  }
  return out;
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value); else map.set(key, new Set([value]));
}

function index(users: Map<string, Set<string>>, user: string, refs: readonly string[]): void {
  for (const ref of refs) addTo(users, ref, user);
}

function unindex(users: Map<string, Set<string>>, user: string, refs: readonly string[] | undefined): void {
  for (const ref of refs ?? []) users.get(ref)?.delete(user);
}

/** The middlewares a chain names, qualified with the chain's provider (what its build resolves). */
function chainRefsOf(name: string, def: Middleware): readonly string[] {
  if (def.chain === undefined) return NO_REFS;
  try {
    const provider = providerOf(name);
    return (def.chain?.middlewares ?? []).map((ref) => (provider ? qualify(ref, provider) : ref));
  } catch {
    return [];
  }
}

/** The services a middleware names (errors' pages), qualified with its provider. */
function mwServiceRefsOf(name: string, def: Middleware): readonly string[] {
  if (def.errors === undefined) return NO_REFS;
  try {
    const provider = providerOf(name);
    const ref = def.errors?.service;
    return typeof ref === 'string' && ref !== '' ? [provider ? qualify(ref, provider) : ref] : [];
  } catch {
    return [];
  }
}

/** The services a service names (weighted, mirroring, failover), qualified with its provider. */
function serviceRefsOf(name: string, def: Service): readonly string[] {
  const d = def as Record<string, unknown>;
  if (d['weighted'] === undefined && d['mirroring'] === undefined && d['failover'] === undefined) return NO_REFS;
  try {
    const provider = providerOf(name);
    const refs: unknown[] = [];
    const w = d['weighted'] as { services?: Array<{ name?: unknown }> } | undefined;
    for (const s of w?.services ?? []) refs.push(s?.name);
    const m = d['mirroring'] as { service?: unknown; mirrors?: Array<{ name?: unknown }> } | undefined;
    refs.push(m?.service);
    for (const s of m?.mirrors ?? []) refs.push(s?.name);
    const f = d['failover'] as { service?: unknown; fallback?: unknown } | undefined;
    refs.push(f?.service, f?.fallback);
    return refs.filter((r): r is string => typeof r === 'string' && r !== '').map((r) => (provider ? qualify(r, provider) : r));
  } catch {
    return [];
  }
}
