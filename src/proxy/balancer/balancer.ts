import type { RequestContext } from '../../http/context.ts';

/**
 * How a service picks one of its servers: one interface for every `loadBalancer.strategy`, chosen when the
 * service is built (`createBalancer`) and never inspected on the request path. Sticky cookies sit on top of
 * any strategy (`StickyCookie` finds the server, `take` hands it out), as in Traefik.
 */
export interface Balancer<T> {
  /**
   * Adds a server by name; `weight` as configured (a strategy may ignore it, as Traefik's p2c does). False when
   * the strategy leaves the server out (WRR: weight ≤ 0), or the name is already there.
   */
  add(name: string, item: T, weight: number): boolean;
  /** Marks a server up or down. True when the balancer switched between "some server up" and "none". */
  setStatus(name: string, up: boolean): boolean;
  /** The next server for the request `ctx`, or undefined when none is up. */
  next(ctx: RequestContext): T | undefined;
  /** The named server for the request `ctx` (a sticky cookie's), if it is known and up. */
  take(name: string, ctx: RequestContext): T | undefined;
}
