import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeProtoExport, OtlpProtoError } from '../../../src/dev/devcollector/otlp-proto.ts';
import { decodeExport, SPAN_KIND, startCollector, STATUS } from '../../support/collector.ts';

const REMOTE = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', tracestate: 'vendor=opaque,other=x-1' };
const STATUS_MESSAGE = 'échec : upstream 失敗 ✗';

/** Three real SDK spans: SERVER under a remote parent, CLIENT under it (with a link), and an INTERNAL root. */
function sdkSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('tagway-test', '1.2.3');
  const remote = trace.setSpanContext(context.active(), {
    traceId: REMOTE.traceId, spanId: REMOTE.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true,
    traceState: new TraceState(REMOTE.tracestate),
  });
  const server = tracer.startSpan('GET /api', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET', 'http.response.status_code': 502, 'ratio': 0.25, 'retry': true,
      'tags': ['a', 'b'], 'ports': [80, 443], 'flags': [true, false], 'none': [],
      'negative': -42, 'big': 2 ** 33 + 5, 'safe.max': Number.MAX_SAFE_INTEGER,
    },
  }, remote);
  server.recordException(new Error('upstream reset'));
  server.setStatus({ code: SpanStatusCode.ERROR, message: STATUS_MESSAGE });
  const client = tracer.startSpan('proxy', {
    kind: SpanKind.CLIENT,
    attributes: { 'server.address': '127.0.0.1' },
    links: [{ context: { traceId: 'f'.repeat(32), spanId: '1'.repeat(16), traceFlags: TraceFlags.NONE }, attributes: { why: 'retry' } }],
  }, trace.setSpan(context.active(), server));
  client.end();
  server.end();
  tracer.startSpan('reload', { kind: SpanKind.INTERNAL }, context.active()).end();
  return exporter.getFinishedSpans();
}

function serialize(spans: ReadableSpan[]): { proto: Uint8Array; json: Record<string, unknown> } {
  const proto = ProtobufTraceSerializer.serializeRequest(spans);
  const json = JsonTraceSerializer.serializeRequest(spans);
  assert.ok(proto !== undefined && json !== undefined);
  return { proto, json: JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown> };
}

