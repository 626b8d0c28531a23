import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { FieldSpan } from '../spans/compact.ts';
import { CLIENT_KEYS, CLIENT_NUMERIC, SERVER_KEYS, SERVER_NUMERIC, type FieldValues } from '../spans/fields.ts';
import { KIND_CLIENT, KIND_SERVER, unixNanosParts, viewCache, type RecordedSpan, type SpanEvent, type SpanValue } from '../spans/span.ts';
import type { BodyBuffer } from './body-buffer.ts';
import type { OtlpEncoding } from './encoding.ts';
import { PairCache, type PairKey } from './pair-cache.ts';

/**
 * OTLP/HTTP protobuf (`application/x-protobuf`), the default OTLP protocol and what Traefik's Go
 * exporter sends: an ExportTraceServiceRequest as opentelemetry-proto (collector/trace/v1,
 * trace/v1, common/v1, resource/v1) defines it, the same message @opentelemetry/otlp-transformer's
 * ProtobufTraceSerializer writes. About half the bytes of the JSON mapping (ids and times are raw
 * bytes, no key names), which is most of what an export costs on the gateway's core.
 *
 * Each span goes straight into the batch's buffer: its size is computed first (every part's length is
 * known), then its bytes are written. A KeyValue seen before comes from a cache.
 *
 * @example
 * const spans = new BodyBuffer();
 * batch.forEach((span, i) => otlpProto.writeSpan(spans, span, i === 0));
 * const request = new BodyBuffer();
 * otlpProto.framer(resource.attributes, { name: 'tagway', version: '0.1.0' })(request, spans.bytes());
 * // request.bytes(): an ExportTraceServiceRequest, POSTed as application/x-protobuf
 */
export const otlpProto: OtlpEncoding = {
  contentType: 'application/x-protobuf',
  writeSpan(body, span) {
    writeSpanProto(body, span);
  },
  writeRequest(body, trace) {
    const attempts = trace.attempts;
    for (let i = 0; i < attempts.length; i++) writeFieldSpan(body, attempts[i]!, KIND_CLIENT, CLIENT_PAIR_KEYS, CLIENT_NUMERIC, LAST_FIELDS[0]!);
    writeFieldSpan(body, trace, KIND_SERVER, SERVER_PAIR_KEYS, SERVER_NUMERIC, LAST_FIELDS[1]!);
  },
  framer(resource, scope) {
    // Resource { attributes = 1 }, InstrumentationScope { name = 1, version = 2 }
    const resourceBytes = message(...keyValues(resource).map((kv) => field(1, kv)));
    const scopeBytes = message(field(1, utf8(scope.name)), ...(scope.version !== undefined ? [field(2, utf8(scope.version))] : []));
    const resourceField = field(1, resourceBytes); // ResourceSpans.resource = 1
    const scopeField = field(1, scopeBytes); // ScopeSpans.scope = 1
    return function frameProto(body: BodyBuffer, spans: Uint8Array) {
      const scopeSpansSize = scopeField.length + spans.length; // ScopeSpans.spans = 2 (tags written by writeSpan)
      const resourceSpansSize = resourceField.length + 1 + varintSize(scopeSpansSize) + scopeSpansSize;
      const buf = body.reserve(1 + 5 + resourceSpansSize);
      let at = body.length;
      buf[at++] = 0x0a; // ExportTraceServiceRequest.resource_spans = 1
      at = putVarint(buf, at, resourceSpansSize);
      buf.set(resourceField, at);
      at += resourceField.length;
      buf[at++] = 0x12; // ResourceSpans.scope_spans = 2
      at = putVarint(buf, at, scopeSpansSize);
      buf.set(scopeField, at);
      at += scopeField.length;
      body.commit(at);
      body.writeBytes(spans);
    };
  },
};

/**
 * Reused per span: for each attribute, its cached KeyValue message (or EMPTY: written in place), its
 * key entry and the KeyValue's size (undefined sizes: the field is copied from the last span of the kind, see
 * LastSpan); and a time's two words.
 */
const kvs: Buffer[] = [];
const kvKeys: Array<PairKey<Buffer, Buffer>> = [];
const kvSizes: Array<number | undefined> = [];
const time = new Uint32Array(2);

/**
 * Key entries by span kind and attribute position: each span layer sets its attributes in the same order every
 * time, so the key at a position is nearly always the one seen there last (a comparison instead of a map lookup).
 */
