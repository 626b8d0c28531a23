import { unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { StoredBody } from '../../http/context.ts';

/** Bytes per read from the file, and what a writer may queue before `write` asks it to wait. */
const CHUNK_BYTES = 64 * 1024;
const FILE_PREFIX = 'tagway-body-';

/** What every live store holds right now, summed (the admin side and the tests read it). */
export interface BodyStoreStats { stores: number; memoryBytes: number; fileBytes: number; files: number }
const live: BodyStoreStats = { stores: 0, memoryBytes: 0, fileBytes: 0, files: 0 };

export function bodyStoreStats(): BodyStoreStats {
  return { ...live };
}

/** Files whose name could not be dropped while open: removed when the store is released, or at exit at the latest. */
const named = new Set<string>();
let exitHooked = false;
function removeNamedAtExit(): void {
  for (const path of named) { try { unlinkSync(path); } catch { /* already gone */ } }
}

/**
 * A body written once and read many times (mailgun/multibuf's role in oxy's buffer): the first `memBytes` stay in
 * memory, the rest goes to a temporary file in `dir` (default `os.tmpdir()`, so `TMPDIR`), created only once the
 * memory part is full, with mode 0600 and an exclusive create. Its name is dropped right after it is opened (as oxy
 * does for request bodies): the bytes live as long as the descriptor, so a crash or a kill leaves nothing behind.
 * The descriptor is closed by `destroy()` (idempotent), which the owner calls when the request ends, fails or the
 * client leaves. Writes are a `Writable` (backpressure: `write` returns false while the file lags); once finished,
 * each `reader()` streams the whole body from the start, the file part in 64 KiB reads, never the whole file at once.
 *
 * @example
 * const store = new BodyStore(1 << 20);
 * req.pipe(store).on('finish', () => forward(store.reader(), store.length));
 * res.once('close', () => store.destroy());
 */
export class BodyStore extends Writable implements StoredBody {
  readonly #memBytes: number;
  readonly #dir: string | undefined;
  readonly #mem: Buffer[] = [];
  #memSize = 0;
  #fileSize = 0;
  #file: FileHandle | undefined;
  #path: string | undefined;
  #counted = true;

  constructor(memBytes: number, dir?: string) {
    // Not destroyed on finish: the body is read after it is written, and released by its owner.
    super({ highWaterMark: CHUNK_BYTES, autoDestroy: false });
    this.#memBytes = memBytes;
    this.#dir = dir;
    live.stores++;
  }

  /** Bytes written so far (all of the body once finished). */
  get length(): number {
    return this.#memSize + this.#fileSize;
  }

  /** Bytes held in memory / written to the file. */
  get memoryBytes(): number { return this.#memSize; }
  get fileBytes(): number { return this.#fileSize; }

  /** True once part of the body went to the file. */
  get spilled(): boolean {
    return this.#fileSize > 0;
  }

  /** The memory part as one buffer (a body that never spilled). */
  memoryPart(): Buffer {
    return this.#mem.length === 1 ? this.#mem[0]! : Buffer.concat(this.#mem, this.#memSize);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    let rest = chunk;
    const room = this.#memBytes - this.#memSize;
    if (room > 0) {
      const part = room >= chunk.length ? chunk : chunk.subarray(0, room);
      this.#mem.push(part);
      this.#memSize += part.length;
      live.memoryBytes += part.length;
      if (part === chunk) { callback(); return; }
      rest = chunk.subarray(room);
    }
    this.#append(rest).then(() => callback(), callback);
  }

  async #append(bytes: Buffer): Promise<void> {
    const file = this.#file ?? await this.#open();
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset, this.#fileSize);
      offset += bytesWritten;
      this.#fileSize += bytesWritten;
      if (this.#counted) live.fileBytes += bytesWritten;
    }
  }

  async #open(): Promise<FileHandle> {
    const path = join(this.#dir ?? tmpdir(), FILE_PREFIX + randomBytes(12).toString('hex'));
    let file: FileHandle;
    try {
      file = await open(path, 'wx+', 0o600);
    } catch (err) {
      throw new Error(`buffering: cannot create a temporary file for the body in ${this.#dir ?? tmpdir()} (set TMPDIR to a writable directory): ${(err as Error).message}`, { cause: err });
    }
    try {
      await unlink(path);
    } catch {
      // Some platforms refuse to unlink an open file: keep the name until the store is released.
      this.#path = path;
      named.add(path);
      if (!exitHooked) { exitHooked = true; process.once('exit', removeNamedAtExit); }
    }
    if (this.destroyed) {
      await file.close();
      this.#dropName();
      throw new Error('buffering: the body store was released');
    }
    this.#file = file;
    live.files++;
    return file;
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.#counted) {
      this.#counted = false;
      live.stores--;
      live.memoryBytes -= this.#memSize;
      live.fileBytes -= this.#fileSize;
      if (this.#file !== undefined) live.files--;
    }
    this.#mem.length = 0;
    const file = this.#file;
    this.#file = undefined;
    // FileHandle.close waits for the reads and writes in flight; later ones fail with EBADF, never on a reused fd.
    if (file !== undefined) file.close().catch(() => {}).finally(() => this.#dropName());
    callback(err);
  }

  #dropName(): void {
    const path = this.#path;
    if (path === undefined) return;
    this.#path = undefined;
    named.delete(path);
    unlink(path).catch(() => {});
  }

  /** A new stream of the whole body, from the start. Only once the store is finished. */
  reader(): Readable {
    if (!this.writableFinished) throw new Error('BodyStore.reader() before the body was complete');
    const mem = this.#mem.slice();
    const fileSize = this.#fileSize;
    let index = 0;
    let position = 0;
    const fileOf = (): FileHandle | undefined => this.#file;
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      read(this: Readable) {
        if (index < mem.length) { this.push(mem[index++]); return; }
        if (position >= fileSize) { this.push(null); return; }
        const file = fileOf();
        if (file === undefined) { this.destroy(new Error('the stored body was released')); return; }
        const want = Math.min(CHUNK_BYTES, fileSize - position);
        const buf = Buffer.allocUnsafe(want);
        file.read(buf, 0, want, position).then(({ bytesRead }) => {
          if (bytesRead === 0) { this.destroy(new Error('the stored body file ended early')); return; }
          position += bytesRead;
          this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
        }, (err: Error) => this.destroy(err));
      },
    });
  }
}
