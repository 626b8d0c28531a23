import type { MatchRequest } from '../rules/types.ts';
import type { RouteExplanation, RouteInput } from './types.ts';

/** A route placed in the global evaluation order. */
export interface Entry<T> {
  /** Position in the global order: lower is evaluated first. */
  readonly index: number;
  readonly input: RouteInput<T>;
}

/**
 * The evaluation order, fixed at build time: priority descending; on equal priority `rank` ascending
 * (unset = 0), then name ascending (UTF-16 code-unit order), then input order. Traefik sorts on priority
 * alone with an unstable sort over routers collected from a map, so its order for equal priorities is
 * unspecified (and, since its providers routing precedence option, by provider); ours is deterministic.
 */
export function orderRoutes<T>(routes: ReadonlyArray<RouteInput<T>>): Array<Entry<T>> {
  const indexed = routes.map((input, i) => ({ input, i }));
  indexed.sort((a, b) => {
    if (a.input.priority !== b.input.priority) return b.input.priority - a.input.priority;
    const ra = a.input.rank ?? 0;
    const rb = b.input.rank ?? 0;
    if (ra !== rb) return ra - rb;
    if (a.input.name !== b.input.name) return a.input.name < b.input.name ? -1 : 1;
    return a.i - b.i;
  });
  return indexed.map(({ input }, index) => ({ index, input }));
}

/** Explains every route of `ordered` (already in evaluation order) for one request. */
export function explainOrdered<T>(ordered: ReadonlyArray<Entry<T>>, req: MatchRequest): RouteExplanation[] {
  let winner: RouteInput<T> | undefined;
  return ordered.map(({ input }) => {
    const { rule } = input;
    const reason = rule.explain ? rule.explain(req) : rule.match(req) ? undefined : `${rule.rule} is false`;
    const base = { name: input.name, priority: input.priority };
    if (reason !== undefined) return { ...base, matched: false, reason };
    if (winner === undefined) {
      winner = input;
      return { ...base, matched: true, reason: 'selected: first matching route in priority order' };
    }
    return { ...base, matched: true, reason: `shadowed by ${winner.name} (priority ${winner.priority}), evaluated first` };
  });
}
