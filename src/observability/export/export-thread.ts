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
export type FromExportThread = { type: 'ready'; priority?: PriorityOutcome } | { type: 'outcome'; id: number; outcome: ExportOutcome } | { type: 'closed' };

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
/** How long `shutdown` waits for the thread to close its connections before ending it. */
const SHUTDOWN_WAIT_MS = 2000;

/** The thread's entry: `export-worker` beside this file (util/worker-thread.ts: dist/ or the sources). */
function startThread(workerData: ExportThreadData): Worker {
  return startModuleThread(import.meta.url, 'export-worker', { workerData, name: 'tagway-otlp-export' });
}

interface Pending { resolve: (outcome: ExportOutcome) => void; timeoutMs: number; timer: NodeJS.Timeout | undefined }

/**
 * Posts batches from a thread of its own. Why: with the exporter on the request loop, its `node:http` client
 * (ClientRequest, IncomingMessage, the HTTP parser, AbortSignals, timers) runs through the same Node internals
 * as the gateway's server responses, and a few exports a second were enough to make that shared code slower for
 * every request: at sampleRate 0.01 the gateway spent ~8% more CPU per request posting than not posting at all,
 * far beyond the posting itself (bench/run.ts --together, README). Here the main thread frames a batch (resource
 * and scope around the encoded spans) into a buffer of its own and posts a copy of it; the thread gzips, posts,
 * retries under the deadline and answers with the outcome.
 *
 * Copied, never transferred: a transfer detaches an ArrayBuffer, and the first detach in a process invalidates V8's
 * ArrayBufferDetaching protector for good (`node --trace-protector-invalidation` shows it). From then on every
 * typed-array and Buffer access of the process's optimized code (the HTTP parsers, socket writes) checks for a
 * detached buffer, and the gateway spent 20–40% more CPU per request at sampleRate 0.01 than at 0, after a single
 * export (bench/run.ts --together, README). Copying a batch costs a memcpy of its bytes, once per batch.
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
    // framed into memory of its own, sized to the batch: postMessage copies its whole ArrayBuffer (see the class
    // doc: never a transfer), and a buffer reused from batch to batch would be copied at its largest size
    const body = new BodyBuffer(batch.spans.byteLength + 1024);
    batch.frame(body, batch.spans);
    const bytes = body.bytes();
    const id = this.#next++;
    return new Promise((resolve) => {
      if (this.#pending.size === 0) this.#worker.ref();
      const pending: Pending = { resolve, timeoutMs, timer: undefined };
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
    pending.timer = setTimeout(() => this.#settle(id, { ok: false, error: `TAGWAY_EXPORT_TIMEOUT: the export thread did not answer within ${ms}ms` }), ms);
    pending.timer.unref();
  }

  #settle(id: number, outcome: ExportOutcome): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // answered after its grace period: already counted as failed
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (this.#pending.size === 0) this.#worker.unref();
    pending.resolve(outcome);
  }

  #lost(why: string): void {
    if (this.#gone === '') this.#gone = why;
    for (const id of [...this.#pending.keys()]) this.#settle(id, { ok: false, error: this.#gone });
    this.#closed?.();
  }
}
