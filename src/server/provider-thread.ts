/**
 * The Consul Catalog provider on its own thread (issue 17): with `workers: 1` the process that serves requests also
 * watches Consul, and parsing and diffing a catalog of thousands of services on every change would stall requests
 * for tens of milliseconds each time. A `node:worker_threads` Worker runs the provider (provider-thread-main.ts) and
 * posts only what changed, as the cluster's primary does for its workers (deltas.ts). The main thread keeps what the
 * API and the operator see: the provider's status, its log lines, and the shutdown. A thread that dies is reported
 * (log and status) and started again after a growing delay; the last good configuration keeps routing meanwhile.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../util/worker-thread.ts';
import type { ConsulCatalogConfig } from '../static/types.ts';
import type { Message } from '../dynamic/types.ts';
import type { Provider, ProviderStatus } from '../providers/provider.ts';
import type { Logger, LogLevel } from '../util/log.ts';
import { DeltaReceiver } from './deltas.ts';
import type { FromThread, ThreadData, ToThread } from './provider-thread-protocol.ts';
import { PROVIDER_THREAD_NICE, startThreadPool } from '../util/thread-priority.ts';

export interface ProviderThreadOptions {
  logger: Logger;
  /** First delay before a thread that died is started again, ms; doubled each time up to `maxRestartMs`. */
  restartMs?: number;
  maxRestartMs?: number;
  /** How often the thread posts its provider's status when it changed, ms. */
  statusEveryMs?: number;
  /** How long a stopping thread may take before it is terminated, ms. */
  stopGraceMs?: number;
  /**
   * The thread's nice value (Linux): above the serving loop's, so that a catalog change never takes the core from a
   * request (util/thread-priority.ts). Default `PROVIDER_THREAD_NICE`; null leaves it as inherited.
   */
  nice?: number | null;
}

/** A thread that ran this long before it died starts again after the first delay, not a doubled one. */
const STABLE_MS = 60_000;

/**
 * @example
 * const consul = new ProviderThread(config.providers.consulCatalog!, { logger });
 * void consul.provide((message) => runtime.push(message), signal); // resolves once the thread has ended
 * consul.status(); // the thread's last status, or the thread's failure
 */
export class ProviderThread implements Provider {
  readonly name = 'consulcatalog';
  readonly #config: ConsulCatalogConfig;
  readonly #log: Logger;
  readonly #restartMs: number;
  readonly #maxRestartMs: number;
  readonly #statusEveryMs: number;
  readonly #stopGraceMs: number;
  readonly #nice: number | undefined;
  #status: ProviderStatus = { name: 'consulcatalog' };
  #failure: { message: string; since: number } | undefined;
  #restarts = 0;
  #worker: Worker | undefined;
  #running = false;

  constructor(config: ConsulCatalogConfig, options: ProviderThreadOptions) {
    this.#config = config;
    this.#log = options.logger;
    this.#restartMs = options.restartMs ?? 500;
    this.#maxRestartMs = options.maxRestartMs ?? 30_000;
    this.#statusEveryMs = options.statusEveryMs ?? 250;
    this.#stopGraceMs = options.stopGraceMs ?? 5_000;
    this.#nice = options.nice === null ? undefined : options.nice ?? PROVIDER_THREAD_NICE;
  }

  status(): ProviderStatus {
    const s: ProviderStatus = { ...this.#status, counters: { ...this.#status.counters, threadRestarts: this.#restarts } };
    if (this.#failure) { s.error = this.#failure.message; s.errorSince = this.#failure.since; }
    return s;
  }

  /** The running thread (tests, diagnostics); undefined between a death and the restart. */
  get worker(): Worker | undefined { return this.#worker; }

  /** Runs the thread (again after each death) until `signal` aborts; resolves once the last thread has ended. */
  provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    if (this.#running) return Promise.reject(new Error('consulcatalog: provide() is already running'));
    if (signal.aborted) return Promise.resolve();
    this.#running = true;
    return new Promise<void>((resolve) => {
      let delay = this.#restartMs;
      let restartTimer: NodeJS.Timeout | undefined;
      const finish = (): void => { this.#running = false; resolve(); };
      // libuv's thread pool (fs, dns, zlib, crypto for the whole process) starts on its first use and its threads
      // inherit the nice value of the thread that started it: started here, never by the lowered provider thread.
      if (this.#nice !== undefined) startThreadPool();
      const start = (): void => {
        restartTimer = undefined;
        const startedAt = Date.now();
        const receiver = new DeltaReceiver(); // a new thread numbers its deltas from the start
        let failure: Error | undefined;
        const worker = spawnThread({ consulCatalog: this.#config, logLevel: minLevel(this.#log), statusEveryMs: this.#statusEveryMs, ...(this.#nice === undefined ? {} : { nice: this.#nice }) });
        this.#worker = worker;
        worker.on('message', (m: FromThread) => {
          switch (m.type) {
            case 'tagway:delta':
            case 'tagway:snapshot': {
              const { messages, reply } = receiver.receive(m);
              if (reply) worker.postMessage(reply satisfies ToThread);
              for (const message of messages) emit(message);
              if (messages.length > 0 && this.#failure) {
                this.#log.info('provider thread running again', { failingForMs: Date.now() - this.#failure.since });
                this.#failure = undefined;
              }
              return;
            }
            case 'tagway:status': this.#status = m.status; return;
            case 'tagway:log': this.#log[m.level](m.message, m.fields); return;
          }
        });
        worker.on('error', (err) => { failure = err; });
        worker.once('exit', (code) => {
          this.#worker = undefined;
          if (signal.aborted) { finish(); return; }
          if (Date.now() - startedAt >= STABLE_MS) delay = this.#restartMs;
          const why = failure ? failure.message : `exit code ${code}`;
          const message = `provider thread died (${why}); restarting in ${delay} ms, the last good configuration keeps routing`;
          this.#failure = { message, since: this.#failure?.since ?? Date.now() };
          this.#restarts++;
          this.#log.error('Consul catalog provider thread died; restarting it', { error: why, delayMs: delay, restarts: this.#restarts });
          restartTimer = setTimeout(start, delay);
          delay = Math.min(delay * 2, this.#maxRestartMs);
        });
      };
      signal.addEventListener('abort', () => {
        clearTimeout(restartTimer);
        const worker = this.#worker;
        if (!worker) { finish(); return; }
        worker.postMessage({ type: 'tagway:stop' } satisfies ToThread);
        // A thread stuck in a long computation is cut off; its 'exit' still resolves provide().
        const kill = setTimeout(() => { void worker.terminate(); }, this.#stopGraceMs);
        kill.unref();
        worker.once('exit', () => clearTimeout(kill));
      }, { once: true });
      start();
    });
  }
}

/** The lowest level `log` writes. */
function minLevel(log: Logger): LogLevel {
  for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const) if (log.enabled(level)) return level;
  return 'PANIC';
}

/** Starts the thread on `provider-thread-main` beside this file (util/worker-thread.ts: dist/ or the sources). */
function spawnThread(data: ThreadData): Worker {
  return startModuleThread(import.meta.url, 'provider-thread-main', { workerData: data, name: 'tagway consulcatalog' });
}
