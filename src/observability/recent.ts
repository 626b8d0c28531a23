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
  /** The trace's spans as this process recorded them (server span first), for the dashboard's waterfall. */
  spans?: SpanSummary[];
}

/** One span of a recent trace, with times relative to its server span. */
export interface SpanSummary {
  spanId: string;
  /** '' for the server span when the request came without a parent. */
  parentSpanId: string;
  name: string;
  startOffsetMs: number;
  durationMs: number;
  error: boolean;
}

/** How many recent traces the dashboard can show. */
export const RECENT_TRACES = 50;
/** Spans kept per trace (the rest are counted in no list: the waterfall is a picture, not a record). */
export const SPANS_PER_TRACE = 32;
/** Traces whose child spans wait for their server span to end. */
const PENDING_TRACES = 256;

interface ChildSpan { spanId: string; parentSpanId: string; name: string; startMs: number; durationMs: number; error: boolean }

/**
 * A second span processor that keeps the last few SERVER spans in a fixed ring, each with its trace's
 * spans (at most SPANS_PER_TRACE) for the dashboard's waterfall. It copies a handful of fields, never the
 * span, so it pins no memory of old requests; child spans wait for their server span in a bounded map.
 */
export class RecentTraces implements SpanProcessor {
  readonly #ring: Array<TraceSummary | undefined>;
  #next = 0;
  /** Router names by server span id, from detailed traces' Router spans (which end before their server span). */
  readonly #routers = new Map<string, { router?: string; service?: string }>();
  /** Child spans (ReverseProxy, Router, middlewares…) by trace id, until their server span ends; bounded, oldest trace first out. */
  readonly #pending = new Map<string, ChildSpan[]>();
  /** The ring's traces by trace id, for a child span that ends after its server span (no scan of the ring per span). */
  readonly #listed = new Map<string, TraceSummary>();

  constructor(size = RECENT_TRACES) {
    this.#ring = new Array(size);
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const a = span.attributes;
    if (span.kind !== SpanKind.SERVER) {
      this.#keepChild(span);
      if (span.kind === SpanKind.INTERNAL && span.name === 'Router' && span.parentSpanContext) {
        if (this.#routers.size >= 1024) this.#routers.clear(); // bounded: a lost name only blanks a dashboard cell
        this.#routers.set(span.parentSpanContext.spanId, { router: str(a['traefik.router.name']), service: str(a['traefik.service.name']) });
      }
      return;
    }
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
    const children = this.#pending.get(ctx.traceId) ?? [];
    this.#pending.delete(ctx.traceId);
    summary.spans = [{ spanId: ctx.spanId, parentSpanId: span.parentSpanContext?.spanId ?? '', name: span.name, startOffsetMs: 0, durationMs: summary.durationMs, error: summary.error }];
    for (const c of children) summary.spans.push(offsetFrom(summary.startTime, c));
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined && this.#listed.get(evicted.traceId) === evicted) this.#listed.delete(evicted.traceId);
    this.#listed.set(summary.traceId, summary);
    this.#ring[this.#next] = summary;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** A child span ends before its server span (kept pending) or, rarely, after it (added to the listed trace). */
  #keepChild(span: ReadableSpan): void {
    const ctx = span.spanContext();
    const child: ChildSpan = {
      spanId: ctx.spanId, parentSpanId: span.parentSpanContext?.spanId ?? '', name: span.name,
      startMs: span.startTime[0] * 1e3 + span.startTime[1] / 1e6, durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
      error: span.status.code === SpanStatusCode.ERROR,
    };
    const listed = this.#listed.get(ctx.traceId);
    if (listed?.spans) {
      if (listed.spans.length < SPANS_PER_TRACE) listed.spans.push(offsetFrom(listed.startTime, child));
      return;
    }
    let list = this.#pending.get(ctx.traceId);
    if (!list) {
      if (this.#pending.size >= PENDING_TRACES) this.#pending.delete(this.#pending.keys().next().value!);
      list = [];
      this.#pending.set(ctx.traceId, list);
    }
    if (list.length < SPANS_PER_TRACE - 1) list.push(child);
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

function offsetFrom(startMs: number, c: ChildSpan): SpanSummary {
  return { spanId: c.spanId, parentSpanId: c.parentSpanId, name: c.name, startOffsetMs: c.startMs - startMs, durationMs: c.durationMs, error: c.error };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
