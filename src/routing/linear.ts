import type { MatchRequest } from '../rules/types.ts';
import { explainOrdered, orderRoutes } from './order.ts';
import type { RouteExplanation, RouteInput, RouteTable } from './types.ts';

/**
 * The reference table: every route tried in order, as Traefik's muxer does. The indexed table must give
 * the same answers; tests run one suite against both.
 *
 * @example
 * const table = buildLinearTable([{ name: 'a@file', rule, priority: 10, value: 'a' }]);
 * table.match(req); // 'a' or undefined
 */
export function buildLinearTable<T>(routes: ReadonlyArray<RouteInput<T>>): RouteTable<T> {
  const ordered = orderRoutes(routes);
  const matchers = ordered.map((e) => e.input.rule.match);
  const values = ordered.map((e) => e.input.value);
  return {
    size: ordered.length,
    match: function linearMatch(req: MatchRequest): T | undefined {
      for (let i = 0; i < matchers.length; i++) if (matchers[i]!(req)) return values[i];
      return undefined;
    },
    explain: (req: MatchRequest): RouteExplanation[] => explainOrdered(ordered, req),
  };
}
