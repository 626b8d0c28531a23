/**
 * Micro-benchmark of tracing's own cost, in one process, no network on the request side:
 *   1. per request: startRequest → startAttempt → onResponse → response close, for minimal, detailed
 *      (Router + 2 middlewares + Service) and sampled-out (rate 0) requests, spans exported to a local sink,
 *      time on the event loop, and CPU of all threads up to the final flush, per request;
 *   2. per 512-span batch: OTLP encoding as the gateway does it (an OtlpEncoding's writeSpan over the
 *      batch, as EncodedSpanQueue.encode does, then its framer; JSON and protobuf) against @opentelemetry/otlp-transformer's
 *      JSON and protobuf serializers on the same spans as SDK spans: ms and bytes per batch, and the longest
 *      event-loop stall seen meanwhile;
 *   3. per 512-span batch: gzip as the exporter does it (zlib's async API, on the thread pool), for the
 *      protobuf and JSON bodies: bytes before and after, wall time, CPU of all threads and the longest loop stall.
 * Run: node --import tsx bench/tracing-overhead.ts [--requests=50000] [--only-minimal] [--only-compression]
 *   (add --cpu-prof to node for a profile)
 * Measures, never asserts. The throughput target (≤ 25 % with sampleRate 1) is checked end to end by
 * `npm run bench -- --targets=tagway,tagway-trace1`.
 */
import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TraceVerbosity } from '../src/dynamic/types.ts';
import { BodyBuffer } from '../src/observability/export/body-buffer.ts';
import type { OtlpEncoding } from '../src/observability/export/encoding.ts';
import { otlpJson } from '../src/observability/export/otlp-json.ts';
import { otlpProto } from '../src/observability/export/otlp-proto.ts';
import { KIND_SERVER, RecordedSpan, newSpanId, newTraceId, type SpanSink } from '../src/observability/spans/span.ts';
import { createTracing } from '../src/observability/tracing.ts';
import { benchTracingConfig, fakeContext, startSink } from './lib/tracing-micro.ts';

const REQUESTS = Number(process.argv.find((a) => a.startsWith('--requests='))?.split('=')[1] ?? 50_000);
/** `--only-minimal`: the minimal sampled case alone (for a focused --cpu-prof). */
const ONLY_MINIMAL = process.argv.includes('--only-minimal');
/** `--only-compression`: the gzip figures alone (a few seconds). */
const ONLY_COMPRESSION = process.argv.includes('--only-compression');

async function perRequest(label: string, sampleRate: number, verbosity: TraceVerbosity, endpoint: string): Promise<void> {
  const tracing = createTracing(benchTracingConfig(endpoint, sampleRate), { logger: { warn() {} } });
  const target = new URL('http://127.0.0.1:9000/api/items?id=7');
  const run = async (n: number): Promise<{ wall: number; cpu: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const ctx = fakeContext(verbosity);
      const trace = tracing.startRequest(ctx);
      const steps = verbosity === 'detailed' ? [trace.enterStep('StripPrefix', {}), trace.enterStep('Headers', {})] : [];
      const attempt = trace.startAttempt(target, '/api/items?id=7', { ...ctx.headers }, 0);
      attempt?.onResponse(200, { 'content-type': 'text/plain' });
      for (const s of steps) s?.end();
      (ctx.res as unknown as EventEmitter).emit('close');
      // let the batch processor run as it would between requests
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    const wall = (performance.now() - t0) * 1000 / n;
    await tracing.flush();
    const used = process.cpuUsage(cpu0);
    return { wall, cpu: (used.user + used.system) / n };
  };
  await run(Math.min(5000, REQUESTS));
  const r = await run(REQUESTS);
  await tracing.shutdown(10_000);
  const s = tracing.stats();
  console.log(`${label.padEnd(22)} ${r.wall.toFixed(1).padStart(6)} µs/request on the loop  ${r.cpu.toFixed(1).padStart(6)} µs CPU/request (all threads, flush included)   exported ${s.exported}, dropped ${s.dropped}`);
}

/** One server span's attributes as the bench's requests set them (the i-th request's path). */
function serverAttributes(i: number): Record<string, string | number> {
  return {
    entry_point: 'web', 'http.request.method': 'GET', 'network.protocol.version': '1.1', 'url.path': `/api/items/${i}`,
    'url.query': 'id=REDACTED', 'url.scheme': 'http', 'server.address': 'bench.local', 'client.address': '10.0.0.1',
    'client.port': 51234, 'network.peer.address': '10.0.0.1', 'network.peer.port': 51234, 'user_agent.original': 'bench/1.0',
    'http.response.status_code': 200,
  };
}

const BATCH = 512;

/** 512 ended SDK server spans (the input of otlp-transformer's serializers). */
function sampleBatch(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('tagway');
  for (let i = 0; i < BATCH; i++) tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: serverAttributes(i) }).end();
  return memory.getFinishedSpans() as ReadableSpan[];
}

