import type { ServersLoadBalancer } from '../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../http/context.ts';
import { createBalancer, type Balancer } from './balancer/index.ts';
import { StickyCookie } from './balancer/sticky.ts';
import { silentProxyLogger, type ProxyLogger } from './errors.ts';
import { forward, upstreamFor } from './forward.ts';
import { GRPC_UNAVAILABLE, isGrpc, respondGrpc } from './grpc.ts';
import type { ForwardOptions, Upstream } from './upstream.ts';
import { HealthChecker, healthCheckSettings, type ServerHealth } from './healthcheck.ts';
import type { ForwardingTimeouts, H2Lease, PoolLease, PoolRegistry } from './pool.ts';
import { defaultTransport, upstreamScheme, type UpstreamTransport } from './transport.ts';

/** A built `loadBalancer` service: the request handler plus what the API and the runtime need. */
export interface ServiceHandler {
  /** Picks a server (sticky cookie, else the strategy over healthy servers) and forwards; 503 when none is up. */
  handle: Handler;
  /** Every configured server URL → 'UP' | 'DOWN' (Traefik's `serverStatus`). */
  serverStatus(): Record<string, 'UP' | 'DOWN'>;
  /** With active health checks: each server's last probe and last failure (the dashboard). */
  serverHealth(): Record<string, ServerHealth> | undefined;
  /** Stops health checks and releases the connection pools. Idempotent. */
  close(): void;
  /** Resolves when no health-check round is in flight (tests drive rounds with `mock.timers`). */
  settled(): Promise<void>;
  /**
   * Traefik's `healthcheck.StatusUpdater`: `fn` hears when the service switches between "some server up" and
   * "none" (weighted and failover parents with `healthCheck` follow their children this way). Returns how to stop
   * listening, or an Error when the service has no health check to report from.
   */
  registerStatusUpdater?(fn: (up: boolean) => void): (() => void) | Error;
}

export interface ServiceHandlerOptions {
  /** Pools shared by every service (one per upstream origin). */
  pools: PoolRegistry;
  /**
   * How connections to the servers are made (the service's `serversTransport`, resolved). Default: Traefik's
   * `default@internal` with `forwardingTimeouts`.
   */
  transport?: UpstreamTransport;
  /** Upstream-side timeouts in ms for the default transport (ignored when `transport` is given). */
  forwardingTimeouts?: ForwardingTimeouts;
  /** Run the active health checks of `loadBalancer.healthCheck` (default true). */
  healthChecks?: boolean;
  logger?: ProxyLogger;
  /**
   * Defer the pools, upstreams and balancer of a plain service (no active health check, no sticky cookie) to its
   * first request: a catalog of 5,000 services starts routing without building 5,000 balancers and 15,000
   * upstreams first (issue 17). The definition is still checked now, so its errors show when it is built.
   */
  lazy?: boolean;
}

/**
 * Builds the handler of one `loadBalancer` service, with Traefik v3 semantics: `strategy` `wrr` (the default:
 * smooth WRR over `servers`, `weight` default 1, ≤ 0 never picked) or `p2c` (power of two random choices on
 * requests in flight, weights ignored), optional sticky cookie, `passHostHeader`
 * (default true), `preservePath` per server, active health checks taking servers out and back in.
 *
 * @throws {Error} naming the service and the server when a server URL is missing or invalid, the strategy is
 *   unknown or unsupported, or a health-check duration cannot be parsed (the runtime attaches it to the service).
 * @example
 * const svc = createServiceHandler('whoami@file', {
 *   servers: [{ url: 'http://10.0.0.1:80' }, { url: 'http://10.0.0.2:80', weight: 2 }],
 *   healthCheck: { path: '/health', interval: '10s' },
 * }, { pools });
 * route.handler = svc.handle;
 * // on reload: svc.close();
 */
