import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

/**
 * An export's result; an accepted export may say that the collector rejected some spans (OTLP's
 * `partial_success`: not retried, counted as dropped).
 */
export type OtlpExportResult = ExportResult & { rejected?: PartialSuccess };

/** ExportTracePartialSuccess: spans the collector accepted the request of but dropped, and why. */
export interface PartialSuccess { spans: number; message: string }

/**
 * What both OTLP exporters (HTTP and gRPC) are to the batch processor's channel: post one encoded
 * ExportTraceServiceRequest under a signal, and stop.
 */
export interface OtlpExporter {
  /** Posts `encoded` (compressed first when configured), retrying what OTLP calls retryable while `signal` allows. */
  sendBody(encoded: Uint8Array, signal: AbortSignal): Promise<OtlpExportResult>;
  /** Aborts exports in flight (and their retries) and closes the connections. Idempotent. */
  shutdown(): Promise<void>;
}

/** `gzip` or `none`: how export bodies travel (OTLP/HTTP's `Content-Encoding`, gRPC's `grpc-encoding`). */
export type OtlpCompression = 'gzip' | 'none';

/** Client TLS toward the collector, as node:tls takes it. */
export interface ClientTlsOptions { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean }

/** How one attempt ended; a retryable failure may say when to retry (Retry-After, gRPC RetryInfo). */
export type AttemptOutcome = { ok: true; rejected?: PartialSuccess } | { ok: false; retryable: boolean; error: Error; retryAfterMs?: number };

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5000;

/** zlib's callback API runs on libuv's thread pool: the event loop only hands the bytes over. */
export const gzip = promisify(gzipCallback);

/**
 * The retry loop both exporters share: attempts until one succeeds, fails for good, or `signal` aborts
 * (then the abort reason is the error, the last attempt's error its cause). Between attempts: the
 * collector's delay when it gave one, else exponential backoff with ±20% jitter (OTLP spec), never
 * holding the process open. `attempt` gets a signal that also fires after `attemptTimeoutMs`.
 */
export async function sendWithRetries(
  attempt: (signal: AbortSignal, exportSignal: AbortSignal) => Promise<AttemptOutcome>,
  signal: AbortSignal, attemptTimeoutMs: number, inFlight: Set<AbortController>,
): Promise<OtlpExportResult> {
  const own = new AbortController();
  const onAbort = (): void => own.abort(signal.reason);
  if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
  inFlight.add(own);
  let last: Error | undefined;
  try {
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      const outcome = await withAttemptSignal(own.signal, attemptTimeoutMs, (attemptSignal) => attempt(attemptSignal, own.signal));
      if (outcome.ok) return outcome.rejected ? { code: ExportResultCode.SUCCESS, rejected: outcome.rejected } : { code: ExportResultCode.SUCCESS };
      if (own.signal.aborted) return failed(withCause(own.signal.reason as Error, last));
      if (!outcome.retryable) return failed(outcome.error);
      last = outcome.error;
      const wait = outcome.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
      if (!(await sleep(wait, own.signal))) return failed(withCause(own.signal.reason as Error, last));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    inFlight.delete(own);
  }
}

/**
 * Runs `fn` with a signal that aborts with `exportSignal` or after `ms` (a TimeoutError, as AbortSignal.timeout's).
 * Not AbortSignal.any + AbortSignal.timeout: those keep weak references and a finalization registry per signal, and
 * cost the export thread ~65 µs per export (it posts too rarely for V8 to optimize them; --cpu-prof of a WorkerChannel
 * posting 512-span batches).
 */
async function withAttemptSignal<T>(exportSignal: AbortSignal, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(exportSignal.reason);
  if (exportSignal.aborted) onAbort(); else exportSignal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
    exportSignal.removeEventListener('abort', onAbort);
  }
}

/** A deadline error says what the last attempt ran into (ECONNREFUSED, 503, UNAVAILABLE…), when there was one. */
function withCause(error: Error, last: Error | undefined): Error {
  if (last !== undefined && error.cause === undefined) Object.defineProperty(error, 'cause', { value: last, configurable: true, writable: true });
  return error;
}

export function failed(error: Error): ExportResult {
  return { code: ExportResultCode.FAILED, error };
}

/** Resolves true after `ms`, false as soon as `signal` aborts; never keeps the process alive. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(false); return; }
    const done = (ok: boolean): void => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); resolve(ok); };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