/** Every field the JSON export carries, the protobuf decoding carries with the same value (it may add defaults). */
function assertCovers(actual: unknown, expected: unknown, path = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: not an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertCovers(actual[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: not an object`);
    for (const [k, v] of Object.entries(expected)) assertCovers((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

// A minimal protobuf writer for hand-made messages.
const varint = (value: bigint | number): number[] => {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return out;
};
const tag = (field: number, wire: number): number[] => varint((field << 3) | wire);
const len = (field: number, bytes: number[]): number[] => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s, 'utf8')]);
const fixed64 = (field: number, v: bigint): number[] => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return [...tag(field, 1), ...b]; };
const fixed32 = (field: number, v: number): number[] => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return [...tag(field, 5), ...b]; };
const double = (field: number, v: number): number[] => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return [...tag(field, 1), ...b]; };
/** One span in one scope in one resource. */
const wrapSpan = (span: number[]): Uint8Array => Uint8Array.from(len(1, len(2, len(2, span))));
const attr = (key: string, value: number[]): number[] => len(9, [...str(1, key), ...len(2, value)]);

/** One unknown field of every wire type, groups nested, numbered away from anything OTLP defines. */
const UNKNOWN = [
  ...tag(900, 0), ...varint(2n ** 63n + 7n),
  ...fixed64(901, 0xdeadbeefn),
  ...str(902, 'ignored'),
  ...tag(903, 3), ...tag(1, 0), ...varint(1), ...tag(2, 3), ...str(5, 'deep'), ...tag(2, 4), ...tag(903, 4),
  ...fixed32(904, 7),
];

test('protobuf and JSON exports of the same SDK spans decode to the same records', () => {
  const spans = sdkSpans();
  const { proto, json } = serialize(spans);
  const fromProto = decodeProtoExport(proto);
  assert.deepEqual(decodeExport(fromProto), decodeExport(json as Parameters<typeof decodeExport>[0]));
  assertCovers(fromProto, json);

  const out = fromProto.resourceSpans[0]!.scopeSpans[0]!;
  assert.deepEqual(out.scope, { name: 'tagway-test', version: '1.2.3' });
  const byName = new Map(out.spans.map((s) => [s.name, s]));
  const server = byName.get('GET /api')!;
  const client = byName.get('proxy')!;
  const root = byName.get('reload')!;
  const sdk = new Map(spans.map((s) => [s.name, s]));
  const nanos = (t: [number, number]): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();

  assert.equal(server.traceId, REMOTE.traceId);
  assert.equal(server.parentSpanId, REMOTE.spanId);
  assert.equal(server.traceState, REMOTE.tracestate);
  assert.equal(server.flags, 0x301, 'sampled, has-is-remote, is-remote');
  assert.equal(client.flags, 0x101, 'sampled, has-is-remote, local parent');
  assert.equal(client.parentSpanId, server.spanId);
  assert.equal(root.parentSpanId, undefined, 'empty parent omitted');
  assert.deepEqual([server.kind, client.kind, root.kind], [SPAN_KIND.SERVER, SPAN_KIND.CLIENT, SPAN_KIND.INTERNAL]);
  for (const s of [server, client, root]) {
    assert.match(s.spanId, /^[0-9a-f]{16}$/);
    assert.equal(s.startTimeUnixNano, nanos(sdk.get(s.name)!.startTime));
    assert.equal(s.endTimeUnixNano, nanos(sdk.get(s.name)!.endTime));
  }
  assert.deepEqual(server.status, { message: STATUS_MESSAGE, code: STATUS.ERROR });
  assert.deepEqual(root.status, { message: '', code: STATUS.UNSET });
  const values = Object.fromEntries(server.attributes.map((kv) => [kv.key, kv.value]));
  assert.deepEqual(values['negative'], { intValue: -42 });
  assert.deepEqual(values['big'], { intValue: 2 ** 33 + 5 });
  assert.deepEqual(values['safe.max'], { intValue: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(values['ratio'], { doubleValue: 0.25 });
  assert.deepEqual(values['none'], { arrayValue: { values: [] } });
  assert.deepEqual(values['flags'], { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } });
  assert.equal(server.events.length, 1);
  assert.equal(server.events[0]!.name, 'exception');
  assert.equal(server.events[0]!.timeUnixNano, nanos(sdk.get('GET /api')!.events[0]!.time));
  assert.deepEqual(client.links.map((l) => [l.traceId, l.spanId, l.flags, l.attributes]),
    [['f'.repeat(32), '1'.repeat(16), 0x100, [{ key: 'why', value: { stringValue: 'retry' } }]]]);
});

test('hand-made values: int64 extremes, bytes, kvlist, empty value, times above 2^53', () => {
  const body = wrapSpan([
    ...len(1, Array(16).fill(0xab)), ...len(2, [0, 1, 2, 3, 0xfc, 0xfd, 0xfe, 0xff]), ...str(5, 'n'),
    ...tag(6, 0), ...varint(-1), // a negative enum is sign-extended to ten bytes
    ...fixed64(7, 2n ** 64n - 1n), ...fixed64(8, 1_795_691_672_976_340_849n), ...fixed32(16, 0xffffffff),
    ...attr('max', [...tag(3, 0), ...varint(2n ** 63n - 1n)]),
    ...attr('min', [...tag(3, 0), ...varint(-(2n ** 63n))]),
    ...attr('unsafe', [...tag(3, 0), ...varint(2n ** 53n + 1n)]),
    ...attr('neg', [...tag(3, 0), ...varint(-300)]),
    ...attr('bytes', len(7, [0, 255, 16])),
    ...attr('kv', len(6, len(1, [...str(1, 'inner'), ...len(2, double(4, -1.5))]))),
    ...attr('empty', []),
    ...attr('last-wins', [...str(1, 'first'), ...tag(2, 0), 1]),
    ...tag(10, 0), ...varint(3), ...tag(12, 0), ...varint(4), ...tag(14, 0), ...varint(5),
  ]);
  const span = decodeProtoExport(body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(span.traceId, 'ab'.repeat(16));
  assert.equal(span.spanId, '00010203fcfdfeff');
  assert.equal(span.kind, -1);
  assert.equal(span.startTimeUnixNano, '18446744073709551615');
  assert.equal(span.endTimeUnixNano, '1795691672976340849');
  assert.equal(span.flags, 0xffffffff);
  assert.deepEqual([span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount], [3, 4, 5]);
  assert.deepEqual(Object.fromEntries(span.attributes.map((kv) => [kv.key, kv.value])), {
    max: { intValue: '9223372036854775807' },
    min: { intValue: '-9223372036854775808' },
    unsafe: { intValue: '9007199254740993' },
    neg: { intValue: -300 },
    bytes: { bytesValue: Buffer.from([0, 255, 16]).toString('base64') },
    kv: { kvlistValue: { values: [{ key: 'inner', value: { doubleValue: -1.5 } }] } },
    empty: {},
    'last-wins': { boolValue: true },
  });
});

test('unknown fields of every wire type are skipped at every level', () => {
  const { proto } = serialize(sdkSpans());
  assert.deepEqual(decodeProtoExport(Uint8Array.from([...proto, ...UNKNOWN])), decodeProtoExport(proto), 'appended at the top level');

  const span = wrapSpan([
    ...UNKNOWN, ...str(5, 'kept'), ...UNKNOWN,
    ...attr('k', [...UNKNOWN, ...str(1, 'v'), ...UNKNOWN]),
    ...tag(1, 0), ...varint(5), // a known field number with the wrong wire type is skipped too
  ]);
  const decoded = decodeProtoExport(span).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(decoded.name, 'kept');
  assert.equal(decoded.traceId, '');
  assert.deepEqual(decoded.attributes, [{ key: 'k', value: { stringValue: 'v' } }]);
});

test('truncated or broken input throws OTLP_PROTO_MALFORMED', () => {
  const cases: Array<{ desc: string; body: number[] }> = [
    { desc: 'length past the end', body: [0x0a, 0x05, 0x01] },
    { desc: 'varint cut after a continuation byte', body: [...tag(900, 0), 0x80] },
    { desc: 'tag cut', body: [0x80] },
    { desc: 'fixed64 time cut inside a span', body: [...wrapSpan([...tag(7, 1), 1, 2, 3, 4])] },
    { desc: 'fixed32 flags cut inside a span', body: [...wrapSpan([...tag(16, 5), 1, 2])] },
    { desc: 'double cut inside a value', body: [...wrapSpan(attr('d', [...tag(4, 1), 0, 0]))] },
    { desc: 'nested length larger than its parent', body: [0x0a, 0x02, 0x12, 0x05] },
    { desc: 'varint longer than ten bytes', body: [...tag(900, 0), ...Array(10).fill(0xff), 0x01] },
    { desc: 'wire type 7', body: tag(900, 7) },
    { desc: 'field number 0', body: [0x00, 0x01] },
    { desc: 'group never closed', body: tag(903, 3) },
    { desc: 'group closed by another field', body: [...tag(903, 3), ...tag(904, 4)] },
    { desc: 'end group without a start', body: tag(903, 4) },
    { desc: 'groups nested without bound', body: Array(500).fill(tag(903, 3)).flat() },
  ];
  for (const { desc, body } of cases) {
    assert.throws(() => decodeProtoExport(Uint8Array.from(body)), (err: unknown) => {
      assert.ok(err instanceof OtlpProtoError, desc);
      assert.equal(err.code, 'OTLP_PROTO_MALFORMED', desc);
      return true;
    }, desc);
  }
  const { proto } = serialize(sdkSpans());
  for (let n = 1; n < proto.length; n++) {
    assert.throws(() => decodeProtoExport(proto.subarray(0, n)), { code: 'OTLP_PROTO_MALFORMED' }, `prefix of ${n} bytes`);
  }
});

test('the collector accepts protobuf exports, plain and gzipped, over HTTP', async (t) => {
  const collector = await startCollector();
  t.after(() => collector.close());
  const { proto, json } = serialize(sdkSpans());
  const expected = decodeExport(json as Parameters<typeof decodeExport>[0]);
  const post = (body: Uint8Array, headers: Record<string, string>): Promise<Response> =>
    fetch(collector.endpoint, { method: 'POST', headers, body: new Uint8Array(body) }); // a copy typed on ArrayBuffer, which BodyInit wants

  const cases: Array<{ desc: string; body: Uint8Array; headers: Record<string, string> }> = [
    { desc: 'plain', body: proto, headers: { 'content-type': 'application/x-protobuf' } },
    { desc: 'gzip', body: gzipSync(proto), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' } },
  ];
  for (const { desc, body, headers } of cases) {
    collector.spans.length = 0;
    const res = await post(body, headers);
    assert.equal(res.status, 200, desc);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf', desc);
    assert.equal((await res.arrayBuffer()).byteLength, 0, `${desc}: empty ExportTraceServiceResponse`);
    assert.deepEqual(collector.spans, expected, desc);
  }
  assert.ok(collector.contentTypes.has('application/x-protobuf'));

  collector.spans.length = 0;
  const broken = await post(proto.subarray(0, proto.length - 3), { 'content-type': 'application/x-protobuf' });
  assert.equal(broken.status, 400);
  assert.match(((await broken.json()) as { message: string }).message, /malformed OTLP protobuf/);
  const other = await post(proto, { 'content-type': 'application/octet-stream' });
  assert.equal(other.status, 415);
  await other.arrayBuffer();
  assert.equal(collector.spans.length, 0, 'nothing kept from refused exports');
  assert.equal(collector.requests, 4);
});
