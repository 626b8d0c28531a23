/**
 * What the primary sends its workers when a provider's configuration changes: the items that changed, not the
 * whole snapshot. `encodeDelta` (primary) and `applyDelta` (worker) are inverse, and the worker's new
 * message shares every unchanged item with its previous one and notes what changed (dynamic/changes.ts), so its
 * runtime rebuilds what the primary's change reaches and nothing else.
 */
import { changesSince, epochNow, noteChanges, noteSentAt, type MessageChanges } from '../dynamic/changes.ts';
import type { Configuration, ItemIssue, Message } from '../dynamic/types.ts';

const KINDS = ['routers', 'services', 'middlewares'] as const;
type Kind = typeof KINDS[number];

export interface MessageDelta {
  providerName: string;
  /** Items set (added or replaced) and removed, by kind. */
  set: Record<Kind, Record<string, unknown>>;
  del: Record<Kind, string[]>;
  /** The provider's issues, when they changed. */
  issues?: ItemIssue[];
  /** Every other section of the configuration (tls, http.serversTransports...), when one of them changed. */
  rest?: { configuration: Omit<Configuration, 'http'>; http: Record<string, unknown> };
}

/**
 * The delta from `previous` to `next` (one provider), or undefined when nothing differs. Uses the provider's note
 * of what changed when it has one; otherwise compares the two snapshots item by item (by reference: a provider
 * that rebuilds an item equal to the last one sends it again, which costs a rebuild of it, never a wrong result).
 */
export function encodeDelta(previous: Message | undefined, next: Message): MessageDelta | undefined {
  const delta: MessageDelta = { providerName: next.providerName, set: { routers: {}, services: {}, middlewares: {} }, del: { routers: [], services: [], middlewares: [] } };
  let any = false;
  const noted = changesSince(previous, next);
  for (const kind of KINDS) {
    const a = (previous?.configuration.http[kind] ?? {}) as Record<string, unknown>;
    const b = next.configuration.http[kind] as Record<string, unknown>;
    // A noted name is sent as it is now, unchecked: the provider may have patched `previous`'s maps in place.
    const names = noted ? noted[kind] : [...Object.keys(b), ...Object.keys(a).filter((n) => !Object.hasOwn(b, n))];
    for (const name of names) {
      if (!noted && a[name] === b[name]) continue;
      any = true;
      if (Object.hasOwn(b, name)) delta.set[kind][name] = b[name]; else delta.del[kind].push(name);
    }
  }
  if (previous === undefined || previous.issues !== next.issues) {
    if (previous === undefined || JSON.stringify(previous.issues) !== JSON.stringify(next.issues)) { delta.issues = next.issues; any = true; }
  }
  const rest = restOf(next.configuration);
  if (previous === undefined ? Object.keys(rest.configuration).length + Object.keys(rest.http).length > 0 : !sameRest(restOf(previous.configuration), rest)) {
    delta.rest = rest;
    any = true;
  }
  return any ? delta : undefined;
}

/**
 * The worker's side: `previous` with the delta applied. The item maps of `previous` are patched in place and
 * shared by the new message (a change costs its own items, never a copy of 5,000): the receiver owns them (they
 * were decoded from the wire), and the runtime's aggregator compares against its own record, not the old message.
 */
export function applyDelta(previous: Message | undefined, delta: MessageDelta): Message {
  const before = previous?.configuration;
  const restNow = delta.rest ?? (before ? restOf(before) : { configuration: {}, http: {} });
  const http = { ...restNow.http } as unknown as Configuration['http'];
  const changes: Record<Kind, string[]> = { routers: [], services: [], middlewares: [] };
  for (const kind of KINDS) {
    const items = (before?.http[kind] ?? {}) as Record<string, unknown>;
    for (const name in delta.set[kind]) { items[name] = delta.set[kind][name]; changes[kind].push(name); }
    for (const name of delta.del[kind]) { delete items[name]; changes[kind].push(name); }
    (http as unknown as Record<string, unknown>)[kind] = items;
  }
  const configuration = { ...restNow.configuration, http } as Configuration;
  const message: Message = { providerName: delta.providerName, configuration, issues: delta.issues ?? previous?.issues ?? [] };
  if (previous) noteChanges(message, previous, changes satisfies MessageChanges);
  return message;
}

function restOf(c: Configuration): { configuration: Omit<Configuration, 'http'>; http: Record<string, unknown> } {
  const { http, ...configuration } = c;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(http)) if (!(KINDS as readonly string[]).includes(k)) rest[k] = v;
  return { configuration, http: rest };
}

