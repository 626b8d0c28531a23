import type { ItemIssue, Message } from '../../dynamic/types.ts';
import type { ConsulCatalogConfig } from '../../static/types.ts';
import { silentLogger, type Logger } from '../../util/log.ts';
import type { Provider, ProviderStatus } from '../provider.ts';
import { buildConfiguration, buildOptionsFrom, prepareBuildOptions, type BuildOptions } from './builder.ts';
import { createConsulApi } from './client.ts';
import { toInstances, type HealthCheckEntry, type HealthServiceEntry, type ServiceInstance } from './instance.ts';
import { Backoff, TokenBucket, Wake, forEachLimit, sleep } from './pacing.ts';

/**
 * The Consul Catalog provider. Unlike Traefik (one full reload of N+1 requests per event), it holds
 * two blocking queries — `/v1/catalog/services` (membership and tag unions) and `/v1/health/state/any`
 * (every check) — diffs each answer against the last, and fetches `/v1/health/service/<name>` only
 * for services that appeared or changed, a few at a time. A slow full resync is the safety net.
 * Failures never clear the configuration: the last good one (per service, too) stays and `status()`
 * tells how old it is.
 */

/** What the watcher needs from the Consul client (src/providers/consulcatalog/client.ts). */
export interface CatalogApi {
  catalogServices(q: Query): Promise<Answer<Record<string, string[] | null>>>;
  healthState(state: string, q: Query): Promise<Answer<HealthCheckEntry[]>>;
  healthService(name: string, q: Query & { passing?: boolean }): Promise<Answer<HealthServiceEntry[]>>;
  close?(): void;
}
interface Query { index?: number; waitMs?: number; signal?: AbortSignal }
interface Answer<T> { value: T; index: number; knownLeader: boolean; lastContactMs: number }

export interface ConsulCatalogProviderOptions {
  logger?: Logger;
  /** The Consul API; by default the real client for `config.endpoint`. */
  api?: CatalogApi;
  /** Full resync period, ms (safety net for changes no diff can see). Default 5 min. */
  resyncIntervalMs?: number;
  /** Retry delays after a failure, ms. Default 1 s doubling to 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Token bucket over the long polls. Default 10/s, burst 20. */
  rateLimit?: { perSecond?: number; burst?: number };
  /** Service fetches in flight at once. Default 4. */
  fetchConcurrency?: number;
}

type Source = 'catalog' | 'checks' | 'services';

/**
 * @example
 * const provider = new ConsulCatalogProvider(config.providers.consulCatalog!, { logger });
 * const abort = new AbortController();
 * void provider.provide((msg) => aggregator.update(msg), abort.signal);
 * provider.status(); // { name: 'consulcatalog', lastContact, configurationAt, counters: {...} }
 */
export class ConsulCatalogProvider implements Provider {
  readonly name = 'consulcatalog';
  readonly #config: ConsulCatalogConfig;
  readonly #build: BuildOptions;
  readonly #api: CatalogApi;
  readonly #ownsApi: boolean;
  readonly #log: Logger;
  readonly #resyncMs: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #bucket: TokenBucket;
  readonly #concurrency: number;
  readonly #constraints: (tags: readonly string[]) => boolean;

  /** name → signature of its tag union, as last seen (catalog answer or a fetch). */
  #catalog = new Map<string, string>();
  /** name → tag union from the last catalog answer (decides whether a service is worth fetching). */
  #catalogTags = new Map<string, readonly string[]>();
  /** name → signature of its service checks, as last seen. */
  #serviceChecks = new Map<string, string>();
  /** node → signature of its node checks, as last seen. */
  #nodeChecks = new Map<string, string>();
  /** Last good instances per service. */
  #instances = new Map<string, ServiceInstance[]>();
  #dirty = new Set<string>();
  #catalogSeen = false;
  #checksSeen = false;
  #wake = new Wake();
  #emit: ((m: Message) => void) | undefined;
  #lastEmitted = '';
  #errors = new Map<Source, { message: string; since: number }>();
  #status: ProviderStatus = { name: 'consulcatalog', counters: {} };
  #counters = { requests: 0, catalogPolls: 0, checkPolls: 0, serviceFetches: 0, fetchErrors: 0, resyncs: 0, checklessRefetches: 0, indexResets: 0, emits: 0, builds: 0 };
  #running = false;