const POSITIONS = 64;
const positionNames: Array<string | undefined> = new Array(4 * POSITIONS).fill(undefined);
const positionKeys: Array<PairKey<Buffer, Buffer> | undefined> = new Array(4 * POSITIONS).fill(undefined);

function keyAt(name: string, position: number): PairKey<Buffer, Buffer> {
  if (positionNames[position] === name) return positionKeys[position]!;
  const key = PAIRS.key(name);
  if (position < positionNames.length) { positionNames[position] = name; positionKeys[position] = key; }
  return key;
}

/**
 * The attributes of the last span written, per kind: where their fields lie in a batch's buffer and each one's key
 * and value. A span of the same kind repeats most of them at the same positions (the same layer set them: entry
 * point, method, addresses, agent, status), so each run of attributes equal to the last span's is copied from
 * there in one piece instead of being looked up and written attribute by attribute. The bytes stay where they are
 * until their BodyBuffer is reset (`generation` then differs) or dropped; a buffer the body outgrew keeps them too.
 */
interface LastSpan {
  body: BodyBuffer | undefined;
  generation: number;
  buf: Buffer;
  count: number;
  names: string[];
  values: SpanValue[];
  /** Where each attribute's field (tag, length, KeyValue) starts, and where the last one ends (count + 1 entries). */
  at: number[];
  name: string;
  nameBytes: Buffer;
}

const LAST: LastSpan[] = [0, 1, 2, 3].map(() => ({ body: undefined, generation: -1, buf: Buffer.alloc(0), count: 0, names: [], values: [], at: [0], name: '', nameBytes: Buffer.alloc(0) }));
/** The field starts of the span being written, swapped with its kind's LastSpan.at once written. */
let nextAt: number[] = [0];

/** Appends one span as field 2 (`spans`) of a ScopeSpans. */
function writeSpanProto(body: BodyBuffer, span: RecordedSpan): void {
  const attrs = span.attributes;
  const last = LAST[span.kind & 3]!;
  const lastCount = last.body !== undefined && last.body.generation === last.generation ? last.count : 0;
  let attributesSize = 0;
  let n = 0;
  const base = (span.kind & 3) * POSITIONS;
  for (let i = 0, p = base; i < attrs.length; i += 2, p++) {
    const name = attrs[i] as string;
    const value = attrs[i + 1]!;
    if (n < lastCount && last.names[n] === name && last.values[n] === value) {
      kvSizes[n] = undefined;
      attributesSize += last.at[n + 1]! - last.at[n]!;
      n++;
      continue;
    }
    const key = keyAt(name, p);
    const cached = PAIRS.pair(key, value);
    const size = cached !== undefined ? cached.length : key.key.length + lengthDelimitedSize(anyValueSize(value));
    kvs[n] = cached ?? EMPTY; // EMPTY: written in place (a KeyValue is never empty)
    kvKeys[n] = key;
    kvSizes[n++] = size;
    attributesSize += 1 + varintSize(size) + size;
  }
  const name = span.name === last.name ? last.nameBytes : nameBytes(span.name);
  const traceStateSize = span.traceState === '' ? 0 : Buffer.byteLength(span.traceState);
  const events = span.events === undefined ? undefined : span.events.map(eventBytes);
  let eventsSize = 0;
  if (events) for (const e of events) eventsSize += 1 + varintSize(e.length) + e.length;
  const messageSize = span.statusMessage === '' ? 0 : Buffer.byteLength(span.statusMessage);
  const statusSize = statusFieldsSize(messageSize, span.status);
  const size = headSize(span, name.length, traceStateSize)
    + attributesSize
    + (span.droppedAttributes > 0 ? 1 + varintSize(span.droppedAttributes) : 0)
    + eventsSize
    + (span.droppedEvents > 0 ? 1 + varintSize(span.droppedEvents) : 0)
    + 1 + varintSize(statusSize) + statusSize;

  const buf = body.reserve(1 + 5 + size);
  const view = body.view;
  let at = body.length;
  buf[at++] = 0x12; // ScopeSpans.spans = 2
  at = putVarint(buf, at, size);
  at = putHead(buf, view, at, span, span.kind, name, traceStateSize);
  const starts = nextAt;
  for (let i = 0; i < n;) { // attributes = 9
    const size = kvSizes[i];
    if (size === undefined) { // a run of fields as the last span of this kind wrote them: one copy
      let j = i + 1;
      while (j < n && kvSizes[j] === undefined) j++;
      const from = last.at[i]!;
      const shift = at - from;
      for (let k = i; k < j; k++) starts[k] = last.at[k]! + shift;
      at = copyRun(buf, at, last.buf, from, last.at[j]!);
      i = j;
      continue;
    }
    starts[i] = at;
    const kv = kvs[i]!;
    buf[at++] = 0x4a;
    at = putVarint(buf, at, size);
    if (kv !== EMPTY) {
      at = putBytes(buf, at, kv);
    } else { // KeyValue { key = 1 (the entry's encoded key field), value = 2 }
      at = putBytes(buf, at, kvKeys[i]!.key);
      const value = attrs[2 * i + 1]!;
      buf[at++] = 0x12;
      at = putVarint(buf, at, anyValueSize(value));
      at = putAnyValue(buf, at, value);
    }
    kvs[i] = EMPTY; // keep no reference to the span's values
    i++;
  }
  starts[n] = at;
  // this span's fields are the next one's source
  nextAt = last.at;
  last.at = starts;
  for (let i = 0; i < n; i++) { last.names[i] = attrs[2 * i] as string; last.values[i] = attrs[2 * i + 1]!; }
  last.count = n;
  remember(last, body, buf, span.name, name);
  if (span.droppedAttributes > 0) { buf[at++] = 0x50; at = putVarint(buf, at, span.droppedAttributes); } // dropped_attributes_count = 10
  if (events) for (const e of events) { buf[at++] = 0x5a; at = putVarint(buf, at, e.length); buf.set(e, at); at += e.length; } // events = 11
  if (span.droppedEvents > 0) { buf[at++] = 0x60; at = putVarint(buf, at, span.droppedEvents); } // dropped_events_count = 12
  at = putTail(buf, view, at, span, statusSize, messageSize);
  body.commit(at);
}

