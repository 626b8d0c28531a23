import type { Configuration, HTTPConfiguration, ItemIssue, ItemKind, ServersTransport, Service } from '../../dynamic/types.ts';
import { emptyConfiguration } from '../../dynamic/types.ts';
import type { ConsulCatalogConfig } from '../../static/types.ts';
import { compileConstraints, type TagPredicate } from './constraints.ts';
import { connectTransport, connectTransportName, type MeshCertificates } from './connect.ts';
import type { ServiceInstance } from './instance.ts';
import { decodeDynamicLabels, decodeExtraConfig, type LabelError } from './labels.ts';
import { mergeFragments, type Conflict, type Fragment } from './merge.ts';
import { normalize } from './normalize.ts';
import { compileRuleTemplate, type RuleTemplate } from './template.ts';

/**
 * Instances → one dynamic configuration, as Traefik v3's Consul Catalog provider builds it
 * (`getConsulServicesData` filtering + `buildConfiguration` + `provider.Merge`), plus the issues
 * Traefik only logs: each names the Consul service, the instance and the offending key.
 * Pure: no I/O, no clock; the same input always gives the same output.
 */

/** The part of `ConsulCatalogConfig` the build reads. */
export interface BuildOptions {
  prefix: string;
  exposedByDefault: boolean;
  defaultRule: string;
  constraints: string;
  strictChecks: string[];
  connectAware?: boolean;
  /** Services without the `<prefix>.consulcatalog.connect` tag are Connect services (Traefik's `connectByDefault`). */
  connectByDefault?: boolean;
  /** The gateway's name in the mesh: the identity its leaf certificate carries (Traefik's default `traefik`). */
  serviceName?: string;
}

/** Traefik's defaults (`Configuration.SetDefaults`). */
export const DEFAULT_BUILD_OPTIONS: Readonly<BuildOptions> = Object.freeze({
  prefix: 'traefik',
  exposedByDefault: true,
  defaultRule: 'Host(`{{ normalize .Name }}`)',
  constraints: '',
  strictChecks: ['passing', 'warning'],
  connectAware: false,
  connectByDefault: false,
  serviceName: 'traefik',
});

export function buildOptionsFrom(config: ConsulCatalogConfig): BuildOptions {
  return {
    prefix: config.prefix, exposedByDefault: config.exposedByDefault, defaultRule: config.defaultRule,
    constraints: config.constraints, strictChecks: config.strictChecks, connectAware: config.connectAware,
    connectByDefault: config.connectByDefault, serviceName: config.serviceName,
  };
}

export interface BuildResult { configuration: Configuration; issues: ItemIssue[]; log: string[] }

export interface Prepared { rule: RuleTemplate; match: TagPredicate }
const prepared = new Map<string, Prepared>();

/**
 * Compiles the default rule and the constraints (cached). Throws `TemplateError` / `ConstraintError`
 * with the option named: call it when the provider is created, so a bad option stops startup.
 */
export function prepareBuildOptions(options: BuildOptions): Prepared {
  const key = `${options.defaultRule}\0${options.constraints}`;
  let p = prepared.get(key);
  if (!p) {
    let rule: RuleTemplate, match: TagPredicate;
    try { rule = compileRuleTemplate(options.defaultRule); } catch (err) { throw new Error(`providers.consulCatalog.defaultRule: ${(err as Error).message}`, { cause: err }); }
    try { match = compileConstraints(options.constraints); } catch (err) { throw new Error(`providers.consulCatalog.constraints: ${(err as Error).message}`, { cause: err }); }
    p = { rule, match };
    if (prepared.size > 32) prepared.clear();
    prepared.set(key, p);
  }
  return p;
}

/** Issues before we know whether the item survived (dropped is set at the end). */
export interface PendingIssue { kind: ItemKind; name: string; severity: 'error' | 'warning'; message: string }

/**
 * Builds the provider's configuration from every known instance (all health states: filtering by
 * `strictChecks` happens here, as in Traefik). `mesh`: the gateway's Connect certificates once both the leaf and
 * the roots arrived (with `connectAware`); until then Connect services get no server and say they are waiting.
 *
 * @example
 * const { configuration, issues } = buildConfiguration(instances, DEFAULT_BUILD_OPTIONS);
 * configuration.http.routers['whoami'] // { rule: 'Host(`whoami`)', service: 'whoami' }
 */
