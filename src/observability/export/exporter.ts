import { readFileSync } from 'node:fs';
import type { OtlpClientTLS } from '../../static/types.ts';
import type { Abort } from './abort.ts';
import { CollectorClient, type CollectorAnswer } from './collector-client.ts';
import { OtlpGrpcExporter } from './grpc-exporter.ts';
import { decodePartialSuccess, decodePartialSuccessJson } from './grpc-status.ts';
import { failed, gzip, sendWithRetries, type AttemptOutcome, type ClientTlsOptions, type OtlpCompression, type OtlpExporter, type OtlpExportResult } from './send.ts';

export type { OtlpCompression, OtlpExporter } from './send.ts';

/** An export the collector refused (status kept), or that could not reach it. */
class ExportHttpError extends Error {
  readonly code = 'TAGWAY_EXPORT_HTTP' as const;
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportHttpError';
    this.status = status;
  }
}

/** OTLP/HTTP says: retry 429, 502, 503, 504 (honouring Retry-After) and connection failures. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

/** How one exporter posts: the URL, headers, body type, compression and the bound of each attempt. */
export interface ExporterTarget {
  url: URL;
  headers: Record<string, string>;
  contentType: string;
  compression: OtlpCompression;
  /** Each HTTP attempt is aborted after this many ms (OTEL_EXPORTER_OTLP_TIMEOUT) and retried within the export's deadline. */
  attemptTimeoutMs: number;
}

/** The collector's answer is read only to free the socket; a huge body is cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * OTLP/HTTP trace exporter: posts bodies encoded by otlp-proto.ts (`application/x-protobuf`) or otlp-json.ts
 * (`application/json`), the wire formats @opentelemetry/exporter-trace-otlp-proto / -http send (tagway
 * depends on neither). Why not their OTLPTraceExporter: its timeout rejects while the request keeps running, its retry timers
 * are neither cancellable nor unref'd (a dead collector held a shutting-down gateway for up to the export
 * timeout), and its serializer stringifies a whole batch in one go. Here every export obeys an
 * Abort (abort.ts: request and pending retry stop at once), timers are unref'd, and the body comes already
 * encoded (span-queue.ts).
 *
 * @example
 * const exporter = createExporter(config.otlp.http, 'tagway/0.1.0');
 * const result = await exporter.sendBody(body, new Abort().timeout(10_000, () => new Error('deadline')));
 */
export class OtlpHttpExporter implements OtlpExporter {
  readonly #client: CollectorClient;
  readonly #gzip: boolean;
  readonly #attemptTimeoutMs: number;
  readonly #inFlight = new Set<Abort>();
  #closed = false;

