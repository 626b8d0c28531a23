/**
 * Shared mode (`storage: consul`): one account, one set of certificates and the pending challenge answers for every
 * gateway node, in Consul KV under `tagway/acme/<resolver>/`, through providers.consulCatalog's endpoint (its token
 * and TLS). One node orders at a time: the one holding the `lock` key with its Consul session (TTL, renewed at half
 * of it; a dead holder's session expires and Consul releases the lock, after its lock-delay another node takes it).
 * Every node watches the prefix with one blocking query and serves what appears there; any node answers a challenge.
 *
 * Keys: `account` (Traefik's Account JSON), `certificates/<main>` (Traefik's certificate JSON: certificate and key
 * base64 PEM), `challenges/http/<token>/<domain>` (key authorization), `challenges/tls/<domain>` (TLS-ALPN-01
 * certificate and its throwaway key), `wants/<node>` (the certificates that node's routers need), `lock`.
 * The private keys are stored as Traefik's acme.json holds them: restrict `tagway/acme/` with an ACL (README).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createConsulApi, type ConsulApi, type KvEntry } from '../../providers/consulcatalog/client.ts';
import type { StaticConfig } from '../../static/types.ts';
import type { Logger } from '../../util/log.ts';
import type { ChallengeBoard } from './challenges.ts';
import type { ChallengeSolver } from './client.ts';
import type { AcmeShared } from './index.ts';
import type { SharedEvents, SharedMode } from './resolver.ts';
import { storedDomains, type AcmeStore, type StoredAccount, type StoredCertificate } from './store.ts';

export const KV_ROOT = 'tagway/acme/';
/** Longest wait of the prefix's blocking query. */
const WATCH_WAIT_MS = 5 * 60_000;
const RETRY_MS = 1000;

/** Shared mode through providers.consulCatalog's endpoint; undefined without that provider. */
export function consulAcmeShared(config: StaticConfig, log: Logger): AcmeShared | undefined {
  const cc = config.providers.consulCatalog;
  if (!cc) return undefined;
  return (resolver, acme, board) => {
    let api: ConsulApi;
    try { api = createConsulApi(cc.endpoint, { stale: false, requireConsistent: false }); } catch (err) { return { error: `Consul KV: ${(err as Error).message}` }; }
    const shared = new ConsulShared(api, resolver, acme.consul, board, log.child({ resolver }));
    return { store: shared.store, shared };
  };
}

class ConsulShared implements SharedMode {
  readonly #api: ConsulApi;
  readonly #prefix: string;
  readonly #node = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #opts: { sessionTTL: number; lockDelay: number };
  readonly #board: ChallengeBoard;
  readonly #log: Logger;
  #entries = new Map<string, KvEntry>();
  #loaded: Promise<void>;
  #markLoaded!: () => void;
  #events: SharedEvents | undefined;
  #signal: AbortSignal | undefined;
  #session: string | undefined;
  #leader = false;
  #error: string | undefined;
  #wake: (() => void) | undefined;
  #seen = new Set<() => void>();
  #lastCertificates = '';
  #lastWants = '';

  constructor(api: ConsulApi, resolver: string, opts: { sessionTTL: number; lockDelay: number }, board: ChallengeBoard, log: Logger) {
    this.#api = api;
    this.#prefix = `${KV_ROOT}${resolver}/`;
    this.#opts = opts;
    this.#board = board;
    this.#log = log;
    this.#loaded = new Promise((resolve) => { this.#markLoaded = resolve; });
  }

