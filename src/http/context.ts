import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import type { ProxyError } from './errors.ts';
import type { RequestTrace } from './hooks.ts';
import type { EffectiveObservability } from './observability.ts';

/**
 * One request on its way through tagway. Built once by the entry point; middlewares mutate `path`,
 * `rawQuery` and `headers` (what will be forwarded); the forwarder reads them. The request path never
 * allocates a `Request`/`Response` object: everything writes to the raw Node `res`.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly entryPoint: string;
  readonly method: string;
  /** Host (lower-case, no port, no trailing dot) used for matching. */
  readonly host: string;
  /** Cleaned, percent-normalized path (middlewares may rewrite it). */
  path: string;
  /** Raw query without the leading '?', '' when absent. */
  rawQuery: string;
  /** TCP peer address (never X-Forwarded-For) and port. */
  readonly clientIp: string;
  readonly clientPort: number;
  /** 'http' | 'https' as seen by the entry point. */
  readonly scheme: string;
  /** Request headers to forward (already with X-Forwarded-* applied, hop-by-hop removed). Mutable. */
  headers: Record<string, string | string[] | undefined>;
  /** process.hrtime.bigint() at arrival. */
  readonly start: bigint;
  /** Names, set once matched. */
  routerName?: string;
  serviceName?: string;
  /** The matched router's rule (http.route on spans). */
  rule?: string;
  /** Prefix removed by stripPrefix/stripPrefixRegex, forwarded as X-Forwarded-Prefix. */
  strippedPrefix?: string;
  /** Status written to the client, once known (set by whoever writes the head). */
  status?: number;
  /** The gRPC status of a gRPC call (`grpc-status` of the answer's trailers or trailers-only head), once known. */
  grpcStatus?: number;
  /** Upstream server URL that served the request (for access logs). */
  upstream?: string;
  /** Hooks that may mutate the response head before it is written (headers middleware, metrics, spans). */
  onResponseHead?: Array<(status: number, headers: OutgoingHttpHeaders) => void>;
  /** Optional body transforms (compress): return a Transform to pipe the upstream body through, or undefined. */
  responseTransforms?: Array<(status: number, headers: OutgoingHttpHeaders) => Transform | undefined>;
  /**
   * Set by `retry`: called by the forwarder when an attempt fails before anything was written to the client.
   * Returns true when the caller will try again (the forwarder then writes nothing).
   */
  onAttemptFailed?: (error: ProxyError) => boolean;
  /**
   * The request body, when a middleware had to read it first (forwardAuth's forwardBody, buffering): the
   * forwarder sends these bytes, or streams a fresh reader of a stored body, instead of streaming `req`.
   */
  body?: Buffer | StoredBody;
  /** The authenticated user, for the access log's ClientUsername (forwardAuth's headerField). */
  user?: string;
  /** Number of upstream attempts made so far (retry sets resend count from it). */
  attempts: number;
  /** Tracing state for this request, when traced (see src/observability). */
  trace?: RequestTrace;
  /** Merged observability for the matched router (or the entry point when unmatched). */
  observability?: EffectiveObservability;
}

/**
 * A request body kept outside the context, partly on disk (buffering past `memRequestBodyBytes`): its size, and a
 * new reader of all of it on each call, so every attempt (retry, retryExpression) sends it whole.
 */
export interface StoredBody {
  readonly length: number;
  reader(): Readable;
}

/** A request handler on the fast path: synchronous, writes to ctx.res, never returns a promise. */
export type Handler = (ctx: RequestContext) => void;

/**
 * Write a small plain-text answer, unless the head is already out (then just end the socket).
 * Runs the response-head hooks so spans, metrics and headers middlewares see the status.
 */
export function respond(ctx: RequestContext, status: number, body: string, extraHeaders?: OutgoingHttpHeaders): void {
  const res = ctx.res;
  if (res.headersSent) { res.destroy(); return; }
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extraHeaders };
  ctx.status = status;
  if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(status, headers);
  res.writeHead(status, headers);
  res.end(body);
}
