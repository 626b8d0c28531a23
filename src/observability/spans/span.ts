import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks'; // not the global: in Node 20 that is a lazy accessor, a getter call per read
import type { StepSpan } from '../../http/hooks.ts';

/** OTLP's SpanKind numbers (the API's enum plus one). */
export const KIND_INTERNAL = 1;
export const KIND_SERVER = 2;
export const KIND_CLIENT = 3;
export type OtlpSpanKind = typeof KIND_INTERNAL | typeof KIND_SERVER | typeof KIND_CLIENT;

/** OTLP's Status codes (UNSET, ERROR: tagway never sets OK, as Traefik does not). */
export const STATUS_UNSET = 0;
export const STATUS_ERROR = 2;

/** An attribute value as tagway sets them (OTLP AnyValue: string, int, double, bool, string array). */
export type SpanValue = string | number | boolean | readonly string[];

/** One span event (tagway records one kind: `exception`). */
export interface SpanEvent {
  /** performance.now() reading. */
  readonly time: number;
  readonly name: string;
  /** Key, value, key, value… */
  readonly attributes: SpanValue[];
}

/** Where a recorded span goes when it ends (the batch processor), and the limits it obeys. */
export interface SpanSink {
  onEnd(span: RecordedSpan): void;
  /** OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: attributes beyond it are counted in droppedAttributesCount. */
  readonly attributeCountLimit: number;
  /** OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: longer strings (and array elements) are cut to it (Infinity: none). */
  readonly attributeValueLengthLimit?: number;
  /** OTEL_SPAN_EVENT_COUNT_LIMIT: events beyond it are counted in droppedEventsCount (unset: 128). */
  readonly eventCountLimit?: number;
}

/**
 * One sampled span, kept as what the wire needs and nothing more: ids as bytes in the id pool (see below; hex
 * only when someone asks), times as `performance.now()` readings, attributes as a flat key/value list (encoded
 * when the span ends, by otlp-json.ts or otlp-proto.ts, from caches of the pairs that repeat). Why not the SDK's
 * Span: on a gateway every request makes two to six spans, and the SDK's span (attribute objects checked key by
 * key, an Attributes copy, a context per span, a processor chain reading it back) cost more than the proxying
 * itself (bench/tracing-overhead.ts). The semantics kept from the SDK: ids from a random source, never
 * all zero; an attribute set after the limit is dropped and counted; only an end makes it exported,
 * once; `recordException` writes the same `exception` event.
 *
 * Each key is set at most once per span: the span layers set each attribute in one place (no overwrite).
 *
 * @example
 * const span = RecordedSpan.withHexIds(processor, newTraceId(), newSpanId(), '', '', false, 'GET', KIND_SERVER);
 * span.set('http.request.method', 'GET');
 * span.set('http.response.status_code', 503);
 * span.end('upstream unavailable'); // status ERROR with that message; handed to processor.onEnd, once
 */
export class RecordedSpan implements StepSpan {
  /**
   * Where the ids are: `ids` is an id pool (never rewritten), the trace id at `traceAt` (16 bytes), this span's
   * id at `spanAt` (8), its parent's at `parentAt` (8; -1 for a root span).
   */
  readonly ids: Buffer;
  readonly traceAt: number;
  readonly spanAt: number;
  readonly parentAt: number;
  /** Serialized W3C tracestate of the trace, '' when none. */
  readonly traceState: string;
  /** The parent came from another process (an extracted traceparent). */
  readonly parentRemote: boolean;
  readonly name: string;
  readonly kind: OtlpSpanKind;
  /** performance.now() at start and end (ms); endTime is -1 while the span is open. */
  readonly startTime: number;
  endTime = -1;
  /** Key, value, key, value… in the order set. */
  readonly attributes: SpanValue[] = [];
  droppedAttributes = 0;
  events: SpanEvent[] | undefined;
  droppedEvents = 0;
  status: typeof STATUS_UNSET | typeof STATUS_ERROR = STATUS_UNSET;
  statusMessage = '';
  readonly #sink: SpanSink;

  /** `startTime`: when it started, if not now (a span recorded first as fields, spans/compact.ts). */
  constructor(sink: SpanSink, ids: Buffer, traceAt: number, spanAt: number, parentAt: number, traceState: string, parentRemote: boolean, name: string, kind: OtlpSpanKind, startTime = performance.now()) {
    this.#sink = sink;
    this.ids = ids;
    this.traceAt = traceAt;
    this.spanAt = spanAt;
    this.parentAt = parentAt;
    this.traceState = traceState;
    this.parentRemote = parentRemote;
    this.name = name;
    this.kind = kind;
    this.startTime = startTime;
  }

