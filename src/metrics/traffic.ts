import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../http/context.ts';
import type { RequestObserver } from '../http/observer.ts';
import type { Route } from '../http/route.ts';

/**
 * Live traffic per router and per service, for the dashboard: a ring of per-second frames, each holding, for
 * every router and service that finished a request in that second, a count, the 5xx count and a latency
 * histogram. No Prometheus needed. A request pays two Map lookups, a few increments and one 'close' listener;
 * `bench/traffic.ts` measures it. Frames travel between processes as plain data (`TrafficFrame`), so the
 * primary of a clustered gateway can add up its workers' frames and hand the sums back (src/server/cluster.ts).
 */

/** Seconds kept (five minutes of per-second frames). */
export const TRAFFIC_SECONDS = 300;

/** Latency buckets: bucket i holds durations in [BASE·R^i, BASE·R^(i+1)) ms; the first and last are open. */
const BUCKETS = 48;
const BASE_MS = 0.1;
const R = 1.35;
const LOG_R = Math.log(R);

function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  const i = Math.floor(Math.log(ms / BASE_MS) / LOG_R);
  return i < BUCKETS ? i : BUCKETS - 1;
}

/** One key's second: requests finished, of which 5xx, and their latency histogram. */
interface Bucket { count: number; errors: number; hist: Uint32Array }

function newBucket(): Bucket { return { count: 0, errors: 0, hist: new Uint32Array(BUCKETS) }; }

interface Frame { sec: number; routers: Map<string, Bucket>; services: Map<string, Bucket> }

/** A frame as data (IPC, tests): `[name, count, errors, ...histogram as index,count pairs]` per key. */
export interface TrafficFrame { sec: number; routers: Array<Array<string | number>>; services: Array<Array<string | number>> }

export type TrafficKind = 'router' | 'service';

/** One second of one router or service, as the API prints it. */
export interface TrafficPoint { t: number; requests: number; errors: number; p50: number | null; p99: number | null }

/** A window's totals: requests per second, 5xx share, latency percentiles (ms; null without requests). */
export interface TrafficTotals { name: string; requests: number; rps: number; errorRate: number; p50: number | null; p99: number | null }

const kCtx = Symbol('tagway.traffic.ctx');
const kRoute = Symbol('tagway.traffic.route');
const kStore = Symbol('tagway.traffic.store');
type Tracked = ServerResponse & { [kCtx]?: RequestContext; [kRoute]?: Route; [kStore]?: TrafficStore };

/** One listener for every response: the request's context, route and store ride on the response (no closure per request). */
function onClose(this: Tracked): void {
  const ctx = this[kCtx]!;
  const route = this[kRoute]!;
  const ms = Number(process.hrtime.bigint() - ctx.start) / 1e6;
  this[kStore]!.record(route.name, route.service, ctx.status ?? this.statusCode, ms);
}

/**
 * The per-second frames of one process (it records) or of a whole cluster (its frames are set from the
 * primary's sums). Reads look at whole seconds only: the current second is still filling.
 *
 * @example
 * const traffic = new TrafficStore();
 * traffic.record('shop@consulcatalog', 'shop@consulcatalog', 200, 3.2, Date.now());
 * traffic.series('router', 'shop@consulcatalog', 60) // one point per second, the last 60 seconds
 */
export class TrafficStore implements RequestObserver {
  readonly #frames: Array<Frame | undefined> = new Array(TRAFFIC_SECONDS);
  /** Last second handed out by `takeCompleted` (workers send each finished second once). */
  #sent = 0;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Counts a matched request when its response closes; internal routers and routers with `metrics: false` are not counted. */
  onRequest(ctx: RequestContext, route: Route | undefined): void {
    if (route === undefined || route.internal || ctx.observability?.metrics === false) return;
    const res = ctx.res as Tracked;
    res[kCtx] = ctx;
    res[kRoute] = route;
    res[kStore] = this;
    res.on('close', onClose);
  }

  /** Adds one finished request (`at`: epoch ms of its end, now by default). */
  record(router: string, service: string, status: number, ms: number, at: number = this.#now()): void {
    const frame = this.#frame(Math.floor(at / 1000));
    const i = bucketOf(ms);
    const error = status >= 500 ? 1 : 0;
    let r = frame.routers.get(router);
    if (r === undefined) { r = newBucket(); frame.routers.set(router, r); }
    r.count++; r.errors += error; r.hist[i]!++;
    let s = frame.services.get(service);
    if (s === undefined) { s = newBucket(); frame.services.set(service, s); }
    s.count++; s.errors += error; s.hist[i]!++;
  }

