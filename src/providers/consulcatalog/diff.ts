/**
 * The catalog diff, pure: what the watcher remembers of Consul between answers (signatures, never data), and which
 * services an answer says must be fetched again. `watcher.ts` owns the loops and the requests; everything that
 * decides "did this change?" lives here and is tested with tables.
 */
import type { HealthCheckEntry } from './instance.ts';

/** What the watcher has seen, as signatures that change whenever what they stand for does. */
export interface Seen {
  /** service → signature of its tag union (from the catalog poll, or from a fetch of the service). */
  readonly services: ReadonlyMap<string, string>;
  /** service → signature of its service checks. */
  readonly serviceChecks: ReadonlyMap<string, string>;
  /** node → signature of its node checks. */
  readonly nodeChecks: ReadonlyMap<string, string>;
}

/** What one `/v1/catalog/services` answer changes. */
export interface CatalogDiff {
  /** The new `Seen.services`. */
  readonly services: Map<string, string>;
  /** Service → tag union, as answered (decides whether a service is worth fetching). */
  readonly tags: Map<string, readonly string[]>;
  /** Services that appeared or whose tag union changed, sorted. */
  readonly changed: string[];
  /** Services that left the catalog, sorted. */
  readonly removed: string[];
}

/**
 * Diffs a `/v1/catalog/services` answer against the services seen so far.
 *
 * @example
 * diffCatalog(new Map([['a', 'x']]), { a: ['y'], b: null })
 * // { services: Map { a → 'y', b → '' }, tags: …, changed: ['a', 'b'], removed: [] }
 */
export function diffCatalog(seen: ReadonlyMap<string, string>, answer: Readonly<Record<string, readonly string[] | null>> | null): CatalogDiff {
  const services = new Map<string, string>();
  const tags = new Map<string, readonly string[]>();
  const changed: string[] = [];
  for (const [name, list] of Object.entries(answer ?? {})) {
    const union = list ?? [];
    tags.set(name, union);
    const sig = tagSignature(union);
    services.set(name, sig);
    if (seen.get(name) !== sig) changed.push(name);
  }
  const removed: string[] = [];
  for (const name of seen.keys()) if (!services.has(name)) removed.push(name);
  return { services, tags, changed: changed.sort(), removed: removed.sort() };
}

/** What one `/v1/health/state/any` answer changes. */
export interface ChecksDiff {
  readonly serviceChecks: Map<string, string>;
  readonly nodeChecks: Map<string, string>;
  /** Services to fetch again, sorted: their checks changed, or a node they run on changed its node checks. */
  readonly changed: string[];
}

/**
 * Diffs a `/v1/health/state/any` answer. `services` is the catalog membership (a service outside it is never
 * fetched); `nodesOf` gives the nodes of each service's last good instances (a node check concerns them all).
 * The `first` answer only records: every service is fetched at start anyway.
 *
 * @example
 * diffChecks(seen, checks, { first: false, services: new Set(['web']), nodesOf: new Map([['web', ['n1']]]) }).changed // ['web']
 */
export function diffChecks(
  seen: Pick<Seen, 'serviceChecks' | 'nodeChecks'>,
  checks: readonly HealthCheckEntry[] | null,
  context: { first: boolean; services: { has(name: string): boolean }; nodesOf: ReadonlyMap<string, readonly string[]> },
): ChecksDiff {
  const now = checkSignatures(checks ?? []);
  const changed = new Set<string>();
  const serviceChecks = new Map<string, string>();
  for (const name of new Set([...now.services.keys(), ...seen.serviceChecks.keys()])) {
    const sig = now.services.get(name) ?? '';
    if (sig !== '') serviceChecks.set(name, sig);
    if ((seen.serviceChecks.get(name) ?? '') !== sig && !context.first && context.services.has(name)) changed.add(name);
  }
  const changedNodes = new Set<string>();
  for (const node of new Set([...now.nodes.keys(), ...seen.nodeChecks.keys()])) {
    if ((seen.nodeChecks.get(node) ?? '') !== (now.nodes.get(node) ?? '')) changedNodes.add(node);
  }
  if (!context.first && changedNodes.size > 0) {
    for (const [name, nodes] of context.nodesOf) if (nodes.some((n) => changedNodes.has(n))) changed.add(name);
  }
  return { serviceChecks, nodeChecks: now.nodes, changed: [...changed].sort() };
}

/** Order-free signature of a tag union (duplicates count once). */
export function tagSignature(tags: readonly string[]): string {
  return [...new Set(tags)].sort().join('\n');
}

/** Per service (service checks) and per node (node checks): a string that changes when any check does. */
export function checkSignatures(checks: readonly HealthCheckEntry[]): { services: Map<string, string>; nodes: Map<string, string> } {
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

/** The next blocking index after an answer, and the fault the answer shows, if any. */
export interface IndexStep {
  readonly index: number;
  readonly fault?: string;
}

/**
 * Consul's rules for blocking indexes (api-docs/features/blocking, "Implementation details"): an index that went
 * backwards resets to 0 (the next query answers at once with the current state); an index of 0 after a query is
 * reset to 1 (never block on 0). Both are faults the watcher reports and backs off on, so a broken index can never
 * turn the watch into a busy loop. (A missing index never gets here: the client refuses the answer.)
 *
 * @example
 * nextIndex(120, 7)   // { index: 0, fault: 'X-Consul-Index went backwards (120 → 7); starting over from 0' }
 * nextIndex(120, 121) // { index: 121 }
 */
export function nextIndex(previous: number, answered: number): IndexStep {
  if (answered < previous) return { index: 0, fault: `X-Consul-Index went backwards (${previous} → ${answered}); starting over from 0` };
  if (answered <= 0) return { index: 1, fault: 'X-Consul-Index was 0; blocking on 1' };
  return { index: answered };
}
