import type { Worker } from 'node:worker_threads';
import { EXPORT_THREAD_NICE, startThreadPool, type PriorityOutcome } from '../../util/thread-priority.ts';
import { startModuleThread } from '../../util/worker-thread.ts';
import type { WarnLogger } from './batch-processor.ts';
import { BodyBuffer } from './body-buffer.ts';
import type { ExportChannel, ExportOutcome } from './channel.ts';
import { resolveExportTarget, type ExportTarget, type ResolvedExportTarget } from './exporter.ts';
import type { EncodedBatch } from './span-queue.ts';

/** What the export thread starts with. */
export interface ExportThreadData {
  target: ResolvedExportTarget;
  /** The nice value the thread sets for itself (util/thread-priority.ts); undefined leaves it as inherited. */
  nice?: number;
}
/** Messages to the export thread. */
export type ToExportThread = { type: 'post'; id: number; body: Uint8Array; timeoutMs: number } | { type: 'shutdown' };
/** Messages from it. */
export type FromExportThread = { type: 'ready'; priority?: PriorityOutcome } | { type: 'outcome'; id: number; outcome: ExportOutcome } | { type: 'closed' }
  /** The export `id` succeeded whole (`{ ok: true }`), the common answer: a number costs less to post than an object. */
  | number;

export interface WorkerChannelOptions {
  /**
   * The thread's nice value (Linux): above the serving loop's, so that posting a batch never takes the core from a
   * request. Default `EXPORT_THREAD_NICE`; null leaves it as inherited.
   */
  nice?: number | null;
  /** Where a refused priority is reported (the thread then runs as before). */
  log?: WarnLogger;
}

/**
 * How long past its own deadline an export may take to answer before it counts as failed here (a thread that
 * stopped answering). The clock starts once the thread is up: loading it (through tsx in tests) is not part of the export.
 */
const ANSWER_GRACE_MS = 1000;
/** The outcome of an export the thread answered with its bare id. */
const OK: ExportOutcome = { ok: true };

/** How long `shutdown` waits for the thread to close its connections before ending it. */
const SHUTDOWN_WAIT_MS = 2000;

/** The thread's entry: `export-worker` beside this file (util/worker-thread.ts: dist/ or the sources). */
function startThread(workerData: ExportThreadData): Worker {
  return startModuleThread(import.meta.url, 'export-worker', { workerData, name: 'tagway-otlp-export' });
}

interface Pending { resolve: (outcome: ExportOutcome) => void; timeoutMs: number; timer: NodeJS.Timeout | undefined; slot: Slot | undefined }

/** Shared memory a batch is framed into and read from by the thread, reused while exports succeed. */
interface Slot { memory: SharedArrayBuffer; busy: boolean }

/** Slots kept: one export runs at a time (the batch processor's rule); a second covers a flush overlapping it. */
const MAX_SLOTS = 2;

/**
 * Posts batches from a thread of its own, when `tracing.exportThread` is set; by default the gateway posts from the
 * serving loop (InlineChannel, channel.ts, says why: now that the exporters have lean clients of their own, the thread
 * costs a busy core more than it spares it). Why the thread was the default once: with the exporter on the request
 * loop, its `node:http` client (ClientRequest, IncomingMessage, the HTTP parser, AbortSignals, timers) ran through
 * the same Node internals as the gateway's server responses, and a few exports a second were enough to make that
 * shared code slower for every request: at sampleRate 0.01 the gateway spent ~8% more CPU per request posting than
 * not posting at all, far beyond the posting itself (bench/run.ts --together, README). Here the main thread frames a batch (resource
 * and scope around the encoded spans) into memory it shares with the thread (below); the thread gzips, posts,
 * retries under the deadline and answers with the outcome.
 *
 * Shared, never transferred: a transfer detaches an ArrayBuffer, and the first detach in a process invalidates V8's
 * ArrayBufferDetaching protector for good (`node --trace-protector-invalidation` shows it). From then on every
 * typed-array and Buffer access of the process's optimized code (the HTTP parsers, socket writes) checks for a
 * detached buffer, and the gateway spent 20–40% more CPU per request at sampleRate 0.01 than at 0, after a single
 * export (bench/run.ts --together, README). A framed batch is copied into a SharedArrayBuffer slot that the thread reads in
 * place and that is reused after each successful export: no allocation per batch on either side (a buffer per
 * batch cost the thread a garbage collection every few exports). When both slots are in use, a batch is copied
 * through postMessage as before.
 *
 * The thread lowers its own priority (nice 10, util/thread-priority.ts): woken by a batch, a thread of equal
 * priority took the core from the serving loop at once, for the ~0.5 ms a 512-span POST costs, in the middle of
 * requests in flight.
 *
 * The thread does not keep the process alive while idle; it does while an export is pending, as the socket of an
 * export did on this thread. Startup errors (unreadable TLS files, a bad endpoint) still throw here, at construction.
 *
 * @example
 * const channel = new WorkerChannel({ protocol: 'http/protobuf', endpoint: 'http://127.0.0.1:4318/v1/traces', … });
 * const outcome = await channel.send(batch, 10_000); // { ok: true } or { ok: false, error: 'TAGWAY_…: …' }
 * await channel.shutdown();
 */
