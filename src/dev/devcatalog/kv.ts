/**
 * Consul's KV store and sessions (developer.hashicorp.com/consul/api-docs/kv, /session) for devcatalog: `GET|PUT|DELETE
 * /v1/kv/<key>` with `recurse`, `keys`, `cas`, `flags`, `acquire`/`release`, blocking queries (`index`,
 * `wait`) and Consul's entry JSON (base64 `Value`, `Flags`, `LockIndex`, `Session`, `CreateIndex`, `ModifyIndex`);
 * `PUT /v1/session/create|destroy/<id>|renew/<id>`, `GET /v1/session/info/<id>|list`, with TTL expiry (Consul
 * invalidates after 2 × TTL), `LockDelay`, and `Behavior` release or delete.
 */
import { randomUUID } from 'node:crypto';
import { effectiveWaitMs } from './blocking.ts';
import { parseGoDuration } from '../../util/duration.ts';

/** The part of a call and of a reply this file uses (handler.ts's IncomingCall and Reply; no import back to it). */
interface IncomingCall { method: string; url: URL; body: string; release: AbortSignal }
interface Reply { status: number; body?: unknown; headers?: Record<string, string> }

interface Entry { key: string; value: Buffer | null; flags: number; createIndex: number; modifyIndex: number; lockIndex: number; session?: string }
interface Session {
  id: string; name: string; node: string; lockDelayMs: number; behavior: 'release' | 'delete'; ttl: string; ttlMs: number;
  createIndex: number; modifyIndex: number; timer?: NodeJS.Timeout;
}

/** Consul's default session lock-delay and the TTL multiplier of its session timers (structs.SessionTTLMultiplier). */
const DEFAULT_LOCK_DELAY_MS = 15_000;
const TTL_MULTIPLIER = 2;
const MAX_TTL_MS = 24 * 3600_000;

export class KvState {
  #index = 0;
  readonly #entries = new Map<string, Entry>();
  /** Deleted keys and the index of their deletion (Consul's tombstones), so a prefix's index never goes back. */
  readonly #tombstones = new Map<string, number>();
  readonly #sessions = new Map<string, Session>();
  /** key → time until which a lock released by an invalidated session cannot be acquired. */
  readonly #lockDelay = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  readonly #sessionTtlMinMs: number;
  readonly #node: string;