export function buildConfiguration(instances: readonly ServiceInstance[], options: BuildOptions, mesh?: MeshCertificates): BuildResult {
  const byService = new Map<string, ServiceInstance[]>();
  for (const inst of instances) {
    const list = byService.get(inst.name);
    if (list) list.push(inst); else byService.set(inst.name, [inst]);
  }
  return buildConfigurationByService(byService, options, mesh);
}

/**
 * `buildConfiguration` from instances grouped by Consul service. The part of each service (its instances' items,
 * issues and log, merged among themselves) is kept while its instance list is the same array, which the watcher
 * replaces only for the services it fetched again: a rebuild after one change builds one service, and the merge
 * across services only looks at the item names several services declare. Unchanged items come out as the same
 * objects, so the stages after this see what changed by reference.
 */
export function buildConfigurationByService(groups: ReadonlyMap<string, readonly ServiceInstance[]>, options: BuildOptions, mesh?: MeshCertificates): BuildResult {
  const prepared = prepareBuildOptions(options);
  const optionsKey = optionsKeyOf(options);
  const parts: ServicePart[] = [];
  for (const name of [...groups.keys()].sort()) parts.push(cachedServicePart(name, groups.get(name)!, options, optionsKey, prepared));
  const result = combine(parts, options);
  const targets = parts.flatMap((p) => p.connect);
  if (targets.length === 0) return result;
  const connected = new ConnectOverlay().apply(result, targets, options, mesh);
  return { ...result, configuration: connected.configuration, issues: connected.issues, log: [...result.log, ...connected.log] };
}

/** The key of a set of options for the caches (the options that change what a build gives). */
export function optionsKeyOf(options: BuildOptions): string {
  return JSON.stringify([options.prefix, options.exposedByDefault, options.defaultRule, options.constraints, options.strictChecks, options.connectAware ?? false, options.connectByDefault ?? false]);
}

/** A service's part, kept while its instance list is the same array and the options the same. */
export function cachedServicePart(name: string, group: readonly ServiceInstance[], options: BuildOptions, optionsKey: string, prepared: Prepared): ServicePart {
  const hit = partCache.get(group);
  if (hit && hit.key === optionsKey) return hit.part;
  const part = servicePart(name, group, options, optionsKey, prepared);
  partCache.set(group, { key: optionsKey, part });
  return part;
}

/** One Consul service's share of the configuration, on its own. */
export interface ServicePart {
  pending: PendingIssue[];
  log: string[];
  fragments: Fragment[];
  /** The fragments merged among themselves (Traefik's merge is per item name). */
  local: { configuration: Configuration; conflicts: Conflict[] };
  /** `kind\0name` of every item a fragment declares (conflicting ones included). */
  declared: string[];
  /** Connect: the transports its instances asked for (applied with the mesh certificates by `ConnectOverlay`). */
  connect: ConnectTarget[];
}

const partCache = new WeakMap<readonly ServiceInstance[], { key: string; part: ServicePart }>();

