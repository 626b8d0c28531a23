import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { finished, pipeline } from 'node:stream';
import type { Buffering } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { tapResponse } from '../../http/intercept.ts';
import { restoreContext, snapshotContext, type ContextSnapshot } from '../../http/body.ts';
import type { Logger } from '../../util/log.ts';
import { compileExpression, type ExpressionFunction } from '../circuit-breaker/expression.ts';
import { optionError } from '../shared/errors.ts';
import { refuser } from '../shared/refuse.ts';
import type { Wrapper } from '../shared/types.ts';
import { BodyStore } from './store.ts';

/** oxy's DefaultMaxRetryAttempts: past it the last answer is sent whatever the retry condition says. */
const MAX_RETRY_ATTEMPTS = 10;
/** multibuf's DefaultMemBytes, also what a 0 (Traefik's unset) means. */
const DEFAULT_MEM_BYTES = 1_048_576;

/** What oxy's retry predicate reads about the attempt just made. */
interface AttemptView { attempts: number; responseCode: number }
const RETRY_FUNCTIONS: Record<string, ExpressionFunction<AttemptView>> = {
  Attempts: { arity: 0, make: () => (v) => v.attempts },
  ResponseCode: { arity: 0, make: () => (v) => v.responseCode },
  // oxy: a 502 or a 504 is a network error (what its reverse proxy answers when the upstream fails).
  IsNetworkError: { arity: 0, returns: 'bool', make: () => (v) => v.responseCode === 502 || v.responseCode === 504 },
};

/** Where the stores of one request are, so that the end of the request (or the client leaving) releases them. */
interface Held { request: BodyStore | undefined; response: BodyStore | undefined }
const heldByRequest = new WeakMap<RequestContext, Held>();

/** The request's stores, and one listener that releases them when its response closes (a retry around us reuses both). */
function heldBodies(ctx: RequestContext): Held {
  let held = heldByRequest.get(ctx);
  if (held !== undefined) return held;
  const fresh: Held = { request: undefined, response: undefined };
  heldByRequest.set(ctx, fresh);
  ctx.res.once('close', function releaseBodies() {
    fresh.request?.destroy();
    fresh.response?.destroy();
  });
  held = fresh;
  return held;
}

export interface BufferingOptions {
  /** Directory of the temporary files (default `os.tmpdir()`, read when a file is made: `TMPDIR`). */
  tempDir?: string;
  logger?: Logger;
}

/**
 * buffering (vulcand/oxy's buffer, as Traefik uses it): the whole request body is read before the service is
 * called, and the whole response before the client gets it. Each body keeps up to `memRequestBodyBytes` /
 * `memResponseBodyBytes` (default and 0: 1 MiB) in memory and writes the rest to a temporary file in
 * `os.tmpdir()` (`TMPDIR`), mode 0600, unlinked as soon as it is open and closed when the request ends, fails or
 * the client leaves; so a large `max*` costs disk, not memory. The service gets the request with a Content-Length
 * (never chunked, no `Expect`), streamed from the store; the client gets the answer with a Content-Length.
 * `maxRequestBodyBytes` (0: no limit) past → 413 "Request Entity Too Large", the upstream never called;
 * `maxResponseBodyBytes` (0: no limit) past → 500, the upstream answer dropped. `retryExpression` (oxy's
 * `Attempts()`, `ResponseCode()`, `IsNetworkError()` (502 or 504), comparisons, `&&`, `||`) calls the service
 * again with the same body (read again from the store) while it holds, up to 10 attempts. A temporary file that
 * cannot be written → 500, the reason in the log.
 * @example
 * buffering({ maxRequestBodyBytes: 200_000_000, memRequestBodyBytes: 1_048_576, retryExpression: 'IsNetworkError() && Attempts() < 2' })
 */
