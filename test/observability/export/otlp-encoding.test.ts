import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { SpanKind, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { BodyBuffer } from '../../../src/observability/export/body-buffer.ts';
import type { OtlpEncoding } from '../../../src/observability/export/encoding.ts';
import { otlpJson } from '../../../src/observability/export/otlp-json.ts';
import { otlpProto } from '../../../src/observability/export/otlp-proto.ts';
import { EncodedSpanQueue } from '../../../src/observability/export/span-queue.ts';
import { CompactAttempt, CompactTrace, toRecordedSpans } from '../../../src/observability/spans/compact.ts';
import type { FieldValues } from '../../../src/observability/spans/fields.ts';
// JSON bodies are parsed by JSON.parse; decodeExport only flattens both sides alike for the comparison
import { decodeExport } from '../../support/collector.ts';
import {
  KIND_CLIENT, KIND_INTERNAL, KIND_SERVER, newSpanId, newTraceId, RecordedSpan, STATUS_ERROR, STATUS_UNSET, unixNanos, unixNanosParts, type SpanValue,
} from '../../../src/observability/spans/span.ts';

/**
 * The independent decoder: the protobufjs module that OpenTelemetry generated from the official OTLP `.proto`
 * files and shipped in @opentelemetry/otlp-transformer up to 0.57 (installed as `otlp-transformer-protobufjs`).
 * Neither tagway's encoder nor its dev collector's reader is involved in decoding.
 */
interface ProtoType { decode(bytes: Uint8Array): object; toObject(message: object, options: object): Record<string, unknown> }
const generated = createRequire(import.meta.url)('otlp-transformer-protobufjs/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
};
const ExportTraceServiceRequest = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Decoded = any;

/** An OTLP/HTTP protobuf body as a plain object: every field with its value or proto3 default (a zero written on the wire and an absent field mean the same), 64-bit numbers as decimal strings, bytes as base64. */
function decodeProto(bytes: Uint8Array): Decoded {
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), { longs: String, bytes: String, arrays: true, defaults: true });
}

/** Every span of a decoded request. */
function spansOf(request: Decoded): Decoded[] {
  return request.resourceSpans.flatMap((r: Decoded) => r.scopeSpans.flatMap((s: Decoded) => s.spans));
}

const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

const RESOURCE = resourceFromAttributes({ 'service.name': 'svc', 'process.pid': 42, ratio: 0.5, 'host.arch': 'amd64' });
const SCOPE = { name: 'tagway', version: '1.0.0' };

/** Spans covering every shape tagway writes, recorded by tagway's own span type (the encoders' input). */
function sampleSpans(attributeCountLimit = 128): RecordedSpan[] {
  const ended: RecordedSpan[] = [];
  const sink = { onEnd: (s: RecordedSpan) => { ended.push(s); }, attributeCountLimit };
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const server = RecordedSpan.withHexIds(sink, traceId, newSpanId(), 'b7ad6b7169203331', 'vendor=abc,other=x', true, 'GET', KIND_SERVER);
  const attrs: Record<string, SpanValue> = {
    'url.path': '/a "quoted" \\ path\n☃', 'http.response.status_code': 503, ratio: 1.25, ok: true, off: false,
    'http.request.header.x-multi': ['a', 'b'], empty: [], big: 2 ** 33 + 5, negative: -42, zero: 0, 'client.port': 51234,
  };
  for (const [k, v] of Object.entries(attrs)) server.set(k, v);
  const client = RecordedSpan.withHexIds(sink, traceId, newSpanId(), server.spanId, 'vendor=abc,other=x', false, 'ReverseProxy', KIND_CLIENT);
  client.set('url.full', 'http://127.0.0.1:8080/x?k=REDACTED');
  client.recordException(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }));
  client.end('connect ECONNREFUSED 127.0.0.1:8080');
  const router = RecordedSpan.withHexIds(sink, traceId, newSpanId(), server.spanId, 'vendor=abc,other=x', false, 'Router', KIND_INTERNAL);
  router.set('traefik.router.name', 'api@file');
  router.end();
  server.end('boom ☃ — failed');
  const root = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, 'POST', KIND_SERVER);
  root.set('entry_point', 'web');
  root.end();
  return ended;
}