  #frame(sec: number): Frame {
    const slot = sec % TRAFFIC_SECONDS;
    let frame = this.#frames[slot];
    if (frame === undefined || frame.sec !== sec) {
      frame = { sec, routers: new Map(), services: new Map() };
      this.#frames[slot] = frame;
    }
    return frame;
  }

  #existing(sec: number): Frame | undefined {
    const frame = this.#frames[sec % TRAFFIC_SECONDS];
    return frame?.sec === sec ? frame : undefined;
  }

  /** The last whole second (the one before the current). */
  #lastWhole(): number { return Math.floor(this.#now() / 1000) - 1; }

  /** Finished seconds not handed out before, as data (a worker sends them to its primary). */
  takeCompleted(): TrafficFrame[] {
    const last = this.#lastWhole();
    const from = Math.max(this.#sent + 1, last - TRAFFIC_SECONDS + 1);
    const out: TrafficFrame[] = [];
    for (let sec = from; sec <= last; sec++) {
      const frame = this.#existing(sec);
      if (frame && (frame.routers.size > 0 || frame.services.size > 0)) out.push(toData(frame));
    }
    this.#sent = last;
    return out;
  }

  /** Adds a frame's counts to this store's (the primary summing its workers). */
  add(data: TrafficFrame): void {
    if (data.sec <= this.#lastWhole() - TRAFFIC_SECONDS) return;
    const frame = this.#frame(data.sec);
    addAll(frame.routers, data.routers);
    addAll(frame.services, data.services);
  }

  /** Replaces a second with the given one (a worker taking the primary's sums). */
  set(data: TrafficFrame): void {
    if (data.sec <= this.#lastWhole() - TRAFFIC_SECONDS) return;
    const frame: Frame = { sec: data.sec, routers: new Map(), services: new Map() };
    addAll(frame.routers, data.routers);
    addAll(frame.services, data.services);
    this.#frames[data.sec % TRAFFIC_SECONDS] = frame;
  }

  /** These seconds as data (the primary's sums, to send back). */
  frames(secs: Iterable<number>): TrafficFrame[] {
    const out: TrafficFrame[] = [];
    for (const sec of secs) { const f = this.#existing(sec); if (f) out.push(toData(f)); }
    return out;
  }

  /** One point per whole second over the last `seconds` (oldest first; seconds without requests give zeros). */
  series(kind: TrafficKind, name: string, seconds: number): TrafficPoint[] {
    const last = this.#lastWhole();
    const n = clampWindow(seconds);
    const out: TrafficPoint[] = [];
    for (let sec = last - n + 1; sec <= last; sec++) {
      const b = this.#existing(sec)?.[kind === 'router' ? 'routers' : 'services'].get(name);
      out.push(b ? { t: sec, requests: b.count, errors: b.errors, p50: quantile(b.hist, b.count, 0.5), p99: quantile(b.hist, b.count, 0.99) }
        : { t: sec, requests: 0, errors: 0, p50: null, p99: null });
    }
    return out;
  }

  /** One router's (or service's) totals over the last `seconds`. */
  total(kind: TrafficKind, name: string, seconds: number): TrafficTotals {
    const n = clampWindow(seconds);
    const hist = new Uint32Array(BUCKETS);
    let count = 0, errors = 0;
    for (const p of this.#buckets(kind, name, n)) {
      count += p.count; errors += p.errors;
      for (let i = 0; i < BUCKETS; i++) hist[i]! += p.hist[i]!;
    }
    return { name, requests: count, rps: count / n, errorRate: count ? errors / count : 0, p50: quantile(hist, count, 0.5), p99: quantile(hist, count, 0.99) };
  }

  *#buckets(kind: TrafficKind, name: string, n: number): Generator<Bucket> {
    const last = this.#lastWhole();
    for (let sec = last - n + 1; sec <= last; sec++) {
      const b = this.#existing(sec)?.[kind === 'router' ? 'routers' : 'services'].get(name);
      if (b) yield b;
    }
  }

  /**
   * The routers (or services) with requests in the last `seconds`, busiest first, with their totals; at most
   * `limit`. Counts are summed for every name, latency histograms only for the names returned (at 5,000 busy
   * routers the overview asks for five).
   */
  totals(kind: TrafficKind, seconds: number, limit = Infinity): TrafficTotals[] {
    const last = this.#lastWhole();
    const n = clampWindow(seconds);
    const field = kind === 'router' ? 'routers' : 'services';
    const sums = new Map<string, { count: number; errors: number }>();
    for (let sec = last - n + 1; sec <= last; sec++) {
      const frame = this.#existing(sec);
      if (!frame) continue;
      for (const [name, b] of frame[field]) {
        const sum = sums.get(name);
        if (sum) { sum.count += b.count; sum.errors += b.errors; } else sums.set(name, { count: b.count, errors: b.errors });
      }
    }
    const top = [...sums].sort(([an, a], [bn, b]) => b.count - a.count || (an < bn ? -1 : 1)).slice(0, limit);
    return top.map(([name, b]) => {
      const hist = new Uint32Array(BUCKETS);
      for (let sec = last - n + 1; sec <= last; sec++) {
        const h = this.#existing(sec)?.[field].get(name)?.hist;
        if (h) for (let i = 0; i < BUCKETS; i++) hist[i]! += h[i]!;
      }
      return { name, requests: b.count, rps: b.count / n, errorRate: b.count ? b.errors / b.count : 0,
        p50: quantile(hist, b.count, 0.5), p99: quantile(hist, b.count, 0.99) };
    });
  }
}

function clampWindow(seconds: number): number {
  return Math.min(TRAFFIC_SECONDS - 1, Math.max(1, Math.floor(seconds) || 60));
}

/** The q-quantile of a histogram (ms): the bucket's geometric middle, so within ±16% of the true value. */
function quantile(hist: Uint32Array, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += hist[i]!;
    if (seen >= rank) return Math.round(BASE_MS * R ** (i + 0.5) * 1000) / 1000;
  }
  return null;
}

function toData(frame: Frame): TrafficFrame {
  const rows = (m: Map<string, Bucket>) => [...m].map(([name, b]) => {
    const row: Array<string | number> = [name, b.count, b.errors];
    b.hist.forEach((v, i) => { if (v) row.push(i, v); });
    return row;
  });
  return { sec: frame.sec, routers: rows(frame.routers), services: rows(frame.services) };
}

function addAll(into: Map<string, Bucket>, rows: TrafficFrame['routers']): void {
  for (const row of rows) {
    const name = String(row[0]);
    let b = into.get(name);
    if (!b) { b = newBucket(); into.set(name, b); }
    b.count += Number(row[1]); b.errors += Number(row[2]);
    for (let j = 3; j + 1 < row.length; j += 2) {
      const i = Number(row[j]);
      if (i >= 0 && i < BUCKETS) b.hist[i]! += Number(row[j + 1]);
    }
  }
}
