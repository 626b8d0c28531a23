import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Exchange } from './exchange.ts';
import { headerTimeoutError } from './errors.ts';
import type { H2Pool } from './h2-pool.ts';
import type { ForwardOptions, Upstream } from './upstream.ts';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_FLAG_END_STREAM } = constants;

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); `requestHeaders` drops them already, this guards what middlewares add. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);

export interface H2Body {
  /** Bytes a middleware already read, or the client's request stream, or nothing. */
  buffered: Buffer | undefined;
  stream: NodeJS.ReadableStream | undefined;
}

/**
 * Sends one request on an HTTP/2 stream to the upstream (h2c, or h2 over TLS) and feeds the answer to the
 * exchange: head, body with backpressure (the stream pauses while the client does not drain), trailers. A
 * response whose HEADERS frame ends the stream (gRPC's trailers-only answer) stays one frame on the way back.
 * The client going away closes the upstream stream with RST_STREAM(CANCEL), so the upstream sees the cancel.
 * `h1` is called when the TLS server chose HTTP/1.1 by ALPN: the caller forwards on its HTTP/1.1 pool instead.
 */
export function forwardH2(exchange: Exchange, upstream: Upstream, h2: H2Pool, path: string, headers: Record<string, string | string[] | undefined>, body: H2Body, options: ForwardOptions, h1: () => void): void {
  h2.pick(function picked(err, session) {
    if (exchange.done) return;
    if (err !== undefined || session === undefined) { exchange.onError(err ?? new Error('no HTTP/2 session')); return; }
    if (session === 'h1') { h1(); return; }
    send(exchange, upstream, h2, session, path, headers, body, options);
  });
}

function send(exchange: Exchange, upstream: Upstream, h2: H2Pool, session: ClientHttp2Session, path: string, headers: Record<string, string | string[] | undefined>, body: H2Body, options: ForwardOptions): void {
  const out: OutgoingHttpHeaders = {
    ':method': exchange.ctx.method,
    ':scheme': upstream.scheme === 'h2c' ? 'http' : 'https',
    ':authority': firstValue(headers.host) ?? upstream.host,
    ':path': path,
  };
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te' && v !== 'trailers') continue;
    out[name] = v;
  }
  const hasBody = body.buffered !== undefined ? body.buffered.length > 0 : body.stream !== undefined;
  let stream: ClientHttp2Stream;
  try {
    stream = session.request(out, { endStream: !hasBody });
  } catch (err) {
    exchange.onError(err as Error);
    return;
  }
  h2.track(session, stream);
  let timer: NodeJS.Timeout | undefined;
  const ms = options.responseHeaderTimeout;
  if (ms > 0) {
    timer = setTimeout(() => stream.close(NGHTTP2_CANCEL, () => exchange.onError(headerTimeoutError(ms))), ms);
    timer.unref();
  }
  let source: NodeJS.ReadableStream | undefined;
  exchange.setCancel(function cancelUpstream() {
    clearTimeout(timer);
    if (source) source.unpipe(stream as unknown as NodeJS.WritableStream);
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  });
  let trailers: IncomingHttpHeaders | undefined;
  let responded = false;
  stream.on('response', function upstreamResponse(h: IncomingHttpHeaders, flags: number) {
    clearTimeout(timer);
    const status = Number(h[':status'] ?? 502);
    if (status < 200) return; // 1xx: not relayed (the final head follows)
    responded = true;
    const raw = rawHeaders(h);
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) { exchange.headersOnly(status, raw); return; }
    exchange.onHeaders(status, raw, () => stream.resume());
  });
  stream.on('data', function upstreamData(chunk: Buffer) {
    if (!exchange.onData(chunk)) stream.pause();
  });
  stream.on('trailers', function upstreamTrailers(t: IncomingHttpHeaders) { trailers = t; });
  stream.on('end', function upstreamEnd() {
    if (!responded) return; // 'close' reports it
    exchange.onComplete(trailers === undefined ? undefined : rawHeaders(trailers));
    // The upstream answered before the request body was over (an early gRPC status): stop sending.
    if (source !== undefined && !stream.writableFinished) {
      source.unpipe(stream as unknown as NodeJS.WritableStream);
      stream.close(NGHTTP2_NO_ERROR);
    }
  });
  stream.on('error', function upstreamError(err: Error) { clearTimeout(timer); exchange.onError(err); });
  stream.on('close', function upstreamClosed() {
    clearTimeout(timer);
    if (exchange.done) return;
    const code = stream.rstCode;
    exchange.onError(Object.assign(new Error(responded
      ? `upstream reset the HTTP/2 stream during the response (code ${code})`
      : `upstream closed the HTTP/2 stream before answering (code ${code})`), { code: 'ECONNRESET' }));
  });
  if (!hasBody) return;
  if (body.buffered !== undefined) { stream.end(body.buffered); return; }
  source = body.stream!;
  source.pipe(stream as unknown as NodeJS.WritableStream);
}

/** Node's header object as the name/value list the exchange takes (pseudo-headers dropped, arrays spread). */
function rawHeaders(h: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const name in h) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) raw.push(name, one);
    else raw.push(name, String(v));
  }
  return raw;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