/** The same spans as the SDK's ReadableSpan: what otlp-transformer's serializers take (the reference). */
function asReadable(span: RecordedSpan): ReadableSpan {
  const ctx: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: 1 };
  if (span.traceState !== '') ctx.traceState = new TraceState(span.traceState);
  const parent: SpanContext | undefined = span.parentSpanId === '' ? undefined
    : { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: span.parentRemote };
  const kinds = { [KIND_INTERNAL]: SpanKind.INTERNAL, [KIND_SERVER]: SpanKind.SERVER, [KIND_CLIENT]: SpanKind.CLIENT };
  return {
    name: span.name,
    kind: kinds[span.kind],
    spanContext: () => ctx,
    parentSpanContext: parent,
    startTime: hr(span.startTime),
    endTime: hr(span.endTime),
    duration: [0, 0],
    ended: true,
    status: span.statusMessage !== '' ? { code: span.status, message: span.statusMessage } : { code: span.status },
    attributes: pairs(span.attributes),
    links: [],
    events: (span.events ?? []).map((e) => ({ name: e.name, time: hr(e.time), attributes: pairs(e.attributes) })),
    resource: RESOURCE,
    instrumentationScope: SCOPE,
    droppedAttributesCount: span.droppedAttributes,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function hr(now: number): HrTime {
  const ns = BigInt(unixNanos(now));
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function pairs(list: readonly SpanValue[]): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1] as Attributes[string];
  return out;
}

/** A whole request body as the gateway sends it: spans written one by one, then framed. */
function encode(encoding: OtlpEncoding, spans: readonly RecordedSpan[]): Buffer {
  const spanBytes = new BodyBuffer(16);
  spans.forEach((s, i) => encoding.writeSpan(spanBytes, s, i === 0));
  const body = new BodyBuffer(16);
  encoding.framer(RESOURCE.attributes, SCOPE)(body, spanBytes.bytes());
  return Buffer.from(body.bytes());
}

