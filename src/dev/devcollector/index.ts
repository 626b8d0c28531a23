import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeProtoExport } from './otlp-proto.ts';

/** One span as the collector received it, flattened for assertions. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP numeric kind: 1 internal, 2 server, 3 client. */
  kind: number;
  status: { code: number; message: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface CollectorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Keep at most this many spans (the oldest go first); default unbounded, for tests. */
  maxSpans?: number;
}

export interface Collector {
  /** Called with the number of spans of each accepted export request; returns an unsubscribe function. */
  onSpans(listener: (received: number) => void): () => void;
  /** `http://127.0.0.1:<port>/v1/traces`, for tracing.otlp.http.endpoint. */
  readonly endpoint: string;
  readonly port: number;
  readonly spans: SpanRecord[];
  /** Export requests received (including those answered with an error status). */
  readonly requests: number;
  /** Body bytes of every export request as they came over the wire (compressed when the sender gzipped). */
  readonly bytesReceived: number;
  /** Headers of the last export request (lower-case names). */
  readonly lastHeaders: IncomingMessage['headers'];
  /** Content types seen, to show what the exporter really sends. */
  readonly contentTypes: Set<string>;
  /** Answer every export with this status (e.g. 429, 503) without keeping the spans; undefined = 200. */
  failWith(status: number | undefined, retryAfterSeconds?: number): void;
  /** Hold every answer this long (ms), the collector being slow; 0 = answer at once. */
  delay(ms: number): void;
  /** Stops listening and drops open connections (the exporter then sees ECONNREFUSED). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Resolves once at least `n` spans arrived; rejects after `timeoutMs` with what did arrive. */
  waitForSpans(n: number, timeoutMs?: number): Promise<SpanRecord[]>;
  /** Resolves once at least `n` export requests arrived (any answer). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real OTLP/HTTP trace receiver (127.0.0.1, port 0 by default), used by the tests and `tagway demo`. Decodes OTLP JSON
 * (`application/json`, what tagway sends with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and OTLP protobuf (`application/x-protobuf`), gzip or
 * not, like a real collector; any other content type is answered 415.
 *
 * @example
 * const collector = await startCollector(); t.after(() => collector.close());
 * const spans = await collector.waitForSpans(2);
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const host = options.host ?? '127.0.0.1';
  const maxSpans = options.maxSpans ?? Infinity;
  const spans: SpanRecord[] = [];
  const listeners = new Set<(received: number) => void>();
  const contentTypes = new Set<string>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const held = new Set<NodeJS.Timeout>();
  let requests = 0;
  let bytesReceived = 0;
  let lastHeaders: IncomingMessage['headers'] = {};
  let failStatus: number | undefined;
  let retryAfter: number | undefined;
  let delayMs = 0;
  let port = options.port ?? 0;
  let server: Server;

  const wake = (): void => { for (const w of [...waiters]) w(); };

  const handle = function handleExport(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { chunks.push(c); bytesReceived += c.length; });
    req.on('end', function received() {
      requests += 1;
      lastHeaders = req.headers;
      wake(); // waitForRequests: a held answer (delay) must not hide that the request arrived
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.add(type);
      const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
        const send = (): void => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(body);
          wake();
        };
        if (delayMs === 0) { send(); return; }
        const timer = setTimeout(() => { held.delete(timer); send(); }, delayMs);
        held.add(timer);
      };
      if (req.method !== 'POST' || req.url !== '/v1/traces') { answer(404, '{}'); return; }
      if (failStatus !== undefined) {
        answer(failStatus, '{}', retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {});
        return;
      }
      const format = exportFormat(type);
      if (format === undefined) { answer(415, JSON.stringify({ message: `unsupported ${type}` })); return; }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const received = decodeExport(format === 'protobuf' ? decodeProtoExport(body) : JSON.parse(body.toString('utf8')));
        spans.push(...received);
        if (spans.length > maxSpans) spans.splice(0, spans.length - maxSpans);
        for (const l of listeners) l(received.length);
      } catch (error) {
        // A real collector answers a bad protobuf export with a protobuf google.rpc.Status; JSON for both is what tests read.
        answer(400, JSON.stringify({ message: String(error) }));
        return;
      }
      // An empty ExportTraceServiceResponse: '{}' in JSON, zero bytes in protobuf.
      if (format === 'protobuf') answer(200, '', { 'content-type': 'application/x-protobuf' });
      else answer(200, '{}');
    });
  };

  const listen = async (): Promise<void> => {
    server = createServer(handle);
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    const failed = once(server, 'error').then(([err]) => { throw err as Error; });
    server.listen(port, host);
    await Promise.race([once(server, 'listening'), failed]);
    port = (server.address() as { port: number }).port;
  };
  const stop = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    for (const timer of held) clearTimeout(timer);
    held.clear();
    for (const s of sockets) s.destroy();
    await closed;
  };
  const waitFor = (done: () => boolean, timeoutMs: number, what: () => string): Promise<void> => new Promise((resolve, reject) => {
    if (done()) { resolve(); return; }
    const check = (): void => { if (done()) { cleanup(); resolve(); } };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`collector: timed out after ${timeoutMs}ms: ${what()}`)); }, timeoutMs);
    const cleanup = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
  });

  await listen();
  return {
    get endpoint() { return `http://${host}:${port}/v1/traces`; },
    onSpans(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    get port() { return port; },
    spans,
    get requests() { return requests; },
    get bytesReceived() { return bytesReceived; },
    get lastHeaders() { return lastHeaders; },
    contentTypes,
    failWith(status, retryAfterSeconds) { failStatus = status; retryAfter = retryAfterSeconds; },
    delay(ms) { delayMs = ms; },
    stop,
    restart: listen,
    async waitForSpans(n, timeoutMs = 5000) {
      await waitFor(() => spans.length >= n, timeoutMs, () => `${spans.length}/${n} spans, ${requests} requests`);
      return spans;
    },
    waitForRequests(n, timeoutMs = 5000) {
      return waitFor(() => requests >= n, timeoutMs, () => `${requests}/${n} requests`);
    },
    close: stop,
  };
}

/** Which decoder a Content-Type selects (parameters such as `; charset=utf-8` ignored); undefined: 415. */
function exportFormat(contentType: string): 'json' | 'protobuf' | undefined {
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (media === 'application/json') return 'json';
  if (media === 'application/x-protobuf') return 'protobuf';
  return undefined;
}

interface OtlpKeyValue { key: string; value?: OtlpAnyValue }
interface OtlpAnyValue {
  stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] }; kvlistValue?: { values?: OtlpKeyValue[] }; bytesValue?: string;
}

/** OTLP JSON ExportTraceServiceRequest → flat records. Ids are hex in OTLP JSON; base64 is accepted too. */
export function decodeExport(body: {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>;
}): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const status = (s.status ?? {}) as { code?: number; message?: string };
        out.push({
          traceId: id(s.traceId),
          spanId: id(s.spanId),
          parentSpanId: id(s.parentSpanId),
          name: String(s.name),
          kind: Number(s.kind ?? 0),
          status: { code: Number(status.code ?? 0), message: status.message ?? '' },
          attributes: attributesOf(s.attributes as OtlpKeyValue[] | undefined),
          resource,
          events: ((s.events ?? []) as Array<{ name: string; attributes?: OtlpKeyValue[] }>).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
          startTimeUnixNano: String(s.startTimeUnixNano),
          endTimeUnixNano: String(s.endTimeUnixNano),
        });
      }
    }
  }
  return out;
}

function id(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  return /^[0-9a-f]+$/i.test(value) && (value.length === 32 || value.length === 16) ? value.toLowerCase() : Buffer.from(value, 'base64').toString('hex');
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function anyValue(v: OtlpAnyValue | undefined): unknown {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue !== undefined) return attributesOf(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return undefined;
}