function servicePart(name: string, group: readonly ServiceInstance[], options: BuildOptions, optionsKey: string, { rule, match }: Prepared): ServicePart {
  const log: string[] = [];
  const pending: PendingIssue[] = [];
  const fragments: Fragment[] = [];
  const connect = new Map<string, ConnectTarget>();
  (function build(): void {
    // Isolation: whatever one service's tags do to the builder, the other services are built.
    try {
      const extras = group.map((inst) => ({ inst, extra: instanceExtra(inst, options) }));

      // Service level (Traefik reads the union of the instances' tags from /v1/catalog/services).
      const badExtra = extras.find((e) => e.extra.errors.length > 0);
      if (badExtra) {
        const err = badExtra.extra.errors[0]!;
        const items = shadowItems(extras.filter((e) => e !== badExtra).map((e) => e.inst), options, rule);
        for (const item of itemsOrDefault(items, group[0]!)) {
          pending.push({ ...item, severity: 'error', message: `Consul service "${name}", instance "${badExtra.inst.id}": ${describeLabelError(err)}; Traefik skips the whole service` });
        }
        log.push(`skip service ${name}: ${describeLabelError(err)}`);
        return;
      }
      const disabling = extras.filter((e) => e.extra.enable === false);
      const anyEnabled = extras.some((e) => e.extra.enable === true);
      const serviceEnabled = disabling.length > 0 ? false : anyEnabled || options.exposedByDefault;
      if (!serviceEnabled) {
        const others = extras.filter((e) => e.extra.enable ?? options.exposedByDefault).map((e) => e.inst);
        if (disabling.length > 0 && others.length > 0) {
          // Traefik's quirk: the tag union carries `enable=false`, so every instance disappears.
          const key = `${options.prefix}.enable`;
          const ids = disabling.map((e) => `"${e.inst.id}"`).join(', ');
          const hidden = others.map((i) => `"${i.id}"`).join(', ');
          for (const item of itemsOrDefault(shadowItems(others, options, rule), others[0]!)) {
            pending.push({ ...item, severity: 'error', message: `Consul service "${name}": instance ${ids} has ${key}=false, which hides the whole service in Traefik, including instance ${hidden} that did not disable it; remove the tag or set it on every instance` });
          }
        }
        // A Connect service read from sidecars whose own tags lack the enable tag the service has (see connectSidecarTrap).
        const trap = extras.map((e) => (e.inst.connect ? connectSidecarTrap(e.inst, e.extra, options) : undefined)).find((x) => x !== undefined);
        if (trap) pending.push(trap);
        log.push(`filtering disabled service ${name}`);
        return;
      }
      if (options.constraints.trim() !== '' && !match([...new Set(group.flatMap((i) => i.tags))])) { log.push(`service ${name} pruned by constraints ${JSON.stringify(options.constraints)}`); return; }
      if (!options.connectAware && extras.some((e) => e.extra.connect === true)) { log.push(`service ${name} is Connect-enabled but connectAware is off`); return; }

      const results = extras.map(({ inst, extra }) => cachedBuildInstance(inst, extra, options, optionsKey, rule, match, log));
      for (const result of results) {
        if ('issues' in result) pending.push(...result.issues);
        if (result.fragment) fragments.push(result.fragment);
        if (result.connect) connect.set(result.connect.transport, result.connect);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message || err.name : String(err);
      pending.push({ kind: 'service', name: normalize(name), severity: 'error', message: `Consul service "${name}" could not be built: ${message}; its routers, services and middlewares are left out` });
      log.push(`skip service ${name}: ${message}`);
    }
  })();
  const kept = lastPerKey(fragments, pending);
  const declared = new Set<string>();
  for (const frag of kept) for (const item of itemsOf(frag.configuration.http)) declared.add(`${item.kind}\0${item.name}`);
  return { pending, log, fragments: kept, local: mergeFragments(kept), declared: [...declared], connect: [...connect.values()] };
}

/** The services' parts together: Traefik's merge across services for the names several declare, then the issues. */
function combine(parts: readonly ServicePart[], options: BuildOptions): BuildResult {
  const log: string[] = [];
  const pending: PendingIssue[] = [];
  const declarers = new Map<string, ServicePart[]>();
  for (const part of parts) {
    for (const line of part.log) log.push(line);
    for (const issue of part.pending) pending.push(issue);
    for (const key of part.declared) {
      const list = declarers.get(key);
      if (list) list.push(part); else declarers.set(key, [part]);
    }
  }
  const configuration = emptyConfiguration();
  const conflicts: Conflict[] = [];
  const shared: string[] = [];
  const sections = (c: Configuration, kind: ItemKind): Record<string, unknown> =>
    (kind === 'router' ? c.http.routers : kind === 'service' ? c.http.services : c.http.middlewares) as Record<string, unknown>;
  for (const [key, list] of declarers) {
    if (list.length > 1) { shared.push(key); continue; }
    const [kind, name] = key.split('\0') as [ItemKind, string];
    const local = list[0]!.local;
    const item = sections(local.configuration, kind)[name];
    if (item !== undefined) sections(configuration, kind)[name] = item;
    else for (const c of local.conflicts) if (c.kind === kind && c.name === name) conflicts.push(c);
  }
  if (shared.length > 0) {
    // Names several services declare: merged over those services' fragments, in Traefik's order.
    const involved = new Set<ServicePart>();
    for (const key of shared) for (const part of declarers.get(key)!) involved.add(part);
    const merged = mergeFragments([...involved].flatMap((p) => p.fragments));
    for (const key of shared) {
      const [kind, name] = key.split('\0') as [ItemKind, string];
      const item = sections(merged.configuration, kind)[name];
      if (item !== undefined) sections(configuration, kind)[name] = item;
      else for (const c of merged.conflicts) if (c.kind === kind && c.name === name) conflicts.push(c);
    }
  }
  return { configuration, issues: finishIssues(pending, conflicts, configuration, options), log };
}

/**
 * The issues of a build: the services' own, one per conflicting item, and a warning on each router whose
 * service was dropped (`pending` is extended).
 */
export function finishIssues(pending: PendingIssue[], conflicts: Iterable<Conflict>, configuration: Configuration, options: BuildOptions): ItemIssue[] {
  const droppedServices = new Map<string, string>();
  for (const c of conflicts) {
    const message = describeConflict(c, options.prefix);
    pending.push({ kind: c.kind, name: c.name, severity: 'error', message });
    if (c.kind === 'service') droppedServices.set(c.name, message);
  }
  for (const issue of pending) {
    if (issue.kind === 'service' && issue.severity === 'error' && !configuration.http.services[issue.name]) droppedServices.set(issue.name, issue.message);
  }
  for (const [routerName, router] of Object.entries(configuration.http.routers)) {
    const svc = router.service;
    if (!svc || svc.includes('@') || configuration.http.services[svc] || !droppedServices.has(svc)) continue;
    pending.push({
      kind: 'router', name: routerName, severity: 'warning',
      message: `router "${routerName}" stays but its service "${svc}" was dropped (${droppedServices.get(svc)}); requests it matches will fail`,
    });
  }
  return finalizeIssues(pending, configuration.http);
}

interface Extra { enable?: boolean; connect?: boolean; canary?: boolean; errors: LabelError[] }

const extraCache = new WeakMap<ServiceInstance, { key: string; extra: Extra }>();
/** The instance's provider labels; `connect` defaults to `connectByDefault` (Traefik's `getExtraConf`). */
function instanceExtra(inst: ServiceInstance, options: BuildOptions): Extra {
  const key = `${options.prefix}\0${options.connectByDefault ?? false}`;
  const hit = extraCache.get(inst);
  if (hit && hit.key === key) return hit.extra;
  const extra = decodeExtraConfig(inst.labels, options.prefix);
  if (extra.connect === undefined && options.connectByDefault) extra.connect = true;
  extraCache.set(inst, { key, extra });
  return extra;
}

/** The words of the issue a Connect service carries while the certificates have not arrived. */
export const CONNECT_WAITING = 'waiting for this gateway\'s Connect certificates';

/** Where a Connect service's sidecars are: what its transport is built from. */
export interface ConnectTarget { transport: string; namespace: string; datacenter: string; service: string; services: string[] }

/**
 * After the merge: each Connect transport gets the mesh certificates (Traefik's `connectCert.serversTransport`), or,
 * before they arrived, the services using it lose their servers (never routed in the clear) and say they wait.
 * The services it rewrites are kept per (service object, certificates), so a rebuild that changed neither gives
 * the same objects (the runtime then keeps their handlers and pools).
 */
export class ConnectOverlay {
  #services = new WeakMap<object, { mesh: MeshCertificates | undefined; out: Service }>();
  #transports = new Map<string, { mesh: MeshCertificates; target: string; st: ServersTransport }>();
  #lastTransports: Record<string, ServersTransport> | undefined;

  apply(result: { configuration: Configuration; issues: ItemIssue[] }, targets: readonly ConnectTarget[], options: BuildOptions, mesh: MeshCertificates | undefined): { configuration: Configuration; issues: ItemIssue[]; log: string[]; services: string[] } {
    const http = { ...result.configuration.http, services: { ...result.configuration.http.services } };
    const issues = [...result.issues];
    const log: string[] = [];
    const touched: string[] = [];
    const identity = options.serviceName ?? 'traefik';
    const transports: Record<string, ServersTransport> = {};
    for (const target of [...targets].sort((a, b) => (a.transport < b.transport ? -1 : a.transport > b.transport ? 1 : 0))) {
      if (mesh) {
        const key = JSON.stringify(target);
        const hit = this.#transports.get(target.transport);
        const st = hit && hit.mesh === mesh && hit.target === key ? hit.st : connectTransport(mesh, target.namespace, target.datacenter, target.service);
        this.#transports.set(target.transport, { mesh, target: key, st });
        transports[target.transport] = st;
        continue;
      }
      for (const svcName of target.services) {
        const svc = http.services[svcName];
        if (!svc?.loadBalancer || svc.loadBalancer.serversTransport !== target.transport) continue;
        const hit = this.#services.get(svc);
        let out = hit && hit.mesh === mesh ? hit.out : undefined;
        if (!out) {
          // No server (so no transport to name yet): the router answers 503 rather than anything in the clear.
          const { serversTransport: _none, ...lb } = svc.loadBalancer;
          out = { ...svc, loadBalancer: { ...lb, servers: [] } };
          this.#services.set(svc, { mesh, out });
        }
        http.services[svcName] = out;
        touched.push(svcName);
        issues.push({
          kind: 'service', name: svcName, severity: 'warning', dropped: false,
          message: `Consul service "${target.service}" is a Connect service: ${CONNECT_WAITING} (leaf of "${identity}" from /v1/agent/connect/ca/leaf/${identity} and the CA roots); it is not routed until they arrive, never in the clear (its sidecars must present spiffe://<trust-domain>/ns/${target.namespace}/dc/${target.datacenter}/svc/${target.service})`,
        });
        log.push(`service ${svcName}: waiting for Connect certificates`);
      }
    }
    // The same record while its transports are (the runtime rebuilds everything when this section's object moves).
    const last = this.#lastTransports;
    const same = last !== undefined && Object.keys(last).length === Object.keys(transports).length && Object.entries(transports).every(([k, v]) => last[k] === v);
    if (!same) this.#lastTransports = transports;
    if (Object.keys(transports).length > 0) (http as HTTPConfiguration).serversTransports = same ? last : transports;
    return { configuration: { ...result.configuration, http }, issues, log, services: touched };
  }
}

/**
 * Instances are immutable values and the watcher hands the same objects back for services that did
 * not change, so one instance's result is computed once per set of options: a rebuild after one
 * change re-decodes one service, not all of them. Results (and so the emitted configurations) share
 * router and middleware objects: treat configurations as immutable, as every stage after this does.
 */
const instanceCache = new WeakMap<ServiceInstance, { key: string; result: InstanceResult; log: string[] }>();
function cachedBuildInstance(inst: ServiceInstance, extra: Extra, options: BuildOptions, key: string, rule: RuleTemplate, match: TagPredicate, log: string[]): InstanceResult {
  const hit = instanceCache.get(inst);
  if (hit && hit.key === key) { log.push(...hit.log); return hit.result; }
  const own: string[] = [];
  const result = buildInstance(inst, extra, options, rule, match, own);
  instanceCache.set(inst, { key, result, log: own });
  log.push(...own);
  return result;
}

type InstanceResult = { fragment?: Fragment; issues: PendingIssue[]; connect?: ConnectTarget };

/** Traefik's per-item path: keepContainer, label decoding, service then router building. */
function buildInstance(inst: ServiceInstance, extra: Extra, options: BuildOptions, rule: RuleTemplate, match: TagPredicate, log: string[]): InstanceResult {
  const where = `Consul service "${inst.name}", instance "${inst.id}"`;
  const sidecarTrap = inst.connect ? connectSidecarTrap(inst, extra, options) : undefined;
  if (!(extra.enable ?? options.exposedByDefault)) { log.push(`${where}: filtering disabled item`); return { issues: sidecarTrap ? [sidecarTrap] : [] }; }
  if (!options.connectAware && extra.connect) { log.push(`${where}: Connect item filtered, connectAware is off`); return { issues: [] }; }
  if (!match(inst.tags)) { log.push(`${where}: pruned by constraints`); return { issues: [] }; }
  if (!includesStatus(options.strictChecks, inst.status)) { log.push(`${where}: status "${inst.status}" not in strictChecks`); return { issues: [] }; }

  const decoded = decodeDynamicLabels(inst.labels, options.prefix);
  const http = normalizeHTTP(decoded.configuration);
  if (decoded.errors.length > 0) {
    const items = itemsOf(http);
    const issues: PendingIssue[] = [];
    for (const err of decoded.errors) {
      for (const item of items.length ? items : [{ kind: 'service' as const, name: instanceName(inst, extra) }]) {
        issues.push({ ...item, severity: 'error', message: `${where}: ${describeLabelError(err)}; Traefik ignores everything this instance declares, so it is skipped` });
      }
    }
    log.push(`${where}: skipped, ${decoded.errors.length} label error(s)`);
    return { issues };
  }

  const issues: PendingIssue[] = [];
  const defaultName = instanceName(inst, extra);
  // TCP/UDP/TLS labels: Traefik builds them beside the HTTP part; tagway builds the HTTP part and says what it
  // left out. An instance with TCP/UDP labels and no HTTP label gets no default HTTP router in Traefik either.
  if (decoded.unsupported.length > 0) {
    const items = itemsOf(http);
    const keys = decoded.unsupported.map((u) => u.key).sort().join(', ');
    const reason = [...new Set(decoded.unsupported.map((u) => u.message))].join('; ');
    if (items.length === 0 && decoded.unsupported.some((u) => u.path === 'tcp' || u.path === 'udp')) {
      log.push(`${where}: TCP/UDP only, nothing for HTTP`);
      return { issues: [{ kind: 'service', name: defaultName, severity: 'error', message: `${where}: ${reason}: ${keys} are not built; with no HTTP label, Traefik builds no HTTP router or service for this instance either` }] };
    }
    for (const item of itemsOrDefault(items, inst)) {
      issues.push({ ...item, severity: 'warning', message: `${where}: ${reason}: ${keys} are not built (the instance's HTTP part is)` });
    }
  }
  // Keys Traefik ignores without a word (outside http/tcp/udp/tls): a warning, the instance still counts.
  for (const warning of decoded.warnings ?? []) {
    for (const item of itemsOrDefault(itemsOf(http), inst)) {
      issues.push({ ...item, severity: 'warning', message: `${where}: ${describeLabelError(warning)}` });
    }
  }
  if (Object.keys(http.services).length === 0) http.services[defaultName] = { loadBalancer: {} };
  for (const [svcName, svc] of Object.entries(http.services)) {
    const err = addServer(inst, svc, extra);
    if (err) {
      issues.push({ kind: 'service', name: svcName, severity: 'error', message: `${where}: ${options.prefix}.http.services.${svcName}.loadbalancer: ${err}; the instance is skipped` });
      return { issues };
    }
  }

  const serviceNames = Object.keys(http.services);
  if (Object.keys(http.routers).length === 0) {
    if (serviceNames.length > 1) log.push(`${where}: no default router, the instance declares ${serviceNames.length} services`);
    else http.routers[defaultName] = {};
  }
  for (const [routerName, router] of Object.entries(http.routers)) {
    if (!router.rule) {
      let text: string;
      try {
        text = rule({ Name: inst.name, Labels: inst.labels });
      } catch (err) {
        delete http.routers[routerName];
        issues.push({ kind: 'router', name: routerName, severity: 'error', message: `${where}: ${options.prefix}.http.routers.${routerName}.rule is not set and providers.consulCatalog.defaultRule failed: ${(err as Error).message}` });
        continue;
      }
      if (!text) {
        delete http.routers[routerName];
        issues.push({ kind: 'router', name: routerName, severity: 'error', message: `${where}: undefined rule (the default rule gave an empty string and ${options.prefix}.http.routers.${routerName}.rule is not set)` });
        continue;
      }
      router.rule = text;
      router.defaultRule = true;
    }
    if (!router.service) {
      if (serviceNames.length > 1) {
        delete http.routers[routerName];
        issues.push({ kind: 'router', name: routerName, severity: 'error', message: `${where}: could not define the service name for the router: too many services (${serviceNames.join(', ')}); set ${options.prefix}.http.routers.${routerName}.service` });
        continue;
      }
      router.service = serviceNames[0]!;
    }
  }
  if (sidecarTrap) issues.push(sidecarTrap);
  if (inst.kind === 'connect-proxy' && !extra.connect) {
    // A sidecar read from the plain catalog, as a service of its own (Traefik builds it like any other).
    for (const item of itemsOrDefault(itemsOf(http), inst)) {
      issues.push({ ...item, severity: 'warning', message: plainSidecarMessage(inst, options) });
    }
  }
  let connect: ConnectTarget | undefined;
  if (extra.connect) {
    // Traefik's connect_tls.go: every service of the instance goes through the transport of this namespace,
    // datacenter and service; its servers are the sidecars (https).
    const transport = connectTransportName(inst.namespace, inst.datacenter, inst.name);
    for (const svc of Object.values(http.services)) if (svc.loadBalancer) svc.loadBalancer.serversTransport = transport;
    connect = { transport, namespace: inst.namespace, datacenter: inst.datacenter, service: inst.name, services: serviceNames };
  }
  const fragment: Fragment = {
    root: normalize(`${inst.node}-${inst.name}-${inst.id}`), service: inst.name, instance: inst.id,
    configuration: { http },
  };
  return connect ? { fragment, issues, connect } : { fragment, issues };
}

/**
 * A Connect service is read from its sidecars' entries (`/v1/health/connect`), and Traefik reads their tags, not the
 * service's. When the sidecar_service sets tags of its own (the usual fix for the duplicated router, see
 * `plainSidecarMessage`), the parent's `<prefix>.*` tags are lost: with exposedByDefault=false the service is hidden.
 */
function connectSidecarTrap(inst: ServiceInstance, extra: Extra, options: BuildOptions): PendingIssue | undefined {
  const parent = inst.connect?.parentTags;
  if (!parent) return undefined;
  const head = `${options.prefix}.`.toLowerCase();
  const ours = (tags: readonly string[]): string[] => tags.filter((t) => t.toLowerCase().startsWith(head));
  const lost = ours(parent).filter((t) => !inst.tags.includes(t));
  if (lost.length === 0) return undefined;
  const sidecar = inst.connect!.sidecar;
  const hidden = !(extra.enable ?? options.exposedByDefault);
  const shown = JSON.stringify(inst.tags.length > 6 ? [...inst.tags.slice(0, 6), '…'] : inst.tags);
  const fix = `put the ${options.prefix}.* tags on the sidecar_service as well (with ${options.prefix}.consulcatalog.connect=true, so the sidecar's own catalog entry builds nothing)`;
  return {
    kind: 'service', name: normalize(inst.name), severity: hidden ? 'error' : 'warning',
    message: `Consul service "${inst.name}" is reached through its Connect sidecar "${sidecar}" (instance "${inst.id}"), and Traefik reads the sidecar's tags, not "${inst.name}"'s: the sidecar's tags ${shown} lack ${lost.slice(0, 4).join(', ')}${lost.length > 4 ? ', …' : ''}` +
      (hidden ? `, so with exposedByDefault=false the service is hidden; ${fix}` : `; what they declare is not built; ${fix}`),
  };
}

/** A connect-proxy built as a plain service: the duplicate of its parent's routers, and an mTLS port spoken to in clear. */
function plainSidecarMessage(inst: ServiceInstance, options: BuildOptions): string {
  const parent = inst.proxyDestination ?? inst.name.replace(/-sidecar-proxy$/, '');
  return `Consul service "${inst.name}", instance "${inst.id}", is the Connect sidecar of "${parent}" (Kind connect-proxy): Consul and Nomad copy the parent's tags to a sidecar_service that sets none, so Traefik builds it as a plain HTTP service to its mTLS port (which refuses it) and any router both declare is defined twice and dropped; ` +
    `mark "${parent}" as a Connect service (tag ${options.prefix}.consulcatalog.connect=true, or connectByDefault=true, with connectAware=true): the sidecar's copy then builds nothing and "${parent}" is routed through its sidecars with mTLS`;
}

/**
 * Traefik keys each instance's configuration by normalize(node-name-ID): two instances with the same key (the same
 * service ID registered twice on one node) leave only the last one. Same here, with a warning naming both.
 */
function lastPerKey(fragments: Fragment[], pending: PendingIssue[]): Fragment[] {
  const byRoot = new Map<string, Fragment>();
  for (const frag of fragments) {
    const earlier = byRoot.get(frag.root);
    if (earlier) {
      byRoot.delete(frag.root);
      for (const item of itemsOf(earlier.configuration.http)) {
        pending.push({ ...item, severity: 'warning', message: `Consul service "${frag.service}": two instances with ID "${frag.instance}" on one node share Traefik's key "${frag.root}"; only the last one counts, the earlier one contributes nothing` });
      }
    }
    byRoot.set(frag.root, frag);
  }
  return byRoot.size === fragments.length ? fragments : [...byRoot.values()];
}

function includesStatus(strictChecks: readonly string[], status: string): boolean {
  return strictChecks.some((s) => s.toLowerCase() === 'any' || s.toLowerCase() === status.toLowerCase());
}

/** Traefik's `addServer` plus `server.url` (kept as given) and the load-balancer defaults. */
function addServer(inst: ServiceInstance, svc: Service, extra: Extra): string | undefined {
  const lb = svc.loadBalancer;
  if (!lb) return 'load-balancer is not defined';
  lb.strategy ??= 'wrr';
  lb.passHostHeader ??= true;
  lb.responseForwarding ??= { flushInterval: '100ms' };
  const first = { ...(lb.servers?.[0] ?? {}) };
  if (!inst.address) return 'address is missing';
  if (first.url) {
    if (first.scheme || first.port) return 'defining scheme or port is not allowed when URL is defined (Traefik skips the instance)';
  } else {
    const port = first.port || inst.port;
    const scheme = extra.connect ? 'https' : first.scheme || 'http';
    delete first.port;
    delete first.scheme;
    if (!port) return 'port is missing';
    first.url = `${scheme}://${joinHostPort(inst.address, port)}`;
  }
  lb.servers = [first, ...(lb.servers?.slice(1) ?? [])];
  return undefined;
}

/** Go's net.JoinHostPort: IPv6 literals go in brackets. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Traefik's `getName`: the normalized service name, or name-hash(sorted tags) for canaries. */
function instanceName(inst: ServiceInstance, extra: Extra): string {
  if (!extra.canary) return normalize(inst.name);
  return normalize(`${inst.name}-${fnv1Hash64([...inst.tags].sort().join(''))}`);
}

/** Go's hash/fnv New64 (FNV-1, 64 bits), printed in decimal like `%d`. */
function fnv1Hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    h = (h * prime) & 0xffffffffffffffffn;
    h ^= BigInt(byte);
  }
  return h.toString();
}

