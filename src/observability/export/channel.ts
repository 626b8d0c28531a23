import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { Abort } from './abort.ts';
import { BodyBuffer } from './body-buffer.ts';
import { describeExportError, ExportTimeoutError } from './errors.ts';
import type { OtlpExporter, OtlpExportResult, PartialSuccess } from './send.ts';
import type { EncodedBatch } from './span-queue.ts';

/** How one export ended; the error is already the `stats().lastError` text. */
export type ExportOutcome = { ok: true; rejected?: PartialSuccess } | { ok: false; error: string };

/**
 * Where the batch processor sends its batches: `InlineChannel` (the serving thread, the gateway's default) or
 * `WorkerChannel` (export-thread.ts, `tracing.exportThread`).
 */
export interface ExportChannel {
  /** Frames and posts one batch; settles by `timeoutMs` (the request is aborted then). Never rejects. */
  send(batch: EncodedBatch, timeoutMs: number): Promise<ExportOutcome>;
  /** Aborts what is in flight (retries included) and releases connections (and the thread). Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * One export under a deadline: every attempt shares it, and at the deadline the request is aborted with
 * ExportTimeoutError (the last attempt's error kept as its cause). The batch's spans, already encoded,
 * are framed as one ExportTraceServiceRequest in `body` (reused when the caller runs one export at a time).
 */
export async function runExport(out: OtlpExporter, batch: EncodedBatch, timeoutMs: number, body = new BodyBuffer()): Promise<ExportOutcome> {
  let outcome: ExportOutcome;
  try {
    batch.frame(body, batch.spans);
    outcome = await postWithDeadline(out, body.bytes(), timeoutMs);
  } catch (error) {
    outcome = { ok: false, error: describeExportError(error as Error) };
  }
  // a failed request may have left the body in a socket's queue: that memory is not ours to reuse
  if (outcome.ok) body.reset(); else body.discard();
  return outcome;
}

/** Posts one framed body; at `timeoutMs` the request (and any retry) is aborted with ExportTimeoutError. Never rejects. */
export async function postWithDeadline(out: OtlpExporter, body: Uint8Array, timeoutMs: number): Promise<ExportOutcome> {
  const deadline = new Abort().timeout(timeoutMs, () => new ExportTimeoutError(timeoutMs));
  let result: OtlpExportResult;
  try {
    result = await out.sendBody(body, deadline);
  } catch (error) {
    result = { code: ExportResultCode.FAILED, error: error as Error };
  } finally {
    deadline.dispose();
  }
  if (result.code !== ExportResultCode.SUCCESS) return { ok: false, error: describeExportError(result.error) };
  return result.rejected ? { ok: true, rejected: result.rejected } : { ok: true };
}

/**
 * Frames and posts on this thread, one batch at a time: the gateway's default. Why not the export thread
 * (export-thread.ts): on a busy core the thread cost more than posting here. A one-core gateway tracing every request
 * (README, Benchmarks, session 16): `bench/tracing-cpu.ts --base` put posting here at 0.935× the thread's CPU per
 * request over OTLP/HTTP (lower in 8 of 12 rounds) and 0.943× over OTLP/gRPC (9 of 12); three `npm run bench` A/Bs of
 * 8 rounds gave +1.7%, +4.7% and −3.8% requests per second (one of its rounds in the host's slow mode), p99 within the
 * host's noise; one isolate fewer: 8–25 MB less RSS, 13–17 minor faults per 1,000 requests against 25–30. The thread
 * brings its own heap, code and wake-ups to the core, and a copy of each batch into its memory. The OTLP/HTTP body goes
 * out in pieces (collector-client.ts writeInPieces), so requests are served between them.
 */
export class InlineChannel implements ExportChannel {
  readonly #out: OtlpExporter;
  readonly #body = new ReusedBody();
  readonly #inFlight = new Set<Promise<ExportOutcome>>();

  constructor(out: OtlpExporter) { this.#out = out; }

  send(batch: EncodedBatch, timeoutMs: number): Promise<ExportOutcome> {
    // suppressTracing: if anyone ever instruments node:http globally, our export must not trace itself
    const sent = context.with(suppressTracing(ROOT_CONTEXT), () => this.#body.use((body) => runExport(this.#out, batch, timeoutMs, body)));
    this.#inFlight.add(sent);
    void sent.finally(() => this.#inFlight.delete(sent));
    return sent;
  }

  /** Aborts what is in flight and resolves once each aborted send has answered its outcome (as WorkerChannel does). */
  async shutdown(): Promise<void> {
    await this.#out.shutdown();
    await Promise.all(this.#inFlight);
  }
}

/**
 * One BodyBuffer for exports that run one at a time (the batch processor's rule); an export that would
 * overlap another gets a buffer of its own instead of sharing.
 */
class ReusedBody {
  readonly #body = new BodyBuffer();
  #inUse = false;

  async use<T>(fn: (body: BodyBuffer) => Promise<T>): Promise<T> {
    if (this.#inUse) return fn(new BodyBuffer());
    this.#inUse = true;
    try {
      return await fn(this.#body);
    } finally {
      this.#inUse = false;
    }
  }
}
