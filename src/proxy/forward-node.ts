import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Exchange } from './exchange.ts';
import { headerTimeoutError } from './errors.ts';
import type { ForwardOptions, Upstream } from './upstream.ts';
import { responseHeaders } from './headers.ts';

/** Go's Transport default `ExpectContinueTimeout` in Traefik: send the body anyway after 1s without "100 Continue". */
const EXPECT_CONTINUE_TIMEOUT_MS = 1_000;

/**
 * `Expect: 100-continue` (undici refuses the header): the upstream decides. Its "100 Continue" is relayed
 * to the client (unless Node already sent one) and only then does the body flow; a final answer
 * instead (401, 413, 417…) is relayed without reading the body.
 */
export function forwardContinue(exchange: Exchange, upstream: Upstream, path: string, headers: Record<string, string | string[] | undefined>, options: ForwardOptions): void {
  const ctx = exchange.ctx;
  const up = open(exchange, upstream, path, headers, options);
  let bodySent = false;
  const sendBody = (): void => {
    if (bodySent || exchange.done) return;
    bodySent = true;
    clearTimeout(fallback);
    ctx.req.pipe(up);
  };
  const fallback = setTimeout(sendBody, EXPECT_CONTINUE_TIMEOUT_MS);
  fallback.unref();
  up.on('continue', function upstreamContinue() {
    const res = ctx.res as ServerResponse & { _sent100?: boolean };
    // Node answers "100 Continue" itself when the server has no 'checkContinue' listener (and marks it).
    if (!exchange.done && res._sent100 !== true && !res.headersSent) res.writeContinue();
    sendBody();
  });
  up.on('response', function upstreamResponse(upRes) {
    clearTimeout(fallback);
    if (!bodySent) {
      bodySent = true;
      // The upstream answered without reading the body: this connection cannot be reused.
      upRes.once('end', () => up.destroy());
    }
    relay(exchange, up, upRes);
  });
  up.flushHeaders();
}

/**
 * Protocol upgrade (WebSocket): on "101 Switching Protocols" the head is written raw on the client
 * socket and both sockets are piped into each other until either side closes; any other answer is
 * relayed as a normal response.
 */
export function forwardUpgrade(exchange: Exchange, upstream: Upstream, path: string, headers: Record<string, string | string[] | undefined>, options: ForwardOptions): void {
  const ctx = exchange.ctx;
  const up = open(exchange, upstream, path, headers, options);
  up.on('upgrade', function upstreamUpgrade(upRes: IncomingMessage, upSocket: Duplex, upHead: Buffer) {
    const client = ctx.req.socket;
    if (exchange.done || client.destroyed) { upSocket.destroy(); return; }
    const status = upRes.statusCode ?? 101;
    const h = responseHeaders(upRes.rawHeaders, true);
    exchange.announce(status, h);
    exchange.finish();
    const res = ctx.res;
    if (res.socket === client) res.detachSocket(client);
    client.setTimeout(0);
    client.write(rawHead(status, upRes.statusMessage, h));
    if (upHead.length > 0) client.write(upHead);
    // Observers (access log, metrics, spans) finish on the response's 'close': give them one when the tunnel ends.
    tunnel(client, upSocket, () => res.emit('close'));
  });
  up.on('response', function upgradeRefused(upRes) { relay(exchange, up, upRes); });
  up.end();
}

function open(exchange: Exchange, upstream: Upstream, path: string, headers: Record<string, string | string[] | undefined>, options: ForwardOptions): ClientRequest {
  const url = upstream.url;
  const https = url.protocol === 'https:';
  const up = (https ? httpsRequest : httpRequest)({
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port || (https ? 443 : 80),
    method: exchange.ctx.method,
    path,
    headers: headers as OutgoingHttpHeaders,
    agent: options.pools.agent(url.protocol),
  });
  let timer: NodeJS.Timeout | undefined;
  const ms = options.responseHeaderTimeout;
  if (ms > 0) {
    timer = setTimeout(() => up.destroy(headerTimeoutError(ms)), ms);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    up.once('response', clear);
    up.once('upgrade', clear);
    up.once('close', clear);
  }
  exchange.setCancel((err) => up.destroy(err));
  up.on('error', (err) => exchange.onError(err));
  return up;
}

function relay(exchange: Exchange, up: ClientRequest, upRes: IncomingMessage): void {
  if (exchange.done) { upRes.resume(); return; }
  upRes.on('error', (err) => exchange.onError(err));
  upRes.on('aborted', () => exchange.onError(Object.assign(new Error('upstream aborted the response'), { code: 'ECONNRESET' })));
  try {
    exchange.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes.rawHeaders, false));
  } catch (err) {
    up.destroy();
    exchange.onError(err as Error);
    return;
  }
  exchange.setResume(() => upRes.resume());
  upRes.on('data', (chunk: Buffer) => { if (!exchange.onData(chunk)) upRes.pause(); });
  upRes.on('end', () => exchange.onComplete());
}

function rawHead(status: number, message: string | undefined, headers: OutgoingHttpHeaders): string {
  let head = `HTTP/1.1 ${status} ${message || 'Switching Protocols'}\r\n`;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) head += `${name}: ${one}\r\n`;
    else head += `${name}: ${v}\r\n`;
  }
  return head + '\r\n';
}

/** Pipes two sockets into each other; either side closing or failing closes both, then `onClosed` runs once. */
function tunnel(a: Duplex, b: Duplex, onClosed: () => void): void {
  let open = true;
  const closeBoth = (): void => {
    a.destroy();
    b.destroy();
    if (open) { open = false; onClosed(); }
  };
  a.on('error', closeBoth);
  b.on('error', closeBoth);
  a.on('close', closeBoth);
  b.on('close', closeBoth);
  a.pipe(b);
  b.pipe(a);
}
