/**
 * Memory an answer is received into, kept from one answer to the next. `/v1/health/state/any` is megabytes at
 * 5,000 services (7 MB for 15,000 checks) and comes again on every health flip: received the usual way (a list of
 * socket chunks, then one `Buffer.concat`), each answer is a new 7 MB allocation that outlives the young generation
 * (it is kept to compare with the next one) and is freed only by a full collection of the heap: a collection of the
 * whole catalog every few flips. Here the bytes are copied into memory that stays, each chunk as it arrives.
 *
 * @example
 * const into = new AnswerBuffer();
 * into.reset(); into.append(chunk1); into.append(chunk2);
 * into.bytes() // a view of both chunks (valid until the next reset)
 */
export class AnswerBuffer {
  #memory: Buffer;
  #length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#memory = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Starts a new answer; memory much larger than the last answer needed is given back. */
  reset(): void {
    if (this.#memory.length > SHRINK_ABOVE && this.#length * 4 < this.#memory.length) {
      this.#memory = Buffer.allocUnsafeSlow(Math.max(this.#length * 2, 64 * 1024));
    }
    this.#length = 0;
  }

  append(chunk: Uint8Array): void {
    const need = this.#length + chunk.length;
    if (need > this.#memory.length) {
      // Room for the answer to grow a little (a check's status from "passing" to "critical"): no new memory per flip.
      const grown = Buffer.allocUnsafeSlow(Math.max(need + (need >> 3), this.#memory.length * 2));
      this.#memory.copy(grown, 0, 0, this.#length);
      this.#memory = grown;
    }
    this.#memory.set(chunk, this.#length);
    this.#length = need;
  }

  /** The bytes received since the last reset: a view of this buffer's memory, overwritten by the next answer. */
  bytes(): Buffer {
    return this.#memory.subarray(0, this.#length);
  }

  /** Whether `view` lies in this buffer's current memory. */
  holds(view: Buffer | undefined): boolean {
    return view !== undefined && view.buffer === this.#memory.buffer;
  }

  get length(): number { return this.#length; }
}

/** Memory above this is given back when an answer uses less than a quarter of it. */
const SHRINK_ABOVE = 1024 * 1024;
