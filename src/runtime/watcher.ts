import type { Message } from '../dynamic/types.ts';

/**
 * Holds the last message of every provider and coalesces them into rebuilds, as Traefik's
 * configuration watcher does (`throttleProviderConfigReload`): a provider's configuration applies at once,
 * then that provider's next one waits out the throttle; a burst of messages becomes one rebuild, handed
 * every provider's latest snapshot.
 *
 * @example
 * const watcher = new ConfigurationWatcher(2000, (messages) => runtime.apply(messages));
 * provider.provide((m) => watcher.push(m), signal);
 */
export class ConfigurationWatcher {
  readonly #throttleMs: number;
  readonly #apply: (messages: ReadonlyMap<string, Message>) => void;
  readonly #messages = new Map<string, Message>();
  /** Providers whose latest message is not applied yet, and when each one's configuration was last applied. */
  readonly #pending = new Set<string>();
  readonly #appliedAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #due = 0;
  #closed = false;

  constructor(throttleMs: number, apply: (messages: ReadonlyMap<string, Message>) => void) {
    this.#throttleMs = throttleMs;
    this.#apply = apply;
  }

  /** Takes a provider's whole snapshot (it replaces that provider's previous one). */
  push(message: Message): void {
    if (this.#closed) return;
    this.#messages.set(message.providerName, message);
    this.#pending.add(message.providerName);
    // Delaying a provider's first configuration too would leave the gateway (and /ping) answering 404
    // for the whole throttle after start.
    const now = Date.now();
    const due = Math.max(now, (this.#appliedAt.get(message.providerName) ?? -Infinity) + this.#throttleMs);
    if (this.#timer && this.#due <= due) return; // an earlier rebuild will take this message too
    clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#flush(); }, due - now);
    this.#timer.unref();
  }

  /** Stops: no rebuild after this. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    if (this.#closed) return;
    const appliedAt = Date.now();
    for (const provider of this.#pending) this.#appliedAt.set(provider, appliedAt);
    this.#pending.clear();
    this.#apply(this.#messages);
  }
}
