import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { Abort } from './abort.ts';

/**
 * An export's result; an accepted export may say that the collector rejected some spans (OTLP's
 * `partial_success`: not retried, counted as dropped).
 */
export type OtlpExportResult = ExportResult & { rejected?: PartialSuccess };

/** ExportTracePartialSuccess: spans the collector accepted the request of but dropped, and why. */
export interface PartialSuccess { spans: number; message: string }

/**
 * What both OTLP exporters (HTTP and gRPC) are to the batch processor's channel: post one encoded
 * ExportTraceServiceRequest under an Abort (abort.ts), and stop.
 */
export interface OtlpExporter {
  /** Posts `encoded` (compressed first when configured), retrying what OTLP calls retryable while `signal` allows. */
  sendBody(encoded: Uint8Array, signal: Abort): Promise<OtlpExportResult>;
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
 * holding the process open. `attempt` gets an Abort that also fires after `attemptTimeoutMs` (a TimeoutError, as
 * AbortSignal.timeout's), and the Abort of the whole export, which `inFlight` holds while it runs (the exporter's
 * shutdown aborts those).
 */
export async function sendWithRetries(
  attempt: (signal: Abort, exportSignal: Abort) => Promise<AttemptOutcome>,
  signal: Abort, attemptTimeoutMs: number, inFlight: Set<Abort>,
): Promise<OtlpExportResult> {
  const own = new Abort(signal);
  inFlight.add(own);
  let last: Error | undefined;
  try {
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      const attemptSignal = new Abort(own).timeout(attemptTimeoutMs, attemptTimedOut);
      let outcome: AttemptOutcome;
      try {
        outcome = await attempt(attemptSignal, own);
      } finally {
        attemptSignal.dispose();
      }
      if (outcome.ok) return outcome.rejected ? { code: ExportResultCode.SUCCESS, rejected: outcome.rejected } : { code: ExportResultCode.SUCCESS };
      if (own.aborted) return failed(withCause(own.reason!, last));
      if (!outcome.retryable) return failed(outcome.error);
      last = outcome.error;
      const wait = outcome.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
      if (!(await sleep(wait, own))) return failed(withCause(own.reason!, last));
    }
  } finally {
    own.dispose();
    inFlight.delete(own);
  }
}

function attemptTimedOut(): Error {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
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
function sleep(ms: number, signal: Abort): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(false); return; }
    const timer = setTimeout(() => { off(); resolve(true); }, ms);
    timer.unref();
    const off = signal.onAbort(() => { clearTimeout(timer); resolve(false); });
  });
}
