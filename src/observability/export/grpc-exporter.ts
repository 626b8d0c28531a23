import http2, { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Abort } from './abort.ts';
import { decodeGrpcStatusDetails, decodePartialSuccess } from './grpc-status.ts';
import { failed, gzip, sendWithRetries, type AttemptOutcome, type ClientTlsOptions, type OtlpCompression, type OtlpExporter, type OtlpExportResult } from './send.ts';

/** The OTLP/gRPC trace method (opentelemetry-proto collector/trace/v1/trace_service.proto). */
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** gRPC status codes by number, for messages (grpc/doc/statuscodes.md). */
const CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;

/**
 * OTLP/gRPC says (specification/protocol/otlp.md, "Failures"): retry CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS; RESOURCE_EXHAUSTED only when the server says recovery is possible
 * (a RetryInfo in the status details); never the others.
 */
const RETRYABLE_CODES = new Set([CANCELLED, DEADLINE_EXCEEDED, 10, 11, UNAVAILABLE, 15]);

/** The collector's answer is read only to end the stream; a huge one is cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** An export the collector refused with a gRPC status, or that could not reach it (`grpcCode` then UNAVAILABLE). */
export class ExportGrpcError extends Error {
  readonly code = 'TAGWAY_EXPORT_GRPC' as const;
  readonly grpcCode: number;
  constructor(message: string, grpcCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportGrpcError';
    this.grpcCode = grpcCode;
  }
}

/** How the gRPC exporter reaches its collector. */
export interface GrpcTarget {
  /** `host:port`. */
  address: string;
  /** Plaintext HTTP/2 with prior knowledge (h2c), as gRPC's insecure credentials; else TLS with ALPN h2. */
  insecure: boolean;
  tls: ClientTlsOptions;
  /** Custom metadata (tracing.otlp.grpc.headers or OTEL_EXPORTER_OTLP_HEADERS). */
  metadata: Record<string, string>;
  userAgent: string;
  compression: OtlpCompression;
  /** Each call's deadline (sent as `grpc-timeout` and enforced here), ms. */
  attemptTimeoutMs: number;
}

/**
 * OTLP/gRPC trace exporter on node:http2: one unary call `TraceService/Export` per batch, the body the same
 * ExportTraceServiceRequest bytes the OTLP/HTTP exporter posts (otlp-proto.ts), in a length-prefixed gRPC
 * message, gzipped (`grpc-encoding: gzip`) on the thread pool when compression is on. One HTTP/2 session,
 * opened on the first export and again after the collector closed or lost it.
 *
 * Why not @grpc/grpc-js: for one unary method its channel, resolver, load-balancer and retry machinery
 * cost more CPU per export (bench/otlp-export.ts) and its own retries and timers would sit beside the ones
 * the batch processor already bounds. Here, as on the HTTP path, every attempt obeys an Abort (abort.ts: the
 * stream is reset at once), retries follow OTLP's gRPC rules with RetryInfo honoured, and timers are unref'd.
 *
 * @example
 * const exporter = new OtlpGrpcExporter({ address: 'otel:4317', insecure: true, tls: { rejectUnauthorized: true }, metadata: {},
 *   userAgent: 'tagway/0.1.0', compression: 'gzip', attemptTimeoutMs: 10_000 });
 * const result = await exporter.sendBody(body, new Abort().timeout(30_000, () => new Error('deadline')));
 */
export class OtlpGrpcExporter implements OtlpExporter {
  readonly #authority: string;
  readonly #tls: ClientTlsOptions | undefined;
  readonly #headers: OutgoingHttpHeaders;
  readonly #gzip: boolean;
  readonly #attemptTimeoutMs: number;
  readonly #inFlight = new Set<Abort>();
  #session: ClientHttp2Session | undefined;
  #closed = false;