/** Where the span just written lies (the batch's buffer, its bytes and generation) and its name, for the next of its kind. */
function remember(last: LastSpan | LastFields, body: BodyBuffer, buf: Buffer, name: string, nameBytes: Buffer): void {
  last.buf = buf;
  last.body = body;
  last.generation = body.generation;
  last.name = name;
  last.nameBytes = nameBytes;
}

/** What a span's head and tail are written from: a RecordedSpan or a FieldSpan (spans/compact.ts). */
type SpanFrame = Pick<FieldSpan, 'ids' | 'traceAt' | 'spanAt' | 'parentAt' | 'traceState' | 'parentRemote' | 'startTime' | 'endTime' | 'status' | 'statusMessage'>;

/** Bytes of a Span's fields trace_id … end_time_unix_nano, and flags (putHead, putTail). */
function headSize(span: SpanFrame, nameLength: number, traceStateSize: number): number {
  return 18 + 10 // trace_id, span_id
    + (span.parentAt >= 0 ? 10 : 0)
    + (traceStateSize > 0 ? 1 + varintSize(traceStateSize) + traceStateSize : 0)
    + 6 // flags (fixed32, two-byte tag)
    + 1 + varintSize(nameLength) + nameLength
    + 2 + 9 + 9; // kind, start, end
}

/** Bytes inside a Status message. */
function statusFieldsSize(messageSize: number, status: number): number {
  return (messageSize > 0 ? 1 + varintSize(messageSize) + messageSize : 0) + (status !== 0 ? 2 : 0);
}

