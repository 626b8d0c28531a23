/**
 * The collector's view, by code tagway did not write: OTLP receivers that decode with protobufjs against the
 * official opentelemetry-proto schema (vendored, unchanged, in test/observability/export/fixtures/opentelemetry-proto),
 * over OTLP/HTTP (node:http) and OTLP/gRPC (@grpc/grpc-js's server: HTTP/2 framing, gRPC messages and their gzip
 * are grpc-js's). A counting TCP relay in front of each measures the bytes on the wire and plays "collector down".
 * Neither tagway's encoder nor its dev collector's reader takes part in decoding.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PROTO_ROOT = fileURLToPath(new URL('../observability/export/fixtures/opentelemetry-proto/', import.meta.url));

/** The official schema, loaded once: every import resolved below the vendored folder. */
function loadSchema(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `${PROTO_ROOT}${target}`;
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  root.resolveAll();
  return root;
}
const schema = loadSchema();
const ExportRequest = schema.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const ExportResponse = schema.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
const TraceService = schema.lookupService('opentelemetry.proto.collector.trace.v1.TraceService');

/** google.rpc.Status and RetryInfo (googleapis), for the details a collector sends with a gRPC error. */
const rpc = protobuf.parse(`syntax = "proto3"; package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message RetryInfo { Duration retry_delay = 1; }`).root;
const RpcStatus = rpc.lookupType('google.rpc.Status');
const RetryInfo = rpc.lookupType('google.rpc.RetryInfo');

/** One span as the reference decoder reads it: every field of the schema tagway writes. */
export interface ReferenceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, unknown> }>;
  droppedEventsCount: number;
  status: { code: number; message: string };
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

/** An ExportTraceServiceRequest's bytes → its spans, through protobufjs and the official schema. Throws on malformed input. */
export function decodeReference(bytes: Uint8Array): ReferenceSpan[] {
  const request = ExportRequest.toObject(ExportRequest.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: true, arrays: true, oneofs: true }) as Obj;
  const out: ReferenceSpan[] = [];
  for (const rs of request.resourceSpans) {
    const resource = attributes(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        out.push({
          traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), traceState: s.traceState, flags: s.flags,
          name: s.name, kind: s.kind, startTimeUnixNano: s.startTimeUnixNano, endTimeUnixNano: s.endTimeUnixNano,
          attributes: attributes(s.attributes), droppedAttributesCount: s.droppedAttributesCount,
          events: s.events.map((e: Obj) => ({ name: e.name, timeUnixNano: e.timeUnixNano, attributes: attributes(e.attributes) })),
          droppedEventsCount: s.droppedEventsCount,
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource, scope: { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' },
        });
      }
    }
  }
  return out;
}

const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

function attributes(list: Obj[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) out[kv.key] = anyValue(kv.value);
  return out;
}

function anyValue(v: Obj): unknown {
  if (v === undefined || v === null || v.value === undefined) return undefined;
  const x = v[v.value];
  if (v.value === 'intValue') return Number(x);
  if (v.value === 'arrayValue') return (x.values ?? []).map(anyValue);
  if (v.value === 'kvlistValue') return attributes(x.values ?? []);
  return x;
}

/** A gRPC status the receiver answers with instead of accepting (RetryInfo's delay in ms when given). */
export interface GrpcFailure { code: grpc.status; message?: string; retryDelayMs?: number }

