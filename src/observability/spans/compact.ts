import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks'; // not the global: in Node 20 that is a lazy accessor, a getter call per read
import type { AttemptObserver } from '../../http/hooks.ts';
import { applyFields, CLIENT_KEYS, CLIENT_STATUS, SERVER_KEYS, type FieldValues } from './fields.ts';
import { KIND_CLIENT, KIND_SERVER, RecordedSpan, setHttpStatus, STATUS_ERROR, STATUS_UNSET, type SpanSink } from './span.ts';

/**
 * What an encoder needs of a span recorded as fields (CompactTrace, CompactAttempt): the same names RecordedSpan
 * uses, attributes as values by position (SERVER_KEYS, CLIENT_KEYS) instead of a key/value list.
 */
export type FieldSpan = Pick<RecordedSpan, 'ids' | 'traceAt' | 'spanAt' | 'parentAt' | 'traceState' | 'parentRemote' | 'name' | 'startTime' | 'endTime' | 'status' | 'statusMessage'>
  & { readonly values: FieldValues };

/**
 * The hex ids, name, times and status of a span, as the dashboard's ring reads them (recent.ts).
 *
 * Its fields and its subclasses' are declared, and set in the constructors, not class fields: a compact trace makes
 * two of these objects a request, and as ES2022 class fields (tsconfig's target) each is defined, then assigned again
 * by the constructor; set once they cost 430 instructions less a request (callgrind, bench/callgrind-tracing.ts).
 */
abstract class FieldSpanBase implements FieldSpan {
  abstract readonly parentRemote: boolean;
  abstract readonly name: string;
  declare readonly ids: Buffer;
  declare readonly traceAt: number;
  declare readonly spanAt: number;
  declare readonly parentAt: number;
  declare readonly traceState: string;
  declare readonly values: FieldValues;
  declare readonly startTime: number;
  declare endTime: number;
  declare status: typeof STATUS_UNSET | typeof STATUS_ERROR;
  declare statusMessage: string;

  constructor(ids: Buffer, traceAt: number, spanAt: number, parentAt: number, traceState: string, values: FieldValues) {
    this.ids = ids;
    this.traceAt = traceAt;
    this.spanAt = spanAt;
    this.parentAt = parentAt;
    this.traceState = traceState;
    this.values = values;
    this.startTime = performance.now();
    this.endTime = -1;
    this.status = STATUS_UNSET;
    this.statusMessage = '';
  }

  get traceId(): string { return this.ids.toString('hex', this.traceAt, this.traceAt + 16); }
  get spanId(): string { return this.ids.toString('hex', this.spanAt, this.spanAt + 8); }
  get parentSpanId(): string { return this.parentAt < 0 ? '' : this.ids.toString('hex', this.parentAt, this.parentAt + 8); }

  /** Marks the span failed, as RecordedSpan.fail does. */
  fail(message?: string): void {
    this.status = STATUS_ERROR;
    this.statusMessage = message ?? '';
  }
}

/** Who turns a compact trace into RecordedSpans when the request leaves the common shape (RequestSpans). */
export interface Generalizer { generalize(): void }

/**
 * One upstream attempt of a CompactTrace: its CLIENT span's values and outcome. It is also the attempt's observer:
 * a response ends it; anything else (a transport error, Connect's annotations) first turns the trace into
 * RecordedSpans and is then handled by the general Attempt (`general`).
 */
export class CompactAttempt extends FieldSpanBase implements AttemptObserver {
  declare readonly parentRemote: boolean;
  declare readonly name: string;
  /** The RecordedSpan-based observer this attempt became (RequestSpans.generalize); calls go there from then on. */
  declare general: AttemptObserver | undefined;
  /**
   * The request's spans while the request runs; undefined once it ended (`detach`): the dashboard's ring and the
   * export queue keep the attempt, and through the owner they would keep the request, its headers and sockets.
   */
  #owner: Generalizer | undefined;

  constructor(owner: Generalizer, ids: Buffer, traceAt: number, spanAt: number, parentAt: number, traceState: string, values: FieldValues) {
    super(ids, traceAt, spanAt, parentAt, traceState, values);
    this.parentRemote = false;
    this.name = 'ReverseProxy';
    this.general = undefined;
    this.#owner = owner;
  }