/** Span fields trace_id = 1 … end_time_unix_nano = 8. */
function putHead(buf: Buffer, view: DataView, at: number, span: SpanFrame, kind: number, name: Buffer, traceStateSize: number): number {
  const ids = idsView(span.ids);
  buf[at++] = 0x0a; buf[at++] = 16; // trace_id = 1
  at = putId(view, at, ids, span.traceAt, 16);
  buf[at++] = 0x12; buf[at++] = 8; // span_id = 2
  at = putId(view, at, ids, span.spanAt, 8);
  if (traceStateSize > 0) { // trace_state = 3
    buf[at++] = 0x1a;
    at = putVarint(buf, at, traceStateSize);
    at += buf.write(span.traceState, at, traceStateSize, 'utf8');
  }
  if (span.parentAt >= 0) { buf[at++] = 0x22; buf[at++] = 8; at = putId(view, at, ids, span.parentAt, 8); } // parent_span_id = 4
  buf[at++] = 0x2a; // name = 5
  at = putVarint(buf, at, name.length);
  at = putBytes(buf, at, name);
  buf[at++] = 0x30; buf[at++] = kind; // kind = 6
  buf[at++] = 0x39; // start_time_unix_nano = 7 (fixed64)
  unixNanosParts(span.startTime, time);
  view.setUint32(at, time[0]!, true);
  view.setUint32(at + 4, time[1]!, true);
  buf[at + 8] = 0x41; // end_time_unix_nano = 8 (fixed64)
  unixNanosParts(span.endTime, time);
  view.setUint32(at + 9, time[0]!, true);
  view.setUint32(at + 13, time[1]!, true);
  return at + 17;
}

/** Span fields status = 15 and flags = 16. */
function putTail(buf: Buffer, view: DataView, at: number, span: SpanFrame, statusSize: number, messageSize: number): number {
  buf[at++] = 0x7a; // status = 15: Status { message = 2, code = 3 }
  at = putVarint(buf, at, statusSize);
  if (messageSize > 0) { buf[at++] = 0x12; at = putVarint(buf, at, messageSize); at += buf.write(span.statusMessage, at, messageSize, 'utf8'); }
  if (span.status !== 0) { buf[at++] = 0x18; buf[at++] = span.status; }
  // flags = 16 (fixed32): sampled | CONTEXT_HAS_IS_REMOTE | CONTEXT_IS_REMOTE when the parent is remote
  buf[at++] = 0x85; buf[at++] = 0x01;
  view.setUint32(at, span.parentRemote ? 0x301 : 0x101, true);
  return at + 4;
}

/**
 * The attributes of the last field span written, per kind (client, server), as LastSpan is for RecordedSpans: its
 * values, and where each attribute's field lay in a batch's buffer, valid while that buffer is not reset: `len[i]`
 * bytes (0: not set), back to back from `blockAt`. Field spans set their attributes by position, so a value equal to
 * the last span's at the same position is the same field, and fields of a run of them that lay back to back then
 * are copied in one piece.
 */
interface LastFields {
  body: BodyBuffer | undefined;
  generation: number;
  buf: Buffer;
  blockAt: number;
  values: FieldValues;
  len: number[];
  name: string;
  nameBytes: Buffer;
  /** The whole span's field in `buf` ([spanAt, spanEnd): tag, length, Span), for repeatLastSpan. */
  spanAt: number;
  spanEnd: number;
  /** Where, relative to spanAt, its trace id, its parent's span id (-1: none) and its start time lie. */
  idsRel: number;
  parentRel: number;
  timeRel: number;
  /** What else its head and tail were written from. */
  traceState: string;
  parentRemote: boolean;
  status: number;
  statusMessage: string;
}

/** A `len` list for any kind's attributes (every entry read is one written, or 0). */
const noFields = (): number[] => new Array<number>(Math.max(SERVER_KEYS.length, CLIENT_KEYS.length)).fill(0);

const LAST_FIELDS: LastFields[] = [0, 1].map(() => ({
  body: undefined, generation: -1, buf: Buffer.alloc(0), blockAt: 0, values: [], len: noFields(), name: '', nameBytes: Buffer.alloc(0),
  spanAt: 0, spanEnd: 0, idsRel: 0, parentRel: -1, timeRel: 0, traceState: '', parentRemote: false, status: 0, statusMessage: '',
}));
/** Attributes repeatLastSpan writes over (their positions), and how many. */
const patches: number[] = [];
/** The field span being written: the size of each of its fields (swapped with its kind's LastFields once written). */
let nextLen: number[] = noFields();
/**
 * Its attributes as pieces, two numbers each: a run copied from the last span of the kind ([from, to) relative to
 * that span's attributes, from ≥ 0), or one attribute written now (-1 - its position, its KeyValue's size).
 */
const pieces: number[] = [];
/** Per attribute written now: its cached KeyValue (EMPTY: written in place). */
const fieldPairs: Buffer[] = [];

