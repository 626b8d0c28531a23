import { SpanStatusCode, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';

/** What every span layer of one tracing instance shares; built once by createTracing. */
export interface SpanRuntime {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  /** The propagator's header names, removed from upstream headers before injecting. */
  readonly propagationFields: readonly string[];
  /** Lower-cased, without user-agent. */
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly safeQueryParams: ReadonlySet<string>;
}

/** Traefik's status rule: server (and internal) spans fail at ≥ 500, client spans at ≥ 400; nonsense codes always fail. */
export function setHttpStatus(span: Span, status: number, failFrom: 400 | 500): void {
  if (status < 100 || status >= 600) span.setStatus({ code: SpanStatusCode.ERROR, message: `Invalid HTTP status code ${status}` });
  else if (status >= failFrom) span.setStatus({ code: SpanStatusCode.ERROR });
}

/** "1.1" for HTTP/1.1, "2" for HTTP/2 (network.protocol.version). */
export function protocolVersion(httpVersion: string): string {
  return httpVersion === '2.0' ? '2' : httpVersion;
}