describe('OTLP encodings against @opentelemetry/otlp-transformer', () => {
  it('protobuf: the same ExportTraceServiceRequest as ProtobufTraceSerializer, field for field', () => {
    // twice the same spans, interleaved: values repeat from span to span, as in the gateway (cached messages)
    const first = sampleSpans();
    const second = sampleSpans();
    const spans = first.flatMap((s, i) => [s, second[i]!]);
    const ours = decodeProto(encode(otlpProto, spans));
    const theirs = decodeProto(ProtobufTraceSerializer.serializeRequest(spans.map(asReadable))!);
    assert.deepEqual(ours, theirs);
    assert.equal(spansOf(ours).length, 8);
    assert.deepEqual(spansOf(ours).map((s: Decoded) => hex(s.spanId)), spans.map((s) => s.spanId));
    const server = spansOf(ours).find((s: Decoded) => s.name === 'GET');
    assert.equal(hex(server.traceId), '0af7651916cd43dd8448eb211c80319c');
    assert.equal(server.kind, 2);
    assert.deepEqual(server.status, { code: 2, message: 'boom ☃ — failed' });
  });

  it('JSON: decodes to the same spans as JsonTraceSerializer', () => {
    const spans = sampleSpans();
    const ours = JSON.parse(encode(otlpJson, spans).toString('utf8'));
    const theirs = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans.map(asReadable))!).toString('utf8'));
    assert.deepEqual(decodeExport(ours), decodeExport(theirs));
    const server = ours.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'GET');
    const reference = theirs.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'GET');
    for (const key of ['traceState', 'flags', 'status', 'parentSpanId', 'startTimeUnixNano', 'endTimeUnixNano']) assert.deepEqual(server[key], reference[key], key);
    assert.deepEqual(ours.resourceSpans[0].scopeSpans[0].scope, SCOPE);
  });

  it('protobuf: a key whose values keep changing (paths) is written in place once it stops being cached, same message', () => {
    const spans: RecordedSpan[] = [];
    const sink = { onEnd: (s: RecordedSpan) => { spans.push(s); }, attributeCountLimit: 128 };
    for (let i = 0; i < 700; i++) {
      const span = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, 'GET', KIND_SERVER);
      span.set('url.path.varying', `/items/${i}/☃`);
      span.set('client.port.varying', 40_000 + i);
      span.set('neg.varying', -i - 1);
      span.set('ratio.varying', i + 0.5);
      span.end();
    }
    const ours = decodeProto(encode(otlpProto, spans));
    const theirs = decodeProto(ProtobufTraceSerializer.serializeRequest(spans.map(asReadable))!);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(spansOf(ours).map((s: Decoded) => s.attributes[0].value.stringValue), spans.map((_, i) => `/items/${i}/☃`));
  });

  it('protobuf: spans of one kind whose keys change place (the encoder remembers the key at each position) keep their own keys', () => {
    const spans: RecordedSpan[] = [];
    const sink = { onEnd: (s: RecordedSpan) => { spans.push(s); }, attributeCountLimit: 128 };
    const orders = [['a.one', 'b.two', 'c.three'], ['b.two', 'a.one'], ['c.three', 'd.four', 'a.one', 'b.two'], ['a.one', 'b.two', 'c.three']];
    for (let i = 0; i < 12; i++) {
      const span = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, 'GET', i % 2 === 0 ? KIND_SERVER : KIND_CLIENT);
      for (const key of orders[i % orders.length]!) span.set(key, `${key}=${i % 3}`);
      span.end();
    }
    const ours = decodeProto(encode(otlpProto, spans));
    const theirs = decodeProto(ProtobufTraceSerializer.serializeRequest(spans.map(asReadable))!);
    assert.deepEqual(ours, theirs);
    for (const span of spansOf(ours)) for (const kv of span.attributes) assert.ok(kv.value.stringValue.startsWith(`${kv.key}=`), `${kv.key}: ${kv.value.stringValue}`);
  });

  it('protobuf: runs of attributes equal to the last span of a kind are copied from it, across batches and buffers, byte for byte what the reference writes', () => {
    // few keys and values, so that runs repeat and break anywhere; batches reuse one buffer (reset) or start a new
    // one that must grow, as the span queue's buffers do
    const keys = ['entry_point', 'http.request.method', 'url.path', 'client.port', 'server.address', 'user_agent.original'];
    const values: SpanValue[] = ['web', 'GET', '/', '/a', 51234, 51235, 2 ** 60, -(2 ** 55), 0.5, 'bench.local', true, ['x', 'y']];
    const attribute = fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...values));
    const spanShape = fc.record({
      kind: fc.constantFrom(KIND_SERVER, KIND_CLIENT, KIND_INTERNAL),
      name: fc.constantFrom('GET', 'ReverseProxy'),
      attributes: fc.uniqueArray(attribute, { maxLength: 6, selector: ([key]) => key }),
    });
    const batch = fc.record({ spans: fc.array(spanShape, { minLength: 1, maxLength: 12 }), newBuffer: fc.boolean() });
    fc.assert(fc.property(fc.array(batch, { minLength: 1, maxLength: 5 }), (batches) => {
      let reused = new BodyBuffer(16);
      for (const { spans: shapes, newBuffer } of batches) {
        const spans: RecordedSpan[] = [];
        const sink = { onEnd: (s: RecordedSpan) => { spans.push(s); }, attributeCountLimit: 128 };
        for (const shape of shapes) {
          const span = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, shape.name, shape.kind);
          for (const [key, value] of shape.attributes) span.set(key, value);
          span.end();
        }
        if (newBuffer) reused = new BodyBuffer(16);
        else reused.reset();
        spans.forEach((s, i) => otlpProto.writeSpan(reused, s, i === 0));
        const body = new BodyBuffer(16);
        otlpProto.framer(RESOURCE.attributes, SCOPE)(body, reused.bytes());
        assert.deepEqual(decodeProto(body.bytes()), decodeProto(ProtobufTraceSerializer.serializeRequest(spans.map(asReadable))!));
      }
    }), { numRuns: 300 });
  });

  it('protobuf: a compact trace (spans/compact.ts) is written byte for byte as its RecordedSpans are, across batches and buffers', () => {
    // values from small pools, so that runs of equal fields repeat and break anywhere (optional fields come and go)
    const str = (...options: string[]) => fc.constantFrom(...options);
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const status = fc.constantFrom(200, 201, 404, 503, 99, 600);
    const serverValues = fc.tuple(
      str('web', 'websecure'), str('GET', 'POST'), str('1.1', '2'), str('/', '/a/☃', '/items/7'), maybe(str('', 'id=7', 'q=%E2%98%83&x')),
      str('http', 'https'), str('bench.local', 'ünï.example'), str('127.0.0.1', '10.0.0.9'), fc.constantFrom(50000, 50001, 65535),
      str('127.0.0.1', '::1'), fc.constantFrom(50000, 50001, 65535), maybe(str('curl/8', 'bench/1.0 ☃')),
      maybe(fc.constantFrom(0, 7, 2 ** 40, 2 ** 60)), status,
    ).map((v) => [...v] as FieldValues);
    const clientValues = fc.tuple(
      str('GET', 'POST'), str('1.1', '2'), str('http://127.0.0.1:9000/', 'http://127.0.0.1:9000/a?id=7'), str('http', 'h2c'),
      str('127.0.0.1', '::1'), fc.constantFrom(80, 9000), str('127.0.0.1', '::1'), fc.constantFrom(80, 9000),
      maybe(str('curl/8', 'a, b')), maybe(fc.constantFrom(1, 2)), status,
    ).map((v) => [...v] as FieldValues);
    const outcome = fc.record({ status: fc.constantFrom(STATUS_UNSET, STATUS_ERROR), message: str('', 'Rejecting IP ☃', 'Authentication failed') });
    const trace = fc.record({
      ids: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      continued: fc.boolean(),
      traceState: str('', 'vendor=a,other=b'),
      server: serverValues,
      serverOutcome: outcome,
      attempts: fc.array(fc.record({ values: clientValues, outcome }), { maxLength: 3 }),
    });
    const batch = fc.record({ traces: fc.array(trace, { minLength: 1, maxLength: 8 }), newBuffer: fc.boolean() });
    fc.assert(fc.property(fc.array(batch, { minLength: 1, maxLength: 4 }), assertCompactAsRecorded), { numRuns: 300 });
  });

  it('protobuf: a compact span that repeats the last of its kind but for ids, times and same-length numbers is that copy, byte for byte', () => {
    // two shapes per kind whose strings repeat, ports and statuses that keep their varint's length or change it
    // (16383: two bytes, 16384: three), so that spans are copies of the last one with words written over, or not
    const server = (shape: number, port: number, status: number): FieldValues =>
      ['web', 'GET', '1.1', shape === 0 ? '/' : '/items/7', undefined, 'http', 'bench.local', '127.0.0.1', port, '127.0.0.1', port, 'bench/1.0', shape === 0 ? undefined : 12, status];
    const client = (shape: number, port: number, status: number): FieldValues =>
      ['GET', '1.1', shape === 0 ? 'http://127.0.0.1:9000/' : 'http://127.0.0.1:9000/items/7', 'http', '127.0.0.1', port, '127.0.0.1', port, 'bench/1.0', shape === 0 ? undefined : 1, status];
    const port = fc.constantFrom(50000, 50001, 65535, 16383, 16384, 80);
    const status = fc.constantFrom(200, 200, 200, 404, 2 ** 40, 2 ** 60, -1, 200.5);
    const outcome = fc.record({ status: fc.constantFrom(STATUS_UNSET, STATUS_UNSET, STATUS_ERROR), message: fc.constantFrom('', 'upstream failed') });
    const trace = fc.record({
      ids: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      continued: fc.boolean(),
      traceState: fc.constantFrom('', '', 'vendor=a'),
      server: fc.tuple(fc.constantFrom(0, 1), port, status).map(([shape, p, s]) => server(shape, p, s)),
      serverOutcome: outcome,
      attempts: fc.array(fc.record({ values: fc.tuple(fc.constantFrom(0, 1), port, status).map(([shape, p, s]) => client(shape, p, s)), outcome }), { maxLength: 2 }),
      durationMs: fc.constantFrom(2.5, 6000),
    });
    const batch = fc.record({ traces: fc.array(trace, { minLength: 1, maxLength: 12 }), newBuffer: fc.boolean() });
    fc.assert(fc.property(fc.array(batch, { minLength: 1, maxLength: 4 }), assertCompactAsRecorded), { numRuns: 300 });
  });

  for (const [name, encoding] of [['protobuf', otlpProto], ['JSON', otlpJson]] as const) {
    it(`${name}: attributes over the limit are dropped and counted`, () => {
      const spans = sampleSpans(3);
      const body = encode(encoding, spans);
      const decoded = name === 'protobuf' ? decodeProto(body) : JSON.parse(body.toString('utf8'));
      const server = decoded.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'GET');
      assert.equal(server.attributes.length, 3);
      assert.equal(server.droppedAttributesCount, 8);
    });
  }

  it('protobuf takes fewer bytes than JSON for the same spans (ids, times and framing are binary)', () => {
    const spans = sampleSpans();
    assert.ok(encode(otlpProto, spans).length < encode(otlpJson, spans).length);
  });
});