export function buffering(cfg: Buffering, options: BufferingOptions = {}): Wrapper {
  const maxRequest = nonNegative(cfg.maxRequestBodyBytes, 'buffering.maxRequestBodyBytes', 0);
  const maxResponse = nonNegative(cfg.maxResponseBodyBytes, 'buffering.maxResponseBodyBytes', 0);
  const memRequest = nonNegative(cfg.memRequestBodyBytes, 'buffering.memRequestBodyBytes', 0) || DEFAULT_MEM_BYTES;
  const memResponse = nonNegative(cfg.memResponseBodyBytes, 'buffering.memResponseBodyBytes', 0) || DEFAULT_MEM_BYTES;
  const { tempDir } = options;
  const log = options.logger?.child({ middlewareType: 'Buffer' });
  let retry: ((v: AttemptView) => boolean) | undefined;
  if (cfg.retryExpression) {
    try { retry = compileExpression(cfg.retryExpression, RETRY_FUNCTIONS); } catch (err) {
      throw optionError('buffering.retryExpression', `${(err as Error).message} in ${JSON.stringify(cfg.retryExpression)}`, err);
    }
  }

  function storeFailed(ctx: RequestContext, err: Error): void {
    log?.error('buffering: body store failed', { middlewareName: ctx.routerName, error: err.message });
    if (ctx.res.headersSent || ctx.res.destroyed) return;
    respond(ctx, 500, 'Internal Server Error');
  }

  return {
    wrap(next: Handler): Handler {
      return function bufferingHandler(ctx: RequestContext) {
        const refuse = refuser(ctx);
        const tooLarge = (): void => {
          refuse(`request body over maxRequestBodyBytes (${maxRequest})`);
          respond(ctx, 413, 'Request Entity Too Large', { connection: 'close' });
        };
        const req = ctx.req;
        const declared = Number(req.headers['content-length'] ?? NaN);
        if (maxRequest > 0 && declared > maxRequest) { tooLarge(); return; }
        const held = heldBodies(ctx);
        const ready = (): void => {
          const length = ctx.body?.length ?? 0;
          // The service sees a request with a known length (oxy turns chunked requests into sized ones); the body is
          // here already, so no upstream "100 Continue" is waited for.
          delete ctx.headers['transfer-encoding'];
          delete ctx.headers.expect;
          if (length > 0) ctx.headers['content-length'] = String(length);
          else delete ctx.headers['content-length'];
          attempt(ctx, next, held, 1, snapshotContext(ctx));
        };
        const read = ctx.body;
        if (read !== undefined) {
          // Another middleware read it first.
          if (maxRequest > 0 && read.length > maxRequest) { tooLarge(); return; }
          ready();
          return;
        }
        if (req.readableEnded) { ctx.body = Buffer.alloc(0); ready(); return; }
        const store = new BodyStore(memRequest, tempDir);
        held.request = store;
        let size = 0;
        const stop = (): void => {
          req.off('data', onData);
          req.off('end', onEnd);
          store.off('drain', onDrain);
        };
        function onData(chunk: Buffer): void {
          size += chunk.length;
          if (maxRequest > 0 && size > maxRequest) {
            stop();
            req.pause();
            store.destroy();
            tooLarge();
            return;
          }
          if (!store.write(chunk)) req.pause();
        }
        function onDrain(): void { req.resume(); }
        function onEnd(): void { stop(); store.end(); }
        req.on('data', onData);
        req.on('end', onEnd);
        store.on('drain', onDrain);
        // A client leaving mid-upload: its request errors or closes and the response closes; the store goes with it.
        req.once('error', () => { stop(); store.destroy(); });
        finished(store, function requestStored(err) {
          stop();
          if (ctx.res.destroyed || ctx.res.headersSent) { store.destroy(); return; }
          if (err) { store.destroy(); storeFailed(ctx, err); return; }
          if (store.spilled) { ctx.body = store; ready(); return; }
          ctx.body = store.memoryPart();
          store.destroy();
          ready();
        });
      };
    },
  };

  function attempt(ctx: RequestContext, next: Handler, held: Held, n: number, snapshot: ContextSnapshot): void {
    const res = ctx.res;
    let head: { status: number; headers: OutgoingHttpHeaders } | undefined;
    let size = 0;
    let over = false;
    const store = new BodyStore(memResponse, tempDir);
    held.response?.destroy(); // an attempt that never answered (a retry around us tries again)
    held.response = store;
    // The writer (the forwarder) waits while the file lags behind: the upstream is paused, nothing piles up here.
    store.on('drain', () => res.emit('drain'));
    store.on('error', () => { /* reported by finished() below */ });
    const release = tapResponse(res, {
      head(status, headers) { head ??= { status, headers }; },
      data(chunk) {
        if (over || store.destroyed) return true;
        size += chunk.length;
        if (maxResponse > 0 && size > maxResponse) { over = true; store.destroy(); return true; }
        return store.write(chunk);
      },
      end() {
        release();
        if (res.headersSent || res.destroyed) { store.destroy(); return; }
        if (over) {
          ctx.status = 500;
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 21 });
          res.end('Internal Server Error');
          return;
        }
        store.end();
        finished(store, function responseStored(err) {
          if (res.headersSent || res.destroyed) { store.destroy(); return; }
          if (err) { store.destroy(); storeFailed(ctx, err); return; }
          const status = head?.status ?? 200;
          if (retry !== undefined && n <= MAX_RETRY_ATTEMPTS && retry({ attempts: n, responseCode: status })) {
            store.destroy();
            restoreContext(ctx, snapshot);
            attempt(ctx, next, held, n + 1, snapshot);
            return;
          }
          sendStored(ctx, store, status, head?.headers ?? {});
        });
      },
    });
    next(ctx);
  }
}

/** The buffered answer, with its length; the file part streamed, then the store released. */
function sendStored(ctx: RequestContext, store: BodyStore, status: number, headers: OutgoingHttpHeaders): void {
  const res: ServerResponse = ctx.res;
  const withBody = expectsBody(ctx.method, status, headers);
  if (withBody) {
    delete headers['transfer-encoding'];
    headers['content-length'] = store.length;
  }
  ctx.status = status;
  res.writeHead(status, headers);
  if (!withBody || store.length === 0) { store.destroy(); res.end(); return; }
  if (!store.spilled) { res.end(store.memoryPart()); store.destroy(); return; }
  pipeline(store.reader(), res, function responseSent() { store.destroy(); });
}

/** oxy's expectBody (RFC 2616 §4.4, and no body after a gRPC error status). */
function expectsBody(method: string, status: number, headers: OutgoingHttpHeaders): boolean {
  if (method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return false;
  if (String(headers['content-length'] ?? '') === '0') return false;
  const grpc = headers['grpc-status'];
  return grpc === undefined || String(grpc) === '0' || String(grpc) === '';
}

function nonNegative(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw optionError(option, `must be a non-negative integer of bytes, got ${value}`);
  return value;
}