/**
 * Appends a field span (spans/compact.ts) as field 2 (`spans`) of a ScopeSpans: the bytes writeSpanProto writes for
 * the RecordedSpan with its attributes set in key order (tested), without a list of pairs to walk. Values equal to
 * the last field span's of the kind are copied from where that one's fields lie, a run at a time; numbers and
 * strings are compared apart (each comparison site sees one type). One pass over the attributes decides and sizes
 * the pieces; the second walks the pieces only (a few per span).
 */
function writeFieldSpan(body: BodyBuffer, span: FieldSpan, kind: number, keys: ReadonlyArray<PairKey<Buffer, Buffer>>, numeric: readonly boolean[], last: LastFields): void {
  const values = span.values;
  const n = keys.length;
  const valid = last.body !== undefined && last.body.generation === last.generation;
  if (valid && repeatLastSpan(body, span, n, numeric, last)) return;
  const lastValues = last.values;
  const lastLen = last.len;
  const len = nextLen;
  let attributesSize = 0;
  let lastAt = 0; // where field i lay in the last span's attributes
  let count = 0; // numbers in `pieces`
  let runFrom = -1; // the open run of copied fields, relative to the last span's attributes
  let runTo = -1;
  for (let i = 0; i < n; i++) {
    const l = lastLen[i]!;
    const r = lastAt;
    lastAt += l;
    const value = values[i];
    if (value === undefined) { len[i] = 0; continue; }
    if (l > 0 && valid && (numeric[i] ? (value as number) === (lastValues[i] as number) : (value as string) === (lastValues[i] as string))) {
      len[i] = l;
      attributesSize += l;
      if (r === runTo) { runTo += l; continue; }
      if (runFrom >= 0) { pieces[count++] = runFrom; pieces[count++] = runTo; }
      runFrom = r;
      runTo = r + l;
      continue;
    }
    if (runFrom >= 0) { pieces[count++] = runFrom; pieces[count++] = runTo; runFrom = runTo = -1; }
    const key = keys[i]!;
    const cached = PAIRS.pair(key, value);
    const size = cached !== undefined ? cached.length : key.key.length + lengthDelimitedSize(anyValueSize(value));
    fieldPairs[i] = cached ?? EMPTY;
    const fieldLength = 1 + varintSize(size) + size;
    len[i] = fieldLength;
    attributesSize += fieldLength;
    pieces[count++] = -1 - i;
    pieces[count++] = size;
  }
  if (runFrom >= 0) { pieces[count++] = runFrom; pieces[count++] = runTo; }
  const name = span.name === last.name ? last.nameBytes : nameBytes(span.name);
  const traceStateSize = span.traceState === '' ? 0 : Buffer.byteLength(span.traceState);
  const messageSize = span.statusMessage === '' ? 0 : Buffer.byteLength(span.statusMessage);
  const statusSize = statusFieldsSize(messageSize, span.status);
  const size = headSize(span, name.length, traceStateSize) + attributesSize + 1 + varintSize(statusSize) + statusSize;

  const buf = body.reserve(1 + 5 + size);
  const view = body.view;
  const spanAt = body.length;
  let at = spanAt;
  buf[at++] = 0x12; // ScopeSpans.spans = 2
  at = putVarint(buf, at, size);
  const idsRel = at + 2 - spanAt;
  at = putHead(buf, view, at, span, kind, name, traceStateSize);
  const blockAt = at;
  const source = last.buf;
  const sourceAt = last.blockAt;
  for (let k = 0; k < count; k += 2) {
    const a = pieces[k]!;
    if (a >= 0) { at = copyRun(buf, at, source, sourceAt + a, sourceAt + pieces[k + 1]!); continue; }
    const i = -1 - a;
    const fieldSize = pieces[k + 1]!;
    const pair = fieldPairs[i]!;
    buf[at++] = 0x4a; // attributes = 9
    at = putVarint(buf, at, fieldSize);
    if (pair !== EMPTY) {
      at = putBytes(buf, at, pair);
    } else { // KeyValue { key = 1 (the entry's encoded key field), value = 2 }
      at = putBytes(buf, at, keys[i]!.key);
      const value = values[i]!;
      buf[at++] = 0x12;
      at = putVarint(buf, at, anyValueSize(value));
      at = putAnyValue(buf, at, value);
    }
    fieldPairs[i] = EMPTY; // keep no reference to the span's values
  }
  nextLen = lastLen;
  last.len = len;
  last.values = values;
  last.blockAt = blockAt;
  remember(last, body, buf, span.name, name);
  at = putTail(buf, view, at, span, statusSize, messageSize);
  body.commit(at);
  // putHead's layout: trace id (after its tag and length), span id, trace state, parent id, name, kind, then the two
  // times at its end (tag, 8 bytes, tag, 8 bytes)
  last.spanAt = spanAt;
  last.spanEnd = at;
  last.idsRel = idsRel;
  last.parentRel = span.parentAt >= 0 ? idsRel + 28 + (traceStateSize > 0 ? 1 + varintSize(traceStateSize) + traceStateSize : 0) : -1;
  last.timeRel = blockAt - 17 - spanAt;
  last.traceState = span.traceState;
  last.parentRemote = span.parentRemote;
  last.status = span.status;
  last.statusMessage = span.statusMessage;
}