describe('EncodedSpanQueue', () => {
  const decodeIds = (spans: Uint8Array): string[] => {
    const framed = new BodyBuffer(16);
    otlpProto.framer(RESOURCE.attributes, SCOPE)(framed, spans);
    return spansOf(decodeProto(framed.bytes())).map((s: Decoded) => hex(s.spanId));
  };
  const cases = [
    { desc: 'batches of batchSize, in order, groups encoded as they fill and the rest when the batch leaves', spans: 120, batchSize: 100, batches: [100, 20] },
    { desc: 'a batch smaller than one group is encoded whole when it leaves', spans: 5, batchSize: 100, batches: [5] },
    { desc: 'batches smaller than a group', spans: 10, batchSize: 4, batches: [4, 4, 2] },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const queue = new EncodedSpanQueue(c.batchSize, otlpProto);
      const spans = Array.from({ length: Math.ceil(c.spans / 4) }, () => sampleSpans()).flat().slice(0, c.spans);
      for (const span of spans) queue.push(span);
      assert.equal(queue.length, c.spans);
      let at = 0;
      for (const size of c.batches) {
        const batch = queue.take()!;
        assert.equal(batch.count, size);
        assert.deepEqual(decodeIds(batch.spans), spans.slice(at, at + size).map((s) => s.spanId));
        queue.release(batch.body, false);
        at += size;
      }
      assert.equal(queue.length, 0);
      assert.equal(queue.take(), undefined);
    });
  }

  it('a compact trace\'s spans stay in one batch: a trace that does not fit starts the next one; spans counted one by one', () => {
    const owner = { generalize() { throw new Error('not in this test'); } };
    const server = ['web', 'GET', '1.1', '/', undefined, 'http', 'h', '127.0.0.1', 1, '127.0.0.1', 1, undefined, undefined, 200];
    const client = ['GET', '1.1', 'http://127.0.0.1:9/', 'http', '127.0.0.1', 9, '127.0.0.1', 9, undefined, undefined, 200];
    const traces = [0, 1, 2, 3, 4].map((n) => {
      const ids = Buffer.alloc(64, n + 1);
      const trace = new CompactTrace(ids, 0, 16, -1, '', false, 'GET', [...server], '/', 'web');
      for (let i = 0; i < n % 3; i++) trace.attempts.push(Object.assign(new CompactAttempt(owner, ids, 0, 32 + 8 * i, 16, '', [...client]), { endTime: 1 }));
      trace.endTime = 2;
      return trace;
    }); // 1, 2, 3, 1 and 2 spans: batches of at most 4 hold 1 + 2, then 3 + 1, then 2
    const queue = new EncodedSpanQueue(4, otlpProto);
    for (const trace of traces) queue.pushRequest(trace);
    assert.equal(queue.length, 9);
    const expected = (t: CompactTrace): string[] => [...t.attempts.map((a) => a.spanId), t.spanId];
    const batches: string[][] = [];
    for (let batch = queue.take(); batch !== undefined; batch = queue.take()) {
      const ids = decodeIds(batch.spans);
      assert.equal(batch.count, ids.length);
      assert.ok(batch.count <= 4, `a batch of ${batch.count} spans`);
      batches.push(ids);
      queue.release(batch.body, false);
    }
    assert.deepEqual(batches, [[...expected(traces[0]!), ...expected(traces[1]!)], [...expected(traces[2]!), ...expected(traces[3]!)], expected(traces[4]!)]);
    assert.equal(queue.length, 0);
  });

  it('clear() empties the queue and says how many spans it held', () => {
    const queue = new EncodedSpanQueue(100, otlpProto);
    for (const span of [...sampleSpans(), ...sampleSpans()]) queue.push(span);
    assert.equal(queue.clear(), 8);
    assert.equal(queue.length, 0);
    assert.equal(queue.take(), undefined);
  });
});

