import type { TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';

export type Carrier = Record<string, string | string[] | undefined>;

/** Error thrown for an unknown OTEL_PROPAGATORS entry (an app stops on bad env, it does not guess). */
export class PropagatorConfigError extends Error {
  readonly code = 'TAGWAY_TRACING_PROPAGATORS' as const;
  constructor(message: string) { super(message); this.name = 'PropagatorConfigError'; }
}

const KNOWN: Record<string, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
};

/**
 * The propagator of one tracing instance, from `OTEL_PROPAGATORS` (default "tracecontext,baggage").
 * "none" anywhere in the list disables propagation. Never registered globally: several gateways may share a process.
 *
 * @example
 * createPropagator({ OTEL_PROPAGATORS: 'b3multi,tracecontext' }).fields() // → ['x-b3-traceid', …, 'traceparent', 'tracestate']
 */
export function createPropagator(env: Record<string, string | undefined>): TextMapPropagator {
  const names = propagatorNames(env);
  if (names.includes('none')) return new CompositePropagator({ propagators: [] });
  const propagators = names.map(function build(name) {
    const make = KNOWN[name];
    if (!make) throw new PropagatorConfigError(`OTEL_PROPAGATORS: unknown propagator "${name}" (known: ${Object.keys(KNOWN).join(', ')}, none)`);
    return make();
  });
  return new CompositePropagator({ propagators });
}

/**
 * True when the propagators are W3C trace context, alone or with baggage (the default): then a request
 * without `traceparent`, `tracestate` and `baggage` needs no extraction, and injecting is writing
 * `traceparent` alone (what those propagators write for a root context without baggage).
 */
export function isPlainTraceContext(env: Record<string, string | undefined>): boolean {
  const names = propagatorNames(env);
  return names.includes('tracecontext') && names.every((n) => n === 'tracecontext' || n === 'baggage');
}

function propagatorNames(env: Record<string, string | undefined>): string[] {
  const raw = env.OTEL_PROPAGATORS?.trim() || 'tracecontext,baggage';
  return [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
}

/** Reads incoming headers (Node lower-cases names; repeated values arrive as arrays). */
export const headerGetter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    return carrier[key.toLowerCase()];
  },
};

/** Writes outgoing headers lower-cased, replacing any value already there (never a second header). */
export const headerSetter: TextMapSetter<Carrier> = {
  set(carrier, key, value) {
    carrier[key.toLowerCase()] = value;
  },
};