/**
 * Writes a field span as a copy of the last one of its kind, when its bytes differ only where they keep their length:
 * the ids, the times and numbers whose varint takes as many bytes (ports, mostly); false (nothing written) otherwise.
 * A gateway's spans of one kind mostly repeat the last one's name, status and every string (entry point, method,
 * addresses, path, agent), so the span is one native copy and a few words written over it, instead of its head
 * written field by field and its attributes compared, sized and copied a run at a time (writeFieldSpan).
 */
function repeatLastSpan(body: BodyBuffer, span: FieldSpan, n: number, numeric: readonly boolean[], last: LastFields): boolean {
  if (span.name !== last.name || span.status !== last.status || span.statusMessage !== last.statusMessage || span.traceState !== last.traceState
    || span.parentRemote !== last.parentRemote || (span.parentAt >= 0) !== (last.parentRel >= 0)) return false;
  const values = span.values;
  const lastValues = last.values;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    const before = lastValues[i];
    if (numeric[i]) {
      if ((value as number) === (before as number)) continue;
      if (value === undefined || before === undefined) return false;
      const size = uintVarintSize(value as number);
      if (size === 0 || size !== uintVarintSize(before as number)) return false;
      patches[count++] = i;
    } else if ((value as string) !== (before as string)) {
      return false;
    }
  }
  const length = last.spanEnd - last.spanAt;
  const buf = body.reserve(length);
  const view = body.view;
  const at = body.length;
  copyRun(buf, at, last.buf, last.spanAt, last.spanEnd);
  // the ids, a word at a time (as putId, written out: one call fewer per id)
  const ids = idsView(span.ids);
  const idsAt = at + last.idsRel;
  const traceAt = span.traceAt;
  const spanAt = span.spanAt;
  view.setUint32(idsAt, ids.getUint32(traceAt, true), true);
  view.setUint32(idsAt + 4, ids.getUint32(traceAt + 4, true), true);
  view.setUint32(idsAt + 8, ids.getUint32(traceAt + 8, true), true);
  view.setUint32(idsAt + 12, ids.getUint32(traceAt + 12, true), true);
  view.setUint32(idsAt + 18, ids.getUint32(spanAt, true), true);
  view.setUint32(idsAt + 22, ids.getUint32(spanAt + 4, true), true);
  if (last.parentRel >= 0) {
    const parentAt = span.parentAt;
    view.setUint32(at + last.parentRel, ids.getUint32(parentAt, true), true);
    view.setUint32(at + last.parentRel + 4, ids.getUint32(parentAt + 4, true), true);
  }
  const timeAt = at + last.timeRel;
  unixNanosParts(span.startTime, time);
  view.setUint32(timeAt, time[0]!, true);
  view.setUint32(timeAt + 4, time[1]!, true);
  unixNanosParts(span.endTime, time);
  view.setUint32(timeAt + 9, time[0]!, true);
  view.setUint32(timeAt + 13, time[1]!, true);
  if (count > 0) {
    // a number's varint ends its field (KeyValue { key, value: AnyValue { int_value } }), as long as it was
    const len = last.len;
    const blockAt = at + last.blockAt - last.spanAt;
    for (let k = 0, i = 0, end = blockAt; k < count; k++) {
      const p = patches[k]!;
      for (; i <= p; i++) end += len[i]!;
      const value = values[p] as number;
      putVarint(buf, end - uintVarintSize(value), value);
    }
  }
  last.blockAt += at - last.spanAt;
  last.spanEnd += at - last.spanAt;
  last.spanAt = at;
  last.values = values;
  remember(last, body, buf, last.name, last.nameBytes);
  body.commit(at + length);
  return true;
}