  /** The dashboard's view of an attempt (recent.ts reads `attempt.span`). */
  get span(): this { return this; }

  onResponse(status: number, headers: OutgoingHttpHeaders): void {
    if (this.general !== undefined) { this.general.onResponse(status, headers); return; }
    if (this.endTime >= 0) return;
    this.values[CLIENT_STATUS] = status;
    setHttpStatus(this, status, 400);
    this.endTime = performance.now();
  }

  /** An error or an annotation after the request ended finds the span already handed over: nothing more to record. */
  onError(status: number, error: Error): void {
    if (this.general === undefined) this.#owner?.generalize();
    this.general?.onError(status, error);
  }

  annotate(attributes: Record<string, string>): void {
    if (this.general === undefined) this.#owner?.generalize();
    this.general?.annotate?.(attributes);
  }

  /** The request ended as a compact trace: forget its owner (see #owner). */
  detach(): void {
    this.#owner = undefined;
  }
}

/**
 * A sampled request of the common shape, recorded as fields rather than as RecordedSpans: its SERVER span's values
 * (read when it arrives) and its upstream attempts (CompactAttempt), encoded together when it ends
 * (OtlpEncoding.writeRequest: otlp-proto.ts writes the same bytes as for the RecordedSpans `toRecordedSpans` makes,
 * tested). Why: the common request (minimal verbosity, no captured headers, no gRPC, attempts that get an answer)
 * is most of what a gateway traces; kept as two objects and two arrays it costs a fraction of two RecordedSpans built
 * attribute by attribute, then encoded attribute by attribute. Anything else turns it into RecordedSpans first
 * (RequestSpans.generalize), which then go on as before.
 *
 * It is also what the dashboard's ring keeps of the request (recent.ts RecentRequest).
 */
export class CompactTrace extends FieldSpanBase {
  declare readonly parentRemote: boolean;
  declare readonly name: string;
  declare readonly attempts: CompactAttempt[];
  /** The dashboard's fields (recent.ts), set when the request ends. */
  declare httpStatus: number;
  declare readonly path: string;
  declare readonly entryPoint: string;
  declare routerName: string | undefined;
  declare serviceName: string | undefined;

  constructor(ids: Buffer, traceAt: number, spanAt: number, parentAt: number, traceState: string, parentRemote: boolean, name: string, values: FieldValues, path: string, entryPoint: string) {
    super(ids, traceAt, spanAt, parentAt, traceState, values);
    this.parentRemote = parentRemote;
    this.name = name;
    this.attempts = [];
    this.httpStatus = 0;
    this.path = path;
    this.entryPoint = entryPoint;
    this.routerName = undefined;
    this.serviceName = undefined;
  }

  /** The dashboard's view of the server span (recent.ts reads `request.server`). */
  get server(): this { return this; }

  /** Spans: the attempts, then the server span. */
  get spanCount(): number { return this.attempts.length + 1; }
}

/** A RecordedSpan with a field span's ids, name, start and attributes (not ended). */
export function recordFields(sink: SpanSink, s: FieldSpan, kind: typeof KIND_SERVER | typeof KIND_CLIENT): RecordedSpan {
  const span = new RecordedSpan(sink, s.ids, s.traceAt, s.spanAt, s.parentAt, s.traceState, s.parentRemote, s.name, kind, s.startTime);
  applyFields(span, kind === KIND_SERVER ? SERVER_KEYS : CLIENT_KEYS, s.values);
  return span;
}

/** Ends `span` as the field span ended (status, message, time): `span.end` hands it to its sink. */
export function endAsFields(span: RecordedSpan, s: FieldSpan): void {
  if (s.status === STATUS_ERROR) span.fail(s.statusMessage);
  span.end(undefined, s.endTime);
}

/**
 * The ended trace as RecordedSpans, in the order they are encoded (attempts, then the server span), each ended into
 * `sink` (JSON encoding; tests compare encodings with it).
 */
export function toRecordedSpans(trace: CompactTrace, sink: SpanSink): RecordedSpan[] {
  const spans = trace.attempts.map((a) => recordFields(sink, a, KIND_CLIENT));
  spans.push(recordFields(sink, trace, KIND_SERVER));
  const sources: FieldSpan[] = [...trace.attempts, trace];
  spans.forEach((span, i) => endAsFields(span, sources[i]!));
  return spans;
}
