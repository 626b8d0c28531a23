import type { CompiledRule, MatchRequest } from '../rules/types.ts';

/** One router as the table receives it. */
export interface RouteInput<T> {
  /** Qualified router name (`name@provider`); the last tie-breaker. */
  name: string;
  rule: CompiledRule;
  /** Higher first. Callers pass the router's priority, or `defaultPriority(rule)` when it has none. */
  priority: number;
  value: T;
  /**
   * Optional tie-breaker before the name, lower first (e.g. the position of the router's provider in
   * Traefik's providers routing precedence). Unset counts as 0.
   */
  rank?: number;
}

/** One route in an explanation, in evaluation order. */
export interface RouteExplanation {
  name: string;
  priority: number;
  /** Whether the route's rule matches the request. */
  matched: boolean;
  /** Why it does not match, or for a matching route whether it was selected or shadowed. */
  reason?: string;
}

/** An immutable route table for one entry point, built once per configuration and swapped whole. */
export interface RouteTable<T> {
  /** The value of the first route, in priority order, whose rule matches; undefined when none does. */
  match(req: MatchRequest): T | undefined;
  /** Every route in evaluation order with whether and why it matches (for /api/explain). */
  explain(req: MatchRequest): RouteExplanation[];
  readonly size: number;
}

/**
 * A route table the runtime patches when one router changes (its routes out, the new ones in at their place),
 * instead of building a new one. A patch runs synchronously, so a request sees the table before or after it.
 */
export interface PatchableRouteTable<T> extends RouteTable<T> {
  /** Removes the routes named in `remove`, adds `add`; returns the routes of `add` refused, with why. */
  patch(remove: Iterable<string>, add: ReadonlyArray<RouteInput<T>>): Array<{ name: string; error: unknown }>;
  /** The routes in evaluation order. */
  order(): Array<{ name: string; priority: number }>;
}
