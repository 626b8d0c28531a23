import { EventEmitter } from 'node:events';
import type { AgentServiceRegistration, CheckStatus, DevCatalog } from '../../../src/dev/devcatalog/index.ts';
import { createLogger, type Logger } from '../../../src/util/log.ts';
import { request } from '../../support/upstream.ts';

/** The observability block every router shows when nothing sets it. */
export const DEFAULT_OBS = { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal' } as const;
export const DEFAULT_SOURCES = { accessLogs: 'default', metrics: 'default', tracing: 'default', traceVerbosity: 'default' } as const;
/** What the Consul Catalog provider puts in every load balancer besides the servers (Traefik's SetDefaults). */
export const LB_DEFAULTS = { strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } } as const;

/**
 * An agent registration as an operator writes it: one instance with tags and a passing TTL check
 * (check ID `check-<id>`, so tests can flip it).
 */
export function instance(id: string, name: string, port: number, tags: string[] = [], extra: Partial<AgentServiceRegistration> = {}, status: CheckStatus = 'passing'): AgentServiceRegistration {
  return { ID: id, Name: name, Address: '127.0.0.1', Port: port, Tags: tags, Check: { CheckID: `check-${id}`, TTL: '10m', Status: status }, ...extra };
}

export function registerAll(dc: DevCatalog, defs: AgentServiceRegistration[]): void {
  for (const d of defs) dc.register(d);
}

/** GET an admin path; JSON body when the answer is JSON, text otherwise. */
export async function api<T = unknown>(admin: string, path: string): Promise<{ status: number; body: T; headers: Headers; text: string }> {
  const res = await fetch(admin + path);
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: body as T, headers: res.headers, text };
}

/** GET through the `web` entry point with a Host header; the upstream's JSON echo parsed when present. */
export async function via(web: string, host: string, path = '/'): Promise<{ status: number; upstream?: string; url?: string; body: string }> {
  const r = await request(web + path, { headers: { host } });
  let echo: { name?: string; url?: string } = {};
  try { echo = JSON.parse(r.body) as typeof echo; } catch { /* not an echo */ }
  return { status: r.status, upstream: echo.name, url: echo.url, body: r.body };
}

/**
 * A logger that also wakes waiters on every line: the way to wait, without polling or sleeping,
 * for provider state that causes no reload (an error while the configuration stays the same).
 */
export class LogWatch {
  readonly lines: string[] = [];
  readonly logger: Logger;
  #events = new EventEmitter();
  constructor() {
    this.logger = createLogger({ level: 'INFO', write: (line) => { this.lines.push(line); this.#events.emit('line'); } });
  }
  /** Resolves once `check()` is truthy (tested now and after each log line); bounded. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#events.off('line', test); reject(new Error(`timed out waiting for ${what}; last log lines: ${this.lines.slice(-4).join(' | ')}`)); }, timeoutMs);
      const test = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.#events.off('line', test);
        resolve();
      };
      this.#events.on('line', test);
    });
  }
}
