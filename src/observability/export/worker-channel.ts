import { Worker } from 'node:worker_threads';
import type { TracingConfig } from '../../static/types.ts';
import { describeExportError, ExportTimeoutError } from './errors.ts';
import type { ExportChannel, ExportOutcome } from './channel.ts';
import type { EncodedBatch } from './span-queue.ts';

export interface WorkerData { http: TracingConfig['otlp']['http']; userAgent: string }
export type ToWorker =
  | { type: 'export'; id: number; timeoutMs: number; batch: EncodedBatch }
  | { type: 'shutdown' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; outcome: ExportOutcome }
  | { type: 'closed' };

/** The worker settles each export at its own deadline; this one only catches a worker that stopped answering. */
const BACKSTOP_GRACE_MS = 2000;
/** How long shutdown waits for the worker to close its connections before terminating it. */
const CLOSE_WAIT_MS = 500;

interface Pending { batch: EncodedBatch; timeoutMs: number; resolve: (o: ExportOutcome) => void; backstop: NodeJS.Timeout | undefined }

/**
 * The worker's entry code. Node 20 does not pass `--import tsx` hooks on to worker threads, so the worker
 * registers tsx itself (resolved here, from this file) before importing export-worker.ts; where tsx is
 * absent the plain import is tried, and if that fails too the channel falls back to this thread.
 */
function bootstrap(): string {
  const entry = JSON.stringify(new URL('./export-worker.ts', import.meta.url).href);
  let tsx: string | undefined;
  try { tsx = import.meta.resolve('tsx/esm/api'); } catch { tsx = undefined; }
  return tsx === undefined ? `import(${entry});` : `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${entry}); });`;
}

/**
 * Exports through a `worker_threads` Worker (export-worker.ts): the batch crosses as its encoded
 * bytes (one copy), and framing, HTTP, retries and timeouts all run on the worker's thread. The worker is unref'd (it never holds the process open). If it cannot start (no
 * TypeScript loader in the worker, say), batches go to `fallback()` on this thread instead.
 *
 * @example
 * const channel = new WorkerChannel(config.otlp.http, 'tagway/0.1.0', () => new InlineChannel(createExporter(…)));
 * const outcome = await channel.send({ resource, scopes, records }, 10_000);
 */
export class WorkerChannel implements ExportChannel {
  readonly #worker: Worker;
  readonly #fallback: () => ExportChannel;
  readonly #pending = new Map<number, Pending>();
  #inline: ExportChannel | undefined;
  #nextId = 1;
  #ready = false;
  #gone = false;
  #closing: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;

  constructor(http: TracingConfig['otlp']['http'], userAgent: string, fallback: () => ExportChannel) {
    this.#fallback = fallback;
    this.#worker = new Worker(bootstrap(), { eval: true, workerData: { http, userAgent } satisfies WorkerData });
    this.#worker.unref();
    this.#worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#worker.on('error', (error: Error) => this.#onGone(error));
    this.#worker.on('exit', () => this.#onGone(undefined));
  }

  send(batch: EncodedBatch, timeoutMs: number): Promise<ExportOutcome> {
    if (this.#gone) return this.#inlineChannel().send(batch, timeoutMs);
    const id = this.#nextId++;
    return new Promise<ExportOutcome>((resolve) => {
      const pending: Pending = { batch, timeoutMs, resolve, backstop: undefined };
      this.#pending.set(id, pending);
      // armed once the worker runs: its start-up (a second or so, compiling TypeScript) is not the export's time
      if (this.#ready) this.#arm(id, pending);
      this.#worker.postMessage({ type: 'export', id, timeoutMs, batch } satisfies ToWorker);
    });
  }

  #arm(id: number, p: Pending): void {
    p.backstop = setTimeout(() => {
      this.#pending.delete(id);
      p.resolve({ ok: false, error: describeExportError(new ExportTimeoutError(p.timeoutMs)) });
    }, p.timeoutMs + BACKSTOP_GRACE_MS);
    p.backstop.unref();
  }

  shutdown(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#gone) {
        const closed = new Promise<void>((resolve) => {
          this.#onClosed = resolve;
          setTimeout(resolve, CLOSE_WAIT_MS).unref();
        });
        this.#worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
        await closed;
        await this.#worker.terminate();
      }
      await this.#inline?.shutdown();
    })();
    return this.#closing;
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'result') {
      const p = this.#pending.get(message.id);
      if (!p) return; // the backstop already settled it
      this.#pending.delete(message.id);
      clearTimeout(p.backstop);
      p.resolve(message.outcome);
    } else if (message.type === 'ready') {
      this.#ready = true;
      for (const [id, p] of this.#pending) this.#arm(id, p);
    } else {
      this.#onClosed?.();
    }
  }

  /** The worker failed or exited: batches it never started go inline, the others fail. */
  #onGone(error: Error | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    const startedOnce = this.#ready;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.backstop);
      if (!startedOnce && this.#closing === undefined) void this.#inlineChannel().send(p.batch, p.timeoutMs).then(p.resolve);
      else p.resolve({ ok: false, error: error ? `export worker failed: ${error.message}` : 'exporter shut down' });
    }
  }

  #inlineChannel(): ExportChannel {
    return (this.#inline ??= this.#fallback());
  }
}
