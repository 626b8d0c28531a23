import type { RequestContext } from '../../http/context.ts';
import type { Balancer } from './balancer.ts';

interface Server<T> {
  readonly name: string;
  readonly item: T;
  up: boolean;
  /** Requests handed this server whose response has not closed yet. */
  inflight: number;
}

/**
 * Power of two random choices, as Traefik v3's `p2c.Balancer`: two different healthy servers are drawn at
 * random and the one with fewer requests in flight wins (the first drawn on a tie). A request counts from the
 * pick until its response closes. Like Traefik, weights are ignored (every server takes part) and a server that
 * is down is never drawn; one healthy server is picked without drawing.
 *
 * @example
 * const lb = new PowerOfTwoChoices<string>();
 * lb.add('a', 'http://a', 1); lb.add('b', 'http://b', 1);
 * lb.next(ctx); // 'http://a' or 'http://b', whichever has fewer requests in flight of two drawn
 */
export class PowerOfTwoChoices<T> implements Balancer<T> {
  readonly #random: () => number;
  #servers: Server<T>[] = [];
  #byName = new Map<string, Server<T>>();
  /** The healthy servers, in the order they were added (rebuilt on status changes, never per request). */
  #healthy: Server<T>[] = [];

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  add(name: string, item: T, _weight: number): boolean {
    if (this.#byName.has(name)) return false;
    const server: Server<T> = { name, item, up: true, inflight: 0 };
    this.#servers.push(server);
    this.#byName.set(name, server);
    this.#healthy.push(server);
    return true;
  }

  setStatus(name: string, up: boolean): boolean {
    const server = this.#byName.get(name);
    if (!server || server.up === up) return false;
    const before = this.#healthy.length > 0;
    server.up = up;
    this.#healthy = this.#servers.filter((s) => s.up);
    return before !== this.#healthy.length > 0;
  }

  next(ctx: RequestContext): T | undefined {
    const healthy = this.#healthy;
    const n = healthy.length;
    if (n === 0) return undefined;
    let server = healthy[0]!;
    if (n > 1) {
      // Traefik draws two indexes and moves the second on by one when they collide.
      const i1 = Math.floor(this.#random() * n);
      let i2 = Math.floor(this.#random() * n);
      if (i2 === i1) i2 = (i2 + 1) % n;
      const s1 = healthy[i1]!, s2 = healthy[i2]!;
      server = s2.inflight < s1.inflight ? s2 : s1;
    }
    return this.#count(server, ctx);
  }

  take(name: string, ctx: RequestContext): T | undefined {
    const server = this.#byName.get(name);
    return server?.up === true ? this.#count(server, ctx) : undefined;
  }

  /** Requests in flight per server (for tests and the API). */
  inflight(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.#servers) out[s.name] = s.inflight;
    return out;
  }

  #count(server: Server<T>, ctx: RequestContext): T {
    server.inflight++;
    ctx.res.once('close', function requestDone() { server.inflight--; });
    return server.item;
  }
}