  constructor(node: string, sessionTtlMinMs = 10_000) { this.#node = node; this.#sessionTtlMinMs = sessionTtlMinMs; }

  dispose(): void {
    for (const s of this.#sessions.values()) clearTimeout(s.timer);
    this.#listeners.clear();
  }

  /** The largest index of the entries (and deletions) under `prefix` (exact key when not `recurse`). */
  #prefixIndex(prefix: string, recurse: boolean): number {
    let max = 0;
    const hit = (k: string): boolean => (recurse ? k.startsWith(prefix) : k === prefix);
    for (const e of this.#entries.values()) if (hit(e.key) && e.modifyIndex > max) max = e.modifyIndex;
    for (const [k, i] of this.#tombstones) if (hit(k) && i > max) max = i;
    return max > 0 ? max : Math.max(1, this.#index);
  }

  /** The index of the write about to be made; `#notify` once it is made. */
  #changed(): number {
    this.#index++;
    queueMicrotask(() => this.#notify());
    return this.#index;
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  #wait(minIndex: number, current: () => number, waitMs: number, release: AbortSignal): Promise<void> {
    if (minIndex <= 0 || current() > minIndex || release.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { clearTimeout(timer); this.#listeners.delete(check); release.removeEventListener('abort', done); resolve(); };
      const check = (): void => { if (current() > minIndex) done(); };
      const timer = setTimeout(done, waitMs);
      timer.unref();
      this.#listeners.add(check);
      release.addEventListener('abort', done, { once: true });
    });
  }

  async kv(call: IncomingCall, key: string): Promise<Reply> {
    const q = call.url.searchParams;
    const m = call.method.toUpperCase();
    if (m === 'GET') {
      const recurse = q.has('recurse') || q.has('keys');
      const minIndex = q.has('index') ? Number(q.get('index')) : 0;
      if (!Number.isInteger(minIndex) || minIndex < 0) return { status: 400, body: 'Invalid index' };
      const wait = q.has('wait') ? parseGoDuration(q.get('wait')!) : undefined;
      if (q.has('wait') && wait === undefined) return { status: 400, body: 'Invalid wait time' };
      await this.#wait(minIndex, () => this.#prefixIndex(key, recurse), effectiveWaitMs(wait), call.release);
      const headers = { 'x-consul-index': String(this.#prefixIndex(key, recurse)), 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '0' };
      const found = [...this.#entries.values()].filter((e) => (recurse ? e.key.startsWith(key) : e.key === key)).sort((a, b) => (a.key < b.key ? -1 : 1));
      if (q.has('keys')) {
        const sep = q.get('separator') ?? '';
        const keys = new Set<string>();
        for (const e of found) {
          const i = sep ? e.key.indexOf(sep, key.length) : -1;
          keys.add(i >= 0 ? e.key.slice(0, i + sep.length) : e.key);
        }
        return keys.size === 0 ? { status: 404, headers } : { status: 200, body: [...keys], headers };
      }
      if (found.length === 0) return { status: 404, headers };
      return { status: 200, body: found.map(json), headers };
    }
    if (m === 'PUT') {
      const flags = q.has('flags') ? Number(q.get('flags')) : 0;
      const cas = q.has('cas') ? Number(q.get('cas')) : undefined;
      const acquire = q.get('acquire') ?? undefined;
      const release = q.get('release') ?? undefined;
      if (acquire && release) return { status: 400, body: 'Conflicting flags: acquire=&release=' };
      const existing = this.#entries.get(key);
      if (cas !== undefined && (cas === 0 ? existing !== undefined : existing?.modifyIndex !== cas)) return ok(false);
      const value = Buffer.from(call.body, 'utf8');
      if (acquire) {
        if (!this.#sessions.has(acquire)) return { status: 500, body: `invalid session "${acquire}"` };
        if (existing?.session && existing.session !== acquire) return ok(false);
        if (!existing?.session && (this.#lockDelay.get(key) ?? 0) > Date.now()) return ok(false);
        const idx = this.#changed();
        const lockIndex = existing?.session === acquire ? existing.lockIndex : (existing?.lockIndex ?? 0) + 1;
        this.#put({ key, value, flags, createIndex: existing?.createIndex ?? idx, modifyIndex: idx, lockIndex, session: acquire });
        return ok(true);
      }
      if (release) {
        if (existing?.session !== release) return ok(false);
        const idx = this.#changed();
        this.#put({ ...existing, value, flags, modifyIndex: idx, session: undefined });
        return ok(true);
      }
      const idx = this.#changed();
      this.#put({ key, value, flags, createIndex: existing?.createIndex ?? idx, modifyIndex: idx, lockIndex: existing?.lockIndex ?? 0, ...(existing?.session ? { session: existing.session } : {}) });
      return ok(true);
    }
    if (m === 'DELETE') {
      const cas = q.has('cas') ? Number(q.get('cas')) : undefined;
      const existing = this.#entries.get(key);
      if (cas !== undefined && existing?.modifyIndex !== cas) return ok(false);
      const doomed = [...this.#entries.keys()].filter((k) => (q.has('recurse') ? k.startsWith(key) : k === key));
      if (doomed.length > 0) {
        const idx = this.#changed();
        for (const k of doomed) { this.#entries.delete(k); this.#tombstones.set(k, idx); }
      }
      return ok(true);
    }
    return { status: 405, body: `method ${m} not allowed` };
  }

  #put(e: Entry): void {
    if (e.session === undefined) delete e.session;
    this.#entries.set(e.key, e);
    this.#tombstones.delete(e.key);
  }

  session(call: IncomingCall, op: string, id: string): Reply {
    const m = call.method.toUpperCase();
    const headers = { 'x-consul-index': String(Math.max(1, this.#index)), 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '0' };
    if (op === 'create') {
      if (m !== 'PUT') return { status: 405, body: `method ${m} not allowed` };
      let req: { Name?: string; Node?: string; LockDelay?: string | number; Behavior?: string; TTL?: string } = {};
      if (call.body.trim() !== '') {
        try { req = JSON.parse(call.body) as typeof req; } catch (err) { return { status: 400, body: `Request decode failed: ${(err as Error).message}` }; }
      }
      const behavior = req.Behavior ?? 'release';
      if (behavior !== 'release' && behavior !== 'delete') return { status: 400, body: `Invalid Behavior setting '${behavior}'` };
      let ttlMs = 0;
      if (req.TTL) {
        const t = parseGoDuration(req.TTL);
        if (t === undefined || (t !== 0 && (t < this.#sessionTtlMinMs || t > MAX_TTL_MS))) {
          return { status: 400, body: `Invalid Session TTL '${req.TTL}', must be between [${this.#sessionTtlMinMs / 1000}s=24h0m0s]` };
        }
        ttlMs = t;
      }
      const lockDelayMs = typeof req.LockDelay === 'number' ? req.LockDelay / 1e6 : req.LockDelay !== undefined ? (parseGoDuration(req.LockDelay) ?? DEFAULT_LOCK_DELAY_MS) : DEFAULT_LOCK_DELAY_MS;
      const idx = this.#changed();
      const s: Session = { id: randomUUID(), name: req.Name ?? '', node: req.Node ?? this.#node, lockDelayMs, behavior, ttl: req.TTL ?? '', ttlMs, createIndex: idx, modifyIndex: idx };
      this.#sessions.set(s.id, s);
      this.#arm(s);
      return { status: 200, body: { ID: s.id }, headers };
    }
    if (op === 'renew') {
      if (m !== 'PUT') return { status: 405, body: `method ${m} not allowed` };
      const s = this.#sessions.get(id);
      if (!s) return { status: 404, body: `Session id '${id}' not found` };
      this.#arm(s);
      return { status: 200, body: [sessionJson(s)], headers };
    }
    if (op === 'destroy') {
      if (m !== 'PUT') return { status: 405, body: `method ${m} not allowed` };
      this.#invalidate(id);
      return { status: 200, body: true, headers };
    }
    if (op === 'info' || op === 'list') {
      if (m !== 'GET') return { status: 405, body: `method ${m} not allowed` };
      const list = op === 'list' ? [...this.#sessions.values()] : [this.#sessions.get(id)].filter((s): s is Session => s !== undefined);
      return { status: 200, body: list.map(sessionJson), headers };
    }
    return { status: 404, body: '404 page not found\n' };
  }

  /** TTL timer: Consul invalidates a session not renewed within TTL × 2. */
  #arm(s: Session): void {
    clearTimeout(s.timer);
    if (s.ttlMs <= 0) return;
    s.timer = setTimeout(() => this.#invalidate(s.id), s.ttlMs * TTL_MULTIPLIER);
    s.timer.unref();
  }

  /** Destroys a session: its locks are released (with lock-delay) or its keys deleted, per its Behavior. */
  #invalidate(id: string): void {
    const s = this.#sessions.get(id);
    if (!s) return;
    clearTimeout(s.timer);
    this.#sessions.delete(id);
    const idx = this.#changed();
    for (const e of [...this.#entries.values()]) {
      if (e.session !== id) continue;
      if (s.behavior === 'delete') { this.#entries.delete(e.key); this.#tombstones.set(e.key, idx); continue; }
      this.#put({ ...e, session: undefined, modifyIndex: idx });
      if (s.lockDelayMs > 0) this.#lockDelay.set(e.key, Date.now() + s.lockDelayMs);
    }
  }
}

function ok(v: boolean): Reply { return { status: 200, body: v }; }

function json(e: Entry): Record<string, unknown> {
  return {
    LockIndex: e.lockIndex, Key: e.key, Flags: e.flags, Value: e.value && e.value.length > 0 ? e.value.toString('base64') : null,
    ...(e.session ? { Session: e.session } : {}), CreateIndex: e.createIndex, ModifyIndex: e.modifyIndex,
  };
}

function sessionJson(s: Session): Record<string, unknown> {
  return {
    ID: s.id, Name: s.name, Node: s.node, LockDelay: s.lockDelayMs * 1e6, Behavior: s.behavior, TTL: s.ttl,
    NodeChecks: ['serfHealth'], ServiceChecks: null, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
  };
}
