import type { OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { RequestContext } from '../http/context.ts';

/** gRPC status codes tagway writes itself (grpc/doc/statuscodes.md). */
export const GRPC_CANCELLED = 1;
export const GRPC_UNAVAILABLE = 14;

export { isGrpc } from '../http/grpc.ts';

/**
 * The gRPC status for a failed upstream attempt that tagway answers itself: the client left → CANCELLED,
 * anything else (refused, reset, timeout, TLS, no server) → UNAVAILABLE, which gRPC clients may retry.
 */
export function grpcStatusForFailure(httpStatus: number): number {
  return httpStatus === 499 ? GRPC_CANCELLED : GRPC_UNAVAILABLE;
}

/** Percent-encodes a grpc-message (gRPC over HTTP/2: bytes outside 0x20–0x7E and '%'). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Ends the response with `headers` and no body. To an HTTP/2 client this is one HEADERS frame that ends the stream,
 * which gRPC reads as a trailers-only answer (Node's compatibility `end()` would add an empty DATA frame and the
 * client would miss the status). Head hooks must have run already.
 */
export function endWithHeadersOnly(ctx: RequestContext, status: number, headers: OutgoingHttpHeaders): void {
  const res = ctx.res;
  if (ctx.req.httpVersionMajor === 2) {
    const stream = (res as unknown as Http2ServerResponse).stream;
    if (!stream.destroyed && !stream.headersSent) {
      stream.respond({ ...headers, ':status': status }, { endStream: true });
      return;
    }
  }
  res.writeHead(status, headers);
  res.end();
}

/**
 * Answers a gRPC call that never reached an upstream: HTTP 200, trailers-only, `grpc-status` and `grpc-message`
 * (what a gRPC client understands, instead of a 502 page). `ctx.grpcStatus` records it for logs and spans.
 */
export function respondGrpc(ctx: RequestContext, code: number, message: string, extraHeaders?: OutgoingHttpHeaders): void {
  const res = ctx.res;
  if (res.headersSent) { res.destroy(); return; }
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message), ...extraHeaders };
  ctx.status = 200;
  ctx.grpcStatus = code;
  if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(200, headers);
  endWithHeadersOnly(ctx, 200, headers);
}
