import { context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpHttpExporter } from './exporter.ts';

export interface BatchSettings { maxQueueSize: number; maxExportBatchSize: number; scheduledDelay: number; exportTimeout: number }

export interface ExportStats {
  /** Spans the collector accepted. */
  exported: number;
  /** Spans that will never be exported: queue full, failed or timed-out exports, or ended after shutdown. */
  dropped: number;
  /** Export requests that failed (collector down, refused, 4xx/5xx after retries, timeout). */
  failedExports: number;
  /** Spans waiting in the queue now. */
  queued: number;
  lastError?: string;
}

export interface WarnLogger { warn(message: string, fields?: Record<string, unknown>): void }

/** An export cut at `exportTimeout` (the request is aborted, not left running). */
export class ExportTimeoutError extends Error {
  readonly code = 'TAGWAY_EXPORT_TIMEOUT' as const;
  constructor(ms: number) { super(`span export did not finish within ${ms}ms; request aborted`); this.name = 'ExportTimeoutError'; }
}

/** How often a stream of drops is summarised in the log. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The SDK's BatchSpanProcessor, reshaped for a gateway: the queue is bounded and every span that will
 * not reach the collector is counted where the API can show it; an export is aborted at its deadline
 * with a coded error; one export at a time; all timers unref'd; nothing here ever blocks a request.
 */
export class BoundedBatchProcessor implements SpanProcessor {
  readonly #settings: BatchSettings;
  readonly #out: OtlpHttpExporter;
  readonly #log: WarnLogger;
  #queue: ReadableSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The armed timer is a zero-delay one (a full batch is waiting): spans ending meanwhile need not re-arm it. */
  #timerNow = false;
  #exporting: Promise<void> | undefined;
  #closed = false;
  #exported = 0;
  #dropped = 0;
  #failedExports = 0;
  #lastError: string | undefined;
  #dropsSinceLog = 0;
  #dropLogTimer: NodeJS.Timeout | undefined;

  constructor(settings: BatchSettings, out: OtlpHttpExporter, log: WarnLogger) {
    this.#settings = settings;
    this.#out = out;
    this.#log = log;
  }

  stats(): ExportStats {
    const s: ExportStats = { exported: this.#exported, dropped: this.#dropped, failedExports: this.#failedExports, queued: this.#queue.length };
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    return s;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#closed || this.#queue.length >= this.#settings.maxQueueSize) { this.#drop(1); return; }
    this.#queue.push(span);
    if (this.#exporting) return; // the running export picks the queue up when it ends
    if (this.#queue.length >= this.#settings.maxExportBatchSize) { if (!this.#timerNow) this.#schedule(0); }
    else if (this.#timer === undefined) this.#schedule(this.#settings.scheduledDelay);
  }

  /** Exports everything queued (several batches), within `deadlineMs`. */
  async forceFlush(deadlineMs = this.#settings.exportTimeout): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    if (this.#exporting) await this.#exporting;
    while (this.#queue.length > 0 && Date.now() < deadline) await this.#exportOnce(deadline - Date.now());
  }

  /** Idempotent by the caller's once-future; later spans are counted as dropped. */
  async shutdown(deadlineMs = this.#settings.exportTimeout): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    await this.forceFlush(deadlineMs);
    if (this.#queue.length > 0) { this.#drop(this.#queue.length); this.#queue = []; }
    if (this.#dropLogTimer) { clearTimeout(this.#dropLogTimer); this.#dropLogTimer = undefined; this.#logDrops(); }
  }

  #schedule(delay: number): void {
    this.#clearTimer();
    this.#timerNow = delay === 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerNow = false;
      void this.#exportOnce(this.#settings.exportTimeout).then(() => this.#afterExport());
    }, delay);
    this.#timer.unref();
  }

  #afterExport(): void {
    if (this.#closed || this.#queue.length === 0 || this.#exporting) return;
    this.#schedule(this.#queue.length >= this.#settings.maxExportBatchSize ? 0 : this.#settings.scheduledDelay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; this.#timerNow = false; }
  }

  #exportOnce(timeoutMs: number): Promise<void> {
    if (this.#exporting) return this.#exporting;
    const batch = this.#queue.splice(0, this.#settings.maxExportBatchSize);
    if (batch.length === 0) return Promise.resolve();
    const running = this.#send(batch, Math.max(1, Math.min(timeoutMs, this.#settings.exportTimeout)));
    this.#exporting = running;
    return running.finally(() => { this.#exporting = undefined; });
  }

  async #send(batch: ReadableSpan[], timeoutMs: number): Promise<void> {
    const resource = batch[0]!.resource;
    if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ExportTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    let result: ExportResult;
    try {
      // suppressTracing: if anyone ever instruments node:http globally, our export must not trace itself
      result = await context.with(suppressTracing(ROOT_CONTEXT), () => this.#out.send(batch, deadline.signal));
    } catch (error) {
      result = { code: ExportResultCode.FAILED, error: error as Error };
    } finally {
      clearTimeout(timer);
    }
    if (result.code === ExportResultCode.SUCCESS) { this.#exported += batch.length; return; }
    this.#failedExports += 1;
    this.#lastError = describe(result.error);
    this.#drop(batch.length);
  }

  #drop(n: number): void {
    this.#dropped += n;
    this.#dropsSinceLog += n;
    if (this.#dropLogTimer !== undefined) return;
    this.#logDrops(); // first drop of a quiet period is logged at once, the rest once per interval
    this.#dropLogTimer = setTimeout(() => { this.#dropLogTimer = undefined; if (this.#dropsSinceLog > 0) this.#logDrops(); }, DROP_LOG_INTERVAL_MS);
    this.#dropLogTimer.unref();
  }

  #logDrops(): void {
    if (this.#dropsSinceLog === 0) return;
    this.#log.warn('tracing: spans dropped (collector slow or unreachable, or queue full)', {
      dropped: this.#dropsSinceLog, droppedTotal: this.#dropped, queued: this.#queue.length, lastError: this.#lastError,
    });
    this.#dropsSinceLog = 0;
  }
}

function describe(error: Error | undefined): string {
  if (!error) return 'export failed';
  const code = (error as { code?: unknown }).code;
  const text = code !== undefined ? `${String(code)}: ${error.message}` : error.message || error.name;
  return error.cause instanceof Error ? `${text} (last attempt: ${error.cause.message})` : text;
}
