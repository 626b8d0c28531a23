import type { Message } from './types.ts';

/** The items (names as the provider wrote them) that differ between two successive messages of one provider. */
export interface MessageChanges {
  readonly routers: readonly string[];
  readonly services: readonly string[];
  readonly middlewares: readonly string[];
}

/**
 * A message → the one before it (held weakly: a note must not keep a provider's whole history of snapshots alive)
 * and what changed since.
 */
const notes = new WeakMap<Message, { from: WeakRef<Message>; changes: MessageChanges }>();

/** How many notes `changesSince` follows back (messages a stage skipped, coalesced into one rebuild). */
const MAX_HOPS = 64;

/**
 * A provider (or a worker decoding a delta) that knows what changed since its previous message says so here;
 * stages that diff messages then look at those items only. A stage that skipped messages (coalesced) gets the
 * union of the notes in between; one that lost track (a message no longer held, or not noted) compares in full.
 *
 * @example
 * noteChanges(next, previous, { routers: [], services: ['whoami'], middlewares: [] });
 * changesSince(previous, next) // { routers: [], services: ['whoami'], middlewares: [] }
 * changesSince(older, next)    // the union since `older`, or undefined: compare the snapshots
 */
export function noteChanges(next: Message, from: Message, changes: MessageChanges): void {
  notes.set(next, { from: new WeakRef(from), changes });
}

/** What changed from `from` to `next`, if the provider noted every step from exactly `from`. */
export function changesSince(from: Message | undefined, next: Message | undefined): MessageChanges | undefined {
  if (from === undefined || next === undefined) return undefined;
  const steps: MessageChanges[] = [];
  for (let at: Message | undefined = next; at !== from; ) {
    const note = notes.get(at!);
    if (note === undefined || steps.length === MAX_HOPS) return undefined;
    steps.push(note.changes);
    at = note.from.deref();
    if (at === undefined) return undefined;
  }
  if (steps.length === 1) return steps[0];
  const union = (kind: keyof MessageChanges): string[] => [...new Set(steps.flatMap((s) => s[kind]))];
  return { routers: union('routers'), services: union('services'), middlewares: union('middlewares') };
}

/** When each message left the thread or process that built it (epoch ms, sub-millisecond), if it crossed one. */
const sent = new WeakMap<Message, number>();

/**
 * A message decoded from another thread or process (deltas.ts) carries when it was sent, so the runtime can say how
 * long the configuration took from there to live route tables (decoding, waiting, building), not its build alone.
 */
export function noteSentAt(message: Message, at: number): void { sent.set(message, at); }

export function sentAtOf(message: Message): number | undefined { return sent.get(message); }

/** Now on the clock `noteSentAt` uses: comparable across the threads and processes of one machine. */
export function epochNow(): number { return performance.timeOrigin + performance.now(); }
