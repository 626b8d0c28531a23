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

interface Chunk { count: number; body: BodyBuffer }

/**
 * The batch processor's queue, encoded as spans arrive: each span is written (OTLP protobuf or JSON) into an
 * off-heap Buffer in `onEnd`, one Buffer per batch (at most `batchSize` spans). Why: a
 * queue of span objects (or records) lives for tens of milliseconds, long enough to survive young-
 * generation collections, so V8 copied and then promoted every queued span (measured: scavenges 3× as
 * long with tracing, and steady old-generation growth). Bytes in a Buffer are invisible to the
 * scavenger; the Buffers are reused from export to export.
 */
export class EncodedSpanQueue {
  readonly #batchSize: number;
  readonly #chunks: Chunk[] = [];
  readonly #free: BodyBuffer[] = [];
  #length = 0;

  readonly #encoding: OtlpEncoding;

  constructor(batchSize: number, encoding: OtlpEncoding) {
    this.#batchSize = batchSize;
    this.#encoding = encoding;
  }

  /** Spans queued. */
  get length(): number { return this.#length; }

  /** Encodes one ended span into the newest batch. */
  push(span: RecordedSpan): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || last.count >= this.#batchSize) {
      last = { count: 0, body: this.#free.pop() ?? new BodyBuffer(256 * 1024) };
      this.#chunks.push(last);
    }
    this.#encoding.writeSpan(last.body, span, last.count === 0);
    last.count++;
    this.#length++;
  }

  /** The oldest batch, out of the queue; give it back with `release` once its export has ended. */
  take(): { count: number; spans: Uint8Array; body: BodyBuffer } | undefined {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return undefined;
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
}