function normalizeHTTP(conf: Configuration | undefined): HTTPConfiguration {
  const http = conf?.http;
  return { routers: { ...(http?.routers ?? {}) }, services: { ...(http?.services ?? {}) }, middlewares: { ...(http?.middlewares ?? {}) } };
}

function itemsOf(http: HTTPConfiguration): Array<{ kind: ItemKind; name: string }> {
  return [
    ...Object.keys(http.routers).map((name) => ({ kind: 'router' as const, name })),
    ...Object.keys(http.services).map((name) => ({ kind: 'service' as const, name })),
    ...Object.keys(http.middlewares).map((name) => ({ kind: 'middleware' as const, name })),
  ];
}

function itemsOrDefault(items: Array<{ kind: ItemKind; name: string }>, inst: ServiceInstance): Array<{ kind: ItemKind; name: string }> {
  return items.length > 0 ? items : [{ kind: 'service', name: normalize(inst.name) }];
}

/** What these instances would have produced on their own: the items a service-level skip hides. */
function shadowItems(instances: ServiceInstance[], options: BuildOptions, rule: RuleTemplate): Array<{ kind: ItemKind; name: string }> {
  const seen = new Map<string, { kind: ItemKind; name: string }>();
  for (const inst of instances) {
    const extra = instanceExtra(inst, options);
    if (extra.errors.length) continue;
    const result = buildInstance(inst, { ...extra, enable: true }, { ...options, strictChecks: ['any'] }, rule, () => true, []);
    const http = result.fragment?.configuration.http;
    if (!http) continue;
    for (const item of itemsOf(http)) seen.set(`${item.kind}\0${item.name}`, item);
  }
  return [...seen.values()];
}

