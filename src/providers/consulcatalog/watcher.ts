import type { ItemIssue, Message } from '../../dynamic/types.ts';
import type { ConsulCatalogConfig } from '../../static/types.ts';
import { silentLogger, type Logger } from '../../util/log.ts';
import type { ConnectStatus, Provider, ProviderStatus } from '../provider.ts';
import { CONNECT_WAITING, ConnectOverlay, buildOptionsFrom, prepareBuildOptions, type BuildOptions } from './builder.ts';
import { CatalogBuild } from './incremental.ts';
import { noteChanges } from '../../dynamic/changes.ts';
import { createConsulApi, type ConnectLeaf, type ConnectRoots } from './client.ts';
import { meshLeafFrom, meshRootsFrom, type MeshCertificates, type MeshLeaf, type MeshRoots } from './connect.ts';
import { checkSignatures, diffCatalog, diffChecks, nextIndex, tagSignature } from './diff.ts';
import { ChecksState } from './checks.ts';
import type { AnswerBuffer } from './answer-buffer.ts';
import { keepUnchanged, tagsToLabels, toInstances, type HealthCheckEntry, type HealthServiceEntry, type ServiceInstance } from './instance.ts';
import { decodeExtraConfig } from './labels.ts';
import { Backoff, TokenBucket, Wake, forEachLimit, sleep } from './pacing.ts';

/**
 * The Consul Catalog provider. Unlike Traefik (one full reload of N+1 requests per event), it holds
 * two blocking queries — `/v1/catalog/services` (membership and tag unions) and `/v1/health/state/any`
 * (every check) — diffs each answer against the last, and fetches `/v1/health/service/<name>` only
 * for services that appeared or changed, a few at a time (the diff itself is pure: diff.ts). A slow full
 * resync is the safety net. Failures never clear the configuration: the last good one (per service, too)
 * stays and `status()` tells how old it is and what is failing, from the first failed request on. A failing
 * request, or an answer whose index breaks Consul's rules, is retried after a backoff (1 s doubling to 30 s),
 * so a fault costs at most about one request per second per watch.
 */

/** What the watcher needs from the Consul client (src/providers/consulcatalog/client.ts). */
export interface CatalogApi {
  catalogServices(q: Query): Promise<Answer<Record<string, string[] | null>>>;
  healthState(state: string, q: Query): Promise<Answer<HealthCheckEntry[]>>;
  /** The same answer unparsed: when present, only what changed since the last answer is read (checks.ts). */
  healthStateRaw?(state: string, q: Query & { into?: AnswerBuffer }): Promise<Answer<Buffer>>;
  healthService(name: string, q: Query & { passing?: boolean }): Promise<Answer<HealthServiceEntry[]>>;
  /** Consul Connect (connectAware): a service's sidecars, this gateway's leaf certificate, the CA roots. */
  healthConnect?(name: string, q: Query): Promise<Answer<HealthServiceEntry[]>>;
  connectLeaf?(service: string, q: Query): Promise<Answer<ConnectLeaf>>;
  connectRoots?(q: Query): Promise<Answer<ConnectRoots>>;
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
  /** Retry delays after a failure or an index fault, ms. Default 1 s doubling to 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Token bucket over the long polls. Default 10/s, burst 20. */
  rateLimit?: { perSecond?: number; burst?: number };
  /** Service fetches in flight at once. Default 4. */
  fetchConcurrency?: number;
}

