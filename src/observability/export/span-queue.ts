import type { RecordedSpan } from '../spans/span.ts';
import { BodyBuffer } from './body-buffer.ts';
import type { OtlpEncoding } from './encoding.ts';

/** A batch ready to post: its spans, encoded, and what frames them into one request. */
export interface EncodedBatch {
  /** Writes the ExportTraceServiceRequest around `spans` (see OtlpEncoding.framer). */
  frame: (body: BodyBuffer, spans: Uint8Array) => void;
  /** `count` spans as OtlpEncoding.writeSpan wrote them. */
  spans: Uint8Array;
  count: number;
}

interface Chunk { spans: RecordedSpan[] }

/** Spans encoded between two yields to the event loop (~0.1 ms of work). */
export const SPANS_PER_SLICE = 64;

/**
 * The batch processor's queue: ended spans, in batches of at most `batchSize`, encoded (OTLP protobuf
 * or JSON) one whole batch at a time when the batch is taken for export, into an off-heap Buffer reused
 * from export to export. Why a batch at a time rather than each span as it ends: measured in the
 * gateway, encoding one span between two requests ran 2–3× slower than in a loop over a batch (the
 * attribute caches and the encoder's code are cold by the next span), and that was most of tracing's
 * own cost. The spans wait as objects meanwhile: bounded by maxQueueSize, and at high rates a batch
 * fills and leaves within tens of milliseconds, before a young-generation collection would copy it.
 *
 * @example
 * const queue = new EncodedSpanQueue(512, otlpProto);
 * queue.push(span);                       // as each span ends
 * const batch = queue.take()!;            // when the batch leaves
 * const body = await queue.encode(batch); // 64 spans per event-loop turn
 * await post(body.bytes()); queue.release(body, false);
 */
export class EncodedSpanQueue {
  readonly #batchSize: number;
  readonly #encoding: OtlpEncoding;
  readonly #chunks: Chunk[] = [];
  readonly #free: BodyBuffer[] = [];
  #length = 0;

  constructor(batchSize: number, encoding: OtlpEncoding) {
    this.#batchSize = batchSize;
    this.#encoding = encoding;
  }

  /** Spans queued. */
  get length(): number { return this.#length; }

  /** Queues one ended span in the newest batch. */
  push(span: RecordedSpan): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || last.spans.length >= this.#batchSize) {
      last = { spans: [] };
      this.#chunks.push(last);
    }
    last.spans.push(span);
    this.#length++;
  }

  /** The oldest batch, out of the queue (encode it with `encode`). */
  take(): RecordedSpan[] | undefined {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return undefined;
    this.#length -= chunk.spans.length;
    return chunk.spans;
  }

  /**
   * Encodes a taken batch into a reused buffer, `perSlice` spans between two yields to the event loop
   * (a 512-span batch is about a millisecond of work: requests waiting meanwhile would see it in their
   * latency). Give the buffer back with `release` once its export has ended.
   */
  async encode(spans: readonly RecordedSpan[], perSlice = SPANS_PER_SLICE): Promise<BodyBuffer> {
    const body = this.#free.pop() ?? new BodyBuffer(256 * 1024);
    for (let i = 0; i < spans.length; i++) {
      if (i > 0 && i % perSlice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      this.#encoding.writeSpan(body, spans[i]!, i === 0);
    }
    return body;
  }

  /** A taken batch's buffer, for reuse; `failed`: an aborted request may still hold it, so it is dropped. */
  release(body: BodyBuffer, failed: boolean): void {
    if (failed) return;
    body.reset();
    if (this.#free.length < 4) this.#free.push(body);
  }

  /** Empties the queue; returns how many spans were in it. */
  clear(): number {
    const n = this.#length;
    this.#chunks.length = 0;
    this.#length = 0;
    return n;
  }
}
