/**
 * How an entry point's `node:http` server is configured: Traefik's `transport.respondingTimeouts` and
 * `http.maxHeaderBytes` mapped onto Node's levers, in one place so every listener (cleartext, TLS) builds
 * the same server.
 *
 * Traefik hands these to Go's `http.Server` (pkg/server/server_entrypoint_tcp.go):
 * - `readTimeout` (default 60s) bounds reading one whole request, headers and body, from its first byte;
 *   a connection that sends nothing is bounded too (Traefik sets the deadline at accept). Node's
 *   `headersTimeout` and `requestTimeout` measure the same span (from the parser's message start, or from
 *   the connection for its first request), but Node only looks every `connectionsCheckingInterval`
 *   (default 30 s), so a 5 s limit would close at up to 35 s: the interval here is a twentieth of the
 *   limit, at most 1 s.
 * - `writeTimeout` (default 0: none) bounds the time from the end of the request headers to the end of the
 *   response (Go's write deadline). Node has no such lever (`server.timeout` is an inactivity timer); one
 *   timer per request closes the connection when it is exceeded.
 * - `idleTimeout` (default 180s) bounds a keep-alive connection waiting for its next request; as in Go,
 *   0 means "use readTimeout". Node's `keepAliveTimeout` is that timer.
 * - `maxHeaderBytes` (default 1 MiB, Go's `DefaultMaxHeaderBytes`) bounds the request line and headers;
 *   Node's `maxHeaderSize` (16 KiB by default) is that limit. Over it: 431.
 * When a limit is hit Node reports a `clientError`; the connection is then destroyed, never half-closed (an
 * HTTP server socket allows half-open connections, so `end()` alone would leave a trickling client's
 * connection open for as long as it likes).
 *
 * HTTP/2 (h2c and h2) has none of these levers in Node; `guardHttp2Server` applies Go's http2 rules: a
 * session with no open stream is closed (GOAWAY) after idleTimeout, a stream whose request body is not in
 * after readTimeout, or whose answer is not done after writeTimeout, is reset.
 */
import type { Server, ServerOptions, IncomingMessage, ServerResponse } from 'node:http';
import { constants as h2constants, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { EntryPointConfig } from '../static/types.ts';
import type { Logger } from '../util/log.ts';

/** Go's http.DefaultMaxHeaderBytes, Traefik's default `maxHeaderBytes`. */
export const DEFAULT_MAX_HEADER_BYTES = 1 << 20;

/** Node checks its header and request timeouts this often at most (ms), whatever the limit. */
const MAX_CHECK_INTERVAL = 1000;
const MIN_CHECK_INTERVAL = 10;

/** The `idleTimeout` Go applies: `idleTimeout`, else `readTimeout` (both 0: none). */
export function effectiveIdleTimeout(t: EntryPointConfig['transport']['respondingTimeouts']): number {
  return t.idleTimeout > 0 ? t.idleTimeout : t.readTimeout;
}

/**
 * The options of an entry point's `node:http` (or `node:https`) server.
 * @example
 * const server = createServer(httpServerOptions(ep));
 * guardHttpServer(server, ep, log, 'web');
 */
export function httpServerOptions(ep: EntryPointConfig): ServerOptions {
  const { readTimeout } = ep.transport.respondingTimeouts;
  return {
    requestTimeout: readTimeout,
    headersTimeout: readTimeout,
    connectionsCheckingInterval: readTimeout > 0
      ? Math.min(MAX_CHECK_INTERVAL, Math.max(MIN_CHECK_INTERVAL, Math.floor(readTimeout / 20)))
      : 30_000,
    keepAliveTimeout: effectiveIdleTimeout(ep.transport.respondingTimeouts),
    maxHeaderSize: ep.http.maxHeaderBytes > 0 ? ep.http.maxHeaderBytes : DEFAULT_MAX_HEADER_BYTES,
  };
}

/** Go's answers to a request it cannot read; a timeout gets 408 (Go closes without a word). */
const CLIENT_ERROR_HEADS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};

/**
 * Installs what `httpServerOptions` cannot express: the answer to unreadable requests (then the connection
 * is destroyed) and the per-request `writeTimeout`.
 */
export function guardHttpServer(server: Server, ep: EntryPointConfig, log: Logger, entryPoint: string): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const head = CLIENT_ERROR_HEADS[err.code ?? ''] ?? '400 Bad Request';
      socket.write(`HTTP/1.1 ${head}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
    log.debug('client error', { entryPoint, error: err.message, code: err.code });
  });
  const { writeTimeout } = ep.transport.respondingTimeouts;
  if (writeTimeout > 0) server.on('request', writeDeadline(writeTimeout));
}

/** Closes the connection of a response not finished `ms` after its request's headers were read (Go's write deadline). */
function writeDeadline(ms: number): (req: IncomingMessage, res: ServerResponse) => void {
  return function armWriteDeadline(req, res) {
    const timer = setTimeout(() => { req.socket.destroy(); }, ms);
    res.once('close', () => clearTimeout(timer));
  };
}

/**
 * Go's HTTP/2 server timeouts on a `node:http2` server (see the module comment).
 * @example
 * guardHttp2Server(h2, ep);
 */
export function guardHttp2Server(h2: Http2Server, ep: EntryPointConfig): void {
  const timeouts = ep.transport.respondingTimeouts;
  const idle = effectiveIdleTimeout(timeouts);
  if (idle > 0) h2.on('session', (session: Http2Session) => closeWhenIdle(session, idle));
  if (timeouts.readTimeout > 0 || timeouts.writeTimeout > 0) {
    h2.on('stream', (stream: ServerHttp2Stream) => streamDeadlines(stream, timeouts.readTimeout, timeouts.writeTimeout));
  }
}

/** Closes a session once it has had no open stream for `ms` (Go's http2 idle timer). */
function closeWhenIdle(session: Http2Session, ms: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => { if (!session.closed && !session.destroyed) session.close(); }, ms);
    timer.unref();
  };
  arm();
  session.on('stream', (stream: ServerHttp2Stream) => {
    if (open++ === 0) clearTimeout(timer);
    stream.once('close', () => { if (--open === 0 && !session.closed && !session.destroyed) arm(); });
  });
  session.once('close', () => clearTimeout(timer));
}

/** Resets a stream whose request body is not in after `read` ms, or whose answer is not done after `write` ms. */
function streamDeadlines(stream: ServerHttp2Stream, read: number, write: number): void {
  const reset = (): void => { if (!stream.closed && !stream.destroyed) stream.close(h2constants.NGHTTP2_CANCEL); };
  const readTimer = read > 0 && !stream.endAfterHeaders ? setTimeout(reset, read) : undefined;
  const writeTimer = write > 0 ? setTimeout(reset, write) : undefined;
  if (readTimer) stream.once('end', () => clearTimeout(readTimer));
  stream.once('close', () => { clearTimeout(readTimer); clearTimeout(writeTimer); });
}