export function createServiceHandler(name: string, lb: ServersLoadBalancer, options: ServiceHandlerOptions): ServiceHandler {
  if (options.lazy && !(lb.healthCheck && options.healthChecks !== false) && !lb.sticky?.cookie) return lazyServiceHandler(name, lb, options);
  const logger = options.logger ?? silentProxyLogger;
  const transport = options.transport ?? defaultTransport(options.forwardingTimeouts);
  const timeouts = transport.timeouts;
  let balancer: Balancer<Upstream>;
  try {
    balancer = createBalancer<Upstream>(lb.strategy);
  } catch (cause) {
    throw new Error(`service "${name}": ${(cause as Error).message}`, { cause });
  }
  const status = new Map<string, boolean>();
  const updaters = new Set<(up: boolean) => void>();
  const leases: Array<PoolLease | H2Lease> = [];
  const upstreams: Upstream[] = [];
  const balanced: string[] = [];
  let checker: HealthChecker | undefined;
  let sticky: StickyCookie | undefined;
  try {
    for (const server of lb.servers ?? []) {
      const { url, scheme } = checkServer(name, server);
      if (status.has(server.url!)) continue; // the same URL twice is one server
      const lease = options.pools.acquire(`${scheme === 'h2c' ? 'http' : scheme}://${url.host}`, transport);
      leases.push(lease);
      let h2: H2Lease | undefined;
      if (scheme === 'h2c' || (scheme === 'https' && transport.http2)) {
        h2 = options.pools.acquireH2(url, transport);
        leases.push(h2);
      }
      const plain = upstreamFor(server.url!, server.preservePath ?? false, lease.pool, h2?.h2, url);
      const upstream = transport.mesh ? { ...plain, mesh: transport.mesh } : plain;
      upstreams.push(upstream);
      if (balancer.add(upstream.name, upstream, server.weight ?? 1)) balanced.push(upstream.name);
      status.set(upstream.name, true);
    }
    if (lb.sticky?.cookie) {
      sticky = new StickyCookie(lb.sticky.cookie, name);
      for (const server of balanced) sticky.add(server);
    }
    if (lb.healthCheck && options.healthChecks !== false) {
      const settings = healthCheckSettings(lb.healthCheck);
      if (lb.healthCheck.mode && !['http', 'grpc'].includes(lb.healthCheck.mode.toLowerCase())) {
        logger.warn(`health check mode "${lb.healthCheck.mode}" is not supported by tagway; servers of this service stay UP`, { service: name });
      } else {
        const setStatus = (server: string, up: boolean): void => {
          status.set(server, up);
          if (balancer.setStatus(server, up)) for (const fn of [...updaters]) fn(up);
        };
        checker = new HealthChecker(settings, upstreams.map((u) => ({ name: u.name, url: u.url, transport })), setStatus, { logger, service: name });
      }
    }
  } catch (err) {
    for (const l of leases) l.release();
    throw err;
  }
  checker?.start();

  const forwardOptions: ForwardOptions = {
    passHostHeader: lb.passHostHeader ?? true,
    responseHeaderTimeout: timeouts.responseHeaderTimeout,
    pools: options.pools,
    logger,
  };
  const noServerHeaders = { 'x-content-type-options': 'nosniff' };
  let closed = false;

  return {
    handle: function serviceHandler(ctx: RequestContext): void {
      let upstream: Upstream | undefined;
      let cookie: string | undefined;
      if (sticky !== undefined) {
        const match = sticky.lookup(ctx.headers.cookie);
        if (match !== undefined) {
          upstream = balancer.take(match.server, ctx);
          if (upstream !== undefined && match.rewrite) cookie = sticky.setCookieFor(match.server);
        }
      }
      if (upstream === undefined) {
        upstream = balancer.next(ctx);
        if (upstream === undefined) {
          if (isGrpc(ctx.headers)) respondGrpc(ctx, GRPC_UNAVAILABLE, 'no available server');
          else respond(ctx, 503, 'no available server\n', noServerHeaders);
          return;
        }
        if (sticky !== undefined) cookie = sticky.setCookieFor(upstream.name);
      }
      forward(ctx, upstream, forwardOptions, cookie);
    },
    serverStatus(): Record<string, 'UP' | 'DOWN'> {
      const out: Record<string, 'UP' | 'DOWN'> = {};
      for (const [server, up] of status) out[server] = up ? 'UP' : 'DOWN';
      return out;
    },
    serverHealth(): Record<string, ServerHealth> | undefined {
      return checker?.health();
    },
    close(): void {
      if (closed) return;
      closed = true;
      checker?.stop();
      for (const l of leases) l.release();
    },
    settled(): Promise<void> {
      return checker?.settled() ?? Promise.resolve();
    },
    registerStatusUpdater(fn: (up: boolean) => void): (() => void) | Error {
      if (checker === undefined) return new Error(`healthCheck not enabled in config for service "${name}"`);
      updaters.add(fn);
      return () => { updaters.delete(fn); };
    },
  };
}

