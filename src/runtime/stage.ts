import type { Message } from '../dynamic/types.ts';
import { aggregate } from '../dynamic/aggregate.ts';
import type { RuntimeState } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import type { Provider } from '../providers/provider.ts';
import type { ForwardingTimeouts, PoolRegistry } from '../proxy/pool.ts';
import type { ServerHealth } from '../proxy/healthcheck.ts';
import type { EntryPointConfig } from '../static/types.ts';
import type { Logger } from '../util/log.ts';
import { buildRuntime, type BuildResult } from './build.ts';
import { errorMessage } from './issues.ts';
import { ServiceRegistry } from './services.ts';
import { ConfigurationWatcher } from './watcher.ts';
import { buildTlsParts, CertificateLoader, TlsTable } from '../tls/table.ts';
import { CertificateWatch, tlsFiles } from '../tls/watch.ts';

export interface RuntimeStageOptions {
  entryPoints: Readonly<Record<string, EntryPointConfig>>;
  /** `providers.providersThrottleDuration`, in ms. */
  throttleMs: number;
  /** `providers.precedence`: which provider's routers go first on equal priority (default: Traefik's list). */
  precedence?: readonly string[];
  pools: PoolRegistry;
  forwardingTimeouts?: ForwardingTimeouts;
  /** Handlers for `<name>@internal` services (api, dashboard, ping, prometheus). */
  internalServices: ReadonlyMap<string, Handler>;
  log: Logger;
  /** Called with each new build once its services are live: swap the route tables in. */
  onApply(result: BuildResult): void;
}

/**
 * The configuration stage: provider messages in (coalesced by the watcher), a built runtime out. Each build
 * keeps the services and middlewares whose definitions did not change, and releases those it replaced
 * once the new one is applied.
 */
export class RuntimeStage {
  readonly #options: RuntimeStageOptions;
  readonly #services: ServiceRegistry;
  readonly #watcher: ConfigurationWatcher;
  #current: BuildResult | undefined;
  /** Certificates keep their last good version across builds. */
  readonly #certificates = new CertificateLoader();
  #messages: ReadonlyMap<string, Message> | undefined;
  readonly #certificateWatch: CertificateWatch;

  constructor(options: RuntimeStageOptions) {
    this.#options = options;
    this.#services = new ServiceRegistry(options.pools, options.forwardingTimeouts);
    this.#watcher = new ConfigurationWatcher(options.throttleMs, (messages) => this.#apply(messages));
    // A certificate file changed on disk: the same configuration again, the files read anew.
    this.#certificateWatch = new CertificateWatch(options.throttleMs, () => { if (this.#messages) this.#apply(this.#messages); });
  }

  /** A provider's new snapshot. */
  push(message: Message): void { this.#watcher.push(message); }

  /** Runs the providers, each snapshot they emit pushed here, until `signal` aborts. */
  watch(providers: readonly Provider[], signal: AbortSignal): void {
    for (const p of providers) {
      p.provide((m) => this.push(m), signal).catch((err: unknown) => {
        this.#options.log.error('provider stopped', { provider: p.name, error: errorMessage(err) });
      });
    }
  }

  /** What `/api/http/*` shows: the last build's items, with the live servers' health. */
  state(): RuntimeState {
    const state = this.#current?.state ?? { routers: {}, services: {}, middlewares: {} };
    for (const svc of Object.values(state.services)) {
      const status = this.#services.serverStatus(svc.name);
      if (status) svc.serverStatus = status;
    }
    return state;
  }

  /** A live service's health-check state per server (last probe, last failure), if it checks. */
  serverHealth(service: string): Record<string, ServerHealth> | undefined { return this.#services.serverHealth(service); }

  /** The TLS world before any configuration: default options, a generated certificate. */
  initialTls(): TlsTable {
    const parts = buildTlsParts(undefined, this.#certificates);
    return new TlsTable(parts.stores, parts.options, new Map(), parts.certificates);
  }

  /** Stops applying new configuration; the live one keeps serving. Idempotent. */
  stop(): void { this.#watcher.close(); this.#certificateWatch.close(); }

  /** Stops, and closes the live services (once no request needs them). Idempotent. */
  close(): void {
    this.#watcher.close();
    this.#certificateWatch.close();
    this.#services.close();
    // middlewares holding sockets or timers (forwardAuth's pool) release them with the gateway
    if (this.#current) for (const mw of this.#current.middlewares.values()) mw.built.close?.();
  }

  #apply(messages: ReadonlyMap<string, Message>): void {
    const { log } = this.#options;
    let result: BuildResult;
    this.#messages = messages;
    try {
      const aggregated = aggregate(messages);
      this.#services.useTransports(aggregated.configuration.http.serversTransports);
      const tls = buildTlsParts(aggregated.configuration.tls, this.#certificates, (message, fields) => log.error(message, fields));
      result = buildRuntime({
        aggregated,
        tlsOptions: tls.options,
        entryPoints: this.#options.entryPoints,
        services: this.#services,
        internalServices: this.#options.internalServices,
        ...(this.#options.precedence !== undefined ? { precedence: this.#options.precedence } : {}),
        previousMiddlewares: this.#current?.middlewares,
        logger: log,
      });
      result.tls = new TlsTable(tls.stores, tls.options, result.hostOptions, tls.certificates);
      this.#certificateWatch.sync(tlsFiles(aggregated.configuration.tls));
    } catch (err) {
      // Items build in isolation, so only a fault of the stage itself lands here.
      this.#services.abort();
      log.error('configuration build failed; keeping the previous one', { error: errorMessage(err) });
      return;
    }
    const previous = this.#current;
    this.#current = result;
    this.#services.commit();
    if (previous) for (const [name, mw] of previous.middlewares) if (result.middlewares.get(name) !== mw) mw.built.close?.();
    for (const r of Object.values(result.state.routers)) {
      if (r.error?.length) log.warn('router has errors', { router: r.name, status: r.status, error: r.error.join('; ') });
    }
    this.#options.onApply(result);
  }
}
