import type { Service, ServersTransport } from '../dynamic/types.ts';
import { providerOf, qualify } from '../dynamic/aggregate.ts';
import type { ServiceInfo } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import { createServiceHandler, type ServiceHandler } from '../proxy/service.ts';
import type { ForwardingTimeouts, PoolRegistry } from '../proxy/pool.ts';
import { createTransport, defaultTransport, type UpstreamTransport } from '../proxy/transport.ts';
import type { ServerHealth } from '../proxy/healthcheck.ts';

/** Where route handlers for services come from: the live registry, or a dry one for `tagway check`. */
export interface ServiceSource { get(name: string, service: Service): Handler | Error }

/** What the API shows for a service: its definition, its type (internal ones have none, as in Traefik), enabled. */
export function serviceInfo(name: string, service: Service): ServiceInfo {
  const provider = providerOf(name);
  return { ...service, name, provider, type: provider === 'internal' ? '' : service.weighted ? 'weighted' : 'loadbalancer', status: 'enabled', usedBy: [] };
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
  #live = new Map<string, { json: string; handler: ServiceHandler }>();
  #next = new Map<string, { json: string; handler: ServiceHandler }>();

  /** `forwardingTimeouts`: the static `serversTransport.forwardingTimeouts`, in ms, for every service. */
  constructor(pools: PoolRegistry, forwardingTimeouts?: ForwardingTimeouts) {
    this.#pools = pools;
    this.#default = defaultTransport(forwardingTimeouts);
  }

  /**
   * The `serversTransports` of the configuration about to be built (qualified names). Call before the build's
   * `get`s; a service whose transport changed is rebuilt (its pools follow the new settings).
   */
  useTransports(transports: Record<string, ServersTransport> | undefined): void {
    this.#transports = transports ?? {};
  }

  /** The transport a service names (qualified by the service's provider when unqualified), or its error. */
  #transportFor(name: string, ref: string | undefined): { json: string; transport: UpstreamTransport | Error } {
    if (ref === undefined || ref === '' || ref === 'default@internal') return { json: '', transport: this.#default };
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

  /** Handler for a service of the configuration being built (only load balancers route here). */
  get(name: string, service: Service): Handler | Error {
    const resolved = this.#transportFor(name, service.loadBalancer?.serversTransport);
    if (resolved.transport instanceof Error) return resolved.transport;
    const json = JSON.stringify(service) + resolved.json;
    const pending = this.#next.get(name);
    if (pending) return pending.handler.handle;
    const live = this.#live.get(name);
    if (live && live.json === json) { this.#next.set(name, live); return live.handler.handle; }
    if (!service.loadBalancer) return new Error('only loadBalancer services are supported by tagway');
    try {
      const handler = createServiceHandler(name, service.loadBalancer, { pools: this.#pools, healthChecks: true, transport: resolved.transport });
      this.#created++;
      this.#next.set(name, { json, handler });
      return handler.handle;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
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
      return;
    }
    for (const [name, entry] of this.#next) {
      const live = this.#live.get(name);
      if (live !== undefined && live !== entry) live.handler.close();
      this.#live.set(name, entry);
    }
    for (const name of released) {
      if (this.#next.has(name)) continue;
      this.#live.get(name)?.handler.close();
      this.#live.delete(name);
    }
    this.#next = new Map();
  }

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

  close(): void {
    for (const entry of this.#live.values()) entry.handler.close();
    this.#live.clear();
    this.abort();
  }
}
