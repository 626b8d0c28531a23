import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { FieldSpan } from '../spans/compact.ts';
import { CLIENT_KEYS, CLIENT_NUMERIC, SERVER_KEYS, SERVER_NUMERIC, type FieldValues } from '../spans/fields.ts';
import { KIND_CLIENT, KIND_SERVER, unixNanosParts, type RecordedSpan, type SpanEvent, type SpanValue } from '../spans/span.ts';
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
  let at = body.length;
  buf[at++] = 0x12; // ScopeSpans.spans = 2
  at = putVarint(buf, at, size);
  at = putHead(buf, at, span, span.kind, name, traceStateSize);
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
  at = putTail(buf, at, span, statusSize, messageSize);
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
function putHead(buf: Buffer, at: number, span: SpanFrame, kind: number, name: Buffer, traceStateSize: number): number {
  const ids = span.ids;
  buf[at++] = 0x0a; buf[at++] = 16; // trace_id = 1
  at = putId(buf, at, ids, span.traceAt, 16);
  buf[at++] = 0x12; buf[at++] = 8; // span_id = 2
  at = putId(buf, at, ids, span.spanAt, 8);
  if (traceStateSize > 0) { // trace_state = 3
    buf[at++] = 0x1a;
    at = putVarint(buf, at, traceStateSize);
    at += buf.write(span.traceState, at, traceStateSize, 'utf8');
  }
  if (span.parentAt >= 0) { buf[at++] = 0x22; buf[at++] = 8; at = putId(buf, at, ids, span.parentAt, 8); } // parent_span_id = 4
  buf[at++] = 0x2a; // name = 5
  at = putVarint(buf, at, name.length);
  at = putBytes(buf, at, name);
  buf[at++] = 0x30; buf[at++] = kind; // kind = 6
  buf[at++] = 0x39; // start_time_unix_nano = 7 (fixed64)
  unixNanosParts(span.startTime, time);
  at = putUint32(buf, putUint32(buf, at, time[0]!), time[1]!);
  buf[at++] = 0x41; // end_time_unix_nano = 8 (fixed64)
  unixNanosParts(span.endTime, time);
  return putUint32(buf, putUint32(buf, at, time[0]!), time[1]!);
}

/** Span fields status = 15 and flags = 16. */
function putTail(buf: Buffer, at: number, span: SpanFrame, statusSize: number, messageSize: number): number {
  buf[at++] = 0x7a; // status = 15: Status { message = 2, code = 3 }
  at = putVarint(buf, at, statusSize);
  if (messageSize > 0) { buf[at++] = 0x12; at = putVarint(buf, at, messageSize); at += buf.write(span.statusMessage, at, messageSize, 'utf8'); }
  if (span.status !== 0) { buf[at++] = 0x18; buf[at++] = span.status; }
  // flags = 16 (fixed32): sampled | CONTEXT_HAS_IS_REMOTE | CONTEXT_IS_REMOTE when the parent is remote
  buf[at++] = 0x85; buf[at++] = 0x01;
  return putUint32(buf, at, span.parentRemote ? 0x301 : 0x101);
}

/**
 * The fields of the last field span written, per kind (client, server), as LastSpan is for RecordedSpans: its values
 * and where each attribute's field starts and ends in a batch's buffer (-1: not set), valid while that buffer is not
 * reset. Field spans set their attributes by position, so a value equal to the last span's at the same position is
 * the same field, and the fields of a run of them lie back to back when nothing was between them then either.
 */
interface LastFields {
  body: BodyBuffer | undefined;
  generation: number;
  buf: Buffer;
  values: FieldValues;
  start: number[];
  end: number[];
  name: string;
  nameBytes: Buffer;
}

const LAST_FIELDS: LastFields[] = [0, 1].map(() => ({ body: undefined, generation: -1, buf: Buffer.alloc(0), values: [], start: [], end: [], name: '', nameBytes: Buffer.alloc(0) }));
/** Per attribute of the field span being written: -1 not set, 0 copied from the last one, else its KeyValue's size. */
const fieldSizes: number[] = [];
/** Its cached KeyValue (EMPTY: written in place). */
const fieldPairs: Buffer[] = [];
/** Where its fields start and end, swapped with the kind's LastFields once written. */
let nextStarts: number[] = [];
let nextEnds: number[] = [];

/**
 * Appends a field span (spans/compact.ts) as field 2 (`spans`) of a ScopeSpans: the bytes writeSpanProto writes for
 * the RecordedSpan with its attributes set in key order (tested), without a list of pairs to walk. Values equal to
 * the last field span's of the kind are copied from where that one's fields lie, a run at a time; numbers and
 * strings are compared apart (each comparison site sees one type).
 */
