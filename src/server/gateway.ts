import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { OverviewSource, RuntimeState } from '../dynamic/runtime.ts';
import type { StaticConfig } from '../static/types.ts';
import type { Provider, ProviderStatus } from '../providers/provider.ts';
import type { Handler, RequestContext } from '../http/context.ts';
import { respond } from '../http/context.ts';
import { responseForUpgrade } from '../proxy/upgrade.ts';
import { PoolRegistry } from '../proxy/pool.ts';
import type { RouteTable } from '../routing/index.ts';
import { mergeObservability } from '../observability/merge.ts';
import { shouldTrace } from '../observability/decision.ts';
import { createTracing, type Tracing } from '../observability/tracing.ts';
import { tracingDisabled } from '../observability/settings.ts';
import { TrustedNetworks } from '../util/ipnet.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { newRequestContext, type EntryPointInfo } from '../http/request-context.ts';
import { pathPolicy, refuseHead, refuseRoute } from '../http/sanitize.ts';
import { RuntimeStage } from '../runtime/stage.ts';
import type { BuildResult } from '../runtime/build.ts';
import type { Route } from '../http/route.ts';
import type { RequestObserver } from '../http/observer.ts';
import { internalMessage, redirectPort } from '../providers/internal.ts';
import { listen } from './listen.ts';
import { guardHttp2Server, guardHttpServer, httpServerOptions } from './http-options.ts';
import { createInternalServices } from './admin/app.ts';
import type { GatewayView } from './admin/view.ts';
import { createEntryPointServers, tlsInfo } from './entrypoint.ts';
import type { Http2Session } from 'node:http2';
import type { Server as NetServer } from 'node:net';
import type { TlsTable } from '../tls/table.ts';
import { defaultProviders } from './providers.ts';
import { VERSION_INFO } from './admin/version.ts';
import { Metrics } from '../metrics/index.ts';
import { AccessLog } from '../accesslog/index.ts';
import { TrafficStore } from '../metrics/traffic.ts';
import type { ServerHealth } from '../proxy/healthcheck.ts';
import { acmeHttpHandler, createAcme, type Acme } from '../tls/acme/index.ts';
import { consulAcmeShared } from '../tls/acme/consul.ts';


export interface GatewayOptions {
  config: StaticConfig;
  /** Providers to run; default: those the static configuration enables. */
  providers?: Provider[];
  logger?: Logger;
  observers?: RequestObserver[];
  env?: Record<string, string | undefined>;
  /** Where access-log lines go when accessLog.filePath is unset (default stdout). */
  accessLogWrite?: (line: string) => void;
  /** Where provider statuses come from when the providers run elsewhere (a cluster worker). */
  statusSource?: () => ProviderStatus[];
  /** Where the API reads live traffic when it is summed elsewhere (a cluster worker: the primary's sums). */
  trafficView?: TrafficStore;
  /** Default providers only: the Consul Catalog provider on a worker thread, off the serving loop (default true). */
  providerThread?: boolean;
  /** OTLP exports posted from a worker thread (true) or the serving loop (false); default: the static `tracing.exportThread` (false). */
  exportThread?: boolean;
}

export interface EntryPointRuntime {
  name: string; address: string; host: string; port: number;
  /** HTTP/1.1 (cleartext and TLS); `listener` accepts, `sessions` are the open HTTP/2 connections. */
  server: Server;
  listener: NetServer;
  sessions: Set<Http2Session>;
}

/**
 * A running gateway: entry-point servers, providers feeding one aggregated configuration, and the
 * compiled route tables swapped whole on each change.
 */
export class Gateway extends EventEmitter implements GatewayView {
  readonly config: StaticConfig;
  readonly log: Logger;
  readonly startDate = new Date();
  readonly tracing: Tracing | undefined;
  readonly entryPoints = new Map<string, EntryPointRuntime>();
  readonly providers: Provider[];
  readonly metrics: Metrics | undefined;
  readonly accessLog: AccessLog | undefined;
  /** This process's live traffic per router and service (with the API on: the dashboard reads it). */
  readonly trafficRecorder: TrafficStore | undefined;
  /** What the API shows: this process's traffic, or the cluster's sums in a worker. */
  readonly traffic: TrafficStore | undefined;
  #tables = new Map<string, RouteTable<Route>>();
  #tlsTables = new Map<string, RouteTable<Route>>();
  #tls: TlsTable | undefined;
  #pools = new PoolRegistry();
  #runtime: RuntimeStage;
  #observers: RequestObserver[];
  #abort = new AbortController();
  #reloads = 0;
  #lastReloadAt: number | undefined;
  #sockets = new Set<Socket>();
  /** Sockets that arrived as upgrade requests; once detached from their response they are tunnels. */
  #upgraded = new WeakSet<Socket>();
  #closing: Promise<void> | undefined;
  /** Settles once every provider has stopped (a provider thread: once it has ended). */
  #providing: Promise<void> = Promise.resolve();
  /** Set once close() stops accepting: every answer from then on carries `Connection: close`. */
  #draining = false;
  #statusSource: (() => ProviderStatus[]) | undefined;
  /** ACME resolvers (providers of certificates) and their challenge answers. */
  readonly #acme: Acme;