  readonly store: AcmeStore = {
    getAccount: async () => {
      await this.#loaded;
      const e = this.#entries.get(`${this.#prefix}account`);
      return e?.Value ? JSON.parse(e.Value) as StoredAccount : null;
    },
    saveAccount: async (account) => { await this.#put('account', JSON.stringify(account)); },
    getCertificates: async () => { await this.#loaded; return this.#certificates(); },
    saveCertificates: async (certificates) => {
      const keep = new Set<string>();
      for (const c of certificates) {
        const k = `certificates/${c.domain.main}`;
        keep.add(`${this.#prefix}${k}`);
        const text = JSON.stringify(c);
        if (this.#entries.get(`${this.#prefix}${k}`)?.Value !== text) await this.#put(k, text);
      }
      for (const k of this.#entries.keys()) if (k.startsWith(`${this.#prefix}certificates/`) && !keep.has(k)) await this.#api.kvDelete(k);
    },
  };

  start(signal: AbortSignal, events: SharedEvents): void {
    this.#events = events;
    this.#signal = signal;
    signal.addEventListener('abort', () => {
      this.#wake?.();
      const session = this.#session;
      // A clean stop releases the lock at once (a crash leaves it to the session's TTL).
      const done = session ? this.#api.sessionDestroy(session).catch(() => undefined) : Promise.resolve();
      void done.finally(() => this.#api.close());
    }, { once: true });
    void this.#watch();
    void this.#lead();
  }

  async publishWants(wanted: string[][]): Promise<void> {
    await this.#loaded;
    await this.#put(`wants/${this.#node}`, JSON.stringify(wanted));
  }

  solver(local: ChallengeSolver): ChallengeSolver {
    return {
      presentHttp: async (token, domain, keyAuthorization) => {
        await local.presentHttp(token, domain, keyAuthorization);
        await this.#putSeen(`challenges/http/${token}/${domain}`, keyAuthorization);
      },
      cleanupHttp: async (token, domain) => { await local.cleanupHttp(token, domain); await this.#api.kvDelete(`${this.#prefix}challenges/http/${token}/${domain}`); },
      presentTls: async (domain, certPem, keyPem) => {
        await local.presentTls(domain, certPem, keyPem);
        await this.#putSeen(`challenges/tls/${domain}`, JSON.stringify({ certPem, keyPem }));
      },
      cleanupTls: async (domain) => { await local.cleanupTls(domain); await this.#api.kvDelete(`${this.#prefix}challenges/tls/${domain}`); },
    };
  }

  status(): { leader: boolean; error?: string } {
    return { leader: this.#leader, ...(this.#error ? { error: this.#error } : {}) };
  }

  async #put(key: string, value: string): Promise<void> {
    if (!(await this.#api.kvPut(`${this.#prefix}${key}`, value))) throw new Error(`Consul KV refused ${this.#prefix}${key}`);
  }

  /**
   * Writes a challenge answer and resolves once this node's own watch has seen it: the other nodes' watches were woken
   * by the same write, so the answer is everywhere before the CA is told to validate.
   */
  async #putSeen(key: string, value: string): Promise<void> {
    const full = `${this.#prefix}${key}`;
    const seen = new Promise<void>((resolve) => {
      const check = (): void => { if (this.#entries.get(full)?.Value === value) { this.#seen.delete(check); resolve(); } };
      this.#seen.add(check);
    });
    await this.#put(key, value);
    await Promise.race([seen, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  #certificates(): StoredCertificate[] {
    const out: StoredCertificate[] = [];
    for (const [k, e] of this.#entries) {
      if (!k.startsWith(`${this.#prefix}certificates/`) || !e.Value) continue;
      try { out.push(JSON.parse(e.Value) as StoredCertificate); } catch { this.#log.warn('ACME: unreadable certificate entry in Consul KV', { key: k }); }
    }
    return out.sort((a, b) => (a.domain.main < b.domain.main ? -1 : 1));
  }

  /** One blocking query on the prefix: certificates, challenge answers, other nodes' wants, the lock. */
  async #watch(): Promise<void> {
    let index = 0;
    while (!this.#signal?.aborted) {
      try {
        const r = await this.#api.kvList(this.#prefix, { index, waitMs: WATCH_WAIT_MS, ...(this.#signal ? { signal: this.#signal } : {}) });
        index = r.index < index ? 0 : r.index;
        this.#entries = new Map(r.value.map((e) => [e.Key, e]));
        this.#error = undefined;
        this.#markLoaded();
        this.#apply();
      } catch (err) {
        if (this.#signal?.aborted) return;
        this.#error = `Consul KV: ${(err as Error).message}`;
        this.#log.warn('ACME: watching Consul KV failed', { error: this.#error });
        await sleep(RETRY_MS, this.#signal);
      }
    }
  }

  #apply(): void {
    const http: Array<[string, string, string]> = [];
    const tls: Array<[string, string, string]> = [];
    const wants: string[][] = [];
    for (const [k, e] of this.#entries) {
      const rel = k.slice(this.#prefix.length);
      const h = /^challenges\/http\/([^/]+)\/(.+)$/.exec(rel);
      if (h && e.Value) http.push([h[1]!, h[2]!, e.Value]);
      const t = /^challenges\/tls\/(.+)$/.exec(rel);
      if (t && e.Value) { try { const v = JSON.parse(e.Value) as { certPem: string; keyPem: string }; tls.push([t[1]!, v.certPem, v.keyPem]); } catch { /* a half-written answer: skipped */ } }
      if (rel.startsWith('wants/') && rel !== `wants/${this.#node}` && e.Value) { try { wants.push(...(JSON.parse(e.Value) as string[][])); } catch { /* skipped */ } }
    }
    this.#board.replace(`consul:${this.#prefix}`, http, tls);
    for (const check of [...this.#seen]) check();
    const certificates = this.#certificates();
    const certText = JSON.stringify(certificates.map((c) => [storedDomains(c), c.certificate]));
    if (certText !== this.#lastCertificates) { this.#lastCertificates = certText; this.#events?.certificates(certificates); }
    const wantsText = JSON.stringify(wants);
    if (wantsText !== this.#lastWants) { this.#lastWants = wantsText; this.#events?.wants(wants); }
    const lock = this.#entries.get(`${this.#prefix}lock`);
    if (this.#leader && lock?.Session !== this.#session) this.#setLeader(false);
    if (!this.#leader && !lock?.Session) this.#wake?.();
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    this.#log.info(leader ? 'ACME: this node holds the ordering lock' : 'ACME: this node no longer holds the ordering lock', { node: this.#node });
    this.#events?.leader(leader);
  }

  /** Holds a session (renewed at half its TTL) and takes the lock whenever it is free. */
  async #lead(): Promise<void> {
    const ttl = Math.max(1000, this.#opts.sessionTTL);
    let renewTimer: NodeJS.Timeout | undefined;
    this.#signal?.addEventListener('abort', () => clearInterval(renewTimer), { once: true });
    await this.#loaded;
    while (!this.#signal?.aborted) {
      try {
        if (!this.#session) {
          this.#session = await this.#api.sessionCreate({ name: `tagway-acme ${this.#prefix} ${this.#node}`, ttl: `${Math.round(ttl / 1000)}s`, lockDelay: `${this.#opts.lockDelay}ms`, behavior: 'release' });
          clearInterval(renewTimer);
          renewTimer = setInterval(() => {
            const id = this.#session;
            if (!id) return;
            this.#api.sessionRenew(id).then((alive) => {
              if (alive || this.#session !== id) return;
              this.#log.warn('ACME: the Consul session expired; a new one is made', { node: this.#node });
              this.#session = undefined;
              this.#setLeader(false);
              this.#wake?.();
            }, (err: unknown) => { this.#error = `Consul session renew: ${(err as Error).message}`; });
          }, ttl / 2);
          renewTimer.unref();
        }
        if (!this.#leader) {
          const lock = this.#entries.get(`${this.#prefix}lock`);
          if (!lock?.Session && await this.#api.kvPut(`${this.#prefix}lock`, this.#node, { acquire: this.#session })) this.#setLeader(true);
        }
      } catch (err) {
        if (this.#signal?.aborted) return;
        this.#error = `Consul session/lock: ${(err as Error).message}`;
        this.#log.warn('ACME: taking the Consul lock failed', { error: this.#error });
      }
      // Until the lock looks free, the session is lost, or a retry is due (lock-delay refuses an early acquire).
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(RETRY_MS, this.#opts.lockDelay));
        t.unref();
        function done(): void { clearTimeout(t); resolve(); }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    t.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
  });
}
