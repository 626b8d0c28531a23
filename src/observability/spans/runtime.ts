import type { TextMapPropagator } from '@opentelemetry/api';
import type { RecentTraces } from '../recent.ts';
import type { CompactTrace } from './compact.ts';
import type { SpanSink } from './span.ts';

/** Whether a request is sampled (recorded and exported): `true` records it. */
export interface Sampler {
  /** A request that continues a valid incoming trace: its parent's sampled flag and trace id. */
  withParent(parentSampled: boolean, traceId: string): boolean;
  /** A new trace, its ids drawn at `at` (span.ts drawIdBlock). */
  newTrace(at: number): boolean;
}

/** Where spans go when they end: RecordedSpans one by one, a CompactTrace's spans together. */
export interface TraceSink extends SpanSink {
  onEndRequest(trace: CompactTrace): void;
}

/** What every span layer of one tracing instance shares; built once by createTracing. */
export interface SpanRuntime {
  /** The batch processor: where recorded spans and compact traces go when they end. */
  readonly sink: TraceSink;
  /**
   * Sampled requests of the common shape are recorded as CompactTrace (spans/compact.ts): the encoding writes them
   * (OtlpEncoding.writeRequest), no request or response headers are captured and the attribute limits cannot bind.
   */
  readonly compact: boolean;
  /** The sampler (settings.ts, tracing.ts). */
  readonly sample: Sampler;
  readonly propagator: TextMapPropagator;
  /** The propagator's header names, removed from upstream headers before injecting. */
  readonly propagationFields: readonly string[];
  /** Propagators are W3C trace context (+ baggage): requests without trace headers skip the propagator. */
  readonly plainTraceContext: boolean;
  /** `baggage` is one of propagationFields (the baggage propagator is on). */
  readonly propagatesBaggage: boolean;
  /** Lower-cased, without user-agent. */
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly safeQueryParams: ReadonlySet<string>;
  /** The dashboard's ring of recent sampled requests. */
  readonly recent: RecentTraces;
}

/** "1.1" for HTTP/1.1, "2" for HTTP/2 (network.protocol.version). */
export function protocolVersion(httpVersion: string): string {
  return httpVersion === '2.0' ? '2' : httpVersion;
}