function sameRest(a: ReturnType<typeof restOf>, b: ReturnType<typeof restOf>): boolean {
  const keys = new Set([...Object.keys(a.configuration), ...Object.keys(b.configuration)]);
  for (const k of keys) if ((a.configuration as Record<string, unknown>)[k] !== (b.configuration as Record<string, unknown>)[k]) return JSON.stringify(a) === JSON.stringify(b);
  const hk = new Set([...Object.keys(a.http), ...Object.keys(b.http)]);
  for (const k of hk) if (a.http[k] !== b.http[k]) return JSON.stringify(a) === JSON.stringify(b);
  return true;
}

/** What a fan-out sends one peer; `sentAt`: when (epoch ms), so the peer can tell how long it took to apply. */
export type FanoutMessage = { type: 'tagway:delta'; seq: number; delta: MessageDelta; sentAt?: number } | { type: 'tagway:snapshot'; seq: number; messages: Message[]; sentAt?: number };

/**
 * The primary's side of the protocol, for any number of peers (workers): every provider message becomes one
 * numbered delta sent to each peer that keeps up; a peer that leaves more than `maxUnacked` deltas unacknowledged
 * gets no more deltas (sending never waits for it), and a snapshot of every provider once it acknowledges again;
 * a peer that saw a gap asks for one (`resync`).
 *
 * @example
 * const fanout = new DeltaFanout((peer, m) => workers.get(peer)?.send(m));
 * fanout.join(1);             // snapshot
 * provider.provide((m) => fanout.publish(m), signal);
 */
export class DeltaFanout<P> {
  readonly #send: (peer: P, message: FanoutMessage) => void;
  readonly #maxUnacked: number;
  readonly #onLag: ((peer: P, unacked: number) => void) | undefined;
  readonly #last = new Map<string, Message>();
  readonly #peers = new Map<P, { acked: number; behind: boolean }>();
  #seq = 0;

  constructor(send: (peer: P, message: FanoutMessage) => void, options: { maxUnacked?: number; onLag?: (peer: P, unacked: number) => void } = {}) {
    this.#send = send;
    this.#maxUnacked = options.maxUnacked ?? 16;
    this.#onLag = options.onLag;
  }

  /** A provider's new snapshot: one delta to every peer that keeps up. */
  publish(message: Message): void {
    const delta = encodeDelta(this.#last.get(message.providerName), message);
    this.#last.set(message.providerName, message);
    if (!delta) return;
    const m: FanoutMessage = { type: 'tagway:delta', seq: ++this.#seq, delta, sentAt: epochNow() };
    for (const [peer, state] of this.#peers) {
      if (state.behind) continue;
      if (this.#seq - state.acked > this.#maxUnacked) { state.behind = true; this.#onLag?.(peer, this.#seq - 1 - state.acked); continue; }
      this.#send(peer, m);
    }
  }

  /** A peer starts (or asks to start over): it gets every provider's snapshot. */
  join(peer: P): void {
    this.#peers.set(peer, { acked: this.#seq, behind: false });
    this.#send(peer, { type: 'tagway:snapshot', seq: this.#seq, messages: [...this.#last.values()], sentAt: epochNow() });
  }

  /** The peer applied everything up to `seq`; a peer left behind catches up from a snapshot now. */
  ack(peer: P, seq: number): void {
    const state = this.#peers.get(peer);
    if (!state) return;
    state.acked = Math.max(state.acked, seq);
    if (state.behind) this.join(peer);
  }

  leave(peer: P): void { this.#peers.delete(peer); }

  /** Whether the peer is cut off from deltas until it acknowledges (tests, logs). */
  behind(peer: P): boolean { return this.#peers.get(peer)?.behind ?? false; }
}

/**
 * The worker's side: applies deltas in order (a gap asks for a snapshot and ignores deltas until it comes), takes
 * snapshots whole. `receive` returns the messages to hand to the runtime and what to answer the primary.
 */
export class DeltaReceiver {
  readonly #messages = new Map<string, Message>();
  #seq = -1;

  receive(m: FanoutMessage): { messages: Message[]; reply?: { type: 'tagway:ack'; seq: number } | { type: 'tagway:resync' } } {
    if (m.type === 'tagway:snapshot') {
      this.#seq = m.seq;
      for (const message of m.messages) {
        this.#messages.set(message.providerName, message);
        if (m.sentAt !== undefined) noteSentAt(message, m.sentAt);
      }
      return { messages: m.messages, reply: { type: 'tagway:ack', seq: m.seq } };
    }
    if (this.#seq === -1) return { messages: [] }; // waiting for a snapshot, which includes this delta
    if (m.seq !== this.#seq + 1) { this.#seq = -1; return { messages: [], reply: { type: 'tagway:resync' } }; }
    const message = applyDelta(this.#messages.get(m.delta.providerName), m.delta);
    if (m.sentAt !== undefined) noteSentAt(message, m.sentAt);
    this.#messages.set(message.providerName, message);
    this.#seq = m.seq;
    return { messages: [message], reply: { type: 'tagway:ack', seq: m.seq } };
  }
}
