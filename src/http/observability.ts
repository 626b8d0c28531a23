/** How much of a request's path through tagway becomes spans (Traefik's `observability.traceVerbosity`). */
export type TraceVerbosity = 'minimal' | 'detailed';

/**
 * The effective observability of a router on one entry point (or of an entry point for unmatched
 * requests): every field decided. Routes carry it, the API shows it, access logs, metrics and tracing read it.
 */
export interface EffectiveObservability {
  accessLogs: boolean;
  metrics: boolean;
  tracing: boolean;
  traceVerbosity: TraceVerbosity;
}

/** Where one effective field came from, so the API and logs can say why a router is (not) traced. */
export type ObservabilitySource = 'router' | 'entryPoint' | 'default';
export type ObservabilityField = keyof EffectiveObservability;

/** Traefik v3 defaults for a field nobody set: everything on, minimal spans. */
export const OBSERVABILITY_DEFAULTS: Readonly<EffectiveObservability> = Object.freeze({
  accessLogs: true,
  metrics: true,
  tracing: true,
  traceVerbosity: 'minimal',
});

/** Every field from the defaults (a router disabled before its entry points are known). */
export const DEFAULT_SOURCES: Readonly<Record<ObservabilityField, ObservabilitySource>> = Object.freeze({
  accessLogs: 'default',
  metrics: 'default',
  tracing: 'default',
  traceVerbosity: 'default',
});
