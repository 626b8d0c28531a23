import { BodyBuffer } from './body-buffer.ts';

/** A batch ready to post: its spans' JSON texts, comma-separated, and what frames them. */
export interface EncodedBatch {
  /** `{"attributes":[…]}` of the resource. */
  resource: string;
  /** The instrumentation scope as JSON. */
  scope: string;
  /** UTF-8 JSON of `count` spans, comma-separated (the inside of a ScopeSpans' `spans` array). */
  spans: Uint8Array;
  count: number;
}

interface Chunk { count: number; body: BodyBuffer }

/**
 * The batch processor's queue, encoded as spans arrive: each span is written as OTLP JSON into an
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

  constructor(batchSize: number) {
    this.#batchSize = batchSize;
  }

  /** Spans queued. */
  get length(): number { return this.#length; }

  /** Appends one span's OTLP JSON (see spanJson). */
  push(json: string): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || last.count >= this.#batchSize) {
      last = { count: 0, body: this.#free.pop() ?? new BodyBuffer(256 * 1024) };
      this.#chunks.push(last);
    }
    if (last.count > 0) last.body.write(',');
    last.body.write(json);
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