export interface ReferenceCollector {
  readonly protocol: 'http' | 'grpc';
  /** OTLP/HTTP: `http://127.0.0.1:<port>/v1/traces`; OTLP/gRPC: `127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  readonly spans: ReferenceSpan[];
  /** Export requests received (any answer). */
  readonly requests: number;
  /** performance.now() at each export request's arrival. */
  readonly requestTimes: number[];
  /** Bytes the exporter sent, as on the wire (TCP payload toward the receiver, framing and compression included). */
  readonly wireBytes: number;
  /** Headers (HTTP) or metadata (gRPC) of the last export. */
  readonly lastHeaders: Record<string, string>;
  /** gRPC: answer every call with this status; HTTP: with this HTTP status. undefined: accept. */
  failWith(failure: GrpcFailure | number | undefined): void;
  /** Hold every answer this long (ms). */
  delay(ms: number): void;
  /** Accept exports with OTLP's partial_success: `spans` rejected, with `message` (undefined: full success). */
  partialSuccess(rejected: { spans: number; message: string } | undefined): void;
  /** Stops accepting connections and drops open ones (the exporter sees a refused connection). */
  stop(): Promise<void>;
  restart(): Promise<void>;
  waitForSpans(n: number, timeoutMs?: number): Promise<ReferenceSpan[]>;
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ReferenceOptions {
  /** gRPC over TLS with this server certificate and key (PEM file paths); default plaintext h2c. `clientCa`: require a client certificate it signed. */
  tls?: { cert: string; key: string; clientCa?: string };
}

/**
 * Starts a reference OTLP receiver on 127.0.0.1 (port 0) behind a counting relay.
 *
 * @example
 * const collector = await startReferenceCollector('grpc'); t.after(() => collector.close());
 * // --tracing.otlp.grpc.endpoint=${collector.endpoint} --tracing.otlp.grpc.insecure=true
 * const spans = await collector.waitForSpans(2);
 */
export async function startReferenceCollector(protocol: 'http' | 'grpc', options: ReferenceOptions = {}): Promise<ReferenceCollector> {
  const spans: ReferenceSpan[] = [];
  const waiters = new Set<() => void>();
  const held = new Set<NodeJS.Timeout>();
  let requests = 0;
  const requestTimes: number[] = [];
  let lastHeaders: Record<string, string> = {};
  let failure: GrpcFailure | number | undefined;
  let delayMs = 0;
  let partial: { spans: number; message: string } | undefined;
  const response = (): object => (partial ? { partialSuccess: { rejectedSpans: partial.spans, errorMessage: partial.message } } : {});
  const wake = (): void => { for (const w of [...waiters]) w(); };
  const later = (fn: () => void): void => {
    if (delayMs === 0) { fn(); return; }
    const timer = setTimeout(() => { held.delete(timer); fn(); }, delayMs);
    held.add(timer);
  };
  const received = (headers: Record<string, string>): void => { requests += 1; requestTimes.push(performance.now()); lastHeaders = headers; wake(); };
  const accept = (bytes: Uint8Array): void => { spans.push(...decodeReference(bytes)); wake(); };

  let backendPort: number;
  let closeBackend: () => Promise<void>;
  if (protocol === 'grpc') {
    const server = new grpc.Server();
    const method = TraceService.methods['Export']!;
    const definition: grpc.ServiceDefinition = {
      Export: {
        path: `/${TraceService.fullName.slice(1)}/${method.name}`, requestStream: false, responseStream: false, originalName: 'Export',
        requestSerialize: (m: Uint8Array) => Buffer.from(m), requestDeserialize: (b: Buffer) => b,
        responseSerialize: (m: object) => Buffer.from(ExportResponse.encode(ExportResponse.fromObject(m)).finish()),
        responseDeserialize: (b: Buffer) => ExportResponse.decode(b),
      },
    };
    server.addService(definition, {
      Export(call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) {
        const md: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v);
        received(md);
        const f = failure;
        if (typeof f === 'object') {
          const metadata = new grpc.Metadata();
          if (f.retryDelayMs !== undefined) {
            const retry = RetryInfo.encode(RetryInfo.fromObject({ retryDelay: { seconds: Math.floor(f.retryDelayMs / 1000), nanos: (f.retryDelayMs % 1000) * 1e6 } })).finish();
            const status = RpcStatus.encode(RpcStatus.fromObject({ code: f.code, message: f.message ?? '', details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: retry }] })).finish();
            metadata.set('grpc-status-details-bin', Buffer.from(status));
          }
          later(() => callback({ code: f.code, details: f.message ?? grpc.status[f.code], metadata }));
          return;
        }
        try {
          accept(call.request);
        } catch (error) {
          later(() => callback({ code: grpc.status.INVALID_ARGUMENT, details: String(error) }));
          return;
        }
        const answer = response();
        later(() => callback(null, answer));
      },
    });
    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(options.tls.clientCa ? readFileSync(options.tls.clientCa) : null,
        [{ cert_chain: readFileSync(options.tls.cert), private_key: readFileSync(options.tls.key) }], options.tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    backendPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
    closeBackend = () => new Promise((resolve) => { server.forceShutdown(); resolve(); });
  } else {
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received(flatHeaders(req.headers));
        const answer = (status: number, body: Uint8Array, type: string): void => later(() => { if (!res.destroyed) { res.writeHead(status, { 'content-type': type }); res.end(body); } wake(); });
        if (req.method !== 'POST' || req.url !== '/v1/traces') { answer(404, Buffer.alloc(0), 'text/plain'); return; }
        if (typeof failure === 'number') { answer(failure, Buffer.alloc(0), 'application/x-protobuf'); return; }
        if (req.headers['content-type'] !== 'application/x-protobuf') { answer(415, Buffer.from('protobuf only'), 'text/plain'); return; }
        try {
          const body = Buffer.concat(chunks);
          accept(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
        } catch (error) {
          answer(400, Buffer.from(String(error)), 'text/plain');
          return;
        }
        answer(200, ExportResponse.encode(ExportResponse.fromObject(response())).finish(), 'application/x-protobuf');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    backendPort = (server.address() as { port: number }).port;
    closeBackend = async () => { server.closeAllConnections(); server.close(); await once(server, 'close'); };
  }

  // the relay: the exporter's bytes toward the receiver are counted; stopping it refuses connections
  let wireBytes = 0;
  let port = 0;
  let relay: NetServer;
  const sockets = new Set<Socket>();
  const listen = async (): Promise<void> => {
    relay = createNetServer((client) => {
      const upstream = netConnect(backendPort, '127.0.0.1');
      client.setNoDelay(true); // a relay must not add Nagle's delays to HTTP/2's small frames
      upstream.setNoDelay(true);
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => { client.destroy(); upstream.destroy(); }); }
      client.on('data', (c: Buffer) => { wireBytes += c.length; });
      client.pipe(upstream).pipe(client);
    });
    relay.listen(port, '127.0.0.1');
    await once(relay, 'listening');
    port = (relay.address() as { port: number }).port;
  };
  const stop = async (): Promise<void> => {
    if (!relay.listening) return;
    const closed = once(relay, 'close');
    relay.close();
    for (const s of sockets) s.destroy();
    await closed;
  };
  const waitFor = (done: () => boolean, timeoutMs: number, what: () => string): Promise<void> => new Promise((resolve, reject) => {
    if (done()) { resolve(); return; }
    const check = (): void => { if (done()) { cleanup(); resolve(); } };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`reference collector: timed out after ${timeoutMs}ms: ${what()}`)); }, timeoutMs);
    const cleanup = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
  });
  await listen();

  return {
    protocol,
    get endpoint() { return protocol === 'grpc' ? `127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1/traces`; },
    get port() { return port; },
    spans,
    get requests() { return requests; },
    requestTimes,
    get wireBytes() { return wireBytes; },
    get lastHeaders() { return lastHeaders; },
    failWith(f) { failure = f; },
    delay(ms) { delayMs = ms; },
    partialSuccess(rejected) { partial = rejected; },
    stop,
    restart: listen,
    async waitForSpans(n, timeoutMs = 5000) {
      await waitFor(() => spans.length >= n, timeoutMs, () => `${spans.length}/${n} spans, ${requests} requests`);
      return spans;
    },
    waitForRequests(n, timeoutMs = 5000) { return waitFor(() => requests >= n, timeoutMs, () => `${requests}/${n} requests`); },
    async close() {
      for (const timer of held) clearTimeout(timer);
      held.clear();
      await stop();
      await closeBackend();
    },
  };
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
