/**
 * Consul's blocking queries (developer.hashicorp.com/consul/api-docs/features/blocking): with `?index=N`, hold the
 * request until the result's index moves past N or the wait ends. `?wait` defaults to 5 minutes and is capped at
 * 10; Consul adds up to wait/16 of random jitter so that clients woken together do not come back together.
 *
 * Like Consul (agent/blockingquery): a snapshot restore abandons the state store and every waiting query answers at
 * once with the new, lower index; a query that *arrives* with an index ahead of the catalog's waits for a change or
 * the timeout. Either way the client sees the index go backwards and must start over.
 */
import type { CatalogState, Query, Snapshot } from './state.ts';

export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;
const JITTER_FRACTION = 16;

/** The wait Consul applies: default, cap, then jitter in [0, wait/16). */
export function effectiveWaitMs(requestedMs: number | undefined, random: () => number = Math.random): number {
  let wait = requestedMs === undefined || requestedMs <= 0 ? DEFAULT_WAIT_MS : requestedMs;
  if (wait > MAX_WAIT_MS) wait = MAX_WAIT_MS;
  return wait + Math.floor(random() * (wait / JITTER_FRACTION));
}

/**
 * Runs `query` now, or once its index passes `minIndex`, or when `waitMs` ends, or when `release` aborts (the
 * client went away or the catalog is closing) — whichever comes first. The timer is unref'd.
 */
export function blockingQuery<T>(
  state: CatalogState, query: Query<T>, minIndex: number, waitMs: number, release: AbortSignal,
): Promise<Snapshot<T>> {
  const now = (): Snapshot<T> => ({ index: query.index(), value: query.value() });
  if (minIndex <= 0 || query.index() > minIndex || release.aborted) return Promise.resolve(now());
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      release.removeEventListener('abort', finish);
      resolve(now());
    };
    const timer = setTimeout(finish, waitMs);
    timer.unref();
    const unsubscribe = state.subscribe(function onCatalogChange(abandoned) {
      if (abandoned || query.index() > minIndex) finish();
    });
    release.addEventListener('abort', finish, { once: true });
  });
}
