/**
 * Timing helpers for the watcher: abortable unref'd sleeps, a capped exponential backoff, a token
 * bucket (Consul asks blocking-query clients to rate limit, so a bug or a flapping index can never
 * turn the watcher into a busy loop), and a one-slot wake-up (Traefik's `chan struct{}` of size 1:
 * a burst of events becomes one rebuild).
 */

/** Resolves after `ms`, or at once when `signal` aborts. The timer never keeps the process alive. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Capped exponential backoff: initial, ×2 each failure, at most max; `reset()` after a success. */
export class Backoff {
  #next: number;
  constructor(readonly initialMs: number, readonly maxMs: number) { this.#next = initialMs; }
  next(): number {
    const d = this.#next;
    this.#next = Math.min(this.maxMs, this.#next * 2);
    return d;
  }
  reset(): void { this.#next = this.initialMs; }
}

/** A token bucket: `burst` tokens, refilled at `perSecond`. `take` waits for a token. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(readonly perSecond: number, readonly burst: number, readonly now: () => number = Date.now) {
    this.#tokens = burst;
    this.#last = now();
  }
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.perSecond);
      this.#last = t;
      if (this.#tokens >= 1) { this.#tokens -= 1; return; }
      if (signal.aborted) return;
      await sleep(Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000), signal);
    }
  }
}

/** One pending wake-up at most; `wait` resolves at once if one is pending. */
export class Wake {
  #pending = false;
  #resolve: (() => void) | undefined;
  notify(): void {
    const r = this.#resolve;
    if (r) { this.#resolve = undefined; r(); } else this.#pending = true;
  }
  wait(signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) { this.#pending = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const done = (): void => { signal.removeEventListener('abort', done); this.#resolve = undefined; resolve(); };
      this.#resolve = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  async function worker(): Promise<void> {
    while (i < items.length) { const item = items[i++]!; await task(item); }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