describe('span times', () => {
  it('fixed64 halves and the decimal string are the same instant, for any reading', () => {
    const parts = [0, 0];
    fc.assert(fc.property(fc.double({ min: 0, max: 1e10, noNaN: true }), (now) => {
      unixNanosParts(now, parts);
      return BigInt(parts[1]!) * 2n ** 32n + BigInt(parts[0]!) === BigInt(unixNanos(now));
    }), { numRuns: 2000 });
  });

  it('readings in order, within one second and across seconds (the second\'s share is kept between calls): the same instants', () => {
    const parts = [0, 0];
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.array(fc.double({ min: 0, max: 1500, noNaN: true }), { maxLength: 20 }), (base, steps) => {
      let now = base;
      for (const step of steps) {
        now += step;
        unixNanosParts(now, parts);
        if (BigInt(parts[1]!) * 2n ** 32n + BigInt(parts[0]!) !== BigInt(unixNanos(now))) return false;
      }
      return true;
    }), { numRuns: 500 });
  });

  it('a reading of now is the wall clock, to the millisecond', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const ns = BigInt(unixNanos(performance.now()));
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    // performance.timeOrigin and Date.now() are separate clocks; a few ms of drift between them is allowed
    assert.ok(ns >= before - 50_000_000n && ns <= after + 50_000_000n, `${ns} not within [${before}, ${after}]`);
  });

  it('ids are lower-case hex of the W3C sizes, never all zero', () => {
    for (let i = 0; i < 1000; i++) {
      assert.match(newTraceId(), /^[0-9a-f]{32}$/);
      assert.match(newSpanId(), /^[0-9a-f]{16}$/);
    }
    assert.equal(new Set(Array.from({ length: 1000 }, newSpanId)).size, 1000);
  });
});

