import type { TextMapPropagator } from '@opentelemetry/api';
import type { RecentTraces } from '../recent.ts';
import type { RecordedSpan, SpanSink } from './span.ts';

/** Whether a request is sampled (recorded and exported): `true` records it. */
export interface Sampler {
  /** A request that continues a valid incoming trace: its parent's sampled flag and trace id. */
  withParent(parentSampled: boolean, traceId: string): boolean;
  /** A new trace, its ids drawn at `at` (span.ts drawIdBlock). */
  newTrace(at: number): boolean;
}

/** What every span layer of one tracing instance shares; built once by createTracing. */
export interface SpanRuntime {
  /** The batch processor: where recorded spans go when they end. */
  readonly sink: SpanSink;
  /** The sampler (settings.ts, tracing.ts). */
  readonly sample: Sampler;
  readonly propagator: TextMapPropagator;
  /** The propagator's header names, removed from upstream headers before injecting. */
  readonly propagationFields: readonly string[];
  /** Propagators are W3C trace context (+ baggage): requests without trace headers skip the propagator. */
  readonly plainTraceContext: boolean;
  /** Lower-cased, without user-agent. */
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly safeQueryParams: ReadonlySet<string>;
  /** The dashboard's ring of recent sampled requests. */
  readonly recent: RecentTraces;
}

/** Traefik's status rule: server (and internal) spans fail at ≥ 500, client spans at ≥ 400; nonsense codes always fail. */
export function setHttpStatus(span: RecordedSpan, status: number, failFrom: 400 | 500): void {
  if (status < 100 || status >= 600) span.fail(`Invalid HTTP status code ${status}`);
  else if (status >= failFrom) span.fail();
}

/** "1.1" for HTTP/1.1, "2" for HTTP/2 (network.protocol.version). */
export function protocolVersion(httpVersion: string): string {
  return httpVersion === '2.0' ? '2' : httpVersion;
}
