import type { Resource } from '@opentelemetry/resources';
import type { CompactTrace } from '../spans/compact.ts';
import type { TraceSink } from '../spans/runtime.ts';
import type { RecordedSpan } from '../spans/span.ts';
import type { BodyBuffer } from './body-buffer.ts';
import type { ExportChannel } from './channel.ts';
import type { OtlpEncoding } from './encoding.ts';
import { EncodedSpanQueue } from './span-queue.ts';

export { ExportTimeoutError } from './errors.ts';

export interface BatchSettings { maxQueueSize: number; maxExportBatchSize: number; scheduledDelay: number; exportTimeout: number }

/** What every batch of one processor says about where its spans come from. */
export interface BatchOrigin {
  /** Resource of every span (host/process detection, service.name…), from buildResource. */
  resource: Resource;
  /** Instrumentation scope. */
  scope: { name: string; version?: string };
  /** Span attribute count limit (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, default 128). */
  attributeCountLimit: number;
  /** Attribute value length limit (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT; default Infinity: none). */
  attributeValueLengthLimit?: number;
  /** Span event count limit (OTEL_SPAN_EVENT_COUNT_LIMIT, default 128). */
  eventCountLimit?: number;
  /** Protobuf or JSON (settings.ts: the protocol). */
  encoding: OtlpEncoding;
}

export interface ExportStats {
  /** Spans the collector accepted. */
  exported: number;
  /** Spans that will never be exported: queue full, failed or timed-out exports, rejected by the collector (partial success), or ended after shutdown. */
  dropped: number;
  /** Export requests that failed (collector down, refused, 4xx/5xx after retries, timeout). */
  failedExports: number;
  /** Spans waiting in the queue now. */
  queued: number;
  lastError?: string;
}

export interface WarnLogger { warn(message: string, fields?: Record<string, unknown>): void }

/** How often a stream of drops is summarised in the log. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The SDK's BatchSpanProcessor, reshaped for a gateway: the queue is bounded and every span that will
 * not reach the collector is counted where the API can show it; an export is aborted at its deadline
 * with a coded error; one export at a time; all timers unref'd; nothing here ever blocks a request.
 * Spans are encoded (OTLP protobuf or JSON) in small groups as they end, into a reused off-heap buffer
 * per batch (span-queue.ts); framing and posting happen behind `ExportChannel`.
 *
 * @example
 * const processor = new BoundedBatchProcessor(config.batch, new InlineChannel(exporter), log, { resource, scope, attributeCountLimit: 128 });
 * RecordedSpan.withHexIds(processor, traceId, spanId, '', '', false, 'GET', KIND_SERVER).end(); // queued, exported in the next batch
 */
export class BoundedBatchProcessor implements TraceSink {
  readonly attributeCountLimit: number;
  readonly attributeValueLengthLimit: number;
  readonly eventCountLimit: number;
  readonly #settings: BatchSettings;
  readonly #out: ExportChannel;
  readonly #log: WarnLogger;
  readonly #origin: BatchOrigin;
  #frame: ((body: BodyBuffer, spans: Uint8Array) => void) | undefined;
  readonly #queue: EncodedSpanQueue;
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

  constructor(settings: BatchSettings, out: ExportChannel, log: WarnLogger, origin: BatchOrigin) {
    this.attributeCountLimit = origin.attributeCountLimit;
    this.attributeValueLengthLimit = origin.attributeValueLengthLimit ?? Infinity;
    this.eventCountLimit = origin.eventCountLimit ?? 128;
    this.#origin = origin;
    this.#settings = settings;
    this.#queue = new EncodedSpanQueue(settings.maxExportBatchSize, origin.encoding);
    this.#out = out;
    this.#log = log;
  }

  stats(): ExportStats {
    const s: ExportStats = { exported: this.#exported, dropped: this.#dropped, failedExports: this.#failedExports, queued: this.#queue.length };
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    return s;
  }

  /** Queues an ended span, encoded now (only sampled spans are recorded, so every one is exported). */
  onEnd(span: RecordedSpan): void {
    if (this.#closed || this.#queue.length >= this.#settings.maxQueueSize) { this.#drop(1); return; }
    this.#queue.push(span);
    this.#queued();
  }

  /** Queues an ended compact trace's spans, encoded in their turn; dropped whole when they do not all fit. */
  onEndRequest(trace: CompactTrace): void {
    const spans = trace.spanCount;
    if (this.#closed || this.#queue.length + spans > this.#settings.maxQueueSize) { this.#drop(spans); return; }
    this.#queue.pushRequest(trace);
    this.#queued();
  }

  #queued(): void {
    if (this.#exporting) return; // the running export picks the queue up when it ends
    if (this.#queue.length >= this.#settings.maxExportBatchSize) { if (!this.#timerNow) this.#schedule(0); }
    else if (this.#timer === undefined) this.#schedule(this.#settings.scheduledDelay);
  }

  /** Exports everything queued (several batches), within `deadlineMs`. */
  async forceFlush(deadlineMs = this.#settings.exportTimeout): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    // An export already in flight is waited for too, but never past the deadline: its own timeout may be far longer
    // (exportTimeout), and shutdown then aborts it.
    while ((this.#exporting !== undefined || this.#queue.length > 0) && Date.now() < deadline) {
      if (!(await settlesWithin(this.#exportOnce(deadline - Date.now()), deadline - Date.now()))) return;
    }
  }

  /** Idempotent by the caller's once-future; later spans are counted as dropped. */
  async shutdown(deadlineMs = this.#settings.exportTimeout): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    await this.forceFlush(deadlineMs);
    if (this.#queue.length > 0) this.#drop(this.#queue.clear());
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
    const batch = this.#queue.take();
    if (batch === undefined) return Promise.resolve();
    const running = this.#send(batch, Math.max(1, Math.min(timeoutMs, this.#settings.exportTimeout)));
    this.#exporting = running;
    return running.finally(() => { this.#exporting = undefined; });
  }

  async #send(batch: NonNullable<ReturnType<EncodedSpanQueue['take']>>, timeoutMs: number): Promise<void> {
    if (this.#frame === undefined) {
      const { resource, scope, encoding } = this.#origin;
      if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
      this.#frame = encoding.framer(resource.attributes, scope);
    }
    const outcome = await this.#out.send({ frame: this.#frame, spans: batch.spans, count: batch.count }, timeoutMs);
    this.#queue.release(batch.body, !outcome.ok);
    if (outcome.ok) {
      // OTLP's partial success: the collector dropped some of the spans; not retried (spec), counted as dropped
      const rejected = Math.min(outcome.rejected?.spans ?? 0, batch.count);
      this.#exported += batch.count - rejected;
      if (rejected > 0) {
        this.#lastError = `TAGWAY_EXPORT_PARTIAL: the collector rejected ${rejected} of ${batch.count} spans${outcome.rejected!.message ? `: ${outcome.rejected!.message}` : ''}`;
        this.#drop(rejected);
      }
      return;
    }
    this.#failedExports += 1;
    this.#lastError = outcome.error;
    this.#drop(batch.count);
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

/** Whether `p` settles within `ms` (its outcome is the caller's business elsewhere). */
async function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(resolve, Math.max(0, ms), false); });
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
