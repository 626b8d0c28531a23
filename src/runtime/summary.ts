import type { ItemStatus, RuntimeState } from '../dynamic/runtime.ts';

export type StateKind = keyof RuntimeState;
type Item = { name: string; status: ItemStatus; error?: string[] };

/**
 * What `/api/overview` needs of the runtime state, kept as builds write its records rather than counted per
 * request: per kind, how many records there are and those not enabled (an operator's list of what to look at is
 * short even when the catalog is 5,000 services long). Every write of a record goes through `put`, so a change
 * costs its own records.
 *
 * @example
 * const summary = new StateSummary();
 * summary.put('routers', 'a@file', undefined, { name: 'a@file', status: 'disabled' });
 * summary.count('routers') // { total: 1, warnings: 0, errors: 1 }
 */
export class StateSummary {
  readonly #total: Record<StateKind, number> = { routers: 0, services: 0, middlewares: 0 };
  readonly #notEnabled: Record<StateKind, Map<string, Item>> = { routers: new Map(), services: new Map(), middlewares: new Map() };

  /** `before`: the record the name had (undefined: none); `after`: the one it has now (undefined: removed). */
  put(kind: StateKind, name: string, before: Item | undefined, after: Item | undefined): void {
    if (before === undefined && after !== undefined) this.#total[kind]++;
    else if (before !== undefined && after === undefined) this.#total[kind]--;
    if (after === undefined || after.status === 'enabled') this.#notEnabled[kind].delete(name);
    else this.#notEnabled[kind].set(name, after);
  }

  /** Traefik's overview counts: all records, those in warning, those disabled ("errors"). */
  count(kind: StateKind): { total: number; warnings: number; errors: number } {
    let warnings = 0, errors = 0;
    for (const item of this.#notEnabled[kind].values()) { if (item.status === 'warning') warnings++; else if (item.status === 'disabled') errors++; }
    return { total: this.#total[kind], warnings, errors };
  }

  /** The records of `kind` that are not enabled, ordered by name. */
  notEnabled(kind: StateKind): Item[] {
    return [...this.#notEnabled[kind].values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
