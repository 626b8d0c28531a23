/**
 * The export side of tracing, one 512-span batch at a time, as the batch processor sends it (one export in flight):
 * OTLP/HTTP protobuf, OTLP/HTTP protobuf + gzip, OTLP/gRPC (tagway's node:http2 exporter) plain and gzip, and
 * @grpc/grpc-js's client sending the same bytes (the maintained client the issue names, measured to choose).
 * Per case: CPU of this process per batch (all threads: gzip runs on libuv's pool), wall time per batch, and bytes
 * on the wire per span (counted by a TCP relay in front of the receivers, framing and compression included).
 * The receivers run in a child process (`receivers` argument), so their CPU is not counted.
 *
 * Run: node --import tsx bench/otlp-export.ts [--batches=200]
 * Measures, never asserts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Abort } from '../src/observability/export/abort.ts';
import { BodyBuffer } from '../src/observability/export/body-buffer.ts';
import { createExporter, type ExportTarget } from '../src/observability/export/exporter.ts';
import { otlpProto } from '../src/observability/export/otlp-proto.ts';
import { KIND_CLIENT, KIND_SERVER, newSpanId, newTraceId, RecordedSpan, type SpanSink } from '../src/observability/spans/span.ts';

const BATCHES = Number(process.argv.find((a) => a.startsWith('--batches='))?.split('=')[1] ?? 200);
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

type Ports = { http: number; grpc: number };

/** Child: an OTLP/HTTP sink and an OTLP/gRPC (h2c) sink, each behind a relay that counts the bytes sent to it. */
async function receivers(): Promise<void> {
  const counted = { http: 0, grpc: 0 };
  const http = createHttpServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); });
  const h2 = createH2Server();
  h2.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0])); // an empty ExportTraceServiceResponse
    });
  });
  const relay = async (backend: number, kind: 'http' | 'grpc'): Promise<number> => {
    const server = createNetServer((client) => {
      const up = netConnect(backend, '127.0.0.1');
      client.setNoDelay(true); // a relay must not add Nagle's delays to HTTP/2's small frames
      up.setNoDelay(true);
      client.on('data', (c: Buffer) => { counted[kind] += c.length; });
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
      client.pipe(up).pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as { port: number }).port;
  };
  http.listen(0, '127.0.0.1');
  h2.listen(0, '127.0.0.1');
  await Promise.all([once(http, 'listening'), once(h2, 'listening')]);
  const ports: Ports = { http: await relay((http.address() as { port: number }).port, 'http'), grpc: await relay((h2.address() as { port: number }).port, 'grpc') };
  process.send!({ ports });
  process.on('message', (m: string) => {
    if (m === 'count') process.send!({ counted: { ...counted } });
    if (m === 'exit') process.exit(0);
  });
}

/** 512 ended spans, half server, half client, with the attributes the gateway sets (paths vary). */
function batch(): Uint8Array {
  const ended: RecordedSpan[] = [];
  const sink: SpanSink = { attributeCountLimit: 128, onEnd: (s) => { ended.push(s); } };
  for (let i = 0; i < 256; i++) {
    const server = RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), '', '', false, 'GET', KIND_SERVER);
    const attrs: Record<string, string | number> = {
      entry_point: 'web', 'http.request.method': 'GET', 'network.protocol.version': '1.1', 'url.path': `/api/items/${i}`, 'url.scheme': 'http',
      'server.address': 'bench.local', 'client.address': '10.0.0.1', 'client.port': 51234 + (i % 50), 'network.peer.address': '10.0.0.1',
      'network.peer.port': 51234 + (i % 50), 'user_agent.original': 'bench/1.0',
    };
    for (const [k, v] of Object.entries(attrs)) server.set(k, v);
    const client = RecordedSpan.withHexIds(sink, server.traceId, newSpanId(), server.spanId, '', false, 'ReverseProxy', KIND_CLIENT);
    for (const [k, v] of Object.entries({ 'http.request.method': 'GET', 'network.protocol.version': '1.1', 'url.full': `http://10.0.0.2:8080/api/items/${i}`, 'url.scheme': 'http', 'server.address': '10.0.0.2', 'server.port': 8080, 'network.peer.address': '10.0.0.2', 'network.peer.port': 8080, 'user_agent.original': 'bench/1.0', 'http.response.status_code': 200 })) client.set(k, v);
    client.end();
    server.set('http.response.status_code', 200);
    server.end();
  }
  const spans = new BodyBuffer();
  ended.forEach((s, i) => otlpProto.writeSpan(spans, s, i === 0));
  const request = new BodyBuffer();
  otlpProto.framer({ 'service.name': 'tagway', 'host.name': 'bench' }, { name: 'tagway', version: '0.1.0' })(request, spans.bytes());
  return Buffer.from(request.bytes());
}