  /** A span with ids given in hex (`parentSpanId` '' for a root span), copied into the pool. */
  static withHexIds(sink: SpanSink, traceId: string, spanId: string, parentSpanId: string, traceState: string, parentRemote: boolean, name: string, kind: OtlpSpanKind): RecordedSpan {
    const at = take(32);
    pool.write(traceId, at, 16, 'hex');
    pool.write(spanId, at + 16, 8, 'hex');
    if (parentSpanId !== '') pool.write(parentSpanId, at + 24, 8, 'hex');
    return new RecordedSpan(sink, pool, at, at + 16, parentSpanId !== '' ? at + 24 : -1, traceState, parentRemote, name, kind);
  }

  /** The ids in hex (JSON encoding, the dashboard, tests): converted on each call. */
  get traceId(): string { return this.ids.toString('hex', this.traceAt, this.traceAt + 16); }
  get spanId(): string { return this.ids.toString('hex', this.spanAt, this.spanAt + 8); }
  /** '' for a root span. */
  get parentSpanId(): string { return this.parentAt < 0 ? '' : this.ids.toString('hex', this.parentAt, this.parentAt + 8); }

  get ended(): boolean { return this.endTime >= 0; }

  /** Sets one attribute (a key not set before on this span). Ignored once ended, as the SDK does. */
  set(key: string, value: SpanValue): void {
    if (this.endTime >= 0) return;
    const sink = this.#sink;
    if (this.attributes.length >= 2 * sink.attributeCountLimit) { this.droppedAttributes++; return; }
    const max = sink.attributeValueLengthLimit;
    if (max !== undefined && max !== Infinity) value = truncate(value, max);
    this.attributes.push(key, value);
  }

  /** Marks the span failed; the message (when given) is shown as the status message. */
  fail(message?: string): void {
    if (this.endTime >= 0) return;
    this.status = STATUS_ERROR;
    this.statusMessage = message ?? '';
  }

