import { STATUS_ERROR, unixMillis, type RecordedSpan } from './spans/span.ts';

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

/** What the ring reads of a span: a RecordedSpan, or a span of a compact trace (spans/compact.ts). */
export type SpanView = Pick<RecordedSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'name' | 'startTime' | 'endTime' | 'status' | 'statusMessage'>;

/** One sampled request as its RequestSpans hands it over when its server span ends (a CompactTrace is one too). */
export interface RecentRequest {
  readonly server: SpanView;
  /** Router, middlewares, Service (detailed traces), in the order they opened. */
  readonly steps?: readonly SpanView[] | undefined;
  /** One per upstream attempt. */
  readonly attempts?: ReadonlyArray<{ readonly span: SpanView }> | undefined;
  httpStatus: number;
  path: string;
  entryPoint: string;
  routerName?: string | undefined;
  serviceName?: string | undefined;
}

/** How many recent traces the dashboard can show. */
const RECENT_TRACES = 50;
/** Spans listed per trace (the waterfall is a picture, not a record). */
export const SPANS_PER_TRACE = 32;

/**
 * The last few sampled requests, in a fixed ring, for the dashboard. `add` stores what the request
 * hands over (its spans: ids, names, times, status) and nothing else: summaries are built only when
 * someone asks (`list`), so a request pays one array store. A span still open then (none, as
 * RequestSpans ends every span before handing them over) is left out. The ring holds at most RECENT_TRACES
 * requests' spans, never the request, its headers or its sockets.
 *
 * @example
 * const recent = new RecentTraces();
 * recent.add({ server, attempts, httpStatus: 200, path: '/', entryPoint: 'web' });
 * recent.list()[0].spans // → [GET, ReverseProxy]
 */
export class RecentTraces {
  readonly #ring: Array<RecentRequest | undefined>;
  #next = 0;

  constructor(size = RECENT_TRACES) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`RecentTraces: size must be a positive integer, got ${size}`);
    this.#ring = new Array(size);
  }

  add(request: RecentRequest): void {
    this.#ring[this.#next] = request;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** Newest first. */
  list(): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (let i = 1; i <= this.#ring.length; i++) {
      const item = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length];
      if (item) out.push(summarize(item));
    }
    return out;
  }
}

function summarize(r: RecentRequest): TraceSummary {
  const server = r.server;
  const summary: TraceSummary = {
    traceId: server.traceId,
    spanId: server.spanId,
    name: server.name,
    startTime: unixMillis(server.startTime),
    durationMs: server.endTime - server.startTime,
    error: server.status === STATUS_ERROR,
    httpStatus: r.httpStatus,
    path: r.path,
    entryPoint: r.entryPoint,
  };
  if (server.statusMessage !== '') summary.statusMessage = server.statusMessage;
  if (r.routerName !== undefined) summary.routerName = r.routerName;
  if (r.serviceName !== undefined) summary.serviceName = r.serviceName;
  const children: SpanView[] = [...(r.steps ?? []), ...(r.attempts ?? []).map((a) => a.span)];
  children.sort((a, b) => a.startTime - b.startTime);
  summary.spans = [spanSummary(server, server.startTime)];
  for (const child of children) {
    if (summary.spans.length >= SPANS_PER_TRACE) break;
    if (child.endTime >= 0) summary.spans.push(spanSummary(child, server.startTime));
  }
  return summary;
}

function spanSummary(span: SpanView, origin: number): SpanSummary {
  return {
    spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name,
    startOffsetMs: span.startTime - origin, durationMs: span.endTime - span.startTime, error: span.status === STATUS_ERROR,
  };
}