interface Sender { send(body: Uint8Array): Promise<void>; close(): Promise<void> }

function tagwaySender(target: Omit<ExportTarget, 'headers' | 'insecure' | 'tls' | 'attemptTimeoutMs' | 'userAgent' | 'contentType'>): Sender {
  const exporter = createExporter({ ...target, headers: {}, insecure: true, tls: { insecureSkipVerify: false }, attemptTimeoutMs: 10_000, userAgent: 'bench', contentType: 'application/x-protobuf' });
  return {
    async send(body) {
      const deadline = new Abort().timeout(10_000, () => new Error('no answer within 10 s'));
      const r = await exporter.sendBody(body, deadline).finally(() => deadline.dispose());
      if (r.code !== 0) throw r.error ?? new Error('export failed');
    },
    close: () => exporter.shutdown(),
  };
}

function grpcJsSender(port: number, gzip: boolean): Sender {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  return {
    send: (body) => new Promise((resolve, reject) => {
      client.makeUnaryRequest(EXPORT_PATH, (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength), (b: Buffer) => b, body, { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
    }),
    close: async () => client.close(),
  };
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['receivers'], { execArgv: ['--import', 'tsx'] });
  const [{ ports }] = await once(child, 'message') as [{ ports: Ports }];
  const count = async (): Promise<{ http: number; grpc: number }> => {
    child.send('count');
    const [{ counted }] = await once(child, 'message') as [{ counted: { http: number; grpc: number } }];
    return counted;
  };
  const body = batch();
  const cases: Array<[string, 'http' | 'grpc', () => Sender]> = [
    ['OTLP/HTTP protobuf', 'http', () => tagwaySender({ protocol: 'http/protobuf', endpoint: `http://127.0.0.1:${ports.http}/v1/traces`, compression: 'none' })],
    ['OTLP/HTTP protobuf + gzip', 'http', () => tagwaySender({ protocol: 'http/protobuf', endpoint: `http://127.0.0.1:${ports.http}/v1/traces`, compression: 'gzip' })],
    ['OTLP/gRPC (tagway, node:http2)', 'grpc', () => tagwaySender({ protocol: 'grpc', endpoint: `127.0.0.1:${ports.grpc}`, compression: 'none' })],
    ['OTLP/gRPC + gzip (tagway)', 'grpc', () => tagwaySender({ protocol: 'grpc', endpoint: `127.0.0.1:${ports.grpc}`, compression: 'gzip' })],
    ['OTLP/gRPC (@grpc/grpc-js client)', 'grpc', () => grpcJsSender(ports.grpc, false)],
    ['OTLP/gRPC + gzip (@grpc/grpc-js)', 'grpc', () => grpcJsSender(ports.grpc, true)],
  ];
  console.log(`OTLP export of one 512-span batch (${body.byteLength} bytes of protobuf), ${BATCHES} batches per case, one in flight (Node ${process.version})`);
  for (const [label, kind, make] of cases) {
    const sender = make();
    for (let i = 0; i < 20; i++) await sender.send(body); // connection and JIT warm-up
    const before = (await count())[kind];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < BATCHES; i++) await sender.send(body);
    const wall = (performance.now() - t0) / BATCHES;
    const used = process.cpuUsage(cpu0);
    const wire = ((await count())[kind] - before) / BATCHES;
    await sender.close();
    console.log(`${label.padEnd(34)} ${((used.user + used.system) / 1000 / BATCHES).toFixed(2).padStart(6)} ms CPU/batch  ${wall.toFixed(2).padStart(6)} ms wall/batch  ` +
      `${String(Math.round(wire)).padStart(7)} B/batch on the wire  ${(wire / 512).toFixed(0).padStart(4)} B/span`);
  }
  child.send('exit');
}

if (process.argv[2] === 'receivers') await receivers();
else await main();
