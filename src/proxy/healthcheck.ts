import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ServerHealthCheck } from '../dynamic/types.ts';
import { parseDuration } from '../util/duration.ts';
import { silentProxyLogger, type ProxyLogger } from './errors.ts';
import { h2Request, probeGrpcHealth } from './healthcheck-h2.ts';
import { tlsConnectOptions, type UpstreamTransport } from './transport.ts';

/** Traefik's defaults (`dynamic.DefaultHealthCheckInterval`, `…Timeout`). */
const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
/** Go's http.Client gives up after 10 redirects. */
const MAX_REDIRECTS = 10;

/** `loadBalancer.healthCheck` with durations parsed and defaults applied. */
export interface HealthCheckSettings {
  /** `http` (a request, the status decides) or `grpc` (gRPC Health Checking Protocol v1). */
  mode: 'http' | 'grpc';
  path: string;
  method: string;
  /** Expected status; 0 accepts any 2xx/3xx. */
  status: number;
  /** Replaces the server's port when non-zero. */
  port: number;
  /** Replaces the server's scheme when set. */
  scheme: string;
  /** Host header of the probe when set. */
  hostname: string;
  headers: Record<string, string>;
  interval: number;
  unhealthyInterval: number;
  timeout: number;
  followRedirects: boolean;
}

/**
 * Applies Traefik's defaults: interval 30s, unhealthyInterval = interval, timeout 5s, GET,
 * followRedirects true. A zero or negative duration falls back to the default, as Traefik does.
 * @throws {DurationError} for an unparsable duration.
 */
export function healthCheckSettings(hc: ServerHealthCheck): HealthCheckSettings {
  const positive = (v: string | undefined, fallback: number): number => {
    if (v === undefined || v === '') return fallback;
    const ms = parseDuration(v, { allowNegative: true });
    return ms > 0 ? ms : fallback;
  };
  const interval = positive(hc.interval, DEFAULT_HEALTH_INTERVAL_MS);
  return {
    mode: hc.mode?.toLowerCase() === 'grpc' ? 'grpc' : 'http',
    path: hc.path ?? '',
    method: (hc.method || 'GET').toUpperCase(),
    status: hc.status ?? 0,
    port: hc.port ?? 0,
    scheme: hc.scheme ?? '',
    hostname: hc.hostname ?? '',
    headers: hc.headers ?? {},
    interval,
    // Unset: unhealthy servers are checked as often as healthy ones.
    unhealthyInterval: hc.unhealthyInterval === undefined ? interval : positive(hc.unhealthyInterval, DEFAULT_HEALTH_INTERVAL_MS),
    timeout: positive(hc.timeout, DEFAULT_HEALTH_TIMEOUT_MS),
    followRedirects: hc.followRedirects ?? true,
  };
}

/** A server to watch: `name` is what the status callback receives (the configured URL). */
export interface HealthTarget {
  readonly name: string;
  readonly url: URL;
  /** The service's transport: probes reach the server as requests do (TLS settings, h2c). */
  readonly transport?: UpstreamTransport;
}

/** What the last probes of a server said (the dashboard shows it): epoch ms, and the last failure's reason. */
export interface ServerHealth { checkedAt?: number; lastError?: string; errorAt?: number }

export interface HealthCheckerOptions {
  logger?: ProxyLogger;
  /** Label for log lines. */
  service?: string;
}

/**
 * Active HTTP health checks for one service, shaped like Traefik v3's `ServiceHealthChecker`: servers
 * start UP; healthy ones are probed every `interval`, unhealthy ones every `unhealthyInterval`; a failed
 * probe takes a server out, a passing one puts it back. Probes of a round run one after another.
 * Timers are unref'd (they never keep the process alive) and use the global `setTimeout`, so tests
 * drive them with `mock.timers`.
 *
 * @example
 * const hc = new HealthChecker(healthCheckSettings({ path: '/health', interval: '10s' }), targets,
 *   (name, up) => wrr.setStatus(name, up));
 * hc.start();
 * // …
 * hc.stop();
 */
export class HealthChecker {
  readonly #settings: HealthCheckSettings;
  readonly #setStatus: (name: string, up: boolean) => void;
  readonly #logger: ProxyLogger;
  readonly #service: string;
  readonly #up = new Map<string, boolean>();
  readonly #targets: HealthTarget[];
  readonly #health = new Map<string, ServerHealth>();
  #timers: NodeJS.Timeout[] = [];
  #rounds = new Set<Promise<void>>();
  #busy = { healthy: false, unhealthy: false };
  #stopped = false;
  #started = false;

  constructor(settings: HealthCheckSettings, targets: HealthTarget[], setStatus: (name: string, up: boolean) => void, options: HealthCheckerOptions = {}) {
    this.#settings = settings;
    this.#targets = targets;
    this.#setStatus = setStatus;
    this.#logger = options.logger ?? silentProxyLogger;
    this.#service = options.service ?? '';
    for (const t of targets) this.#up.set(t.name, true);
  }

  /** Starts both schedules (the first probes run one interval from now, as with Go's ticker). Idempotent. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#schedule(true);
    this.#schedule(false);
  }

  /** Stops probing; in-flight probes are ignored when they settle. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  /** Whether the checker currently considers `name` healthy. */
  isUp(name: string): boolean {
    return this.#up.get(name) === true;
  }

