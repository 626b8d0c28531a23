/**
 * Waiting in tests: on a condition, with a bound, never on a bare sleep. Prefer an event (a collector's
 * `waitForSpans`, a gateway's `reload`); `waitFor` polls a condition that has no event to wait on.
 */

export interface WaitOptions {
  /** Fail after this long (default 5,000 ms): far from the time the condition normally takes. */
  timeoutMs?: number;
  /** Poll every this many ms (default 5). */
  intervalMs?: number;
}

/**
 * Resolves once `check()` is true (checked at once, then every `intervalMs`); rejects after `timeoutMs`
 * naming `what` and, when given, what `describe()` says about the state then.
 *
 * @example
 * await waitFor('a failed export', () => tracing.stats().failedExports > 0);
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: WaitOptions & { describe?: () => string } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${options.describe ? `: ${options.describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
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