  /**
   * The SDK's `recordException`: an `exception` event with exception.type (the error's `code`, else its
   * name), exception.message and exception.stacktrace.
   */
  recordException(error: Error): void {
    if (this.endTime >= 0) return;
    const code = (error as { code?: unknown }).code;
    const type = code !== undefined && code !== null && code !== '' ? String(code) : error.name;
    const attributes: SpanValue[] = [];
    if (type) attributes.push('exception.type', type);
    if (error.message) attributes.push('exception.message', error.message);
    if (attributes.length === 0) return;
    if (error.stack) attributes.push('exception.stacktrace', error.stack);
    if ((this.events?.length ?? 0) >= (this.#sink.eventCountLimit ?? 128)) { this.droppedEvents++; return; }
    const max = this.#sink.attributeValueLengthLimit;
    if (max !== undefined && max !== Infinity) for (let i = 1; i < attributes.length; i += 2) attributes[i] = truncate(attributes[i]!, max);
    (this.events ??= []).push({ time: performance.now(), name: 'exception', attributes });
  }

  /**
   * Ends the span (once; later calls do nothing) and hands it to the sink; a message marks it failed first. `at`:
   * when it ended, if not now.
   */
  end(errorMessage?: string, at = performance.now()): void {
    if (this.endTime >= 0) return;
    if (errorMessage !== undefined) { this.status = STATUS_ERROR; this.statusMessage = errorMessage; }
    this.endTime = at;
    this.#sink.onEnd(this);
  }
}

/** Traefik's status rule: server (and internal) spans fail at ≥ 500, client spans at ≥ 400; nonsense codes always fail. */
export function setHttpStatus(span: { fail(message?: string): void }, status: number, failFrom: 400 | 500): void {
  if (status < 100 || status >= 600) span.fail(`Invalid HTTP status code ${status}`);
  else if (status >= failFrom) span.fail();
}

/** The SDK's value length limit: strings, and each string of an array, cut to `max` characters. */
function truncate(value: SpanValue, max: number): SpanValue {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
  if (Array.isArray(value)) return value.some((v) => v.length > max) ? value.map((v) => (v.length > max ? v.slice(0, max) : v)) : value;
  return value;
}

/*
 * Wall-clock time of a performance.now() reading, as the SDK computes it (timeOrigin + now), in
 * nanoseconds since the epoch. Split in seconds and nanoseconds: epoch nanoseconds exceed 2^53.
 */
const ORIGIN_MS = performance.timeOrigin;
const ORIGIN_S = Math.floor(ORIGIN_MS / 1000);
const ORIGIN_NS = Math.round((ORIGIN_MS - ORIGIN_S * 1000) * 1e6);

/** A performance.now() reading as decimal nanoseconds since the epoch (OTLP JSON's int64 string). */
export function unixNanos(now: number): string {
  const ns = ORIGIN_NS + Math.round(now * 1e6);
  const carry = Math.floor(ns / 1e9);
  const rest = ns - carry * 1e9;
  if (carry !== secondsCarry) { secondsCarry = carry; secondsText = String(ORIGIN_S + carry); } // changes once a second
  return secondsText + (rest < 1e8 ? String(rest).padStart(9, '0') : String(rest));
}

let secondsCarry = -1;
let secondsText = '';

/**
 * A performance.now() reading as epoch nanoseconds split in two uint32 (protobuf fixed64, little-endian
 * halves), exact: every intermediate stays below 2^53. Writes [low, high] into `out`.
 */
export function unixNanosParts(now: number, out: Uint32Array | number[]): void {
  const ns = ORIGIN_NS + Math.round(now * 1e6); // < 2^53 for 104 days of uptime
  const carry = Math.floor(ns / 1e9);
  const rest = ns - carry * 1e9;
  if (carry !== partsCarry) {
    // the second's share, computed once a second: seconds * 1e9 with seconds split in 16-bit halves so that each
    // product is exact
    partsCarry = carry;
    let seconds = ORIGIN_S + carry;
    const sh = Math.floor(seconds / 65536);
    seconds -= sh * 65536;
    const x = sh * 1e9; // < 2^46
    const xl = x % 65536;
    partsLow = xl * 65536 + seconds * 1e9; // < 2^48 with rest
    partsHigh = (x - xl) / 65536;
  }
  const low = partsLow + rest;
  // not `low % 2^32`: on a double, % is a call into C (fmod); a division by a power of two and its floor are exact
  const high = Math.floor(low / 4294967296);
  out[0] = low - high * 4294967296;
  out[1] = partsHigh + high;
}

let partsCarry = -1;
let partsLow = 0;
let partsHigh = 0;

/** A performance.now() reading as epoch milliseconds (for the dashboard). */
export function unixMillis(now: number): number {
  return ORIGIN_MS + now;
}

/*
 * Ids from a pool of random bytes, 64 KB at a time (one randomFillSync per ~2,000 requests instead of a
 * Math.random() per 4 bytes; 8 KB fills cost twice as much per byte, measured). Every draw takes bytes never handed
 * out before; an all-zero id is invalid in W3C trace context: drawn again. A full pool is replaced, never refilled:
 * spans keep their ids where they were drawn (RecordedSpan.ids), a pool lives as long as one of them. Draws are
 * multiples of 8 bytes, so the pool is also read as 32-bit words (words, native byte order) where the order does
 * not matter.
 */
const POOL_BYTES = 65536;
let pool = Buffer.allocUnsafeSlow(0);
let words = new Uint32Array(0);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
let poolAt = 0;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function take(bytes: number): number {
  if (poolAt + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    words = new Uint32Array(pool.buffer, pool.byteOffset, pool.length >> 2);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += bytes;
  return at;
}

/** The pool the last draw came from (its bytes never change). */
export function idPool(): Buffer {
  return pool;
}

function randomHex(bytes: number): string {
  const at = take(bytes);
  return pool.toString('hex', at, at + bytes);
}

/** A new random 16-byte trace id, 32 lower-case hex digits. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

/** A new random 8-byte span id, 16 lower-case hex digits. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

function zero(at: number, bytes: number): boolean {
  for (let i = at >> 2, end = (at + bytes) >> 2; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

/**
 * The ids of one request in one draw: 32 random bytes in the pool (a trace id at 0, the server span's id at 16,
 * the first attempt's at 24), none of the three all-zero. Returns where they start (in idPool()): `IdBlock.hex`
 * converts them and `IdBlock.traceWord` reads the trace id for a ratio sampler without converting it.
 */
export function drawIdBlock(): number {
  for (;;) {
    const at = take(32);
    if (!zero(at, 16) && !zero(at + 16, 8) && !zero(at + 24, 8)) return at;
  }
}

/**
 * The ids of a request that continues a trace: 48 bytes, the incoming trace id at 0 and its parent span id at 32
 * (both copied from hex, both valid: the propagator checked them), a new server span id at 16 and a first attempt's
 * at 24 (random, not all-zero). Returns where they start in idPool().
 */
export function drawContinuedBlock(traceId: string, parentSpanId: string): number {
  let at: number;
  do at = take(48); while (zero(at + 16, 8) || zero(at + 24, 8));
  pool.write(traceId, at, 16, 'hex');
  pool.write(parentSpanId, at + 32, 8, 'hex');
  return at;
}

/**
 * One more span of a trace (a step, a call, a retry): 32 bytes, its trace id copied at 0, a new random span id at
 * 16, its parent's id copied at 24. Returns where they start in idPool(); the sources may sit in older pools.
 */
export function drawSpanIds(from: Buffer, traceAt: number, parent: Buffer, parentAt: number): number {
  let at: number;
  do at = take(32); while (zero(at + 16, 8));
  const to = pool;
  for (let i = 0; i < 16; i++) to[at + i] = from[traceAt + i]!;
  for (let i = 0; i < 8; i++) to[at + 24 + i] = parent[parentAt + i]!;
  return at;
}

/**
 * A reader of DataViews over Buffers that keeps the last one made: ids are read a word at a time (a DataView word
 * costs optimized code ~12 instructions, one byte of a Buffer read in a loop ~35: bench/callgrind-tracing.ts), and
 * the ids of one request, or of a run of them, sit in one pool. Each user keeps its own (the encoder reads older
 * pools than the requests being served).
 */
export function viewCache(): (buf: Buffer) => DataView {
  let viewed: Buffer | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));
  return function viewOf(buf) {
    if (buf !== viewed) {
      viewed = buf;
      view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    return view;
  };
}

/** One `traceparent` value being written: 00-<trace id>-<parent id>-<flags>. */
const TRACEPARENT = Buffer.from(`00-${'0'.repeat(32)}-${'0'.repeat(16)}-00`, 'latin1');
const TRACEPARENT_VIEW = new DataView(TRACEPARENT.buffer, TRACEPARENT.byteOffset, TRACEPARENT.length);
/** Each byte's two lower-case hex digits, as the 16-bit word that writes them in order (little-endian). */
const HEX_DIGITS = '0123456789abcdef';
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, b) => HEX_DIGITS.charCodeAt(b >> 4) | (HEX_DIGITS.charCodeAt(b & 15) << 8));
const traceparentView = viewCache();