  /** Per server: when it was last probed, and the last failure (kept after it recovers, with its time). */
  health(): Record<string, ServerHealth> {
    return Object.fromEntries(this.#targets.map((t) => [t.name, { ...this.#health.get(t.name) }]));
  }

  /** Resolves once no round is in flight (tests: after `mock.timers.tick`, await this). */
  async settled(): Promise<void> {
    while (this.#rounds.size > 0) await Promise.all(this.#rounds);
  }

  /** Runs one round over the healthy (or unhealthy) servers now. */
  runRound(healthy: boolean): Promise<void> {
    const key = healthy ? 'healthy' : 'unhealthy';
    if (this.#busy[key] || this.#stopped) return Promise.resolve();
    this.#busy[key] = true;
    const round = this.#round(healthy).finally(() => {
      this.#busy[key] = false;
      this.#rounds.delete(round);
    });
    this.#rounds.add(round);
    return round;
  }

  #schedule(healthy: boolean): void {
    if (this.#stopped) return;
    const interval = healthy ? this.#settings.interval : this.#settings.unhealthyInterval;
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      // Fixed rate like a ticker; a round still running when the next tick comes makes that tick a no-op.
      this.#schedule(healthy);
      void this.runRound(healthy);
    }, interval);
    timer.unref?.();
    this.#timers.push(timer);
  }

  async #round(healthy: boolean): Promise<void> {
    // Collected once, so a server moved during this round is not checked twice.
    const batch = this.#targets.filter((t) => this.#up.get(t.name) === healthy);
    for (const target of batch) {
      if (this.#stopped) return;
      let up = true;
      const health = this.#health.get(target.name) ?? {};
      this.#health.set(target.name, health);
      try {
        await probe(target.url, this.#settings, target.transport);
      } catch (err) {
        up = false;
        health.lastError = err instanceof Error ? err.message : String(err);
        health.errorAt = Date.now();
        if (!this.#stopped) this.#logger.warn('Health check failed.', { service: this.#service, targetURL: target.name, error: err });
      }
      if (this.#stopped) return;
      health.checkedAt = Date.now();
      if (this.#up.get(target.name) !== up) {
        this.#up.set(target.name, up);
        this.#setStatus(target.name, up);
      }
    }
  }
}

/**
 * One probe of a server: resolves when it answers as configured, rejects with the reason otherwise.
 * The health-check path is resolved against the server URL (Go's `url.Parse` reference rules).
 */
export async function probe(server: URL, s: HealthCheckSettings, transport?: UpstreamTransport): Promise<void> {
  if (s.mode === 'grpc') {
    // Traefik dials host:port in cleartext unless the health check's scheme asks for TLS.
    const url = new URL(`${s.scheme === 'https' ? 'https' : 'h2c'}://${server.host}`);
    if (s.port) url.port = String(s.port);
    await probeGrpcHealth(url, s.hostname || url.host, s.timeout, transport);
    return;
  }
  const url = new URL(s.path, server);
  if (s.scheme) url.protocol = s.scheme + ':';
  if (s.port) url.port = String(s.port);
  if (url.protocol === 'h2c:') {
    const r = await h2Request(url, { method: s.method, path: url.pathname + url.search, headers: s.headers, authority: s.hostname || url.host, timeout: s.timeout }, transport);
    checkStatus(r.status, s);
    return;
  }
  let method = s.method;
  let target = url;
  for (let redirects = 0; ; redirects++) {
    const res = await once(target, method, s, target === url ? s.hostname : '', transport);
    const location = res.headers.location;
    if (s.followRedirects && isRedirect(res.statusCode) && location) {
      if (redirects >= MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
      target = new URL(location, target);
      if (res.statusCode !== 307 && res.statusCode !== 308 && method !== 'HEAD') method = 'GET';
      continue;
    }
    checkStatus(res.statusCode, s);
    return;
  }
}

function checkStatus(status: number, s: HealthCheckSettings): void {
  if (s.status === 0 && (status < 200 || status >= 400)) throw new Error(`received error status code: ${status}`);
  if (s.status !== 0 && s.status !== status) throw new Error(`received error status code: ${status} expected status code: ${s.status}`);
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function once(url: URL, method: string, s: HealthCheckSettings, hostname: string, transport: UpstreamTransport | undefined): Promise<{ statusCode: number; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...s.headers };
    if (hostname) headers.host = hostname;
    const https = url.protocol === 'https:';
    // The transport's TLS settings (rootCAs, client certificate, serverName) apply to probes as to requests.
    const tls = https && transport
      ? { ...tlsConnectOptions(transport, url, ['http/1.1']), ...(hostname && transport.tls.servername === undefined ? { servername: hostname } : {}) }
      : { servername: hostname || undefined };
    const req = (https ? httpsRequest : httpRequest)(url, { method, headers, agent: false, ...tls }, (res) => {
      clearTimeout(timer);
      res.resume();
      res.on('error', () => { /* the status is all we need */ });
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers });
    });
    const timer = setTimeout(() => req.destroy(new Error(`health check timed out after ${s.timeout}ms`)), s.timeout);
    timer.unref?.();
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.end();
  });
}
