import type { Message } from '../dynamic/types.ts';
import { epochNow, sentAtOf } from '../dynamic/changes.ts';
import type { OverviewSource, RuntimeState, ServiceInfo } from '../dynamic/runtime.ts';
import type { Handler } from '../http/context.ts';
import type { Provider } from '../providers/provider.ts';
import type { ForwardingTimeouts, PoolRegistry } from '../proxy/pool.ts';
import type { ServerHealth } from '../proxy/healthcheck.ts';
import type { EntryPointConfig } from '../static/types.ts';
import type { Logger } from '../util/log.ts';
import { IncrementalRuntime, type BuildResult } from './build.ts';
import { ConfigurationAggregator } from './changes.ts';
import { errorMessage } from './issues.ts';
import { ServiceRegistry } from './services.ts';
import { ConfigurationWatcher } from './watcher.ts';
import { StateSummary } from './summary.ts';
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
 * The configuration stage: provider messages in (coalesced by the watcher), a built runtime out. The first
 * configuration, a TLS change and a certificate reload are built whole; any other change rebuilds only what it
 * reaches (`IncrementalRuntime`) and patches the live route tables. Either way the services and middlewares whose
 * definitions did not change are kept, and those replaced are released once the new build is applied.
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
  readonly #runtime: IncrementalRuntime;
  readonly #aggregator = new ConfigurationAggregator();
  /** The TLS parts of the last full build (an incremental one keeps them, only host options may change). */
  #tlsParts: ReturnType<typeof buildTlsParts> | undefined;
  /** Set when a build failed halfway: the next one is full. */
  #needFull = true;
  /** Services whose records builds made since `state()` last looked (their live status is not on them yet). */
  #recordsToLook: Set<string> | 'all' = 'all';

  constructor(options: RuntimeStageOptions) {
    this.#options = options;
    this.#services = new ServiceRegistry(options.pools, options.forwardingTimeouts);
    this.#runtime = new IncrementalRuntime({
      entryPoints: options.entryPoints, services: this.#services, internalServices: options.internalServices, logger: options.log,
      ...(options.precedence !== undefined ? { precedence: options.precedence } : {}),
    });
    this.#watcher = new ConfigurationWatcher(options.throttleMs, (messages) => this.#apply(messages));
    // A certificate file changed on disk: the same configuration again, the files read anew.
    this.#certificateWatch = new CertificateWatch(options.throttleMs, () => { if (this.#messages) this.#apply(this.#messages, true); });
  }

  /** A provider's new snapshot. */
  push(message: Message): void {
    const sent = sentAtOf(message);
    this.#pendingSince = Math.min(this.#pendingSince, sent ?? epochNow());
    this.#watcher.push(message);
  }

  /**
   * When the oldest configuration not yet applied left its provider's thread or process (else: arrived here), epoch
   * ms: the log's `sinceSentMs` is what a change took from there to live tables (decoding, waiting, building, swapping).
   */
  #pendingSince = Infinity;

  /** Runs the providers, each snapshot they emit pushed here, until `signal` aborts; settles once all have stopped. */
  watch(providers: readonly Provider[], signal: AbortSignal): Promise<void> {
    return Promise.all(providers.map((p) => p.provide((m) => this.push(m), signal).catch((err: unknown) => {
      this.#options.log.error('provider stopped', { provider: p.name, error: errorMessage(err) });
    }))).then(() => undefined);
  }

  /**
   * What `/api/http/*` shows: the last build's items, with the live servers' health. Only the services whose record
   * a build made since the last call, and those whose health can change on its own, are looked at (not 5,000).
   */
  state(): RuntimeState {
    const state = this.#current?.state ?? { routers: {}, services: {}, middlewares: {} };
    const look = (name: string): void => {
      const svc = state.services[name];
      if (svc === undefined) return;
      const status = this.#services.serverStatus(svc.name);
      // Replaced only when it changed: the API keeps a record's representation while the record stays the same.
      if (status && !sameStatus(svc.serverStatus, status)) svc.serverStatus = status;
      const connect = this.#services.connect(svc.name);
      if (connect && JSON.stringify(connect) !== JSON.stringify(svc.connect)) {
        svc.connect = connect;
        // The API's lists key a representation on the record and its serverStatus: a new one remakes it.
        if (svc.serverStatus) svc.serverStatus = { ...svc.serverStatus };
      }
    };
    if (this.#recordsToLook === 'all') for (const name in state.services) look(name);
    else for (const name of this.#recordsToLook) look(name);
    this.#recordsToLook = new Set();
    for (const name of this.#services.changing()) look(name);
    return state;
  }

  /**
   * What `/api/overview` shows, without a pass over every item: the build's counts and records not enabled
   * (`StateSummary`), and the services with a server down, looked for among those whose health can change (active
   * health checks: no other service has a server down).
   */
  overview(): OverviewSource {
    const state = this.state();
    const summary = this.#current?.summary ?? new StateSummary();
    return {
      count: (kind) => summary.count(kind),
      notEnabled: (kind) => summary.notEnabled(kind),
      downServices: () => [...this.#services.changing()].sort()
        .map((name) => state.services[name])
        .filter((s): s is ServiceInfo => s !== undefined && Object.values(s.serverStatus ?? {}).includes('DOWN')),
    };
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

  #apply(messages: ReadonlyMap<string, Message>, reload = false): void {
    const { log } = this.#options;
    let result: BuildResult;
    this.#messages = messages;
    const started = performance.now();
    try {
      const { aggregated, changes } = this.#aggregator.update(messages);
      this.#services.useTransports(aggregated.configuration.http.serversTransports);
      if (changes === undefined || reload || this.#needFull || !this.#runtime.built) {
        const tls = this.#tlsParts = buildTlsParts(aggregated.configuration.tls, this.#certificates, (message, fields) => log.error(message, fields));
        result = this.#runtime.full(aggregated, tls.options);
        result.tls = new TlsTable(tls.stores, tls.options, result.hostOptions, tls.certificates);
        this.#certificateWatch.sync(tlsFiles(aggregated.configuration.tls));
      } else {
        const previousHosts = this.#current?.hostOptions;
        result = this.#runtime.update(aggregated, changes);
        const tls = this.#tlsParts!;
        result.tls = result.hostOptions === previousHosts && this.#current?.tls ? this.#current.tls : new TlsTable(tls.stores, tls.options, result.hostOptions, tls.certificates);
      }
    } catch (err) {
      // Items build in isolation, so only a fault of the stage itself lands here.
      this.#services.abort();
      this.#needFull = true;
      log.error('configuration build failed; keeping the previous one', { error: errorMessage(err) });
      return;
    }
    this.#needFull = false;
    this.#current = result;
    this.#services.commit(result.work.full ? undefined : result.released);
    if (result.serviceRecords === undefined) this.#recordsToLook = 'all';
    else if (this.#recordsToLook !== 'all') for (const name of result.serviceRecords) this.#recordsToLook.add(name);
    for (const mw of result.retired) mw.built.close?.();
    for (const name of result.work.full ? Object.keys(result.state.routers) : result.work.routers) {
      const r = result.state.routers[name];
      if (r?.error?.length) log.warn('router has errors', { router: r.name, status: r.status, error: r.error.join('; ') });
    }
    // The tables go live first: the figures logged include the swap.
    this.#options.onApply(result);
    const { work } = result;
    const sinceSent = Number.isFinite(this.#pendingSince) ? epochNow() - this.#pendingSince : undefined;
    this.#pendingSince = Infinity;
    log.debug('configuration applied', {
      full: work.full, routers: work.routers.length, services: work.services.length, middlewares: work.middlewares.length,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(sinceSent !== undefined ? { sinceSentMs: Math.round(sinceSent * 10) / 10 } : {}),
    });
  }
}

function sameStatus(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  if (a === undefined) return false;
  let n = 0;
  for (const k in b) { if (a[k] !== b[k]) return false; n++; }
  for (const _ in a) n--;
  return n === 0;
}
