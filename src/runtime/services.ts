import type { Service, ServersTransport } from '../dynamic/types.ts';
import { providerOf, qualify } from '../dynamic/aggregate.ts';
import type { ServiceInfo } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import { createServiceHandler, type ServiceHandler } from '../proxy/service.ts';
import type { ForwardingTimeouts, PoolRegistry } from '../proxy/pool.ts';
import { createTransport, defaultTransport, type UpstreamTransport } from '../proxy/transport.ts';
import type { MeshIdentity } from '../proxy/mesh.ts';
import type { ServerHealth } from '../proxy/healthcheck.ts';
import type { ChildService } from '../proxy/composite/child.ts';
import { createFailoverService } from '../proxy/composite/failover.ts';
import { createMirroringService } from '../proxy/composite/mirroring.ts';
import { createWeightedService } from '../proxy/composite/weighted.ts';

/**
 * A built service of the registry; `id` changes whenever the instance does (parents key on their children's). It is
 * kept while its definition is the same object (or, else, the same JSON) with the same `extra` (transport, children).
 */
interface Entry { def: Service; extra: string; key?: string; handler: ServiceHandler; id: number }

/** The definition's JSON, made only when a new definition object must be compared with it. */
const keyOf = (e: Entry): string => (e.key ??= JSON.stringify(e.def) + e.extra);

/**
 * Where route handlers for services come from: the live registry, or a dry one for `tagway check`.
 * `definitions` (the configuration's services, qualified) lets weighted, mirroring and failover services find
 * their children.
 */
export interface ServiceSource { get(name: string, service: Service, definitions?: Readonly<Record<string, Service>>): Handler | Error }

/** What the API shows for a service: its definition, its type (internal ones have none, as in Traefik), enabled. */
export function serviceInfo(name: string, service: Service): ServiceInfo {
  const provider = providerOf(name);
  const type = provider === 'internal' ? '' : service.weighted ? 'weighted' : service.mirroring ? 'mirroring' : service.failover ? 'failover' : 'loadbalancer';
  return { ...service, name, provider, type, status: 'enabled', usedBy: [] };
}

/**
 * Live service handlers, keyed by qualified name. A service whose definition did not change keeps
 * its handler across reloads (health-check state, WRR position, sticky mapping, pools); a changed or
 * removed one is closed after the swap.
 */
export class ServiceRegistry implements ServiceSource {
  readonly #pools: PoolRegistry;
  readonly #default: UpstreamTransport;
  #transports: Record<string, ServersTransport> = {};
  #built = new Map<string, { json: string; transport: UpstreamTransport | Error }>();
  #live = new Map<string, Entry>();
  #next = new Map<string, Entry>();
  /** Services being built right now (weighted → child → …), to refuse a service that contains itself. */
  #building: string[] = [];
  #ids = 0;
  /** Consul Connect: the mesh identity of each service's transport (for the API). */
  #mesh = new Map<string, MeshIdentity>();
  /** Live services whose API record can change without a build: health-checked servers, a mesh identity. */
  #changing = new Set<string>();

  /** `forwardingTimeouts`: the static `serversTransport.forwardingTimeouts`, in ms, for every service. */
  constructor(pools: PoolRegistry, forwardingTimeouts?: ForwardingTimeouts) {
    this.#pools = pools;
    this.#default = defaultTransport(forwardingTimeouts);
    this.#defaultResolved = { json: '', transport: this.#default };
  }

  /** What most services name: no serversTransport (one object for all of them). */
  readonly #defaultResolved: { json: string; transport: UpstreamTransport };

  /**
   * The `serversTransports` of the configuration about to be built (qualified names). Call before the build's
   * `get`s; a service whose transport changed is rebuilt (its pools follow the new settings).
   */
  useTransports(transports: Record<string, ServersTransport> | undefined): void {
    this.#transports = transports ?? {};
  }