  /** `tls` for an https URL. Throws on a header HTTP cannot carry. */
  constructor(target: ExporterTarget, tls?: ClientTlsOptions) {
    this.#gzip = target.compression === 'gzip';
    const headers = { ...target.headers, 'content-type': target.contentType, ...(this.#gzip ? { 'content-encoding': 'gzip' } : {}) };
    this.#client = new CollectorClient(target.url, headers, tls);
    this.#attemptTimeoutMs = target.attemptTimeoutMs;
  }

  /**
   * Posts an encoded ExportTraceServiceRequest (gzipped first on the thread pool when compression is on),
   * retrying what OTLP calls retryable while `signal` allows.
   */
  async sendBody(encoded: Uint8Array, signal: Abort): Promise<OtlpExportResult> {
    if (this.#closed) return failed(new ExportHttpError('exporter is shut down'));
    // compressed once, the same bytes for every retry; the caller keeps `encoded` unchanged until we settle
    const body = this.#gzip ? await gzip(encoded) : encoded;
    return sendWithRetries((attempt, exportSignal) => this.#post(body, attempt, exportSignal), signal, this.#attemptTimeoutMs, this.#inFlight);
  }

  /** Aborts exports in flight (and their retries) and closes the connections. Idempotent. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const c of this.#inFlight) c.abort(new ExportHttpError('exporter shut down'));
    this.#client.close();
  }

  /** One attempt; `signal` also fires at the attempt's own timeout, which (unlike `exportSignal`) is retryable. */
  async #post(body: Uint8Array, signal: Abort, exportSignal: Abort): Promise<AttemptOutcome> {
    if (signal.aborted) return { ok: false, retryable: !exportSignal.aborted, error: signal.reason! };
    let answer: CollectorAnswer;
    try {
      answer = await this.#client.post(body, signal, MAX_ANSWER_BYTES);
    } catch (err) {
      if (exportSignal.aborted) return { ok: false, retryable: false, error: exportSignal.reason! };
      if (signal.aborted) return { ok: false, retryable: true, error: new ExportHttpError(`no answer within ${this.#attemptTimeoutMs} ms (OTLP exporter timeout)`, undefined, { cause: signal.reason }) };
      const e = err as Error & { code?: string };
      return { ok: false, retryable: RETRYABLE_NET.has(e.code ?? ''), error: new ExportHttpError(`${e.code ?? 'error'}: ${e.message}`, undefined, { cause: e }) };
    }
    const status = answer.status;
    if (status >= 200 && status < 300) {
      // an ExportTraceServiceResponse may carry partial_success: spans accepted in the request but dropped
      const type = answer.headers['content-type'] ?? '';
      const rejected = answer.body === undefined ? undefined : type.startsWith('application/json') ? decodePartialSuccessJson(answer.body.toString('utf8'))
        : type.startsWith('application/x-protobuf') ? decodePartialSuccess(answer.body) : undefined;
      return rejected ? { ok: true, rejected } : { ok: true };
    }
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
    return { ok: false, retryable: RETRYABLE_STATUS.has(status), error: new ExportHttpError(`collector answered ${status}`, status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}

/** The effective export settings createExporter needs (settings.ts resolved file, flags and OTEL_* already). */
export interface ExportTarget {
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  /** OTLP/HTTP: the URL to post to; OTLP/gRPC: `host:port`. */
  endpoint: string;
  headers: Record<string, string>;
  compression: OtlpCompression;
  /** OTLP/gRPC: h2c instead of TLS. */
  insecure: boolean;
  tls: OtlpClientTLS;
  /** Bound of each attempt, ms (OTEL_EXPORTER_OTLP_TIMEOUT). */
  attemptTimeoutMs: number;
  userAgent: string;
  /** OTLP/HTTP's Content-Type (the encoding's). */
  contentType: string;
}

/**
 * An ExportTarget with its TLS files read (and the HTTP endpoint checked): plain data, so it can cross to the
 * export thread (a Buffer arrives there as a Uint8Array), while a missing file still stops startup here.
 */
export interface ResolvedExportTarget extends Omit<ExportTarget, 'tls'> { tls: ClientTlsOptions }

export function resolveExportTarget(target: ExportTarget): ResolvedExportTarget {
  if (target.protocol !== 'grpc') new URL(target.endpoint); // throws on a bad URL now, not in the export thread
  return { ...target, tls: tlsOptions(target.tls) };
}

/**
 * Builds the exporter of the effective settings: OTLP/gRPC over a private HTTP/2 session, or OTLP/HTTP with
 * keep-alive connections of its own (collector-client.ts; TLS from `tls` for https URLs).
 */
export function createExporter(target: ExportTarget | ResolvedExportTarget): OtlpExporter {
  const resolved = 'rejectUnauthorized' in target.tls ? target as ResolvedExportTarget : resolveExportTarget(target as ExportTarget);
  const tls = asBuffers(resolved.tls);
  if (resolved.protocol === 'grpc') {
    return new OtlpGrpcExporter({
      address: resolved.endpoint, insecure: resolved.insecure, tls, metadata: resolved.headers,
      userAgent: resolved.userAgent, compression: resolved.compression, attemptTimeoutMs: resolved.attemptTimeoutMs,
    });
  }
  const url = new URL(resolved.endpoint); // used as given: settings.ts applied the /v1/traces rules
  return new OtlpHttpExporter({
    url, headers: { 'user-agent': resolved.userAgent, ...resolved.headers }, contentType: resolved.contentType,
    compression: resolved.compression, attemptTimeoutMs: resolved.attemptTimeoutMs,
  }, tls);
}

/** TLS material that crossed a thread as Uint8Array, as Buffers again (node:tls takes Buffers). */
function asBuffers(tls: ClientTlsOptions): ClientTlsOptions {
  const b = (v: Uint8Array | undefined) => (v === undefined || Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return { ca: b(tls.ca), cert: b(tls.cert), key: b(tls.key), rejectUnauthorized: tls.rejectUnauthorized };
}

/** Retry-After as seconds or an HTTP date → ms; undefined when absent or unreadable. */
function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Client TLS options from Traefik's tls options (file paths; inline PEM is accepted too). */
function tlsOptions(tls: OtlpClientTLS | undefined): ClientTlsOptions {
  return { ca: pem(tls?.ca), cert: pem(tls?.cert), key: pem(tls?.key), rejectUnauthorized: !(tls?.insecureSkipVerify ?? false) };
}

function pem(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}
