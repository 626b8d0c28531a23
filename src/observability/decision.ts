/** Everything the per-request tracing decision depends on; all of it comes from merged config. */
export interface TraceDecisionInput {
  /** The static `tracing` section exists. */
  tracingConfigured: boolean;
  /** The router is an `@internal` one (api, dashboard, ping). */
  internal: boolean;
  /** `tracing.addInternals`. */
  addInternals: boolean;
  /** The router's merged `observability.tracing` (see mergeObservability). */
  tracing: boolean;
}

/**
 * Whether a request gets spans at all. A false answer means no span and incoming trace headers pass
 * through untouched (the caller must not call `startRequest`).
 *
 * @example
 * shouldTrace({ tracingConfigured: true, internal: false, addInternals: false, tracing: true }) // → true
 * shouldTrace({ tracingConfigured: true, internal: true, addInternals: false, tracing: true })  // → false
 */
export function shouldTrace(input: TraceDecisionInput): boolean {
  if (!input.tracingConfigured) return false;
  if (input.internal && !input.addInternals) return false;
  return input.tracing;
}