export class WorkerChannel implements ExportChannel {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #slots: Slot[] = [];
  /** Where each batch is framed before it is copied into a slot. */
  readonly #scratch = new BodyBuffer(256 * 1024);
  #next = 1;
  #ready = false;
  /** Why the thread is gone ('' while it runs). */
  #gone = '';
  #closed: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(target: ExportTarget, options: WorkerChannelOptions = {}) {
    const nice = options.nice === null ? undefined : options.nice ?? EXPORT_THREAD_NICE;
    // libuv's thread pool (gzip runs there) inherits the priority of the thread that starts it: started here
    if (nice !== undefined) startThreadPool();
    this.#worker = startThread({ target: resolveExportTarget(target), ...(nice === undefined ? {} : { nice }) });
    this.#worker.unref();
    this.#worker.on('message', (message: FromExportThread) => {
      if (typeof message === 'number') { this.#settle(message, OK); return; }
      if (message.type === 'closed') { this.#closed?.(); return; }
      if (message.type === 'ready') {
        this.#ready = true;
        const p = message.priority;
        if (p !== undefined && !p.ok) options.log?.warn('tracing: could not lower the export thread\'s priority: posting spans competes with requests for the CPU', { error: p.error });
        for (const [id, pending] of this.#pending) this.#guard(id, pending);
        return;
      }
      this.#settle(message.id, message.outcome);
    });
    this.#worker.on('error', (err) => this.#lost(`TAGWAY_EXPORT_THREAD: the export thread failed: ${err.message}`));
    this.#worker.on('exit', (code) => this.#lost(`TAGWAY_EXPORT_THREAD: the export thread exited (code ${code})`));
  }

  send(batch: EncodedBatch, timeoutMs: number): Promise<ExportOutcome> {
    if (this.#gone !== '') return Promise.resolve({ ok: false, error: this.#gone });
    // Framed into a buffer reused from batch to batch, then copied whole into a shared slot the thread reads in place
    // (no allocation per batch on either side), or, when every slot is in use, into memory of its own that postMessage
    // copies. Why not frame straight into the slot: the spans then land at the header's length, an odd offset, and V8
    // copies into shared memory byte by byte unless both sides are word-aligned (43 µs against 5.6 µs for 120 KB,
    // measured): from offset 0 to offset 0 it is one aligned copy.
    const scratch = this.#scratch;
    scratch.reset();
    batch.frame(scratch, batch.spans);
    const framed = scratch.bytes();
    const slot = this.#slot(framed.byteLength);
    let bytes: Uint8Array;
    if (slot !== undefined) {
      bytes = new Uint8Array(slot.memory, 0, framed.byteLength);
      bytes.set(framed);
    } else {
      bytes = Buffer.from(framed); // sized to the batch: postMessage copies a view's whole ArrayBuffer
    }
    const id = this.#next++;
    return new Promise((resolve) => {
      if (this.#pending.size === 0) this.#worker.ref();
      const pending: Pending = { resolve, timeoutMs, timer: undefined, slot };
      this.#pending.set(id, pending);
      if (this.#ready) this.#guard(id, pending);
      this.#worker.postMessage({ type: 'post', id, body: bytes, timeoutMs } satisfies ToExportThread);
    });
  }

  /** Aborts what is in flight in the thread (its outcomes still arrive, as failures), closes its connections, ends it. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#gone === '') {
        const closed = new Promise<void>((resolve) => { this.#closed = resolve; });
        this.#worker.postMessage({ type: 'shutdown' } satisfies ToExportThread);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_WAIT_MS); })]);
        clearTimeout(timer);
      }
      this.#gone ||= 'TAGWAY_EXPORT_THREAD: exporter is shut down';
      await this.#worker.terminate();
    })();
    return this.#stopping;
  }

  #guard(id: number, pending: Pending): void {
    const ms = pending.timeoutMs + ANSWER_GRACE_MS;
    pending.timer = setTimeout(() => this.#settle(id, { ok: false, error: `TAGWAY_EXPORT_TIMEOUT: the export thread did not answer within ${ms}ms` }, false), ms);
    pending.timer.unref();
  }

  /** A free slot of at least `size` bytes (a small one is replaced by a larger one), or undefined when all are in use. */
  #slot(size: number): Slot | undefined {
    let slot = this.#slots.find((s) => !s.busy);
    if (slot === undefined) {
      if (this.#slots.length >= MAX_SLOTS) return undefined;
      slot = { memory: new SharedArrayBuffer(0), busy: false };
      this.#slots.push(slot);
    }
    if (slot.memory.byteLength < size) slot.memory = new SharedArrayBuffer(Math.ceil(size * 1.25));
    slot.busy = true;
    return slot;
  }

  /**
   * `fromThread`: the thread's own answer. Only then is the batch's slot free again, and only after a success:
   * a failed or abandoned export may have left the bytes in a socket's queue, so its slot is dropped instead.
   */
  #settle(id: number, outcome: ExportOutcome, fromThread = true): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // answered after its grace period: already counted as failed
    this.#pending.delete(id);
    const slot = pending.slot;
    if (slot !== undefined) {
      const at = this.#slots.indexOf(slot);
      if (fromThread && outcome.ok) slot.busy = false;
      else if (at !== -1) this.#slots.splice(at, 1);
    }
    clearTimeout(pending.timer);
    if (this.#pending.size === 0) this.#worker.unref();
    pending.resolve(outcome);
  }

  #lost(why: string): void {
    if (this.#gone === '') this.#gone = why;
    for (const id of [...this.#pending.keys()]) this.#settle(id, { ok: false, error: this.#gone }, false);
    this.#closed?.();
  }
}