  constructor(options: GatewayOptions) {
    super();
    this.config = options.config;
    this.log = options.logger ?? createLogger({ level: options.config.log.level, format: options.config.log.format });
    // OTEL_SDK_DISABLED=true: as if there were no tracing section (trace headers pass through untouched)
    this.tracing = options.config.tracing && !tracingDisabled(options.env ?? process.env) ? createTracing(options.config.tracing, { version: VERSION_INFO.Version, env: options.env ?? process.env, logger: this.log, exportThread: options.exportThread }) : undefined;
    const config = options.config;
    this.metrics = config.metrics?.prometheus
      ? new Metrics(config.metrics.prometheus, { state: () => this.state(), entryPointMetrics: (ep) => config.entryPoints[ep]?.observability.metrics !== false })
      : undefined;
    this.accessLog = config.accessLog ? new AccessLog(config.accessLog, { write: options.accessLogWrite }) : undefined;
    this.trafficRecorder = config.api ? new TrafficStore() : undefined;
    this.traffic = options.trafficView ?? this.trafficRecorder;
    this.#observers = [...(options.observers ?? []), ...(this.accessLog ? [this.accessLog] : []), ...(this.metrics ? [this.metrics] : []),
      ...(this.trafficRecorder ? [this.trafficRecorder] : [])];
    this.#acme = createAcme(config, { log: this.log, env: options.env ?? process.env, shared: consulAcmeShared(config, this.log) });
    this.providers = [...(options.providers ?? defaultProviders(options.config, this.log, { thread: options.providerThread ?? true })), ...this.#acme.resolvers];
    this.#statusSource = options.statusSource;
    this.#runtime = new RuntimeStage({
      entryPoints: config.entryPoints,
      throttleMs: config.providers.providersThrottleDuration,
      precedence: config.providers.precedence,
      pools: this.#pools,
      forwardingTimeouts: config.serversTransport?.forwardingTimeouts,
      internalServices: new Map([...createInternalServices(this), ['acme-http@internal', acmeHttpHandler(this.#acme.board)]]),
      log: this.log,
      onApply: (result) => this.#apply(result),
    });
  }

  /** Starts listening and the providers. Resolves once every entry point listens. */
  async start(): Promise<void> {
    for (const [name, ep] of Object.entries(this.config.entryPoints)) {
      const server = createServer(httpServerOptions(ep));
      guardHttpServer(server, ep, this.log, name);
      // One port for cleartext HTTP/1.1 and h2c and for TLS (HTTP/1.1 and h2 by ALPN), as Traefik.
      const eps = createEntryPointServers(server, {
        maxConcurrentStreams: ep.http2.maxConcurrentStreams,
        handshakeTimeout: ep.transport.respondingTimeouts.readTimeout,
        chooseHandshake: (hello) => {
          const acme = this.#acme.handshake(hello); // TLS-ALPN-01 validations first
          return acme !== undefined ? acme : this.#tlsTable().handshake(name, hello);
        },
        onError: (message, error) => this.log.error(message, { entryPoint: name, error: error?.message }),
      });
      const bound = await listen(eps.listener, ep.address, `entry point "${name}"`).catch(async (err) => { await this.close(); throw err; });
      const info: EntryPointInfo = {
        name, scheme: 'http', port: String(bound.port),
        trusted: new TrustedNetworks(ep.forwardedHeaders.trustedIPs, { all: ep.forwardedHeaders.insecure }),
        sanitizePath: ep.http.sanitizePath,
        encodeQuerySemicolons: ep.http.encodeQuerySemicolons, underscoreHeaders: ep.http.underscoreHeadersStrategy,
      };
      const onRequest = this.#listener(info);
      server.on('request', onRequest);
      eps.h2.on('request', onRequest as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
      guardHttp2Server(eps.h2, ep);
      // WebSockets: Node hands upgrade requests to 'upgrade' only; they run the same router and middlewares.
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        this.#upgraded.add(socket);
        onRequest(req, responseForUpgrade(req, socket, head));
      });
      server.on('connection', (s: Socket) => { this.#sockets.add(s); s.once('close', () => this.#sockets.delete(s)); });
      this.entryPoints.set(name, { name, address: ep.address, host: bound.host, port: bound.port, server, listener: eps.listener, sessions: eps.sessions });
      this.log.info('entry point listening', { entryPoint: name, address: `${bound.host}:${bound.port}` });
    }
    for (const [name, ep] of Object.entries(this.config.entryPoints)) {
      const to = ep.http.redirections?.entryPoint?.to;
      if (to !== undefined && redirectPort(to, this.config) === undefined) this.log.error('unable to create the redirection: the target is neither an entry point nor ":port"', { entryPoint: name, to });
    }
    this.#runtime.push(internalMessage(this.config, new Map([...this.entryPoints].map(([n, e]) => [n, e.port]))));
    this.#providing = this.#runtime.watch(this.providers, this.#abort.signal);
  }

  /** Base URL of an entry point, for tests and the demo. */
  url(entryPoint: string): string {
    const ep = this.entryPoints.get(entryPoint);
    if (!ep) throw new Error(`no entry point "${entryPoint}"`);
    const host = ep.host.includes(':') ? `[${ep.host}]` : (ep.host === '0.0.0.0' || ep.host === '' ? '127.0.0.1' : ep.host);
    return `http://${host === '[::]' ? '127.0.0.1' : host}:${ep.port}`;
  }

  state(): RuntimeState { return this.#runtime.state(); }

  overview(): OverviewSource { return this.#runtime.overview(); }

  /** The TLS table in force; before the first build, the default options and a generated certificate. */
  #tlsTable(): TlsTable {
    this.#tls ??= this.#runtime.initialTls();
    return this.#tls;
  }

  tlsRouteTable(entryPoint: string): RouteTable<Route> | undefined { return this.#tlsTables.get(entryPoint); }

  serverHealth(service: string): Record<string, ServerHealth> | undefined { return this.#runtime.serverHealth(service); }

  /** The TLS table in force (explain, API). */
  tls(): TlsTable { return this.#tlsTable(); }

  providerStatuses(): ProviderStatus[] { return this.#statusSource?.() ?? this.providers.map((p) => p.status()); }
  reloads(): { count: number; lastAt: number | undefined } { return { count: this.#reloads, lastAt: this.#lastReloadAt }; }
  table(entryPoint: string): RouteTable<Route> | undefined { return this.#tables.get(entryPoint); }
  terminating(): boolean { return this.#closing !== undefined; }

  /** Resolves when the next configuration has been applied (tests; event-driven, no polling). */
  nextReload(): Promise<void> { return new Promise((resolve) => this.once('reload', () => resolve())); }

  /** A new build is live: swap its route tables in (requests already matched keep their Route). */
  #apply(result: BuildResult): void {
    this.#tables = result.tables;
    this.#tlsTables = result.tlsTables;
    if (result.tls) this.#tls = result.tls; // handshakes from now on
    this.#reloads++;
    this.metrics?.onReload();
    this.#lastReloadAt = Date.now();
    this.#acme.observe(result.state, this.#tls);
    this.emit('reload', result.state, result.work);
  }

  #listener(ep: EntryPointInfo): (req: IncomingMessage, res: ServerResponse) => void {
    const epConfig = this.config.entryPoints[ep.name]!;
    const unmatched = mergeObservability(undefined, epConfig.observability);
    const tracing = this.tracing;
    const tracingConfigured = tracing !== undefined;
    const addInternals = this.config.tracing?.addInternals ?? false;
    const observers = this.#observers;
    const secureEp: EntryPointInfo = { ...ep, scheme: 'https' };
    const paths = pathPolicy(epConfig.http.sanitizePath, epConfig.http.encodedCharacters);
    return (req, res) => {
      if (this.#draining) res.shouldKeepAlive = false;
      const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
      const bad = refuseHead(req);
      if (bad) { res.writeHead(bad.status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }); res.end(bad.body); return; }
      const ctx = newRequestContext(req, res, secure ? secureEp : ep);
      if (!ctx) { res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', ...(req.httpVersionMajor === 1 ? { connection: 'close' } : {}) }); res.end('400 Bad Request: malformed path'); return; }
      // TLS routers answer only on TLS connections, the others only on cleartext ones (Traefik's two worlds).
      const table = (secure ? this.#tlsTables : this.#tables).get(ep.name);
      const route = table?.match(ctx);
      const refused = refuseRoute(table, ctx, route, paths);
      if (refused) {
        ctx.observability = unmatched;
        for (const o of observers) o.onRequest(ctx, undefined);
        respond(ctx, refused.status, refused.body);
        return;
      }
      if (!route) {
        ctx.observability = unmatched;
        if (shouldTrace({ tracingConfigured, internal: false, addInternals, tracing: unmatched.tracing })) ctx.trace = tracing!.startRequest(ctx);
        for (const o of observers) o.onRequest(ctx, undefined);
        respond(ctx, 404, '404 page not found\n');
        return;
      }
      if (route.tlsOptions !== undefined && tlsInfo(req.socket)?.optionsName !== route.tlsOptions) {
        // The handshake (chosen by SNI) used other options than this router wants: Traefik's snicheck.
        ctx.observability = route.observability;
        for (const o of observers) o.onRequest(ctx, route);
        respond(ctx, 421, 'Misdirected Request\n');
        return;
      }
      ctx.routerName = route.name;
      ctx.serviceName = route.service;
      ctx.rule = route.rule;
      ctx.observability = route.observability;
      if (shouldTrace({ tracingConfigured, internal: route.internal, addInternals, tracing: route.observability.tracing })) ctx.trace = tracing!.startRequest(ctx);
      for (const o of observers) o.onRequest(ctx, route);
      route.handler(ctx);
    };
  }

  /**
   * Stops accepting (after `lifeCycle.requestAcceptGraceTimeout`), lets in-flight requests finish (up to
   * the entry points' `graceTimeOut`), closes keep-alive connections as soon as they are idle, stops the
   * providers, then flushes spans within the tracing shutdown deadline. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    this.#abort.abort();
    this.#runtime.stop();
    const eps = Object.values(this.config.entryPoints);
    const acceptGrace = Math.max(0, ...eps.map((e) => e.transport.lifeCycle.requestAcceptGraceTimeout));
    if (acceptGrace > 0 && this.entryPoints.size > 0) await new Promise((resolve) => setTimeout(resolve, acceptGrace));
    const grace = Math.max(0, ...eps.map((e) => e.transport.lifeCycle.graceTimeOut));
    await this.#drain(grace);
    this.#runtime.close();
    await withDeadline(this.#providing, PROVIDERS_STOP_MS, () => this.log.warn('providers still stopping', { afterMs: PROVIDERS_STOP_MS }));
    await this.#pools.close();
    for (const o of this.#observers) await o.close?.();
    if (this.tracing) await this.tracing.shutdown(this.config.tracing?.shutdownTimeout);
  }

  /**
   * `server.close()` only closes connections idle at that moment; a keep-alive connection whose request
   * finishes later would stay open until its idle timeout. So: answers written from now on say
   * `Connection: close`, each in-flight answer closes its connection when it finishes, and idle
   * connections are swept until every HTTP connection is gone or the grace period ends (then: destroyed).
   * Tunnels (WebSockets after "101") are not waited for, as Go's Shutdown does not wait for hijacked
   * connections: they are cut once the HTTP requests are done.
   */
  async #drain(grace: number): Promise<void> {
    this.#draining = true;
    const servers = [...this.entryPoints.values()].map((e) => e.server);
    if (servers.length === 0) return;
    for (const ep of this.entryPoints.values()) {
      ep.listener.close();
      for (const session of ep.sessions) session.close(); // GOAWAY: streams in flight finish
    }
    for (const server of servers) server.close();
    for (const socket of this.#sockets) {
      const res = httpMessage(socket);
      if (!res) continue;
      if (!res.headersSent) res.shouldKeepAlive = false;
      else res.once('finish', () => setImmediate(sweep));
    }
    let done!: () => void;
    const httpDone = new Promise<void>((resolve) => { done = resolve; });
    const sweep = (): void => {
      for (const server of servers) server.closeIdleConnections();
      for (const socket of this.#sockets) if (!this.#isTunnel(socket)) return;
      for (const ep of this.entryPoints.values()) if (ep.sessions.size > 0) return;
      done();
    };
    sweep();
    const timer = setInterval(sweep, DRAIN_SWEEP_MS);
    try {
      await withDeadline(httpDone, grace, () => undefined);
    } finally {
      clearInterval(timer);
      for (const s of this.#sockets) s.destroy();
      for (const ep of this.entryPoints.values()) for (const session of ep.sessions) session.destroy();
    }
  }

  #isTunnel(socket: Socket): boolean {
    return this.#upgraded.has(socket) && !httpMessage(socket);
  }
}

/** The response a server socket is currently writing (Node's own bookkeeping), if any. */
function httpMessage(socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/** How long close() waits for the providers to stop (their connections closed, a provider thread ended). */
const PROVIDERS_STOP_MS = 5_000;

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_SWEEP_MS = 50;

function withDeadline(p: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { onTimeout(); resolve(); }, ms);
    t.unref();
    p.then(() => { clearTimeout(t); resolve(); });
  });
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const gw = new Gateway(options);
  await gw.start();
  return gw;
}
