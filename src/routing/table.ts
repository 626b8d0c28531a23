/**
 * The per-entry-point route table: routes sorted once, then indexed by the host each rule requires, so a
 * request only evaluates the routes of its host plus the routes that do not pin a host. With 10,000
 * `Host(...)` routers a request costs about what it costs with 10.
 *
 * Answers are exactly those of a linear scan in priority order (`buildLinearTable`): the index is only a
 * necessary condition derived by `compileRule` (`hosts`, `hostPatterns`); candidates from the buckets are
 * merged back into the global order and their full rules still decide.
 */
import type { MatchRequest } from '../rules/types.ts';
import { explainOrdered, orderRoutes, type Entry } from './order.ts';
import type { RouteExplanation, RouteInput, RouteTable } from './types.ts';

/** A bucket member: global position, matcher and value, flat for the hot loop. */
interface Slot<T> {
  readonly index: number;
  readonly match: (req: MatchRequest) => boolean;
  readonly value: T;
}

const NONE: ReadonlyArray<Slot<never>> = Object.freeze([]);

function push<T>(map: Map<string, Array<Slot<T>>>, key: string, slot: Slot<T>): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [slot]);
  else if (list[list.length - 1] !== slot) list.push(slot);
}

/** The indexed implementation of `RouteTable`; build it with `buildRouteTable`. */
class IndexedRouteTable<T> implements RouteTable<T> {
  readonly #ordered: ReadonlyArray<Entry<T>>;
  /** Exact host → routes requiring it. */
  readonly #exact = new Map<string, Array<Slot<T>>>();
  /** `*.example.com` → key `.example.com` (`*` → ''): the request host minus its first label. */
  readonly #single = new Map<string, Array<Slot<T>>>();
  /** `**.example.com` → key `example.com`: any suffix of the request host after a dot. */
  readonly #double = new Map<string, Array<Slot<T>>>();
  /** Routes that do not pin the host, in order. */
  readonly #generic: Array<Slot<T>> = [];
  /** Scratch for the k-way merge (match() is synchronous and never re-entered). */
  readonly #lists: Array<ReadonlyArray<Slot<T>>> = [];
  readonly #heads: number[] = [];

  constructor(routes: ReadonlyArray<RouteInput<T>>) {
    this.#ordered = orderRoutes(routes);
    for (const { index, input } of this.#ordered) {
      const slot: Slot<T> = { index, match: input.rule.match, value: input.value };
      const { hosts, hostPatterns } = input.rule;
      if (hosts === undefined) { this.#generic.push(slot); continue; }
      for (const h of hosts) push(this.#exact, h, slot);
      for (const p of hostPatterns ?? []) {
        if (p.startsWith('**.')) push(this.#double, p.slice(3), slot);
        else push(this.#single, p.slice(1), slot);
      }
    }
  }

  get size(): number { return this.#ordered.length; }

  match(req: MatchRequest): T | undefined {
    const host = req.host;
    const exact = this.#exact.get(host) ?? NONE;
    if (this.#single.size === 0 && this.#double.size === 0) return this.#merge2(exact, this.#generic, req);

    const lists = this.#lists;
    lists.length = 0;
    if (exact.length > 0) lists.push(exact);
    if (this.#generic.length > 0) lists.push(this.#generic);
    if (this.#single.size > 0 && host !== '') {
      const dot = host.indexOf('.');
      const single = this.#single.get(dot === -1 ? '' : host.slice(dot));
      if (single !== undefined) lists.push(single);
    }
    if (this.#double.size > 0) {
      for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
        const double = this.#double.get(host.slice(dot + 1));
        if (double !== undefined) lists.push(double);
      }
    }
    if (lists.length <= 2) return this.#merge2(lists[0] ?? NONE, lists[1] ?? NONE, req);
    return this.#mergeK(lists, req);
  }

  /** Two ordered candidate lists walked in global order (the common case: host bucket + generic). */
  #merge2(a: ReadonlyArray<Slot<T>>, b: ReadonlyArray<Slot<T>>, req: MatchRequest): T | undefined {
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      let slot: Slot<T>;
      if (j >= b.length || (i < a.length && a[i]!.index <= b[j]!.index)) {
        slot = a[i++]!;
        if (j < b.length && b[j]!.index === slot.index) j++; // same route in both lists
      } else {
        slot = b[j++]!;
      }
      if (slot.match(req)) return slot.value;
    }
    return undefined;
  }

  /** Several candidate lists (wildcard buckets): repeatedly take the smallest head, skipping duplicates. */
  #mergeK(lists: ReadonlyArray<ReadonlyArray<Slot<T>>>, req: MatchRequest): T | undefined {
    const heads = this.#heads;
    heads.length = lists.length;
    heads.fill(0);
    let last = -1;
    for (;;) {
      let best = -1;
      let bestIndex = Infinity;
      for (let k = 0; k < lists.length; k++) {
        const list = lists[k]!;
        let h = heads[k]!;
        while (h < list.length && list[h]!.index <= last) h++;
        heads[k] = h;
        if (h < list.length && list[h]!.index < bestIndex) { bestIndex = list[h]!.index; best = k; }
      }
      if (best === -1) return undefined;
      const slot = lists[best]![heads[best]!]!;
      heads[best]!++;
      last = slot.index;
      if (slot.match(req)) return slot.value;
    }
  }

  explain(req: MatchRequest): RouteExplanation[] {
    return explainOrdered(this.#ordered, req);
  }
}

/**
 * Builds the route table of one entry point. Sorting and indexing happen here, once; the table is
 * immutable afterwards (build a new one and swap it when the configuration changes).
 *
 * @example
 * const rule = compileRule('Host(`api.example.com`)');
 * if (rule.ok) {
 *   const table = buildRouteTable([{ name: 'api@consulcatalog', rule, priority: defaultPriority(rule.rule), value: handler }]);
 *   table.match(ctx); // handler when ctx.host is api.example.com
 * }
 */
export function buildRouteTable<T>(routes: ReadonlyArray<RouteInput<T>>): RouteTable<T> {
  return new IndexedRouteTable(routes);
}
