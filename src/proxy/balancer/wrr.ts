/**
 * Smooth weighted round robin, scheduled the way Traefik's `wrr.Balancer` does it: Earliest Deadline
 * First over a binary heap. Each pick takes the entry with the smallest deadline, records it as the
 * current deadline and pushes it back with `deadline += 1 / weight`; an entry added later starts at
 * `current + 1 / weight` so it competes fairly. The heap moves are those of Go's `container/heap`
 * (same sift order, same tie-breaking), so a configuration yields the same sequence as in Traefik
 * (Traefik also shuffles servers once at build time; tagway keeps the configured order).
 */
import type { Balancer } from './balancer.ts';

interface Entry<T> {
  readonly name: string;
  readonly item: T;
  readonly weight: number;
  deadline: number;
  up: boolean;
}

/**
 * A WRR schedule over named items. Unhealthy items keep their place in the schedule (their deadline
 * advances when they are skipped, as in Traefik), so a server coming back does not get a burst.
 *
 * @example
 * const wrr = new WeightedRoundRobin<string>();
 * wrr.add('a', 'http://a', 3); wrr.add('b', 'http://b', 1);
 * wrr.next(); // 'http://a' — then a, b, a, a, b …
 * wrr.setStatus('a', false); wrr.next(); // 'http://b'
 */
export class WeightedRoundRobin<T> implements Balancer<T> {
  #heap: Entry<T>[] = [];
  #byName = new Map<string, Entry<T>>();
  #healthy = 0;
  #curDeadline = 0;

  /** Adds an item; a weight ≤ 0 means "never picked" and the item is ignored (Traefik does the same). */
  add(name: string, item: T, weight = 1): boolean {
    if (!(weight > 0) || this.#byName.has(name)) return false;
    const entry: Entry<T> = { name, item, weight, deadline: this.#curDeadline + 1 / weight, up: true };
    this.#byName.set(name, entry);
    this.#healthy++;
    this.#push(entry);
    return true;
  }

  /** Marks an item up or down. Returns true when the balancer as a whole changed between "has a healthy item" and not. */
  setStatus(name: string, up: boolean): boolean {
    const entry = this.#byName.get(name);
    if (!entry || entry.up === up) return false;
    const before = this.#healthy > 0;
    entry.up = up;
    this.#healthy += up ? 1 : -1;
    return before !== this.#healthy > 0;
  }

  /** True when the named item exists (weight > 0) and is healthy. */
  isUp(name: string): boolean {
    return this.#byName.get(name)?.up === true;
  }

  /** The named item if it is healthy (a sticky cookie's server). */
  take(name: string): T | undefined {
    const entry = this.#byName.get(name);
    return entry?.up === true ? entry.item : undefined;
  }

  /** The item registered under `name`, healthy or not. */
  get(name: string): T | undefined {
    return this.#byName.get(name)?.item;
  }

  /** Number of healthy items. */
  get healthy(): number {
    return this.#healthy;
  }

  /** Next healthy item in the schedule, or undefined when none is healthy. */
  next(): T | undefined {
    if (this.#healthy === 0) return undefined;
    for (;;) {
      const entry = this.#pop();
      this.#curDeadline = entry.deadline;
      entry.deadline += 1 / entry.weight;
      this.#push(entry);
      if (entry.up) return entry.item;
    }
  }

  // --- Go container/heap, specialised to `deadline` ordering ---

  #push(entry: Entry<T>): void {
    const h = this.#heap;
    h.push(entry);
    let j = h.length - 1;
    while (j > 0) {
      const i = (j - 1) >> 1;
      if (!(h[j]!.deadline < h[i]!.deadline)) break;
      swap(h, i, j);
      j = i;
    }
  }

  #pop(): Entry<T> {
    const h = this.#heap;
    const n = h.length - 1;
    swap(h, 0, n);
    let i = 0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && h[j2]!.deadline < h[j1]!.deadline) j = j2;
      if (!(h[j]!.deadline < h[i]!.deadline)) break;
      swap(h, i, j);
      i = j;
    }
    return h.pop()!;
  }
}

function swap<E>(h: E[], i: number, j: number): void {
  const t = h[i]!;
  h[i] = h[j]!;
  h[j] = t;
}
