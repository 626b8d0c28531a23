import type { RouterObservability } from '../dynamic/types.ts';
import { OBSERVABILITY_DEFAULTS, type EffectiveObservability, type ObservabilityField, type ObservabilitySource } from '../http/observability.ts';
import type { EntryPointConfig } from '../static/types.ts';

/** The effective record and where each of its fields came from. */
export interface MergedObservability extends EffectiveObservability {
  sources: Record<ObservabilityField, ObservabilitySource>;
}

/**
 * The one merge of observability settings, per field: the router's own value, else the entry point's,
 * else the default. "Unset" (undefined) is not "false": a router that says nothing inherits.
 * Traefik spreads this over SetDefaults, entry-point models and applyDefaultObservabilityModel; we keep one function.
 *
 * @example
 * mergeObservability({ tracing: false }, { traceVerbosity: 'detailed' })
 * // → { accessLogs: true, metrics: true, tracing: false, traceVerbosity: 'detailed',
 * //     sources: { accessLogs: 'default', metrics: 'default', tracing: 'router', traceVerbosity: 'entryPoint' } }
 */
export function mergeObservability(
  router: RouterObservability | undefined,
  entryPoint: EntryPointConfig['observability'] | undefined,
): MergedObservability {
  const accessLogs = pick(router?.accessLogs, entryPoint?.accessLogs, OBSERVABILITY_DEFAULTS.accessLogs);
  const metrics = pick(router?.metrics, entryPoint?.metrics, OBSERVABILITY_DEFAULTS.metrics);
  const tracing = pick(router?.tracing, entryPoint?.tracing, OBSERVABILITY_DEFAULTS.tracing);
  const traceVerbosity = pick(router?.traceVerbosity, entryPoint?.traceVerbosity, OBSERVABILITY_DEFAULTS.traceVerbosity);
  return {
    accessLogs: accessLogs.value,
    metrics: metrics.value,
    tracing: tracing.value,
    traceVerbosity: traceVerbosity.value,
    sources: { accessLogs: accessLogs.source, metrics: metrics.source, tracing: tracing.source, traceVerbosity: traceVerbosity.source },
  };
}

function pick<T>(router: T | undefined, entryPoint: T | undefined, fallback: T): { value: T; source: ObservabilitySource } {
  if (router !== undefined) return { value: router, source: 'router' };
  if (entryPoint !== undefined) return { value: entryPoint, source: 'entryPoint' };
  return { value: fallback, source: 'default' };
}
