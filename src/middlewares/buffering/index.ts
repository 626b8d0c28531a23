import type { OutgoingHttpHeaders } from 'node:http';
import type { Buffering } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { tapResponse } from '../../http/intercept.ts';
import { compileExpression, type ExpressionFunction } from '../circuit-breaker/expression.ts';
import { readBody, restoreContext, snapshotContext } from '../../http/body.ts';
import { optionError } from '../shared/errors.ts';
import { refuser } from '../shared/refuse.ts';
import type { Wrapper } from '../shared/types.ts';

/** oxy's DefaultMaxRetryAttempts: past it the last answer is sent whatever the retry condition says. */
const MAX_RETRY_ATTEMPTS = 10;
const DEFAULT_MEM_BYTES = 1_048_576;

/** What oxy's retry predicate reads about the attempt just made. */
interface AttemptView { attempts: number; responseCode: number }
const RETRY_FUNCTIONS: Record<string, ExpressionFunction<AttemptView>> = {
  Attempts: { arity: 0, make: () => (v) => v.attempts },
  ResponseCode: { arity: 0, make: () => (v) => v.responseCode },
  // oxy: a 502 or a 504 is a network error (what its reverse proxy answers when the upstream fails).
  IsNetworkError: { arity: 0, returns: 'bool', make: () => (v) => v.responseCode === 502 || v.responseCode === 504 },
};

/**
 * buffering (vulcand/oxy's buffer, as Traefik uses it): the whole request body is read before the service is
 * called (with a Content-Length, never chunked) and the whole response is read before the client gets it.
 * `maxRequestBodyBytes` (0: no limit) past → 413 "Request Entity Too Large", the upstream never called;
 * `maxResponseBodyBytes` (0: no limit) past → 500, the upstream answer dropped. `retryExpression` (oxy's
 * `Attempts()`, `ResponseCode()`, `IsNetworkError()` (502 or 504), comparisons, `&&`, `||`) calls the service
 * again with the same body while it holds, up to 10 attempts. `memRequestBodyBytes` / `memResponseBodyBytes`
 * (default 1 MiB) are validated and shown; tagway keeps bodies in memory (bounded by the max options) where oxy
 * writes the part above them to a temporary file.
 * @example
 * buffering({ maxRequestBodyBytes: 2_000_000, retryExpression: 'IsNetworkError() && Attempts() < 2' })
 */
export function buffering(cfg: Buffering): Wrapper {
  const maxRequest = nonNegative(cfg.maxRequestBodyBytes, 'buffering.maxRequestBodyBytes', 0);
  const maxResponse = nonNegative(cfg.maxResponseBodyBytes, 'buffering.maxResponseBodyBytes', 0);
  nonNegative(cfg.memRequestBodyBytes, 'buffering.memRequestBodyBytes', DEFAULT_MEM_BYTES);
  nonNegative(cfg.memResponseBodyBytes, 'buffering.memResponseBodyBytes', DEFAULT_MEM_BYTES);
  let retry: ((v: AttemptView) => boolean) | undefined;
  if (cfg.retryExpression) {
    try { retry = compileExpression(cfg.retryExpression, RETRY_FUNCTIONS); } catch (err) {
      throw optionError('buffering.retryExpression', `${(err as Error).message} in ${JSON.stringify(cfg.retryExpression)}`, err);
    }
  }
  return {
    wrap(next: Handler): Handler {
      return function bufferingHandler(ctx: RequestContext) {
        const refuse = refuser(ctx);
        readBody(ctx, maxRequest > 0 ? maxRequest : -1, function requestRead(err, body) {
          if (ctx.res.destroyed || ctx.res.headersSent) return;
          if (err === 'tooLarge') {
            refuse(`request body over maxRequestBodyBytes (${maxRequest})`);
            respond(ctx, 413, 'Request Entity Too Large', { connection: 'close' });
            return;
          }
          if (err !== undefined) { ctx.res.destroy(); return; }
          ctx.body = body;
          // The service sees a request with a known length (oxy turns chunked requests into sized ones).
          delete ctx.headers['transfer-encoding'];
          if (body.length > 0) ctx.headers['content-length'] = String(body.length);
          else delete ctx.headers['content-length'];
          attempt(ctx, next, 1, snapshotContext(ctx));
        });
      };
    },
  };

  function attempt(ctx: RequestContext, next: Handler, n: number, snapshot: ReturnType<typeof snapshotContext>): void {
    const res = ctx.res;
    let head: { status: number; headers: OutgoingHttpHeaders } | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const release = tapResponse(res, {
      head(status, headers) { head ??= { status, headers }; },
      data(chunk) {
        if (over) return;
        size += chunk.length;
        if (maxResponse > 0 && size > maxResponse) { over = true; chunks.length = 0; return; }
        chunks.push(chunk);
      },
      end() {
        release();
        if (res.headersSent || res.destroyed) return;
        const status = head?.status ?? 200;
        if (over) {
          ctx.status = 500;
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 21 });
          res.end('Internal Server Error');
          return;
        }
        if (retry !== undefined && n <= MAX_RETRY_ATTEMPTS && retry({ attempts: n, responseCode: status })) {
          restoreContext(ctx, snapshot);
          attempt(ctx, next, n + 1, snapshot);
          return;
        }
        const headers = head?.headers ?? {};
        const body = Buffer.concat(chunks, size);
        if (expectsBody(ctx.method, status, headers)) {
          delete headers['transfer-encoding'];
          headers['content-length'] = body.length;
        }
        ctx.status = status;
        res.writeHead(status, headers);
        res.end(body);
      },
    });
    next(ctx);
  }
}

/** oxy's expectBody (RFC 2616 §4.4). */
function expectsBody(method: string, status: number, headers: OutgoingHttpHeaders): boolean {
  if (method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return false;
  return String(headers['content-length'] ?? '') !== '0';
}

function nonNegative(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw optionError(option, `must be a non-negative integer of bytes, got ${value}`);
  return value;
}