/** A compact trace's shape, as the property tests draw it. */
interface CompactShape {
  ids: Uint8Array;
  continued: boolean;
  traceState: string;
  server: FieldValues;
  serverOutcome: { status: number; message: string };
  attempts: Array<{ values: FieldValues; outcome: { status: number; message: string } }>;
  /** The server span's duration (default 2.5 ms; over 4.3 s, its end time's high word differs from its start's). */
  durationMs?: number;
}

/**
 * Writes each batch of traces as compact traces (writeRequest) and as the RecordedSpans they stand for (writeSpan),
 * into reused or new buffers, and asserts the same bytes, which decode as the SDK's serializer writes the spans.
 */
function assertCompactAsRecorded(batches: Array<{ traces: CompactShape[]; newBuffer: boolean }>): void {
  const owner = { generalize() { throw new Error('not in this test'); } };
  let compactBody = new BodyBuffer(16);
  let spanBody = new BodyBuffer(16);
  for (const { traces: shapes, newBuffer } of batches) {
    if (newBuffer) { compactBody = new BodyBuffer(16); spanBody = new BodyBuffer(16); } else { compactBody.reset(); spanBody.reset(); }
    const spans: RecordedSpan[] = [];
    const sink = { onEnd: (s: RecordedSpan) => { spans.push(s); }, attributeCountLimit: 128 };
    for (const shape of shapes) {
      const ids = Buffer.from(shape.ids);
      const compact = new CompactTrace(ids, 0, 16, shape.continued ? 24 : -1, shape.traceState, shape.continued, shape.server[1] as string, [...shape.server], '/', 'web');
      shape.attempts.forEach((a, i) => {
        const attempt = new CompactAttempt(owner, ids, 0, 32 + 8 * i, 16, shape.traceState, [...a.values]);
        if (a.outcome.status === STATUS_ERROR) attempt.fail(a.outcome.message);
        attempt.endTime = attempt.startTime + 1.25;
        compact.attempts.push(attempt);
      });
      if (shape.serverOutcome.status === STATUS_ERROR) compact.fail(shape.serverOutcome.message);
      compact.endTime = compact.startTime + (shape.durationMs ?? 2.5);
      otlpProto.writeRequest!(compactBody, compact, false);
      for (const span of toRecordedSpans(compact, sink)) otlpProto.writeSpan(spanBody, span, false);
    }
    assert.equal(spans.length, shapes.reduce((n, s) => n + 1 + s.attempts.length, 0), 'every span ended into the sink once');
    assert.deepEqual(compactBody.bytes(), spanBody.bytes());
    const framed = new BodyBuffer(16);
    otlpProto.framer(RESOURCE.attributes, SCOPE)(framed, compactBody.bytes());
    assert.deepEqual(decodeProto(framed.bytes()), decodeProto(ProtobufTraceSerializer.serializeRequest(spans.map(asReadable))!));
  }
}