/**
 * Bytes of the varint of an integer 0 ≤ n < 2^35 (ports, counts, statuses), by comparisons; 0 for anything else
 * (negative, fractional, larger: repeatLastSpan then writes the span field by field).
 */
function uintVarintSize(n: number): number {
  return n >= 0 && n < 0x800000000 && Math.floor(n) === n ? varintSize(n) : 0;
}

/**
 * Copies bytes [from, to) of `source` to `at`: natively (copyWithin within one buffer), but for a few bytes. A byte
 * copied in a loop costs optimized code ~35 instructions (each access checks the array again), a copyWithin ~150 in
 * all (counted with callgrind, bench/README).
 */
function copyRun(buf: Buffer, at: number, source: Buffer, from: number, to: number): number {
  if (to - from <= 4) {
    for (let i = from; i < to; i++) buf[at++] = source[i]!;
    return at;
  }
  if (source === buf) buf.copyWithin(at, from, to);
  else buf.set(source.subarray(from, to), at);
  return at + to - from;
}

/*
 * Byte-level writers. Optimized code pays ~35 instructions per byte stored in a loop (every access to a Buffer checks
 * its map, length and data pointer again), a DataView ~12 for four bytes, and a native copy
 * (TypedArray#set, copyWithin) costs ~150 in all, whatever the length up to a few hundred bytes (callgrind in the
 * gateway, bench/README). Words go through DataViews: a span's ids and times, the flags.
 */

/** DataViews over id pools (a pool serves ~2,000 requests). */
const idsView = viewCache();

/** Copies an id's 8 or 16 bytes from its pool, a word at a time (read and written little-endian: the same bytes). */
function putId(view: DataView, at: number, ids: DataView, from: number, bytes: 8 | 16): number {
  view.setUint32(at, ids.getUint32(from, true), true);
  view.setUint32(at + 4, ids.getUint32(from + 4, true), true);
  if (bytes === 16) {
    view.setUint32(at + 8, ids.getUint32(from + 8, true), true);
    view.setUint32(at + 12, ids.getUint32(from + 12, true), true);
  }
  return at + bytes;
}

function putBytes(buf: Buffer, at: number, bytes: Buffer): number {
  if (bytes.length > 4) { buf.set(bytes, at); return at + bytes.length; }
  for (let i = 0; i < bytes.length; i++) buf[at++] = bytes[i]!;
  return at;
}

const EMPTY = Buffer.alloc(0);

/** Event { time_unix_nano = 1, name = 2, attributes = 3 } (cold path: errors only). */
function eventBytes(e: SpanEvent): Buffer {
  unixNanosParts(e.time, time);
  const t = Buffer.alloc(9);
  t[0] = 0x09;
  t.writeUInt32LE(time[0]!, 1);
  t.writeUInt32LE(time[1]!, 5);
  const parts = [t, field(2, utf8(e.name))];
  for (let i = 0; i < e.attributes.length; i += 2) parts.push(field(3, keyValue(e.attributes[i] as string, e.attributes[i + 1]!)));
  return Buffer.concat(parts);
}

/** KeyValue messages, by key (the encoded `key` field) and value. */
const PAIRS = new PairCache<Buffer, Buffer>(
  function keyField(key) { return field(1, utf8(key)); },
  function keyValueMessage(keyField, value) { return Buffer.concat([keyField, field(2, anyValue(value as AttributeValue))]); },
);
/** The key entries of the field spans' attributes (writeFieldSpan), by position. */
const SERVER_PAIR_KEYS = SERVER_KEYS.map((key) => PAIRS.key(key));
const CLIENT_PAIR_KEYS = CLIENT_KEYS.map((key) => PAIRS.key(key));

/** KeyValue { key = 1, value = 2 } for one attribute (cold paths: resource, events). */
function keyValue(key: string, value: SpanValue): Buffer {
  return Buffer.concat([PAIRS.key(key).key, field(2, anyValue(value as AttributeValue))]);
}

/**
 * An integer that fits int64: written as `int_value`, as the SDK's otlp-transformer writes every integer (above 2^53
 * a number is still an exact integer, and the varint of one is exact: see putVarint). Anything else is a double.
 */
function isInt64(value: number): boolean {
  return Number.isInteger(value) && value >= -9223372036854775808 && value < 9223372036854775808;
}

