import type { Balancer } from './balancer.ts';
import { PowerOfTwoChoices } from './p2c.ts';
import { WeightedRoundRobin } from './wrr.ts';

export type { Balancer } from './balancer.ts';

/** Traefik v3's `loadBalancer.strategy` values (`dynamic.BalancerStrategy`); anything else fails the service there. */
const TRAEFIK_STRATEGIES = new Set(['wrr', 'p2c', 'hrw', 'leasttime']);

/** Thrown for a strategy the service cannot be built with; the runtime attaches it to the service. */
export class BalancerStrategyError extends Error {
  readonly code = 'TAGWAY_BALANCER_STRATEGY';
  constructor(message: string) {
    super(message);
    this.name = 'BalancerStrategyError';
  }
}

/**
 * The balancer for `strategy` (Traefik's default `wrr` when unset or empty; exact, case-sensitive values as in
 * Traefik). `random` feeds p2c's choices (tests pass a seeded one).
 *
 * @throws {BalancerStrategyError} for a value Traefik does not know, or one it knows that tagway does not implement.
 * @example
 * const lb = createBalancer<Upstream>(service.loadBalancer.strategy);
 * lb.add(up.name, up, 1);
 * lb.next(ctx);
 */
export function createBalancer<T>(strategy: string | undefined, random: () => number = Math.random): Balancer<T> {
  switch (strategy) {
    case undefined: case '': case 'wrr': return new WeightedRoundRobin<T>();
    case 'p2c': return new PowerOfTwoChoices<T>(random);
    default:
      if (TRAEFIK_STRATEGIES.has(strategy)) {
        throw new BalancerStrategyError(`load-balancer strategy "${strategy}" is not supported by tagway (supported: wrr, p2c)`);
      }
      throw new BalancerStrategyError(`unsupported load-balancer strategy "${strategy}" (Traefik knows wrr, p2c, hrw, leasttime; tagway implements wrr, p2c)`);
  }
}
