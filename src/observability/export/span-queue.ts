import { CompactTrace } from '../spans/compact.ts';
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

/** Spans encoded into `body` (`count`), and those waiting to be (`pending`: `pendingSpans` spans). */
interface Chunk { body: BodyBuffer; count: number; pending: Array<RecordedSpan | CompactTrace>; pendingSpans: number }

/** Ended spans wait in groups this large (a compact trace's spans count one by one), then are encoded together into their batch's buffer. */
const ENCODE_GROUP = 32;

/**
 * The batch processor's queue: batches of at most `batchSize` spans, each encoded (OTLP protobuf or
 * JSON) into an off-heap Buffer reused from export to export. Spans are encoded in groups of
 * ENCODE_GROUP as they end (the rest of a batch when it leaves). Why groups: encoding one span between
 * two requests ran 2–3× slower in the gateway than in a loop (the encoder's code and caches are cold by
 * the next span), while whole batches of span objects waiting for their export lived long enough to be
 * copied by young-generation collections (GC time tripled). A group waits about a millisecond.
 *
 * @example
 * const queue = new EncodedSpanQueue(512, otlpProto);
 * queue.push(span);              // as each span ends
 * const batch = queue.take()!;   // when the batch leaves: { count, spans (encoded bytes), body }
 * await post(batch.spans); queue.release(batch.body, false);
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

  /** Queues one ended span in the newest batch; encodes its group when the group is full. */
  push(span: RecordedSpan): void {
    this.#push(span, 1);
  }

  /** Queues an ended compact trace's spans (all in one batch). */
  pushRequest(trace: CompactTrace): void {
    this.#push(trace, trace.spanCount);
  }

  #push(item: RecordedSpan | CompactTrace, spans: number): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || (last.count + last.pendingSpans > 0 && last.count + last.pendingSpans + spans > this.#batchSize)) {
      last = { body: this.#free.pop() ?? new BodyBuffer(256 * 1024), count: 0, pending: [], pendingSpans: 0 };
      this.#chunks.push(last);
    }
    last.pending.push(item);
    last.pendingSpans += spans;
    this.#length += spans;
    if (last.pendingSpans >= ENCODE_GROUP) this.#encode(last);
  }

  /** The oldest batch, out of the queue, encoded; give its buffer back with `release` once its export has ended. */
  take(): { count: number; spans: Uint8Array; body: BodyBuffer } | undefined {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return undefined;
    this.#encode(chunk);
    this.#length -= chunk.count;
    return { count: chunk.count, spans: chunk.body.bytes(), body: chunk.body };
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
    for (const c of this.#chunks.splice(0)) this.release(c.body, false);
    this.#length = 0;
    return n;
  }

  #encode(chunk: Chunk): void {
    const pending = chunk.pending;
    const encoding = this.#encoding;
    for (let i = 0; i < pending.length; i++) {
      const item = pending[i]!;
      if (item instanceof CompactTrace) {
        encoding.writeRequest!(chunk.body, item, chunk.count === 0);
        chunk.count += item.spanCount;
      } else {
        encoding.writeSpan(chunk.body, item, chunk.count === 0);
        chunk.count++;
      }
    }
    pending.length = 0;
    chunk.pendingSpans = 0;
  }
}