function describeLabelError(err: LabelError): string {
  // The key is cut: it may be a hostile tag of any length, and this text is repeated per item in the API.
  let text = `${err.key.length > 200 ? `${err.key.slice(0, 200)}…` : err.key}: ${err.message}`;
  if (err.suggestion && !/did you mean/i.test(err.message)) text += ` (did you mean "${err.suggestion}"?)`;
  return text;
}

function describeConflict(c: Conflict, prefix: string): string {
  const section = c.kind === 'router' ? 'routers' : c.kind === 'service' ? 'services' : 'middlewares';
  const key = `${prefix}.http.${section}.${c.name}${c.path ? '.' + c.path : ''}`;
  const services = [...new Set(c.contributors.map((x) => x.service))].map((s) => `"${s}"`).join(', ');
  const ids = c.contributors.map((x) => `"${x.instance}"`).join(', ');
  return `Consul service ${services}: instances ${ids} define ${c.kind} "${c.name}" differently ` +
    `(key ${key}: ${show(c.first)} on "${c.firstInstance}" vs ${show(c.other)} on "${c.otherInstance}"); ` +
    `Traefik drops the ${c.kind} entirely`;
}

function show(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}

function finalizeIssues(pending: PendingIssue[], http: HTTPConfiguration): ItemIssue[] {
  const seen = new Set<string>();
  const out: ItemIssue[] = [];
  for (const p of pending) {
    const key = `${p.kind}\0${p.name}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const table = p.kind === 'router' ? http.routers : p.kind === 'service' ? http.services : http.middlewares;
    out.push({ ...p, dropped: !Object.hasOwn(table, p.name) });
  }
  return out;
}

export { emptyConfiguration };
