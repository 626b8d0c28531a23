import type { MetricsView } from './expression.ts';

/** oxy's defaults: counters over a 10s window of 1s buckets. Latency samples are capped per bucket. */
const BUCKETS = 10;
const RESOLUTION = 1000;
const MAX_SAMPLES_PER_BUCKET = 1024;

interface Bucket { slot: number; total: number; netErrors: number; codes: Map<number, number>; latencies: number[] }

/**
 * Rolling request metrics of one breaker: status codes, network errors (502 and 504, as oxy counts them)
 * and latencies, over the last 10 seconds.
 */
export class RollingMetrics implements MetricsView {
  readonly #buckets: Bucket[] = [];
  readonly #now: () => number;

  constructor(now: () => number) { this.#now = now; }

  record(status: number, latencyMs: number): void {
    const slot = Math.floor(this.#now() / RESOLUTION);
    let b = this.#buckets[this.#buckets.length - 1];
    if (!b || b.slot !== slot) {
      b = { slot, total: 0, netErrors: 0, codes: new Map(), latencies: [] };
      this.#buckets.push(b);
      if (this.#buckets.length > BUCKETS) this.#buckets.shift();
    }
    b.total++;
    if (status === 502 || status === 504) b.netErrors++;
    b.codes.set(status, (b.codes.get(status) ?? 0) + 1);
    if (b.latencies.length < MAX_SAMPLES_PER_BUCKET) b.latencies.push(latencyMs);
  }

  reset(): void { this.#buckets.length = 0; }

  networkErrorRatio(): number {
    let total = 0, errors = 0;
    for (const b of this.#live()) { total += b.total; errors += b.netErrors; }
    return total === 0 ? 0 : errors / total;
  }

  responseCodeRatio(from: number, to: number, dividedByFrom: number, dividedByTo: number): number {
    let a = 0, d = 0;
    for (const b of this.#live()) {
      for (const [code, n] of b.codes) {
        if (code >= from && code < to) a += n;
        if (code >= dividedByFrom && code < dividedByTo) d += n;
      }
    }
    return d === 0 ? 0 : a / d;
  }

  latencyAtQuantileMS(quantile: number): number {
    const all: number[] = [];
    for (const b of this.#live()) all.push(...b.latencies);
    if (all.length === 0) return 0;
    all.sort((x, y) => x - y);
    const rank = Math.min(all.length, Math.max(1, Math.ceil((quantile / 100) * all.length)));
    return all[rank - 1]!;
  }

  #live(): Bucket[] {
    const oldest = Math.floor(this.#now() / RESOLUTION) - BUCKETS + 1;
    return this.#buckets.filter((b) => b.slot >= oldest);
  }
}