/** Size of an AnyValue message as putAnyValue writes it. */
function anyValueSize(value: SpanValue): number {
  switch (typeof value) {
    case 'string': return lengthDelimitedSize(Buffer.byteLength(value));
    case 'boolean': return 2;
    case 'number': return isInt64(value) ? 1 + int64Size(value) : 9;
    default: {
      let size = 0; // ArrayValue { values = 1 } of string AnyValues
      for (const v of value) size += lengthDelimitedSize(lengthDelimitedSize(Buffer.byteLength(v)));
      return lengthDelimitedSize(size);
    }
  }
}

/** AnyValue { string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5 }, in place. */
function putAnyValue(buf: Buffer, at: number, value: SpanValue): number {
  switch (typeof value) {
    case 'string': {
      buf[at++] = 0x0a;
      const length = Buffer.byteLength(value);
      at = putVarint(buf, at, length);
      return at + buf.write(value, at, length, 'utf8');
    }
    case 'boolean':
      buf[at++] = 0x10;
      buf[at++] = value ? 1 : 0;
      return at;
    case 'number':
      if (isInt64(value)) {
        buf[at++] = 0x18;
        return value >= 0 ? putVarint(buf, at, value) : putBytes(buf, at, int64Varint(value));
      }
      buf[at++] = 0x21;
      buf.writeDoubleLE(value, at);
      return at + 8;
    default: {
      let inner = 0;
      for (const v of value) inner += lengthDelimitedSize(lengthDelimitedSize(Buffer.byteLength(v)));
      buf[at++] = 0x2a;
      at = putVarint(buf, at, inner);
      for (const v of value) {
        buf[at++] = 0x0a; // ArrayValue.values = 1
        at = putVarint(buf, at, lengthDelimitedSize(Buffer.byteLength(v)));
        at = putAnyValue(buf, at, v);
      }
      return at;
    }
  }
}

/** Tag byte + length varint + `length` bytes. */
function lengthDelimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Bytes of an int64 varint (ten for a negative number, two's complement). */
function int64Size(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 128) { n = Math.floor(n / 128); size++; }
  return size;
}

const NAMES = new Map<string, Buffer>();

/** Span names are few (methods, ReverseProxy, Router, middleware types): their UTF-8 is cached. */
function nameBytes(name: string): Buffer {
  let bytes = NAMES.get(name);
  if (bytes === undefined) {
    bytes = utf8(name);
    if (NAMES.size < 256) NAMES.set(name, bytes);
  }
  return bytes;
}

/** AnyValue { string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5 }. */
function anyValue(value: AttributeValue | null | undefined): Buffer {
  switch (typeof value) {
    case 'string': return field(1, utf8(value));
    case 'boolean': return Buffer.from([0x10, value ? 1 : 0]);
    case 'number': {
      if (isInt64(value)) return Buffer.concat([Buffer.from([0x18]), int64Varint(value)]);
      const d = Buffer.alloc(9);
      d[0] = 0x21;
      d.writeDoubleLE(value, 1);
      return d;
    }
    default:
      if (Array.isArray(value)) return field(5, message(...value.map((v) => field(1, anyValue(v as AttributeValue))))); // ArrayValue { values = 1 }
      return EMPTY;
  }
}

function keyValues(attributes: Attributes): Buffer[] {
  const out: Buffer[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out.push(keyValue(key, value as SpanValue));
  }
  return out;
}

/** A length-delimited field (wire type 2) with a one-byte tag. */
function field(number: number, bytes: Buffer): Buffer {
  const head = Buffer.alloc(1 + varintSize(bytes.length));
  head[0] = (number << 3) | 2;
  putVarint(head, 1, bytes.length);
  return Buffer.concat([head, bytes]);
}

function message(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** int64 as a varint: two's complement on 64 bits, so a negative number takes ten bytes. */
function int64Varint(n: number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 127n) { out.push(Number(v & 127n) | 128); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Bytes of a varint for 0 ≤ n < 2^35 (lengths, and uintVarintSize's numbers). */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * Writes an integer 0 ≤ n < 2^64 as a varint at `at`; returns the offset after it. Exact above 2^53 too: `%` and a
 * division by 128 (a power of two) never round a double.
 */
function putVarint(buf: Buffer, at: number, n: number): number {
  while (n > 0x7f) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}