/** Writes `bytes` (a multiple of 4) bytes of `source` from `from` as hex digits into TRACEPARENT at `to`. */
function putHexFrom(source: DataView, from: number, bytes: number, to: number): void {
  for (let i = 0; i < bytes; i += 4) {
    const word = source.getUint32(from + i); // big-endian: the first byte on top
    const at = to + 2 * i;
    TRACEPARENT_VIEW.setUint16(at, HEX_PAIRS[word >>> 24]!, true);
    TRACEPARENT_VIEW.setUint16(at + 2, HEX_PAIRS[(word >>> 16) & 0xff]!, true);
    TRACEPARENT_VIEW.setUint16(at + 4, HEX_PAIRS[(word >>> 8) & 0xff]!, true);
    TRACEPARENT_VIEW.setUint16(at + 6, HEX_PAIRS[word & 0xff]!, true);
  }
}

/**
 * `traceparent` (00-<trace id>-<span id>-<flags>) written from the ids' bytes into one flat string: half the cost
 * of hex conversions, slices and a template (measured).
 */
export function traceparentOf(trace: Buffer, traceAt: number, span: Buffer, spanAt: number, sampled: boolean): string {
  putHexFrom(traceparentView(trace), traceAt, 16, 3);
  putHexFrom(traceparentView(span), spanAt, 8, 36);
  TRACEPARENT[54] = sampled ? 0x31 : 0x30;
  // no encoding named: Buffer#toString goes straight to its UTF-8 slice (the bytes are ASCII), without the lookup of
  // an encoding by name that 'latin1' costs
  return TRACEPARENT.toString(undefined, 0, 55);
}

export const IdBlock = {
  /** The block as 64 hex digits: trace id [0, 32), server span id [32, 48), first attempt's span id [48, 64). */
  hex(at: number): string { return pool.toString('hex', at, at + 32); },
  /**
   * The trace id's four big-endian 32-bit words XORed together: what the SDK's TraceIdRatioBased sampler
   * compares with its bound (it reads the same words from the hex id), here straight from the bytes.
   */
  traceWord(at: number): number {
    const i = at >> 2;
    const x = words[i]! ^ words[i + 1]! ^ words[i + 2]! ^ words[i + 3]!;
    // XOR commutes with the byte order: swap the result once instead of reading each word big-endian
    return LITTLE_ENDIAN ? (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0 : x >>> 0;
  },
};