  constructor(target: GrpcTarget) {
    this.#authority = `${target.insecure ? 'http' : 'https'}://${target.address}`;
    this.#tls = target.insecure ? undefined : target.tls;
    this.#gzip = target.compression === 'gzip';
    const metadata: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(target.metadata)) metadata[k.toLowerCase()] = v;
    this.#headers = {
      ...metadata,
      ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers', 'user-agent': target.userAgent,
      'grpc-timeout': `${Math.min(target.attemptTimeoutMs, 99_999_999)}m`,
      ...(this.#gzip ? { 'grpc-encoding': 'gzip' } : {}),
    };
    this.#attemptTimeoutMs = target.attemptTimeoutMs;
  }

  async sendBody(encoded: Uint8Array, signal: Abort): Promise<OtlpExportResult> {
    if (this.#closed) return failed(new ExportGrpcError('exporter is shut down', UNAVAILABLE));
    // compressed once, the same bytes for every retry; the caller keeps `encoded` unchanged until we settle
    const payload = this.#gzip ? await gzip(encoded) : encoded;
    const prefix = Buffer.allocUnsafe(5); // gRPC message: compressed flag, then the length (big-endian uint32)
    prefix[0] = this.#gzip ? 1 : 0;
    prefix.writeUInt32BE(payload.byteLength, 1);
    return sendWithRetries((attempt, exportSignal) => this.#call(prefix, payload, attempt, exportSignal), signal, this.#attemptTimeoutMs, this.#inFlight);
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const c of this.#inFlight) c.abort(new ExportGrpcError('exporter shut down', CANCELLED));
    this.#session?.destroy();
    this.#session = undefined;
  }

  /** The open session, or a new one (after a GOAWAY, a lost connection or none yet). */
  #connect(): ClientHttp2Session {
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const session = connect(this.#authority, this.#tls ?? {});
    session.on('error', () => {}); // every stream on it reports the failure itself
    const forget = (): void => { if (this.#session === session) this.#session = undefined; };
    session.on('close', forget);
    session.on('goaway', forget);
    session.unref(); // never holds the process open (shutdown keeps it alive while it flushes)
    this.#session = session;
    return session;
  }

  /** One call; `signal` also fires at the attempt's own deadline, which (unlike `exportSignal`) is retryable. */
  #call(prefix: Buffer, payload: Uint8Array, signal: Abort, exportSignal: Abort): Promise<AttemptOutcome> {
    const attemptTimeoutMs = this.#attemptTimeoutMs;
    return new Promise((resolve) => {
      if (signal.aborted) { resolve({ ok: false, retryable: !exportSignal.aborted, error: signal.reason! }); return; }
      let stream;
      try {
        stream = this.#connect().request(this.#headers);
      } catch (error) { // the session began closing between the check and the request
        this.#session = undefined;
        resolve({ ok: false, retryable: true, error: new ExportGrpcError(`UNAVAILABLE: ${(error as Error).message}`, UNAVAILABLE, { cause: error }) });
        return;
      }
      // as node:http2 does with an AbortSignal: RST_STREAM CANCEL, then 'close' (which reads the reason off `signal`)
      const call = stream;
      const off = signal.onAbort(() => call.close(http2.constants.NGHTTP2_CANCEL));
      let head: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      let transportError: (Error & { code?: string }) | undefined;
      let size = 0;
      const answer: Buffer[] = [];
      stream.on('response', (h) => { head = h; });
      stream.on('trailers', (t) => { trailers = t; });
      stream.on('data', (chunk: Buffer) => { size += chunk.length; if (size > MAX_ANSWER_BYTES) stream.close(); else answer.push(chunk); });
      stream.on('error', (error: Error) => { transportError = error; });
      stream.on('close', function closed() {
        off();
        if (exportSignal.aborted) { resolve({ ok: false, retryable: false, error: exportSignal.reason! }); return; }
        if (signal.aborted) {
          resolve({ ok: false, retryable: true, error: new ExportGrpcError(`DEADLINE_EXCEEDED: no answer within ${attemptTimeoutMs} ms (OTLP exporter timeout)`, DEADLINE_EXCEEDED, { cause: signal.reason }) });
          return;
        }
        const result = outcome(head, trailers, transportError, stream.rstCode);
        // the ExportTraceServiceResponse (an uncompressed gRPC message: tagway offers no grpc-accept-encoding)
        const message = result.ok && answer.length > 0 ? Buffer.concat(answer) : undefined;
        const rejected = message !== undefined && message.length > 5 && message[0] === 0 ? decodePartialSuccess(message.subarray(5)) : undefined;
        resolve(rejected ? { ok: true, rejected } : result);
      });
      stream.write(prefix);
      stream.end(payload);
    });
  }
}

/** The call's status: from the trailers (or a Trailers-Only answer), else from what the transport said. */
function outcome(head: IncomingHttpHeaders | undefined, trailers: IncomingHttpHeaders | undefined, transportError: (Error & { code?: string }) | undefined, rstCode: number | undefined): AttemptOutcome {
  const meta = trailers?.['grpc-status'] !== undefined ? trailers : head?.['grpc-status'] !== undefined ? head : undefined;
  if (meta !== undefined) {
    const code = Number(meta['grpc-status']);
    if (code === 0) return { ok: true };
    const message = grpcMessage(meta['grpc-message']);
    const details = decodeGrpcStatusDetails(meta['grpc-status-details-bin']);
    const retryAfterMs = details?.retryDelayMs;
    const retryable = RETRYABLE_CODES.has(code) || (code === RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
    const error = new ExportGrpcError(`collector answered ${CODE_NAMES[code] ?? code} (${code})${message ? `: ${message}` : ''}`, code);
    return { ok: false, retryable, error, ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (transportError !== undefined) {
    // connection refused, reset, TLS failure…: gRPC's UNAVAILABLE, retried
    const code = transportError.code ?? 'error';
    return { ok: false, retryable: true, error: new ExportGrpcError(`UNAVAILABLE: ${code}: ${transportError.message}`, UNAVAILABLE, { cause: transportError }) };
  }
  const status = Number(head?.[':status'] ?? 0);
  if (head !== undefined && status !== 200) {
    // gRPC's HTTP-to-status mapping (grpc/doc/http-grpc-status-mapping.md)
    const code = status === 400 ? INTERNAL : status === 401 ? 16 : status === 403 ? 7 : status === 404 ? 12
      : status === 429 || status === 502 || status === 503 || status === 504 ? UNAVAILABLE : UNKNOWN;
    return { ok: false, retryable: code === UNAVAILABLE, error: new ExportGrpcError(`collector answered HTTP ${status} (${CODE_NAMES[code]})`, code) };
  }
  // a stream reset or ended without a status: REFUSED_STREAM (7) is safe to retry, as is a cancel (8)
  const retryable = rstCode === 7 || rstCode === 8;
  return { ok: false, retryable, error: new ExportGrpcError(`${retryable ? 'UNAVAILABLE' : 'INTERNAL'}: the call ended without a gRPC status${rstCode ? ` (RST_STREAM ${rstCode})` : ''}`, retryable ? UNAVAILABLE : INTERNAL) };
}

/** grpc-message is percent-encoded (gRPC over HTTP/2, "Status-Message"). */
function grpcMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return '';
  try { return decodeURIComponent(raw); } catch { return raw; }
}
