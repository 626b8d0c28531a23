/**
 * OTLP/HTTP protobuf → OTLP JSON mapping, for the dev collector. A hand-written reader for the few messages of
 * `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` (field numbers from opentelemetry-proto
 * trace.proto, common.proto, resource.proto), so the receiver needs no protobuf library and the JSON path
 * (`decodeExport`) stays the only place that understands spans.
 *
 * The output follows the OTLP JSON encoding: ids as lower-case hex, fixed64 times as decimal strings, int64
 * values as numbers when exact (else decimal strings), bytes values as base64, enums as numbers.
 */

/** Thrown by {@link decodeProtoExport} on input that is not a well-formed protobuf message; match on `code`. */
export class OtlpProtoError extends Error {
  readonly code = 'OTLP_PROTO_MALFORMED';
  /** Byte offset in the body where decoding stopped. */
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(`malformed OTLP protobuf at byte ${offset}: ${reason}`);
    this.name = 'OtlpProtoError';
    this.offset = offset;
  }
}

export interface OtlpJsonAnyValue {
  stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number;
  arrayValue?: { values: OtlpJsonAnyValue[] }; kvlistValue?: { values: OtlpJsonKeyValue[] }; bytesValue?: string;
}
export interface OtlpJsonKeyValue { key: string; value: OtlpJsonAnyValue }
export interface OtlpJsonEvent { timeUnixNano: string; name: string; attributes: OtlpJsonKeyValue[]; droppedAttributesCount: number }
export interface OtlpJsonLink {
  traceId: string; spanId: string; traceState: string; attributes: OtlpJsonKeyValue[]; droppedAttributesCount: number; flags: number;
}
export type OtlpJsonSpan = {
  traceId: string; spanId: string; parentSpanId?: string; traceState: string; flags: number; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes: OtlpJsonKeyValue[]; droppedAttributesCount: number;
  events: OtlpJsonEvent[]; droppedEventsCount: number; links: OtlpJsonLink[]; droppedLinksCount: number;
  status: { message: string; code: number };
};
export interface OtlpJsonScope { name: string; version: string; attributes?: OtlpJsonKeyValue[]; droppedAttributesCount?: number }
export interface OtlpJsonScopeSpans { scope: OtlpJsonScope; spans: OtlpJsonSpan[]; schemaUrl?: string }
export interface OtlpJsonResourceSpans {
  resource: { attributes: OtlpJsonKeyValue[]; droppedAttributesCount: number };
  scopeSpans: OtlpJsonScopeSpans[];
  schemaUrl?: string;
}
/** An ExportTraceServiceRequest in the OTLP JSON mapping (what `application/json` exports carry). */
export interface OtlpJsonExport { resourceSpans: OtlpJsonResourceSpans[] }

/**
 * Decodes an OTLP/HTTP protobuf trace export body into the OTLP JSON mapping. Unknown fields (any wire type,
 * groups included) are skipped, as protobuf readers must; truncated or otherwise broken input throws
 * {@link OtlpProtoError}.
 *
 * @example
 * const spans = decodeExport(decodeProtoExport(gunzipSync(body)));
 */
export function decodeProtoExport(body: Uint8Array): OtlpJsonExport {
  const r = new Reader(body);
  const out: OtlpJsonExport = { resourceSpans: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.resourceSpans.push(resourceSpans(r.message()));
    else r.skip(wire, field);
  }
  return out;
}

// Wire types (protobuf encoding spec).
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

/** AnyValue nesting deeper than this is refused rather than risking the stack on hostile input. */
const MAX_DEPTH = 100;

const utf8 = new TextDecoder('utf-8');

