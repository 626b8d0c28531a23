import type { Message } from './types.ts';

/** The items (names as the provider wrote them) that differ between two successive messages of one provider. */
export interface MessageChanges {
  readonly routers: readonly string[];
  readonly services: readonly string[];
  readonly middlewares: readonly string[];
}

const notes = new WeakMap<Message, { from: Message; changes: MessageChanges }>();

/**
 * A provider (or a worker decoding a delta) that knows what changed since its previous message says so here;
 * stages that diff messages then look at those items only. Messages stay whole snapshots: a stage that lost
 * track (a message it did not see) compares them in full.
 *
 * @example
 * noteChanges(next, previous, { routers: [], services: ['whoami'], middlewares: [] });
 * changesSince(previous, next) // { routers: [], services: ['whoami'], middlewares: [] }
 * changesSince(older, next)    // undefined: compare the snapshots
 */
export function noteChanges(next: Message, from: Message, changes: MessageChanges): void {
  notes.set(next, { from, changes });
}

/** What changed from `from` to `next`, if the provider noted it for exactly that pair. */
export function changesSince(from: Message | undefined, next: Message | undefined): MessageChanges | undefined {
  if (from === undefined || next === undefined) return undefined;
  const note = notes.get(next);
  return note?.from === from ? note.changes : undefined;
}
