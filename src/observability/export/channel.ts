import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { describeExportError, ExportTimeoutError } from './errors.ts';
import type { OtlpHttpExporter } from './exporter.ts';
import { encodeBatches, type RecordBatch } from './otlp-json.ts';

/** How one export ended; the error is already the `stats().lastError` text (it may cross a thread). */
export type ExportOutcome = { ok: true } | { ok: false; error: string };

/**
 * Where the batch processor sends its batches: encoded and posted either on this thread
 * (`InlineChannel`) or in the export worker (`WorkerChannel`, see export-worker.ts).
 */
export interface ExportChannel {
  /** Encodes and posts one batch; settles by `timeoutMs` (the request is aborted then). Never rejects. */
  send(batch: RecordBatch, timeoutMs: number): Promise<ExportOutcome>;
  /** Aborts what is in flight (retries included) and releases connections (and the thread). Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * One export under a deadline: the encoding and every attempt share it, and at the deadline the request
 * is aborted with ExportTimeoutError (the last attempt's error kept as its cause).
 * `perSlice` is how many spans are encoded between yields to the event loop.
 */
export async function runExport(out: OtlpHttpExporter, batch: RecordBatch, timeoutMs: number, perSlice?: number): Promise<ExportOutcome> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new ExportTimeoutError(timeoutMs)), timeoutMs);
  timer.unref();
  let result: ExportResult;
  try {
    const body = await encodeBatches([batch], perSlice);
    result = await out.sendBody(body, deadline.signal);
  } catch (error) {
    result = { code: ExportResultCode.FAILED, error: error as Error };
  } finally {
    clearTimeout(timer);
  }
  return result.code === ExportResultCode.SUCCESS ? { ok: true } : { ok: false, error: describeExportError(result.error) };
}

/** Encodes (sliced, yielding) and posts on the calling thread: the fallback when no worker can run. */
export class InlineChannel implements ExportChannel {
  readonly #out: OtlpHttpExporter;

  constructor(out: OtlpHttpExporter) { this.#out = out; }

  send(batch: RecordBatch, timeoutMs: number): Promise<ExportOutcome> {
    // suppressTracing: if anyone ever instruments node:http globally, our export must not trace itself
    return context.with(suppressTracing(ROOT_CONTEXT), () => runExport(this.#out, batch, timeoutMs));
  }

  shutdown(): Promise<void> { return this.#out.shutdown(); }
}
