/**
 * One token bucket, as golang.org/x/time/rate's Limiter with Reserve/Cancel: `ratePerMs` tokens arrive per
 * millisecond up to `burst`; a reservation may drive the balance negative, and the deficit is the delay.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(ratePerMs: number, burst: number, now: number) {
    this.#rate = ratePerMs;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes one token; returns how long (ms) the caller must wait before it is really available (0 = now). */
  reserve(now: number): number {
    this.#advance(now);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : -this.#tokens / this.#rate;
  }

  /** Gives back a token taken by `reserve` (the request was refused instead of delayed). */
  cancel(): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + 1);
  }

  #advance(now: number): void {
    if (now > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate);
      this.#last = now;
    }
  }
}