  /** The transport a service names (qualified by the service's provider when unqualified), or its error. */
  #transportFor(name: string, ref: string | undefined): { json: string; transport: UpstreamTransport | Error } {
    if (ref === undefined || ref === '' || ref === 'default@internal') return this.#defaultResolved;
    const qualified = qualify(ref, providerOf(name));
    const def = this.#transports[qualified];
    if (def === undefined) {
      return { json: `missing:${qualified}`, transport: new Error(`serversTransport "${qualified}" not found (declare it under http.serversTransports in the file provider and name it "<name>@file")`) };
    }
    const json = JSON.stringify(def);
    const cached = this.#built.get(qualified);
    if (cached && cached.json === json) return cached;
    let transport: UpstreamTransport | Error;
    try {
      transport = createTransport(qualified, def);
    } catch (err) {
      transport = err as Error;
    }
    const entry = { json, transport };
    this.#built.set(qualified, entry);
    return entry;
  }

  /** Handler for a service of the configuration being built. */
  get(name: string, service: Service, definitions: Readonly<Record<string, Service>> = {}): Handler | Error {
    const entry = this.#entry(name, service, definitions);
    return entry instanceof Error ? entry : entry.handler.handle;
  }

  #entry(name: string, service: Service, definitions: Readonly<Record<string, Service>>): Entry | Error {
    const pending = this.#next.get(name);
    if (pending) return pending;
    if (this.#building.includes(name)) {
      return new Error(`service "${name}" contains itself: ${[...this.#building.slice(this.#building.indexOf(name)), name].join(' -> ')}`);
    }
    this.#building.push(name);
    try {
      return service.loadBalancer ? this.#loadBalancer(name, service) : this.#composite(name, service, definitions);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      this.#building.pop();
    }
  }

  #loadBalancer(name: string, service: Service): Entry | Error {
    const resolved = this.#transportFor(name, service.loadBalancer?.serversTransport);
    if (resolved.transport instanceof Error) return resolved.transport;
    const mesh = (resolved.transport as UpstreamTransport).mesh;
    if (mesh) this.#mesh.set(name, mesh); else this.#mesh.delete(name);
    return this.#keep(name, service, resolved.json, () => createServiceHandler(name, service.loadBalancer!, { pools: this.#pools, healthChecks: true, lazy: true, transport: resolved.transport as UpstreamTransport }));
  }

  /**
   * weighted, mirroring and failover: their children first (qualified with the parent's provider), then the
   * parent, kept across reloads while its definition and its children's instances are the same.
   */
  #composite(name: string, service: Service, definitions: Readonly<Record<string, Service>>): Entry | Error {
    const provider = providerOf(name);
    const child = (ref: string | undefined, role: string): ChildService => {
      if (!ref) throw new Error(`service "${name}": ${role} has no service name`);
      const qualified = provider ? qualify(ref, provider) : ref;
      const def = definitions[qualified];
      if (def === undefined) throw new Error(`service "${name}": ${role} "${qualified}" does not exist`);
      const got = this.#entry(qualified, def, definitions);
      if (got instanceof Error) throw new Error(`service "${name}": ${role} "${qualified}": ${got.message}`, { cause: got });
      return { name: qualified, handler: got.handler, id: got.id } as ChildService & { id: number };
    };
    const ids = (children: ChildService[]): string => ':' + children.map((c) => (c as ChildService & { id: number }).id).join(',');
    if (service.weighted) {
      const cfg = service.weighted;
      const children = (cfg.services ?? []).map((ref, i) => child(ref.name, `services[${i}]`));
      return this.#keep(name, service, ids(children), () => createWeightedService(name, cfg, children));
    }
    if (service.mirroring) {
      const cfg = service.mirroring;
      const main = child(cfg.service, 'service');
      const mirrors = (cfg.mirrors ?? []).map((ref, i) => child(ref.name, `mirrors[${i}]`));
      return this.#keep(name, service, ids([main, ...mirrors]), () => createMirroringService(name, cfg, main, mirrors));
    }
    if (service.failover) {
      const cfg = service.failover;
      const main = child(cfg.service, 'service');
      const fallback = child(cfg.fallback, 'fallback');
      return this.#keep(name, service, ids([main, fallback]), () => createFailoverService(name, cfg, main, fallback));
    }
    return new Error('the service has no type (set one of loadBalancer, weighted, mirroring, failover)');
  }

  /** The live instance when its definition and `extra` are unchanged, else a new one from `build`; either way the one of this build. */
  #keep(name: string, def: Service, extra: string, build: () => ServiceHandler): Entry {
    const live = this.#live.get(name);
    if (live && live.extra === extra && (live.def === def || keyOf(live) === JSON.stringify(def) + extra)) { this.#next.set(name, live); return live; }
    const entry: Entry = { def, extra, handler: build(), id: ++this.#ids };
    this.#created++;
    this.#next.set(name, entry);
    return entry;
  }

  /**
   * Makes the services of the last build the live ones. A full build (no argument) closes what it no longer
   * uses; an incremental one swaps in what it built and closes the services in `released` (no router holds
   * them any more), every other live service staying as it is.
   */
  commit(released?: Iterable<string>): void {
    if (released === undefined) {
      for (const [name, entry] of this.#live) {
        if (this.#next.get(name) !== entry) entry.handler.close();
      }
      this.#live = this.#next;
      this.#next = new Map();
      this.#changing.clear();
      for (const [name, entry] of this.#live) this.#follow(name, entry);
      return;
    }
    for (const [name, entry] of this.#next) {
      const live = this.#live.get(name);
      if (live !== undefined && live !== entry) live.handler.close();
      this.#live.set(name, entry);
      this.#follow(name, entry);
    }
    for (const name of released) {
      if (this.#next.has(name)) continue;
      this.#live.get(name)?.handler.close();
      this.#live.delete(name);
      this.#changing.delete(name);
    }
    this.#next = new Map();
  }

  #follow(name: string, entry: Entry): void {
    if (entry.handler.serverHealth() !== undefined || this.#mesh.has(name)) this.#changing.add(name); else this.#changing.delete(name);
  }

  /**
   * The live services whose server status or mesh identity can change between builds (health checks, Connect):
   * the only ones the API needs to look at again when no build happened.
   */
  changing(): ReadonlySet<string> { return this.#changing; }

  /** How many service handlers were created since the registry started (tests count what a change costs). */
  get created(): number { return this.#created; }
  #created = 0;

  /** Drops an uncommitted build (its new handlers are closed). */
  abort(): void {
    for (const [name, entry] of this.#next) if (this.#live.get(name) !== entry) entry.handler.close();
    this.#next = new Map();
  }

  serverStatus(name: string): Record<string, 'UP' | 'DOWN'> | undefined {
    return this.#live.get(name)?.handler.serverStatus();
  }

  serverHealth(name: string): Record<string, ServerHealth> | undefined {
    return this.#live.get(name)?.handler.serverHealth();
  }

  /** Consul Connect: the identities of a live service's transport and its last refusal. */
  connect(name: string): ServiceInfo['connect'] {
    const mesh = this.#live.has(name) ? this.#mesh.get(name) : undefined;
    if (!mesh) return undefined;
    return { expectedIdentity: mesh.expected, ...(mesh.self ? { identity: mesh.self } : {}), ...(mesh.lastRefusal ? { lastRefusal: { ...mesh.lastRefusal } } : {}) };
  }


  close(): void {
    for (const entry of this.#live.values()) entry.handler.close();
    this.#live.clear();
    this.abort();
  }
}
