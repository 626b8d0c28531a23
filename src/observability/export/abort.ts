/** A handler's remover once there is nothing left to remove. */
function nothing(): void {}

/**
 * What the export path needs of AbortController and AbortSignal, in one plain object: `aborted` and `reason`,
 * handlers run once on abort, an unref'd timeout, and a parent it aborts with. Why not AbortController: an export
 * made three of them (its deadline, its retry loop, each attempt), each with a listener, and on the export thread,
 * whose code runs a few dozen times a second and so never gets hot, Node's EventTarget-based signals came to ~0.6 of
 * the thread's ~4 CPU µs per traced request (`bench/perf-tracing.ts --thread=export`: createAbortSignal,
 * add/removeEventListener, their runtime calls). Nothing outside the exporters sees one: node:http2's stream is
 * reset through `onAbort`, the socket of an OTLP/HTTP post destroyed the same way.
 *
 * @example
 * const deadline = new Abort().timeout(30_000, () => new ExportTimeoutError(30_000));
 * const attempt = new Abort(deadline).timeout(10_000, () => new Error('attempt timed out'));
 * const off = attempt.onAbort((reason) => socket.destroy(reason));
 * try { await post(attempt); } finally { off(); attempt.dispose(); deadline.dispose(); }
 */
export class Abort {
  aborted = false;
  /** Why it aborted (set with `aborted`). */
  reason: Error | undefined = undefined;
  #handlers: Array<(reason: Error) => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #unlink: () => void = nothing;

  /** `parent`: this one aborts when the parent does, with its reason (at once when it already has). */
  constructor(parent?: Abort) {
    if (parent === undefined) return;
    if (parent.aborted) this.abort(parent.reason!);
    else this.#unlink = parent.onAbort((reason) => this.abort(reason));
  }

  /** Aborts (once: later calls change nothing) and runs the handlers, in the order they were added. */
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispose();
    const handlers = this.#handlers;
    this.#handlers = [];
    for (const handler of handlers) handler(reason);
  }

  /** Runs `handler` once when this aborts, at once when it already has; returns what removes it. */
  onAbort(handler: (reason: Error) => void): () => void {
    if (this.aborted) { handler(this.reason!); return nothing; }
    this.#handlers.push(handler);
    // the list as it is when removed: once aborted that is a new, empty one, and the list `abort` walks stays whole
    // (a child disposing itself from inside its parent's abort would otherwise make the walk skip the next handler)
    return () => {
      const handlers = this.#handlers;
      const at = handlers.indexOf(handler);
      if (at !== -1) handlers.splice(at, 1);
    };
  }

  /** Aborts with `reason()` after `ms`, unless it aborted or was disposed first; the timer never holds the process open. */
  timeout(ms: number, reason: () => Error): this {
    if (this.aborted) return this;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.abort(reason()), ms);
    this.#timer.unref();
    return this;
  }

  /** Done with it: its timer stops and its parent forgets it (what it already did stays done). */
  dispose(): void {
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    this.#unlink();
    this.#unlink = nothing;
  }
}