type Source = 'catalog' | 'checks' | 'services' | 'leaf' | 'roots';
type Poll = 'catalog' | 'checks' | 'leaf' | 'roots';

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

  /** Signatures of what was last seen (catalog membership and tags, service checks, node checks). */
  #seen = { services: new Map<string, string>(), serviceChecks: new Map<string, string>(), nodeChecks: new Map<string, string>() };
  /** name → tag union from the last catalog answer (decides whether a service is worth fetching). */
  #catalogTags = new Map<string, readonly string[]>();
  /** Last good instances per service. */
  #instances = new Map<string, ServiceInstance[]>();
  #dirty = new Set<string>();
  /** The last `/v1/health/state/any` answer, kept to read only what the next one changes. */
  #checks = new ChecksState();
  /**
   * Services and nodes whose `#seen` check signature was set since the last checks answer other than from it (a
   * service fetch, a service leaving): the next answer compares them too, whether or not it changed them.
   */
  #checksTouched = { services: new Set<string>(), nodes: new Set<string>() };
  #catalogSeen = false;
  #checksSeen = false;
  #wake = new Wake();
  #emit: ((m: Message) => void) | undefined;
  #lastEmitted: { message: Message; issues: string } | undefined;
  #catalog: CatalogBuild;
  #errors = new Map<Source, { message: string; since: number }>();
  #status: ProviderStatus = { name: 'consulcatalog', counters: {} };
  #counters: Record<string, number> = { requests: 0, catalogPolls: 0, checkPolls: 0, serviceFetches: 0, fetchErrors: 0, resyncs: 0, checklessRefetches: 0, indexResets: 0, emits: 0, builds: 0 };
  #running = false;
  /** Consul Connect: the last good leaf and roots (a failing CA endpoint never takes them away). */
  #leaf: MeshLeaf | undefined;
  #roots: MeshRoots | undefined;
  /** Both, as one value that changes (a new object) only when one of them does. */
  #meshValue: MeshCertificates | undefined;
  #meshWaitingSince = 0;
  /** Connect services fetched from /v1/health/connect: the names of their sidecars in the catalog → the service. */
  #sidecarOf = new Map<string, Set<string>>();
  #overlay = new ConnectOverlay();
  /** The services the last build routed through Connect (their change must be noted when they stop). */
  #connected: string[] = [];

  constructor(config: ConsulCatalogConfig, options: ConsulCatalogProviderOptions = {}) {
    this.#config = config;
    this.#build = buildOptionsFrom(config);
    // A bad defaultRule or constraints stops startup here, as Traefik's Init does.
    this.#constraints = prepareBuildOptions(this.#build).match;
    this.#catalog = new CatalogBuild(this.#build);
    this.#ownsApi = options.api === undefined;
    this.#api = options.api ?? createConsulApi(config.endpoint, { stale: config.stale, requireConsistent: config.requireConsistent });
    this.#log = options.logger ?? silentLogger;
    this.#resyncMs = options.resyncIntervalMs ?? 5 * 60_000;
    this.#backoff = { initialMs: options.backoff?.initialMs ?? 1000, maxMs: options.backoff?.maxMs ?? 30_000 };
    this.#bucket = new TokenBucket(options.rateLimit?.perSecond ?? 10, options.rateLimit?.burst ?? 20);
    this.#concurrency = options.fetchConcurrency ?? 4;
  }

  /**
   * What the constructor refuses, without starting anything: a bad defaultRule or constraints, an unreadable TLS
   * file. For a provider that runs elsewhere (a provider thread): startup stops here all the same.
   */
  static check(config: ConsulCatalogConfig): void {
    prepareBuildOptions(buildOptionsFrom(config));
    createConsulApi(config.endpoint, { stale: config.stale, requireConsistent: config.requireConsistent }).close();
  }

  status(): ProviderStatus {
    let error: string | undefined, since: number | undefined;
    for (const [source, e] of this.#errors) {
      if (since === undefined || e.since < since) { since = e.since; error = `${source}: ${e.message}`; }
    }
    const s: ProviderStatus = { ...this.#status, counters: { ...this.#counters } };
    if (error !== undefined) { s.error = error; s.errorSince = since; }
    if (this.#config.connectAware) s.connect = this.#connectStatus();
    return s;
  }

  #connectStatus(): ConnectStatus {
    const out: ConnectStatus = { serviceName: this.#config.serviceName, state: this.#mesh() ? 'ready' : 'waiting' };
    if (!this.#mesh() && this.#meshWaitingSince) out.waitingSince = this.#meshWaitingSince;
    if (this.#leaf) Object.assign(out, { identity: this.#leaf.serviceURI, leafSerial: this.#leaf.serial, leafValidBefore: this.#leaf.validBefore });
    if (this.#roots) Object.assign(out, { trustDomain: this.#roots.trustDomain, activeRootId: this.#roots.activeRootId, roots: this.#roots.pems.length });
    return out;
  }

  /** Both halves of the mesh certificates, or undefined until both arrived. */
  #mesh(): MeshCertificates | undefined {
    return this.#meshValue;
  }


  /** Runs until `signal` aborts; resolves once every loop has stopped. */
  async provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('consulcatalog: provide() is already running');
    this.#running = true;
    this.#emit = emit;
    try {
      const loops = [this.#workLoop(signal)];
      if (this.#config.connectAware) {
        // The certificates are held by blocking queries whatever `watch` says: a leaf renewal must reach new
        // connections at once, not a refreshInterval later.
        this.#meshWaitingSince = Date.now();
        this.#log.info('Connect: waiting for this gateway\'s leaf certificate and the CA roots; Connect services are not routed until they arrive', { serviceName: this.#config.serviceName });
        loops.push(this.#watchLoop('leaf', signal), this.#watchLoop('roots', signal));
      }
      if (this.#config.watch) {
        loops.push(this.#watchLoop('catalog', signal), this.#watchLoop('checks', signal));
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

  /**
   * One request of a poll, its answer diffed and applied; returns the answer's index. Shared by the blocking
   * watch and the `watch: false` interval loop.
   */
  async #poll(source: Poll, q: Query): Promise<number> {
    this.#counters.requests++;
    if (source === 'leaf' || source === 'roots') return this.#pollMesh(source, q);
    if (source === 'catalog') {
      this.#counters.catalogPolls++;
      const answer = await this.#api.catalogServices(q);
      this.#contact();
      const visible = this.#applyCatalog(answer.value);
      // The services index moved but no tag union changed: an instance came or went with the same
      // tags. One with checks shows in the checks poll; one without checks shows nowhere, so the
      // services that have no service checks are fetched again (usually none or a few).
      if (q.index !== undefined && q.index > 0 && answer.index > q.index && !visible) this.#markChecklessDirty();
      return answer.index;
    }
    this.#counters.checkPolls++;
    if (this.#api.healthStateRaw) {
      const raw = await this.#api.healthStateRaw('any', { ...q, into: this.#checks.nextBuffer() });
      this.#contact();
      this.#applyChecksBody(raw.value);
      return raw.index;
    }
    const answer = await this.#api.healthState('any', q);
    this.#contact();
    this.#applyChecks(answer.value);
    return answer.index;
  }

  /**
   * One answer of a Connect CA endpoint. An answer that does not check out (a key that is not the certificate's, no
   * SPIFFE ID, no root) fails like a failed request: the last good certificates stay in use.
   */
  async #pollMesh(source: 'leaf' | 'roots', q: Query): Promise<number> {
    const serviceName = this.#config.serviceName;
    if (source === 'leaf') {
      if (!this.#api.connectLeaf) throw new Error('this Consul API has no Connect leaf endpoint');
      this.#counters.leafPolls = (this.#counters.leafPolls ?? 0) + 1;
      const answer = await this.#api.connectLeaf(serviceName, q);
      this.#contact();
      const leaf = meshLeafFrom(answer.value, serviceName);
      if (leaf.certPem !== this.#leaf?.certPem || leaf.keyPem !== this.#leaf?.keyPem) {
        const first = this.#leaf === undefined;
        this.#leaf = leaf;
        this.#counters.leafChanges = (this.#counters.leafChanges ?? 0) + 1;
        this.#log.info(first ? 'Connect: leaf certificate received' : 'Connect: leaf certificate renewed; new connections present it', { identity: leaf.serviceURI, serial: leaf.serial, validBefore: leaf.validBefore });
        this.#meshChanged();
      }
      return answer.index;
    }
    if (!this.#api.connectRoots) throw new Error('this Consul API has no Connect roots endpoint');
    this.#counters.rootsPolls = (this.#counters.rootsPolls ?? 0) + 1;
    const answer = await this.#api.connectRoots(q);
    this.#contact();
    const roots = meshRootsFrom(answer.value);
    if (roots.pems.join('\n') !== this.#roots?.pems.join('\n') || roots.trustDomain !== this.#roots?.trustDomain) {
      const first = this.#roots === undefined;
      this.#roots = roots;
      this.#counters.rootsChanges = (this.#counters.rootsChanges ?? 0) + 1;
      this.#log.info(first ? 'Connect: CA roots received' : 'Connect: CA roots changed; new connections verify against them', { trustDomain: roots.trustDomain, activeRootId: roots.activeRootId, roots: roots.pems.length });
      this.#meshChanged();
    }
    return answer.index;
  }

  #meshChanged(): void {
    this.#meshValue = this.#leaf && this.#roots ? { leaf: this.#leaf, roots: this.#roots } : undefined;
    if (this.#mesh() && this.#meshWaitingSince) {
      this.#log.info('Connect: certificates ready, Connect services are routed', { waitedMs: Date.now() - this.#meshWaitingSince });
      this.#meshWaitingSince = 0;
    }
    this.#wake.notify();
  }

  /**
   * A blocking watch of one poll. Failures and index faults (`nextIndex`) are reported at once and retried after
   * the backoff; the retry answers at once (index 0), since a parked blocking query would hide the recovery until
   * the next change. After an index fault, only a sound answer to a blocking query ends the backoff (an index
   * that keeps going backwards would otherwise cost two requests per delay).
   */
  async #watchLoop(source: Poll, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    const waitMs = this.#config.endpoint.endpointWaitTime > 0 ? this.#config.endpoint.endpointWaitTime : undefined;
    let index = 0;
    let delay = 0;
    let indexSuspect = false;
    while (!signal.aborted) {
      if (delay > 0) {
        await sleep(delay, signal);
        if (signal.aborted) break;
      }
      await this.#bucket.take(signal);
      if (signal.aborted) break;
      try {
        const answered = await this.#poll(source, index > 0 ? { index, waitMs, signal } : { signal });
        const step = nextIndex(index, answered);
        if (step.fault !== undefined) {
          this.#counters.indexResets++;
          this.#failed(source, step.fault);
          indexSuspect = true;
          delay = backoff.next();
        } else {
          this.#recovered(source);
          if (!indexSuspect || index > 0) { backoff.reset(); indexSuspect = false; }
          delay = 0;
        }
        index = step.index;
      } catch (err) {
        if (signal.aborted) break;
        this.#failed(source, err);
        index = 0;
        delay = backoff.next();
      }
    }
  }

  /** `watch: false`: both lists every refreshInterval, without blocking, still diffed. */
  async #intervalLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#backoff.initialMs, this.#backoff.maxMs);
    while (!signal.aborted) {
      let failed = false;
      for (const source of ['catalog', 'checks'] as const) {
        try {
          await this.#poll(source, { signal });
          this.#recovered(source);
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
      for (const name of this.#seen.services.keys()) this.#dirty.add(name);
      this.#wake.notify();
    }
  }

  // ---- applying the diffs ----

  #markChecklessDirty(): void {
    let any = false;
    for (const name of this.#seen.services.keys()) {
      if (this.#seen.serviceChecks.get(name)) continue;
      this.#dirty.add(name);
      any = true;
    }
    if (any) { this.#counters.checklessRefetches++; this.#wake.notify(); }
  }

  /** Applies a catalog answer; true when something visible changed (a service's tags, or membership). */
  #applyCatalog(value: Record<string, string[] | null>): boolean {
    const diff = diffCatalog(this.#seen.services, value);
    for (const name of diff.changed) this.#dirty.add(name);
    if (this.#config.connectAware) this.#dirtyConnectParents([...diff.changed, ...diff.removed]);
    for (const name of diff.removed) {
      this.#instances.delete(name);
      this.#seen.serviceChecks.delete(name);
      this.#checksTouched.services.add(name);
      this.#dirty.delete(name);
    }
    this.#seen.services = diff.services;
    this.#catalogTags = diff.tags;
    const first = !this.#catalogSeen;
    this.#catalogSeen = true;
    if (first || diff.removed.length > 0 || this.#dirty.size > 0) this.#wake.notify();
    return first || diff.changed.length > 0 || diff.removed.length > 0;
  }

  /**
   * The incremental `#applyChecks`: the same decisions (a service is fetched again when its checks' signature moved
   * from what was last seen, or a node it runs on changed its node checks), from the checks this answer changed and
   * the signatures set meanwhile by fetches; the rest of the catalog is not looked at.
   */
  #applyChecksBody(body: Buffer): void {
    const change = this.#checks.update(body);
    if (change.whole) this.#counters.checkWholeParses = (this.#counters.checkWholeParses ?? 0) + 1;
    this.#counters.checksParsed = (this.#counters.checksParsed ?? 0) + change.parsed;
    const first = !this.#checksSeen;
    this.#checksSeen = true;
    const serviceChecks = this.#seen.serviceChecks, nodeChecks = this.#seen.nodeChecks;
    const changed = new Set<string>();
    for (const name of new Set([...change.services, ...this.#checksTouched.services])) {
      const sig = this.#checks.serviceSignature(name);
      if ((serviceChecks.get(name) ?? '') !== sig && !first && this.#seen.services.has(name)) changed.add(name);
      if (sig === '') serviceChecks.delete(name); else serviceChecks.set(name, sig);
    }
    const changedNodes = new Set<string>();
    for (const node of new Set([...change.nodes, ...this.#checksTouched.nodes])) {
      const sig = this.#checks.nodeSignature(node);
      if ((nodeChecks.get(node) ?? '') !== sig) changedNodes.add(node);
      if (sig === '') nodeChecks.delete(node); else nodeChecks.set(node, sig);
    }
    this.#checksTouched.services.clear();
    this.#checksTouched.nodes.clear();
    if (!first && changedNodes.size > 0) {
      for (const [name, instances] of this.#instances) if (instances.some((i) => changedNodes.has(i.node))) changed.add(name);
    }
    for (const name of changed) this.#dirty.add(name);
    if (this.#config.connectAware) this.#dirtyConnectParents([...changed].sort());
    if (this.#dirty.size > 0) this.#wake.notify();
  }

  #applyChecks(checks: HealthCheckEntry[]): void {
    const nodesOf = new Map<string, string[]>();
    for (const [name, instances] of this.#instances) nodesOf.set(name, instances.map((i) => i.node));
    const diff = diffChecks(this.#seen, checks, { first: !this.#checksSeen, services: this.#seen.services, nodesOf });
    this.#checksSeen = true;
    this.#seen.serviceChecks = diff.serviceChecks;
    this.#seen.nodeChecks = diff.nodeChecks;
    for (const name of diff.changed) this.#dirty.add(name);
    if (this.#config.connectAware) this.#dirtyConnectParents(diff.changed);
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
        if (!this.#seen.services.has(name)) continue;
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
          const connect = this.#isConnect(name);
          const answer = connect ? await this.#api.healthConnect!(name, { signal }) : await this.#api.healthService(name, { signal });
          this.#contact();
          this.#applyService(name, answer.value ?? [], connect);
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

  /**
   * Traefik decides from the tag union whether a service is a Connect one, and then reads its instances from
   * `/v1/health/connect/<name>` (its sidecars), not `/v1/health/service/<name>`.
   */
  #isConnect(name: string): boolean {
    if (!this.#config.connectAware || !this.#api.healthConnect) return false;
    const extra = decodeExtraConfig(tagsToLabels(this.#catalogTags.get(name) ?? []), this.#build.prefix);
    return extra.connect ?? this.#config.connectByDefault;
  }

  /** A change of a sidecar (its tags, its checks, itself) is a change of the Connect service it fronts. */
  #dirtyConnectParents(names: Iterable<string>): void {
    for (const n of names) {
      for (const parent of this.#sidecarOf.get(n) ?? []) this.#dirty.add(parent);
      // A sidecar that just appeared is not mapped yet: Consul names it <service>-sidecar-proxy.
      if (n.endsWith('-sidecar-proxy')) {
        const base = n.slice(0, -'-sidecar-proxy'.length);
        if (this.#seen.services.has(base) && this.#isConnect(base)) this.#dirty.add(base);
      }
    }
  }

  #applyService(name: string, entries: HealthServiceEntry[], connect = false): void {
    if (!this.#seen.services.has(name)) return; // removed while in flight
    // Instances equal to the last fetch's stay the same objects: only what changed is built again (incremental.ts).
    const instances = keepUnchanged(this.#instances.get(name), toInstances(name, entries, connect ? { parentTags: this.#catalogTags.get(name) ?? [] } : undefined));
    if (instances.length === 0) this.#instances.delete(name); else this.#instances.set(name, instances);
    for (const parents of this.#sidecarOf.values()) parents.delete(name);
    if (connect) {
      for (const e of entries) {
        const sidecar = e.Service?.Service;
        if (!sidecar || sidecar === name) continue;
        let parents = this.#sidecarOf.get(sidecar);
        if (!parents) this.#sidecarOf.set(sidecar, (parents = new Set()));
        parents.add(name);
      }
      // The entries are the sidecars': their tags and checks say nothing of this service's own signatures.
      return;
    }
    // Record what this answer already shows, so the poll answers that report the same change
    // (possibly later than this fetch) do not cause another fetch.
    this.#seen.services.set(name, tagSignature(instances.flatMap((i) => i.tags)));
    const { services, nodes } = checkSignatures(entries.flatMap((e) => e.Checks ?? []));
    const sig = services.get(name);
    if (sig === undefined) this.#seen.serviceChecks.delete(name); else this.#seen.serviceChecks.set(name, sig);
    this.#checksTouched.services.add(name);
    for (const [node, nodeSig] of nodes) { this.#seen.nodeChecks.set(node, nodeSig); this.#checksTouched.nodes.add(node); }
  }

  #rebuild(): void {
    this.#counters.builds++;
    // Only the services fetched again are built again (incremental.ts); unchanged items are the same objects as in
    // the last message, and the message notes which changed, so the runtime looks at those only.
    const built = this.#catalog.update(this.#instances);
    let { configuration, issues, changed } = built;
    const { log } = built;
    const targets = this.#catalog.connectTargets();
    if (targets.length > 0 || this.#connected.length > 0) {
      // Consul Connect: the certificates (or the wait for them) go on top of the catalog's build; the services
      // it rewrites count as changed when their object did (a new leaf, a new root, the first certificates).
      const before = this.#lastEmitted?.message.configuration.http;
      const connected = this.#overlay.apply(built, targets, this.#build, this.#meshValue);
      configuration = connected.configuration;
      issues = connected.issues;
      const names = new Set([...changed.services, ...connected.services, ...this.#connected, ...targets.flatMap((t) => t.services)]);
      changed = { ...changed, services: [...names].filter((n) => before?.services[n] !== configuration.http.services[n]) };
      if (JSON.stringify(before?.serversTransports ?? {}) !== JSON.stringify(configuration.http.serversTransports ?? {})) {
        // A transport changed: every service naming one is looked at again.
        changed = { ...changed, services: [...new Set([...changed.services, ...targets.flatMap((t) => t.services)])] };
      }
      log.push(...connected.log);
      this.#connected = targets.flatMap((t) => t.services);
    }
    const last = this.#lastEmitted;
    const issuesJson = last && issues === last.message.issues ? last.issues : JSON.stringify(issues);
    const anyChanged = changed.routers.length + changed.services.length + changed.middlewares.length > 0;
    if (last && !anyChanged && last.issues === issuesJson) return;
    const message: Message = { providerName: this.name, configuration, issues };
    if (last) noteChanges(message, last.message, changed);
    this.#lastEmitted = { message, issues: issuesJson };
    for (const line of log) this.#log.debug(line);
    this.#logIssues(issues);
    this.#status.configurationAt = Date.now();
    this.#counters.emits++;
    this.#emit?.(message);
  }

  #loggedIssues = new Set<string>();
  /** Each issue is logged when it appears, not on every rebuild. */
  #logIssues(issues: ItemIssue[]): void {
    const now = new Set<string>();
    for (const issue of issues) {
      const key = `${issue.kind}\0${issue.name}\0${issue.message}`;
      now.add(key);
      if (this.#loggedIssues.has(key)) continue;
      // The wait for the Connect certificates is logged once at info (start, then ready), not per service.
      if (issue.message.includes(CONNECT_WAITING)) continue;
      const fields = { [issue.kind]: issue.name, dropped: issue.dropped };
      if (issue.severity === 'error') this.#log.error(issue.message, fields); else this.#log.warn(issue.message, fields);
    }
    this.#loggedIssues = now;
  }

  // ---- health of the source ----

  #contact(): void {
    this.#status.lastContact = Date.now();
  }

  /** Reports a failure of `source` (an error, or the text of a fault) from its first occurrence on. */
  #failed(source: Source, err: unknown, context?: string): void {
    const code = (err as { code?: string } | undefined)?.code;
    const text = typeof err === 'string' ? err : (err as Error | undefined)?.message ?? String(err);
    const message = `${context ? context + ': ' : ''}${text}${code && !text.includes(code) ? ` (${code})` : ''}`;
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
    // Services whose fetch failed meanwhile are fetched now, not when their own backoff ends.
    if (source !== 'services' && this.#dirty.size > 0) this.#wake.notify();
  }
}

/** Go's strconv.ParseBool true values. */
function isGoTrue(v: string): boolean {
  return v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'true' || v === 'True';
}
