/**
 * Waiting in tests: on a condition, with a bound, never on a bare sleep. Prefer an event (a collector's
 * `waitForSpans`, a gateway's `reload`, `waitForEvent`); `waitFor` polls a condition that has no event.
 *
 * The clock and timers used here are the real ones, captured when this module loads, so a test that
 * fakes time with `mock.timers` (setTimeout, setImmediate, Date) still waits in real time.
 */
import type { EventEmitter } from 'node:events';

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const now = (): number => performance.now();

export interface WaitOptions {
  /** Fail after this long (default 5,000 ms): far from the time the condition normally takes. */
  timeoutMs?: number;
  /** Poll every this many ms (default 5). */
  intervalMs?: number;
  /** What the state was, for the failure message. */
  describe?: () => string;
}

function timedOut(what: string, options: WaitOptions, timeoutMs: number): Error {
  return new Error(`timed out after ${timeoutMs} ms waiting for ${what}${options.describe ? `: ${options.describe()}` : ''}`);
}

/**
 * Resolves once `check()` holds (checked at once, then every `intervalMs`); rejects after `timeoutMs`,
 * naming `what`.
 *
 * @example
 * await waitFor('a failed export', () => tracing.stats().failedExports > 0);
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (now() >= deadline) throw timedOut(what, options, timeoutMs);
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves with the first value `get()` returns that is not undefined (polled like `waitFor`).
 *
 * @example
 * const line = await waitForValue('the access-log line', () => lines.find((l) => l.includes('/x')));
 */
export async function waitForValue<T>(what: string, get: () => T | undefined | Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  let value: T | undefined;
  await waitFor(what, async () => (value = await get()) !== undefined, options);
  return value!;
}

/**
 * Resolves once `check()` holds, re-checking after each `event` of `emitter` (no polling); rejects after
 * `timeoutMs`, naming `what`.
 *
 * @example
 * await waitForEvent('3 health changes', gateway, 'reload', () => changes.length >= 3);
 */
export function waitForEvent(what: string, emitter: EventEmitter, event: string, check: () => boolean, options: WaitOptions = {}): Promise<void> {
  if (check()) return Promise.resolve();
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      if (!check()) return;
      realClearTimeout(timer);
      emitter.off(event, onEvent);
      resolve();
    };
    const timer = realSetTimeout(() => { emitter.off(event, onEvent); reject(timedOut(what, options, timeoutMs)); }, timeoutMs);
    emitter.on(event, onEvent);
  });
}
