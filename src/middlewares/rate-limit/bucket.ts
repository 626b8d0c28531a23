/**
 * One token bucket, as golang.org/x/time/rate's Limiter with Reserve/Cancel: `perSecond` tokens arrive per
 * second up to `burst`; a reservation may drive the balance negative, and the deficit is the delay.
 * Arithmetic is in seconds like Go's, so delays come out as Traefik prints them ("700ms", not "699.999999ms").
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.#rate = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes one token at `now` (ms); returns how long (seconds) the caller must wait for it (0 = now). */
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
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
      this.#last = now;
    }
  }
}