  constructor(config: ConsulCatalogConfig, options: ConsulCatalogProviderOptions = {}) {
    this.#config = config;
    this.#build = buildOptionsFrom(config);
    // A bad defaultRule or constraints stops startup here, as Traefik's Init does.
    this.#constraints = prepareBuildOptions(this.#build).match;
    this.#ownsApi = options.api === undefined;
    this.#api = options.api ?? createConsulApi(config.endpoint, { stale: config.stale, requireConsistent: config.requireConsistent });
    this.#log = options.logger ?? silentLogger;
    this.#resyncMs = options.resyncIntervalMs ?? 5 * 60_000;
    this.#backoff = { initialMs: options.backoff?.initialMs ?? 1000, maxMs: options.backoff?.maxMs ?? 30_000 };
    this.#bucket = new TokenBucket(options.rateLimit?.perSecond ?? 10, options.rateLimit?.burst ?? 20);
    this.#concurrency = options.fetchConcurrency ?? 4;
  }

  status(): ProviderStatus {
    let error: string | undefined, since: number | undefined;
    for (const [source, e] of this.#errors) {
      if (since === undefined || e.since < since) { since = e.since; error = `${source}: ${e.message}`; }
    }
    const s: ProviderStatus = { ...this.#status, counters: { ...this.#counters } };
    if (error !== undefined) { s.error = error; s.errorSince = since; }
    return s;
  }

  /** Runs until `signal` aborts; resolves once every loop has stopped. */
  async provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('consulcatalog: provide() is already running');
    this.#running = true;
    this.#emit = emit;
    try {
      const loops = [this.#workLoop(signal)];
      if (this.#config.watch) {
        loops.push(this.#pollLoop('catalog', signal), this.#pollLoop('checks', signal));
        if (this.#resyncMs > 0) loops.push(this.#resyncLoop(signal));
      } else {
        loops.push(this.#intervalLoop(signal));
      }
      await Promise.all(loops);
    } finally {
      this.#running = false;
      if (this.#ownsApi) this.#api.close?.();
    }
  }

  // ---- the two long polls ----

  async #pollLoop(source: 'catalog' | 'checks', signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    const waitMs = this.#config.endpoint.endpointWaitTime > 0 ? this.#config.endpoint.endpointWaitTime : undefined;
    let index = 0;
    while (!signal.aborted) {
      await this.#bucket.take(signal);
      if (signal.aborted) break;
      try {
        const q: Query = index > 0 ? { index, waitMs, signal } : { signal };
        this.#counters.requests++;
        if (source === 'catalog') {
          this.#counters.catalogPolls++;
          const answer = await this.#api.catalogServices(q);
          this.#contact(source);
          const visible = this.#applyCatalog(answer.value);
          // The services index moved but no tag union changed: an instance came or went with the same
          // tags. One with checks shows in the checks poll; one without checks shows nowhere, so the
          // services that have no service checks are fetched again (usually none or a few).
          if (index > 0 && answer.index > index && !visible) this.#markChecklessDirty();
          index = this.#nextIndex(source, index, answer.index);
        } else {
          this.#counters.checkPolls++;
          const answer = await this.#api.healthState('any', q);
          this.#contact(source);
          this.#applyChecks(answer.value);
          index = this.#nextIndex(source, index, answer.index);
        }
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        this.#failed(source, err);
        // The next try answers at once (no index): a parked blocking query would hide the recovery
        // until the next change. Its answer is diffed like any other, so it costs no extra fetch.
        index = 0;
        await sleep(backoff.next(), signal);
      }
    }
  }

  /** Consul's rules for blocking indexes: reset to 0 when it goes backwards, never block on 0. */
  #nextIndex(source: Source, previous: number, answered: number): number {
    if (answered < previous) {
      this.#counters.indexResets++;
      this.#log.warn('Consul index went backwards, resetting', { source, previous, answered });
      return 0;
    }
    return answered > 0 ? answered : 1;
  }

  /** `watch: false`: both lists every refreshInterval, without blocking, still diffed. */
  async #intervalLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    while (!signal.aborted) {
      let failed = false;
      for (const source of ['catalog', 'checks'] as const) {
        try {
          this.#counters.requests++;
          if (source === 'catalog') {
            this.#counters.catalogPolls++;
            const answer = await this.#api.catalogServices({ signal });
            this.#contact(source);
            this.#applyCatalog(answer.value);
          } else {
            this.#counters.checkPolls++;
            const answer = await this.#api.healthState('any', { signal });
            this.#contact(source);
            this.#applyChecks(answer.value);
          }
        } catch (err) {
          if (signal.aborted) return;
          failed = true;
          this.#failed(source, err);
        }
      }
      if (!failed) backoff.reset();
      await sleep(failed ? Math.min(backoff.next(), this.#config.refreshInterval) : this.#config.refreshInterval, signal);
    }
  }

  async #resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.#resyncMs, signal);
      if (signal.aborted) break;
      this.#counters.resyncs++;
      for (const name of this.#catalog.keys()) this.#dirty.add(name);
      this.#wake.notify();
    }
  }

  // ---- diffs ----

  #markChecklessDirty(): void {
    let any = false;
    for (const name of this.#catalog.keys()) {
      if (this.#serviceChecks.get(name)) continue;
      this.#dirty.add(name);
      any = true;
    }
    if (any) { this.#counters.checklessRefetches++; this.#wake.notify(); }
  }

  /** Diffs the catalog's answer; true when something visible changed (a service's tags, or membership). */
  #applyCatalog(value: Record<string, string[] | null>): boolean {
    const next = new Map<string, string>();
    this.#catalogTags = new Map();
    for (const [name, tags] of Object.entries(value ?? {})) {
      this.#catalogTags.set(name, tags ?? []);
      const sig = tagSignature(tags ?? []);
      next.set(name, sig);
      if (this.#catalog.get(name) !== sig) this.#dirty.add(name);
    }
    let removed = false;
    for (const name of this.#catalog.keys()) {
      if (next.has(name)) continue;
      removed = true;
      this.#instances.delete(name);
      this.#serviceChecks.delete(name);
      this.#dirty.delete(name);
    }
    const added = [...next.keys()].some((name) => !this.#catalog.has(name));
    const changed = added || removed || [...next].some(([name, sig]) => this.#catalog.get(name) !== sig);
    this.#catalog = next;
    const first = !this.#catalogSeen;
    this.#catalogSeen = true;
    if (first || removed || this.#dirty.size > 0) this.#wake.notify();
    return first || changed;
  }

  #applyChecks(checks: HealthCheckEntry[]): void {
    const { services, nodes } = checkSignatures(checks ?? []);
    // The first answer only records: every service is fetched at start anyway.
    const first = !this.#checksSeen;
    this.#checksSeen = true;
    for (const name of new Set([...services.keys(), ...this.#serviceChecks.keys()])) {
      const sig = services.get(name) ?? '';
      if ((this.#serviceChecks.get(name) ?? '') === sig) continue;
      this.#serviceChecks.set(name, sig);
      if (!first && this.#catalog.has(name)) this.#dirty.add(name);
    }
    const changedNodes = new Set<string>();
    for (const node of new Set([...nodes.keys(), ...this.#nodeChecks.keys()])) {
      const sig = nodes.get(node) ?? '';
      if ((this.#nodeChecks.get(node) ?? '') === sig) continue;
      this.#nodeChecks.set(node, sig);
      changedNodes.add(node);
    }
    if (!first && changedNodes.size > 0) {
      for (const [name, instances] of this.#instances) {
        if (instances.some((i) => changedNodes.has(i.node))) this.#dirty.add(name);
      }
    }
    if (this.#dirty.size > 0) this.#wake.notify();
  }

  // ---- fetch and build ----

  async #workLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    let retry: AbortController | undefined;
    while (!signal.aborted) {
      await this.#wake.wait(signal);
      if (signal.aborted) break;
      if (!this.#catalogSeen) continue;
      retry?.abort();
      const names: string[] = [];
      for (const name of [...this.#dirty].sort()) {
        if (!this.#catalog.has(name)) continue;
        if (this.#worthFetching(name)) { names.push(name); continue; }
        this.#instances.delete(name); // the build would skip it whatever its instances say
      }
      this.#dirty.clear();
      let failures = 0;
      let lastError: unknown;
      await forEachLimit(names, this.#concurrency, async (name) => {
        if (signal.aborted) return;
        try {
          this.#counters.requests++;
          this.#counters.serviceFetches++;
          const answer = await this.#api.healthService(name, { signal });
          this.#contact('services');
          this.#applyService(name, answer.value ?? []);
        } catch (err) {
          if (signal.aborted) return;
          failures++;
          lastError = err;
          this.#counters.fetchErrors++;
          this.#dirty.add(name); // keep the last good instances; try again after a backoff
        }
      });
      if (signal.aborted) break;
      if (failures > 0) {
        this.#failed('services', lastError, 'service fetches failing, keeping their last good instances');
        const delay = backoff.next();
        retry = new AbortController();
        const stop = retry.signal;
        void sleep(delay, AbortSignal.any([signal, stop])).then(() => { if (!stop.aborted && !signal.aborted) this.#wake.notify(); });
      } else {
        this.#recovered('services');
        backoff.reset();
      }
      this.#rebuild();
    }
    retry?.abort();
  }

  /**
   * What Traefik decides from the tag union alone, so services the build would skip anyway cost no
   * request: with exposedByDefault=false, no instance has `<prefix>.enable=true` (Traefik's tag
   * filter); or the union fails the constraints.
   */
  #worthFetching(name: string): boolean {
    const tags = this.#catalogTags.get(name) ?? [];
    if (!this.#build.exposedByDefault) {
      const key = `${this.#build.prefix}.enable=`.toLowerCase();
      if (!tags.some((t) => t.toLowerCase().startsWith(key) && isGoTrue(t.slice(key.length)))) return false;
    }
    return this.#constraints(tags);
  }

  #applyService(name: string, entries: HealthServiceEntry[]): void {
    if (!this.#catalog.has(name)) return; // removed while in flight
    const instances = toInstances(name, entries);
    if (instances.length === 0) this.#instances.delete(name); else this.#instances.set(name, instances);
    // Record what this answer already shows, so the poll answers that report the same change
    // (possibly later than this fetch) do not cause another fetch.
    this.#catalog.set(name, tagSignature(instances.flatMap((i) => i.tags)));
    const { services, nodes } = checkSignatures(entries.flatMap((e) => e.Checks ?? []));
    this.#serviceChecks.set(name, services.get(name) ?? '');
    for (const [node, sig] of nodes) this.#nodeChecks.set(node, sig);
  }

  #rebuild(): void {
    const all: ServiceInstance[] = [];
    for (const name of [...this.#instances.keys()].sort()) all.push(...this.#instances.get(name)!);
    this.#counters.builds++;
    const { configuration, issues, log } = buildConfiguration(all, this.#build);
    const snapshot = JSON.stringify([configuration, issues]);
    if (snapshot === this.#lastEmitted) return;
    this.#lastEmitted = snapshot;
    for (const line of log) this.#log.debug(line);
    this.#logIssues(issues);
    this.#status.configurationAt = Date.now();
    this.#counters.emits++;
    this.#emit?.({ providerName: this.name, configuration, issues });
  }

  #loggedIssues = new Set<string>();
  /** Each issue is logged when it appears, not on every rebuild. */
  #logIssues(issues: ItemIssue[]): void {
    const now = new Set<string>();
    for (const issue of issues) {
      const key = `${issue.kind}\0${issue.name}\0${issue.message}`;
      now.add(key);
      if (this.#loggedIssues.has(key)) continue;
      const fields = { [issue.kind]: issue.name, dropped: issue.dropped };
      if (issue.severity === 'error') this.#log.error(issue.message, fields); else this.#log.warn(issue.message, fields);
    }
    this.#loggedIssues = now;
  }

  // ---- health of the source ----

  #contact(source: Source): void {
    this.#status.lastContact = Date.now();
    if (source !== 'services') this.#recovered(source);
  }

  #failed(source: Source, err: unknown, context?: string): void {
    const code = (err as { code?: string } | undefined)?.code;
    const message = `${context ? context + ': ' : ''}${(err as Error | undefined)?.message ?? String(err)}${code && !String((err as Error)?.message).includes(code) ? ` (${code})` : ''}`;
    const prev = this.#errors.get(source);
    if (prev?.message === message) return;
    this.#errors.set(source, { message, since: prev?.since ?? Date.now() });
    this.#log.error('Consul catalog failing, keeping the last good configuration', { source, error: message });
  }

  #recovered(source: Source): void {
    const prev = this.#errors.get(source);
    if (!prev) return;
    this.#errors.delete(source);
    this.#log.info('Consul catalog recovered', { source, failingForMs: Date.now() - prev.since });
  }
}

/** Go's strconv.ParseBool true values. */
function isGoTrue(v: string): boolean {
  return v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'true' || v === 'True';
}

function tagSignature(tags: readonly string[]): string {
  return [...new Set(tags)].sort().join('\n');
}

/** Per service (service checks) and per node (node checks): a string that changes when any check does. */
function checkSignatures(checks: readonly HealthCheckEntry[]): { services: Map<string, string>; nodes: Map<string, string> } {
  const services = new Map<string, string[]>(), nodes = new Map<string, string[]>();
  for (const c of checks) {
    const line = `${c.Node ?? ''}\u0001${c.CheckID ?? ''}\u0001${c.Status ?? ''}\u0001${c.ModifyIndex ?? 0}`;
    const [map, key] = c.ServiceName ? [services, c.ServiceName] : [nodes, c.Node ?? ''];
    const list = map.get(key);
    if (list) list.push(line); else map.set(key, [line]);
  }
  const join = (m: Map<string, string[]>): Map<string, string> => new Map([...m].map(([k, v]) => [k, v.sort().join('\n')]));
  return { services: join(services), nodes: join(nodes) };
}