function writeFieldSpan(body: BodyBuffer, span: FieldSpan, kind: number, keys: ReadonlyArray<PairKey<Buffer, Buffer>>, numeric: readonly boolean[], last: LastFields): void {
  const values = span.values;
  const n = keys.length;
  const valid = last.body !== undefined && last.body.generation === last.generation;
  const lastValues = last.values;
  const lastStart = last.start;
  const lastEnd = last.end;
  let attributesSize = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === undefined) { fieldSizes[i] = -1; continue; }
    if (valid && lastStart[i]! >= 0 && (numeric[i] ? (value as number) === (lastValues[i] as number) : (value as string) === (lastValues[i] as string))) {
      fieldSizes[i] = 0;
      attributesSize += lastEnd[i]! - lastStart[i]!;
      continue;
    }
    const key = keys[i]!;
    const cached = PAIRS.pair(key, value);
    const size = cached !== undefined ? cached.length : key.key.length + lengthDelimitedSize(anyValueSize(value));
    fieldPairs[i] = cached ?? EMPTY;
    fieldSizes[i] = size;
    attributesSize += 1 + varintSize(size) + size;
  }
  const name = span.name === last.name ? last.nameBytes : nameBytes(span.name);
  const traceStateSize = span.traceState === '' ? 0 : Buffer.byteLength(span.traceState);
  const messageSize = span.statusMessage === '' ? 0 : Buffer.byteLength(span.statusMessage);
  const statusSize = statusFieldsSize(messageSize, span.status);
  const size = headSize(span, name.length, traceStateSize) + attributesSize + 1 + varintSize(statusSize) + statusSize;

  const buf = body.reserve(1 + 5 + size);
  let at = body.length;
  buf[at++] = 0x12; // ScopeSpans.spans = 2
  at = putVarint(buf, at, size);
  at = putHead(buf, at, span, kind, name, traceStateSize);
  const starts = nextStarts;
  const ends = nextEnds;
  for (let i = 0; i < n;) {
    const fieldSize = fieldSizes[i]!;
    if (fieldSize < 0) { starts[i] = -1; ends[i] = -1; i++; continue; }
    if (fieldSize === 0) { // a run of fields as the last span of this kind wrote them: one copy
      const from = lastStart[i]!;
      let to = lastEnd[i]!;
      starts[i] = at;
      ends[i] = at + to - from;
      let j = i + 1;
      for (;;) {
        let k = j;
        while (k < n && fieldSizes[k]! < 0) { starts[k] = -1; ends[k] = -1; k++; }
        if (k >= n || fieldSizes[k] !== 0 || lastStart[k] !== to) break;
        starts[k] = at + to - from;
        to = lastEnd[k]!;
        ends[k] = at + to - from;
        j = k + 1;
      }
      at = copyRun(buf, at, last.buf, from, to);
      i = j;
      continue;
    }
    starts[i] = at;
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
    fieldPairs[i] = EMPTY;
    ends[i] = at;
    i++;
  }
  nextStarts = lastStart;
  nextEnds = lastEnd;
  last.start = starts;
  last.end = ends;
  last.values = values;
  remember(last, body, buf, span.name, name);
  at = putTail(buf, at, span, statusSize, messageSize);
  body.commit(at);
}

/** Copies bytes [from, to) of `source` to `at` (short runs byte by byte: a native copy costs more than it saves). */
function copyRun(buf: Buffer, at: number, source: Buffer, from: number, to: number): number {
  if (to - from <= 64) {
    for (let i = from; i < to; i++) buf[at++] = source[i]!;
    return at;
  }
  if (source === buf) buf.copyWithin(at, from, to);
  else buf.set(source.subarray(from, to), at);
  return at + to - from;
}

/*
 * Byte-level writers. For the few bytes of a span's parts a plain loop beats Buffer's native calls (write(hex),
 * writeUInt32LE): those cross into C++ per call, which costs more than the copy. Longer pieces (cached KeyValues of
 * 17 bytes and more) go through TypedArray#set: 27 ns for 20–60 bytes against 34 ns through Buffer#copy's layers and
 * 74 ns for a loop (measured).
 */

/** Copies an id's bytes from its pool. */
function putId(buf: Buffer, at: number, ids: Buffer, from: number, bytes: number): number {
  for (let i = 0; i < bytes; i++) buf[at++] = ids[from + i]!;
  return at;
}

function putUint32(buf: Buffer, at: number, n: number): number {
  buf[at] = n & 0xff;
  buf[at + 1] = (n >>> 8) & 0xff;
  buf[at + 2] = (n >>> 16) & 0xff;
  buf[at + 3] = n >>> 24;
  return at + 4;
}

function putBytes(buf: Buffer, at: number, bytes: Buffer): number {
  if (bytes.length > 16) { buf.set(bytes, at); return at + bytes.length; }
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

/** Bytes of a varint for 0 ≤ n < 2^32 (lengths). */
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