/** 512 ended RecordedSpans with the same attributes (set one by one, as server-span.ts does). */
function recordedBatch(): RecordedSpan[] {
  const ended: RecordedSpan[] = [];
  const sink: SpanSink = { attributeCountLimit: 128, onEnd: function collect(span) { ended.push(span); } };
  for (let i = 0; i < BATCH; i++) {
    const span = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, 'GET', KIND_SERVER);
    for (const [key, value] of Object.entries(serverAttributes(i))) span.set(key, value);
    span.end();
  }
  return ended;
}

/**
 * The gateway's path for one batch with one OtlpEncoding: the batch's spans written into a buffer when
 * it leaves (`writeSpan`, in EncodedSpanQueue.encode, here without its yields), then the request framed
 * around them (`framer`, in runExport); both buffers reused, as there. Returns the request's bytes.
 */
function gatewayEncoder(encoding: OtlpEncoding, resource: Attributes): (spans: readonly RecordedSpan[], keep?: (body: Uint8Array) => void) => number {
  const spansBody = new BodyBuffer(512 * 1024);
  const request = new BodyBuffer(512 * 1024);
  const frame = encoding.framer(resource, { name: 'tagway' });
  return function encodeBatch(spans, keep) {
    for (let i = 0; i < spans.length; i++) encoding.writeSpan(spansBody, spans[i]!, i === 0);
    frame(request, spansBody.bytes());
    const bytes = request.bytes().byteLength;
    keep?.(request.bytes());
    spansBody.reset();
    request.reset();
    return bytes;
  };
}

async function encoding(): Promise<void> {
  const sdk = sampleBatch();
  const recorded = recordedBatch();
  const resource = sdk[0]!.resource.attributes;
  const json = gatewayEncoder(otlpJson, resource);
  const proto = gatewayEncoder(otlpProto, resource);
  const cases: Array<[string, () => number]> = [
    ['tagway otlpJson (writeSpan + framer)', () => json(recorded)],
    ['otlp-transformer JsonTraceSerializer', () => JsonTraceSerializer.serializeRequest(sdk)?.byteLength ?? 0],
    ['tagway otlpProto (writeSpan + framer)', () => proto(recorded)],
    ['otlp-transformer ProtobufTraceSerializer', () => ProtobufTraceSerializer.serializeRequest(sdk)?.byteLength ?? 0],
  ];
  for (const [label, fn] of cases) {
    for (let i = 0; i < 20; i++) fn();
    // the loop turns between batches, as in the gateway; the delay histogram sees each stall
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let busy = 0;
    let bytes = 0;
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      bytes = fn();
      busy += performance.now() - t0;
      await new Promise((r) => setTimeout(r, 2));
    }
    delay.disable();
    console.log(`${label.padEnd(42)} ${(busy / 100).toFixed(2).padStart(6)} ms/batch  ${String(bytes).padStart(7)} bytes/batch   longest loop stall ${(delay.max / 1e6).toFixed(2)} ms`);
  }
}

/**
 * gzip of one encoded 512-span request body, as OtlpHttpExporter.sendBody does it (zlib's callback API:
 * the deflate runs on libuv's thread pool). CPU is process.cpuUsage (every thread), per batch.
 */
async function compression(): Promise<void> {
  const gzip = promisify(gzipCallback);
  const recorded = recordedBatch();
  const resource = sampleBatch()[0]!.resource.attributes;
  for (const [label, enc] of [['protobuf', otlpProto], ['JSON', otlpJson]] as const) {
    let body = new Uint8Array();
    gatewayEncoder(enc, resource)(recorded, (b) => { body = Uint8Array.from(b); });
    for (let i = 0; i < 10; i++) await gzip(body);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const rounds = 50;
    let zipped = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) zipped = (await gzip(body)).byteLength;
    const wall = (performance.now() - t0) / rounds;
    const cpu = process.cpuUsage(cpu0);
    delay.disable();
    console.log(`gzip ${label.padEnd(9)} ${String(body.byteLength).padStart(7)} → ${String(zipped).padStart(6)} bytes/batch (${(100 * zipped / body.byteLength).toFixed(1)}%, ${(body.byteLength / BATCH).toFixed(0)} → ${(zipped / BATCH).toFixed(0)} B/span)  ${wall.toFixed(2)} ms wall, ${((cpu.user + cpu.system) / 1000 / rounds).toFixed(2)} ms CPU per batch  longest loop stall ${(delay.max / 1e6).toFixed(2)} ms`);
  }
}

if (ONLY_COMPRESSION) {
  console.log(`gzip of one ${BATCH}-span batch, off the event loop (Node ${process.version})`);
  await compression();
  process.exit(0);
}

const sink = await startSink();
console.log(`tracing overhead, ${REQUESTS} requests per case (Node ${process.version})`);
await perRequest('sampled, minimal', 1, 'minimal', sink.endpoint);
if (!ONLY_MINIMAL) {
  await perRequest('sampled, detailed', 1, 'detailed', sink.endpoint);
  await perRequest('sampled out (rate 0)', 0, 'minimal', sink.endpoint);
  console.log(`\nOTLP encoding of one ${BATCH}-span batch`);
  await encoding();
  console.log(`\ngzip of one ${BATCH}-span batch (OTEL_EXPORTER_OTLP_COMPRESSION=gzip), off the event loop`);
  await compression();
}
sink.close();
