import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** One finished, sampled request, as the dashboard lists it. */
export interface TraceSummary {
  traceId: string;
  spanId: string;
  /** Span name (the HTTP method). */
  name: string;
  /** Start, epoch milliseconds. */
  startTime: number;
  durationMs: number;
  error: boolean;
  statusMessage?: string;
  httpStatus?: number;
  path?: string;
  entryPoint?: string;
  routerName?: string;
  serviceName?: string;
}

/** How many recent traces the dashboard can show. */
export const RECENT_TRACES = 50;

/**
 * A second span processor that keeps the last few SERVER spans in a fixed ring. It copies a handful of
 * fields, never the span, so it pins no memory of old requests.
 */
export class RecentTraces implements SpanProcessor {
  readonly #ring: Array<TraceSummary | undefined>;
  #next = 0;
  /** Router names by server span id, from detailed traces' Router spans (which end before their server span). */
  readonly #routers = new Map<string, { router?: string; service?: string }>();

  constructor(size = RECENT_TRACES) {
    this.#ring = new Array(size);
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const a = span.attributes;
    if (span.kind === SpanKind.INTERNAL && span.name === 'Router' && span.parentSpanContext) {
      if (this.#routers.size >= 1024) this.#routers.clear(); // bounded: a lost name only blanks a dashboard cell
      this.#routers.set(span.parentSpanContext.spanId, { router: str(a['traefik.router.name']), service: str(a['traefik.service.name']) });
      return;
    }
    if (span.kind !== SpanKind.SERVER) return;
    const ctx = span.spanContext();
    const names = this.#routers.get(ctx.spanId);
    if (names) this.#routers.delete(ctx.spanId);
    const summary: TraceSummary = {
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      name: span.name,
      startTime: span.startTime[0] * 1e3 + span.startTime[1] / 1e6,
      durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
      error: span.status.code === SpanStatusCode.ERROR,
    };
    if (span.status.message) summary.statusMessage = span.status.message;
    if (typeof a['http.response.status_code'] === 'number') summary.httpStatus = a['http.response.status_code'];
    if (typeof a['url.path'] === 'string') summary.path = a['url.path'];
    if (typeof a['entry_point'] === 'string') summary.entryPoint = a['entry_point'];
    if (names?.router) summary.routerName = names.router;
    if (names?.service) summary.serviceName = names.service;
    this.#ring[this.#next] = summary;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** Newest first. */
  list(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (let i = 1; i <= this.#ring.length; i++) {
      const item = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length];
      if (item) out.push(item);
    }
    return out;
  }

  forceFlush(): Promise<void> { return Promise.resolve(); }
  shutdown(): Promise<void> { return Promise.resolve(); }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
