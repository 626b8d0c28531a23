/**
 * A request body written piece by piece into one Buffer kept from export to export. Why: a 512-span
 * batch is ~400 KB of JSON; built as one string it lands in V8's large-object space (old generation) on
 * every export, and the allocation rate there is what schedules full garbage collections. Writing each
 * span's text straight into a reused Buffer keeps the only large allocation out of the JS heap and
 * makes it once. Only one body may be in use at a time: the caller hands `bytes()` to one export and
 * calls `reset()` (or `discard()` after an aborted request, whose socket may still hold the memory)
 * before the next.
 *
 * @example
 * const body = new BodyBuffer();
 * body.write('{"resourceSpans":['); … ; await post(body.bytes()); body.reset();
 */
export class BodyBuffer {
  #buf: Buffer;
  /** A DataView over #buf (the encoders write 32-bit words through it: one call instead of four byte stores). */
  #view: DataView;
  #length = 0;
  #generation = 0;
  readonly #initial: number;

  constructor(initialBytes = 64 * 1024) {
    this.#initial = initialBytes;
    this.#buf = Buffer.allocUnsafeSlow(initialBytes);
    this.#view = viewOf(this.#buf);
  }

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    const worst = text.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (this.#length + worst > this.#buf.length) this.#grow(this.#length + worst);
    this.#length += this.#buf.write(text, this.#length, 'utf8');
  }

  /** Appends bytes as they are. */
  writeBytes(bytes: Uint8Array): void {
    if (this.#length + bytes.byteLength > this.#buf.length) this.#grow(this.#length + bytes.byteLength);
    this.#buf.set(bytes, this.#length);
    this.#length += bytes.byteLength;
  }

  /** Bytes written so far. */
  get length(): number { return this.#length; }

  /**
   * For encoders that write bytes themselves: makes room for `bytes` more and returns the buffer to
   * write into from `length`; `commit(end)` then says where the written bytes end.
   */
  reserve(bytes: number): Buffer {
    if (this.#length + bytes > this.#buf.length) this.#grow(this.#length + bytes);
    return this.#buf;
  }

  /** A DataView over the buffer `reserve` returned last (the same bytes). */
  get view(): DataView { return this.#view; }

  commit(end: number): void {
    this.#length = end;
  }

  /** The body so far: a view, valid until the next write, reset or discard. */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }

  /** Counts resets and discards: bytes written before one may since have been overwritten. */
  get generation(): number { return this.#generation; }

  reset(): void {
    this.#length = 0;
    this.#generation++;
  }

  /** Forgets the memory (an aborted request may still reference it) and starts a new one. */
  discard(): void {
    this.#buf = Buffer.allocUnsafeSlow(this.#initial);
    this.#view = viewOf(this.#buf);
    this.#length = 0;
    this.#generation++;
  }

  #grow(needed: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(needed, this.#buf.length * 2));
    this.#buf.copy(next, 0, 0, this.#length);
    this.#buf = next;
    this.#view = viewOf(next);
  }
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}
