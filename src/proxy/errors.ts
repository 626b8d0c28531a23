import { STATUS_CODES } from 'node:http';
import { ProxyError, type ProxyErrorCode } from '../http/errors.ts';

/** Non-standard status for a client that went away before the answer (nginx, Traefik). */
export const STATUS_CLIENT_CLOSED_REQUEST = 499;

/** Socket-level failures (Go's non-timeout `net.Error`): the upstream is unreachable or hung up → 502. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const UNREACHABLE_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN',
  'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_INFO', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Go's `netErr.Timeout()` → 504. */
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Maps an upstream failure to the status the client gets, as Traefik's `ComputeStatusCode` does:
 * EOF and socket errors → 502, timeouts → 504, a cancelled request (client gone) → 499, anything
 * else → 500. Pure: reads only `code`/`name` along the `cause` chain.
 *
 * @example
 * statusForError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) // 502
 */
export function statusForError(err: unknown): number {
  return classify(err)[1];
}

/**
 * Wraps any failure of an upstream attempt into a `ProxyError` with a stable code (the original is
 * kept as `cause`). A `ProxyError` is returned as is.
 *
 * @example
 * const e = toProxyError(err); if (e.code === 'TAGWAY_UPSTREAM_TIMEOUT') …
 */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const [code, status] = classify(err);
  const message = err instanceof Error ? err.message : String(err);
  return new ProxyError(code, status, message || statusText(status), { cause: err });
}

/** Text body Traefik writes for a failed attempt ("Bad Gateway", "Client Closed Request"…). */
export function statusText(status: number): string {
  return status === STATUS_CLIENT_CLOSED_REQUEST ? 'Client Closed Request' : STATUS_CODES[status] ?? 'Error';
}

/** The error used to abort an upstream request whose client disconnected. */
export function clientGoneError(): ProxyError {
  return new ProxyError('TAGWAY_CLIENT_GONE', STATUS_CLIENT_CLOSED_REQUEST, 'client closed the connection before the upstream answered');
}

/** Upstream did not send its response head within the configured `responseHeaderTimeout`. */
export function headerTimeoutError(ms: number): ProxyError {
  return new ProxyError('TAGWAY_UPSTREAM_TIMEOUT', 504, `upstream sent no response head within ${ms}ms (responseHeaderTimeout)`);
}

function classify(err: unknown): [ProxyErrorCode, number] {
  let e: unknown = err;
  // Walk a few causes: undici and our own wrappers nest the socket error one or two levels down.
  for (let depth = 0; depth < 4 && e != null && typeof e === 'object'; depth++) {
    if (e instanceof ProxyError) return [e.code, e.status];
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') {
      if (code === 'ECONNREFUSED') return ['TAGWAY_UPSTREAM_REFUSED', 502];
      if (TIMEOUT_CODES.has(code)) return ['TAGWAY_UPSTREAM_TIMEOUT', 504];
      if (RESET_CODES.has(code)) return ['TAGWAY_UPSTREAM_RESET', 502];
      if (UNREACHABLE_CODES.has(code)) return ['TAGWAY_UPSTREAM_ERROR', 502];
      // llhttp parse errors: the upstream answered something that is not HTTP.
      if (code.startsWith('HPE_')) return ['TAGWAY_UPSTREAM_ERROR', 502];
      if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return ['TAGWAY_CLIENT_GONE', STATUS_CLIENT_CLOSED_REQUEST];
    }
    if (name === 'AbortError') return ['TAGWAY_CLIENT_GONE', STATUS_CLIENT_CLOSED_REQUEST];
    if (name === 'TimeoutError') return ['TAGWAY_UPSTREAM_TIMEOUT', 504];
    e = (e as { cause?: unknown }).cause;
  }
  return ['TAGWAY_UPSTREAM_ERROR', 500];
}

/** The slice of tagway's logger the proxy uses (src/util/log.ts `Logger` satisfies it). */
export interface ProxyLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Drops everything (the default when no logger is given). */
export const silentProxyLogger: ProxyLogger = { debug() {}, warn() {} };