/** A cursor over one message: [pos, end) of a shared buffer. */
class Reader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;
  readonly depth: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length, depth = 0, view?: DataView) {
    this.#buf = buf;
    this.#view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = pos;
    this.#end = end;
    this.depth = depth;
  }

  get done(): boolean { return this.#pos >= this.#end; }

  tag(): { field: number; wire: number } {
    const at = this.#pos;
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0 || field > 0x1fffffff) throw new OtlpProtoError(`invalid field number ${field}`, at);
    return { field, wire };
  }

  /** A varint as an unsigned 64-bit BigInt; most fit in a few bytes, so the first 28 bits are read as a number. */
  varint(): bigint {
    let small = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.#byte();
      small |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return BigInt(small >>> 0);
    }
    let value = BigInt(small >>> 0);
    for (let shift = 28n; shift < 70n; shift += 7n) {
      const b = this.#byte();
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, value);
    }
    throw new OtlpProtoError('varint longer than 10 bytes', this.#pos);
  }

  /** uint32 / enum / int32 fields: the low 32 bits (negative int32 enums are sign-extended to 10 bytes on the wire). */
  uint32(): number { return Number(BigInt.asUintN(32, this.varint())); }
  int32(): number { return Number(BigInt.asIntN(32, this.varint())); }
  bool(): boolean { return this.varint() !== 0n; }

  /** int64 in OTLP JSON: a number when exact, else the decimal string. */
  int64(): number | string {
    const v = BigInt.asIntN(64, this.varint());
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.toString();
  }

  fixed32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** fixed64 as an exact decimal string (nanosecond times exceed 2^53). */
  fixed64(): string {
    this.#need(8);
    const lo = this.#view.getUint32(this.#pos, true);
    const hi = this.#view.getUint32(this.#pos + 4, true);
    this.#pos += 8;
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  double(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const len = this.#length();
    const out = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return out;
  }

  string(): string { return utf8.decode(this.bytes()); }
  hex(): string { return Buffer.from(this.bytes()).toString('hex'); }
  base64(): string { return Buffer.from(this.bytes()).toString('base64'); }

  /** The embedded message of a LEN field, as its own reader. */
  message(): Reader {
    const len = this.#length();
    if (this.depth + 1 > MAX_DEPTH) throw new OtlpProtoError(`messages nested deeper than ${MAX_DEPTH}`, this.#pos);
    const sub = new Reader(this.#buf, this.#pos, this.#pos + len, this.depth + 1, this.#view);
    this.#pos += len;
    return sub;
  }

  /** Skips one field's value; `field` matches a group's end tag to its start, `groups` bounds their nesting. */
  skip(wire: number, field: number, groups = 0): void {
    switch (wire) {
      case VARINT: this.varint(); return;
      case I64: this.#need(8); this.#pos += 8; return;
      case LEN: { const n = this.#length(); this.#pos += n; return; } // not `#pos += #length()`: that adds to the old #pos
      case I32: this.#need(4); this.#pos += 4; return;
      case SGROUP: {
        if (this.depth + groups >= MAX_DEPTH) throw new OtlpProtoError(`groups nested deeper than ${MAX_DEPTH}`, this.#pos);
        for (;;) {
          if (this.done) throw new OtlpProtoError(`group ${field} not closed`, this.#pos);
          const t = this.tag();
          if (t.wire === EGROUP) {
            if (t.field !== field) throw new OtlpProtoError(`group ${field} closed by end tag ${t.field}`, this.#pos);
            return;
          }
          this.skip(t.wire, t.field, groups + 1);
        }
      }
      case EGROUP: throw new OtlpProtoError(`end of group ${field} without a start`, this.#pos);
      default: throw new OtlpProtoError(`unknown wire type ${wire} (field ${field})`, this.#pos);
    }
  }

  #byte(): number {
    if (this.#pos >= this.#end) throw new OtlpProtoError('truncated varint', this.#pos);
    return this.#buf[this.#pos++]!;
  }

  #need(n: number): void {
    if (this.#end - this.#pos < n) throw new OtlpProtoError(`truncated: ${n} bytes needed, ${this.#end - this.#pos} left`, this.#pos);
  }

  #length(): number {
    const at = this.#pos;
    const len = this.varint();
    if (len > BigInt(this.#end - this.#pos)) {
      throw new OtlpProtoError(`truncated: length ${len} but ${this.#end - this.#pos} bytes left`, at);
    }
    return Number(len);
  }
}

// One function per message; each reads its known fields with the expected wire type and skips everything else
// (a known field number with another wire type is treated as unknown, like an incompatible schema change).

function resourceSpans(r: Reader): OtlpJsonResourceSpans {
  const out: OtlpJsonResourceSpans = { resource: { attributes: [], droppedAttributesCount: 0 }, scopeSpans: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.resource = resource(r.message());
    else if (field === 2 && wire === LEN) out.scopeSpans.push(scopeSpans(r.message()));
    else if (field === 3 && wire === LEN) out.schemaUrl = r.string();
    else r.skip(wire, field);
  }
  return out;
}

function resource(r: Reader): OtlpJsonResourceSpans['resource'] {
  const out: OtlpJsonResourceSpans['resource'] = { attributes: [], droppedAttributesCount: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.attributes.push(keyValue(r.message()));
    else if (field === 2 && wire === VARINT) out.droppedAttributesCount = r.uint32();
    else r.skip(wire, field);
  }
  return out;
}

function scopeSpans(r: Reader): OtlpJsonScopeSpans {
  const out: OtlpJsonScopeSpans = { scope: { name: '', version: '' }, spans: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.scope = scope(r.message());
    else if (field === 2 && wire === LEN) out.spans.push(span(r.message()));
    else if (field === 3 && wire === LEN) out.schemaUrl = r.string();
    else r.skip(wire, field);
  }
  return out;
}

function scope(r: Reader): OtlpJsonScope {
  const out: OtlpJsonScope = { name: '', version: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.name = r.string();
    else if (field === 2 && wire === LEN) out.version = r.string();
    else if (field === 3 && wire === LEN) (out.attributes ??= []).push(keyValue(r.message()));
    else if (field === 4 && wire === VARINT) out.droppedAttributesCount = r.uint32();
    else r.skip(wire, field);
  }
  return out;
}

function span(r: Reader): OtlpJsonSpan {
  const out: OtlpJsonSpan = {
    traceId: '', spanId: '', traceState: '', flags: 0, name: '', kind: 0, startTimeUnixNano: '0', endTimeUnixNano: '0',
    attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
    status: { message: '', code: 0 },
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire === LEN) {
      switch (field) {
        case 1: out.traceId = r.hex(); continue;
        case 2: out.spanId = r.hex(); continue;
        case 3: out.traceState = r.string(); continue;
        case 4: { const parent = r.hex(); if (parent === '') delete out.parentSpanId; else out.parentSpanId = parent; continue; }
        case 5: out.name = r.string(); continue;
        case 9: out.attributes.push(keyValue(r.message())); continue;
        case 11: out.events.push(event(r.message())); continue;
        case 13: out.links.push(link(r.message())); continue;
        case 15: out.status = status(r.message()); continue;
      }
    } else if (wire === VARINT) {
      switch (field) {
        case 6: out.kind = r.int32(); continue;
        case 10: out.droppedAttributesCount = r.uint32(); continue;
        case 12: out.droppedEventsCount = r.uint32(); continue;
        case 14: out.droppedLinksCount = r.uint32(); continue;
      }
    } else if (wire === I64) {
      if (field === 7) { out.startTimeUnixNano = r.fixed64(); continue; }
      if (field === 8) { out.endTimeUnixNano = r.fixed64(); continue; }
    } else if (wire === I32 && field === 16) {
      out.flags = r.fixed32();
      continue;
    }
    r.skip(wire, field);
  }
  return out;
}

function event(r: Reader): OtlpJsonEvent {
  const out: OtlpJsonEvent = { timeUnixNano: '0', name: '', attributes: [], droppedAttributesCount: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === I64) out.timeUnixNano = r.fixed64();
    else if (field === 2 && wire === LEN) out.name = r.string();
    else if (field === 3 && wire === LEN) out.attributes.push(keyValue(r.message()));
    else if (field === 4 && wire === VARINT) out.droppedAttributesCount = r.uint32();
    else r.skip(wire, field);
  }
  return out;
}

function link(r: Reader): OtlpJsonLink {
  const out: OtlpJsonLink = { traceId: '', spanId: '', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.traceId = r.hex();
    else if (field === 2 && wire === LEN) out.spanId = r.hex();
    else if (field === 3 && wire === LEN) out.traceState = r.string();
    else if (field === 4 && wire === LEN) out.attributes.push(keyValue(r.message()));
    else if (field === 5 && wire === VARINT) out.droppedAttributesCount = r.uint32();
    else if (field === 6 && wire === I32) out.flags = r.fixed32();
    else r.skip(wire, field);
  }
  return out;
}

function status(r: Reader): OtlpJsonSpan['status'] {
  const out = { message: '', code: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 2 && wire === LEN) out.message = r.string();
    else if (field === 3 && wire === VARINT) out.code = r.int32();
    else r.skip(wire, field);
  }
  return out;
}

function keyValue(r: Reader): OtlpJsonKeyValue {
  const out: OtlpJsonKeyValue = { key: '', value: {} };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.key = r.string();
    else if (field === 2 && wire === LEN) out.value = anyValue(r.message());
    else r.skip(wire, field);
  }
  return out;
}

/** A oneof: the last member on the wire wins, as protobuf merges it; none at all is the empty value `{}`. */
function anyValue(r: Reader): OtlpJsonAnyValue {
  let out: OtlpJsonAnyValue = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out = { stringValue: r.string() };
    else if (field === 2 && wire === VARINT) out = { boolValue: r.bool() };
    else if (field === 3 && wire === VARINT) out = { intValue: r.int64() };
    else if (field === 4 && wire === I64) out = { doubleValue: r.double() };
    else if (field === 5 && wire === LEN) out = { arrayValue: { values: arrayValues(r.message()) } };
    else if (field === 6 && wire === LEN) out = { kvlistValue: { values: kvlistValues(r.message()) } };
    else if (field === 7 && wire === LEN) out = { bytesValue: r.base64() };
    else r.skip(wire, field);
  }
  return out;
}

/** ArrayValue { values = 1 }. */
function arrayValues(r: Reader): OtlpJsonAnyValue[] {
  return repeatedFirst(r, anyValue);
}

/** KeyValueList { values = 1 }. */
function kvlistValues(r: Reader): OtlpJsonKeyValue[] {
  return repeatedFirst(r, keyValue);
}

/** A message whose field 1 is a repeated message: its items, decoded; other fields skipped. */
function repeatedFirst<T>(r: Reader, decode: (m: Reader) => T): T[] {
  const out: T[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) out.push(decode(r.message()));
    else r.skip(wire, field);
  }
  return out;
}
