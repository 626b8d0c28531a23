/**
 * The API's item lists without re-serialising the runtime per request. The runtime keeps an item's record (the
 * same object) until a change rebuilds that item, so each record's API representation is made once and kept
 * (weakly, by record); a list is the name-ordered representations, kept while the set of records is the same.
 * A request then costs a scan of record identities, its filters, and the JSON of one page.
 */
import type { MiddlewareInfo, RouterInfo, ServiceInfo } from '../../dynamic/runtime.ts';
import { represent, representMiddleware, representRouter, representService } from './represent.ts';

interface CachedList<T> { records: object[]; items: T[] }

/** Per record: its representation, and (services) the live server status it was made with. */
const representations = new WeakMap<object, { rep: object; status?: unknown }>();
const lists = new WeakMap<object, CachedList<unknown>>();

function cachedRepresentation<T extends object>(record: T, make: (r: T) => T): T {
  const status = (record as { serverStatus?: unknown }).serverStatus;
  const hit = representations.get(record);
  if (hit && hit.status === status) return hit.rep as T;
  const rep = represent(make(record)) as T;
  representations.set(record, { rep, status });
  return rep;
}

/**
 * The representations of `items` (a runtime state's routers, services or middlewares), ordered by name. The
 * array is shared between requests: filter or copy it, never sort it in place.
 */
function listOf<T extends { name: string }>(items: Record<string, T>, make: (r: T) => T): T[] {
  const records = Object.values(items);
  const cached = lists.get(items) as CachedList<T> | undefined;
  if (cached && cached.records.length === records.length) {
    let same = true;
    for (let i = 0; i < records.length && same; i++) {
      const r = records[i]!;
      same = r === cached.records[i] && representations.get(r)?.status === (r as { serverStatus?: unknown }).serverStatus;
    }
    if (same) return cached.items;
  }
  const items2 = records.map((r) => cachedRepresentation(r, make));
  items2.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  lists.set(items, { records, items: items2 });
  return items2;
}

export const routerList = (items: Record<string, RouterInfo>): RouterInfo[] => listOf(items, representRouter);
export const serviceList = (items: Record<string, ServiceInfo>): ServiceInfo[] => listOf(items, representService);
export const middlewareList = (items: Record<string, MiddlewareInfo>): MiddlewareInfo[] => listOf(items, representMiddleware);

/** The records of `items` ordered by name (the order the API lists them in, whatever order a build made them). */
export function byName<T extends { name: string }>(items: Record<string, T>): T[] {
  return Object.values(items).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