/** A server's URL, parsed, and its scheme; throws what the service's build reports (no url, invalid, wrong scheme). */
function checkServer(name: string, server: { url?: string }): { url: URL; scheme: NonNullable<ReturnType<typeof upstreamScheme>> } {
  if (!server.url) throw new Error(`service "${name}": a server has no url (set loadBalancer.servers[].url)`);
  let url: URL;
  try {
    url = new URL(server.url);
  } catch (cause) {
    throw new Error(`service "${name}": invalid server URL "${server.url}" (expected e.g. http://10.0.0.7:8080)`, { cause });
  }
  const scheme = upstreamScheme(url);
  if (scheme === undefined) throw new Error(`service "${name}": server URL "${server.url}" must use http, https or h2c`);
  return { url, scheme };
}

/**
 * A server URL's scheme when `url` is valid, checked without making a `URL` (5,000 services: 15,000 objects less at
 * build time); undefined when only a full parse can tell (then `checkServer` parses it and reports).
 */
function quickScheme(url: string | undefined): ReturnType<typeof upstreamScheme> | 'other' | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const colon = url.indexOf(':');
  // The scheme as the URL parser reads it, when it is plain ASCII from the first character (no space or tab to strip).
  if (colon < 1 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon))) return undefined;
  switch (url.slice(0, colon).toLowerCase()) {
    case 'http': return 'http';
    case 'https': return 'https';
    case 'h2c': return 'h2c';
    default: return 'other';
  }
}

/**
 * `createServiceHandler` with `lazy` for a plain service: the definition is checked now (the same errors), the
 * handler itself is made by the first request. Until then the service holds no pool; its servers are all UP
 * (nothing takes one out without a health check). A request that comes after `close()` (in flight on the previous
 * table) is served by a handler made for it and closed behind it, so no pool stays held.
 */
function lazyServiceHandler(name: string, lb: ServersLoadBalancer, options: ServiceHandlerOptions): ServiceHandler {
  if (lb.strategy !== undefined && lb.strategy !== '' && lb.strategy !== 'wrr') {
    try {
      createBalancer(lb.strategy);
    } catch (cause) {
      throw new Error(`service "${name}": ${(cause as Error).message}`, { cause });
    }
  }
  for (const server of lb.servers ?? []) {
    const scheme = quickScheme(server.url);
    if (scheme === undefined || scheme === 'other') checkServer(name, server);
  }
  return new LazyServiceHandler(name, lb, options);
}

class LazyServiceHandler implements ServiceHandler {
  readonly #name: string;
  readonly #lb: ServersLoadBalancer;
  readonly #options: ServiceHandlerOptions;
  #live: ServiceHandler | undefined;
  #closed = false;
  /** The route's handler (called unbound). */
  readonly handle: Handler;

  constructor(name: string, lb: ServersLoadBalancer, options: ServiceHandlerOptions) {
    this.#name = name;
    this.#lb = lb;
    this.#options = options;
    this.handle = (ctx) => this.#handle(ctx);
  }

  #make(): ServiceHandler { return createServiceHandler(this.#name, this.#lb, { ...this.#options, lazy: false }); }

  #handle(ctx: RequestContext): void {
    if (this.#live !== undefined) { this.#live.handle(ctx); return; }
    if (!this.#closed) { (this.#live = this.#make()).handle(ctx); return; }
    const once = this.#make();
    once.handle(ctx);
    once.close();
  }

  serverStatus(): Record<string, 'UP' | 'DOWN'> {
    if (this.#live !== undefined) return this.#live.serverStatus();
    const out: Record<string, 'UP' | 'DOWN'> = {};
    for (const server of this.#lb.servers ?? []) out[server.url!] = 'UP';
    return out;
  }

  serverHealth(): undefined { return undefined; }

  close(): void {
    this.#closed = true;
    this.#live?.close();
  }

  settled(): Promise<void> { return Promise.resolve(); }

  registerStatusUpdater(): Error { return new Error(`healthCheck not enabled in config for service "${this.#name}"`); }
}
