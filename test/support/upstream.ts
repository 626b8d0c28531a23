import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface SeenRequest { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[] }

export interface Upstream {
  url: string;
  port: number;
  server: Server;
  /** Every request this upstream received, in order. */
  seen: SeenRequest[];
}

/**
 * A real node:http upstream on 127.0.0.1:0 that answers `{ name, method, url, headers }` as JSON
 * (or runs `handler` when given). Closed by the test.
 */
export async function startUpstream(t: TestContext | undefined, name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (handler) { handler(req, res); return; }
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t?.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${port}`, port, server, seen };
}

/** Reads a whole response into `{ status, headers, body }` (body as UTF-8 text). */
export function collectReply(res: IncomingMessage, resolve: (r: { status: number; headers: IncomingMessage['headers']; body: string }) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
  res.on('error', reject);
}

/** GET/POST through a real socket; resolves with status, headers and body text. */
export async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const { request: httpRequest } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      collectReply(res, resolve, reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * Closes an HTTP/2 server (cleartext or TLS, `allowHTTP1` too) when the test ends, ending the connections it still
 * holds: the gateway keeps its pooled session to an upstream open while idle (idleConnTimeout, 90 s), and on Node 20
 * `close()` waits for every session and HTTP/1.1 socket to end by itself (Node 22+ closes idle sessions), which kept
 * each test that closed its upstream before the gateway alive for 90 s. Call it right after creating the server
 * (it tracks the connections from then on).
 *
 * @example
 * const upstream = createServer(handler);
 * closeH2AtEnd(t, upstream);
 */
export function closeH2AtEnd(t: TestContext, server: Http2Server | Http2SecureServer): void {
  const sessions = new Set<ServerHttp2Session>();
  const h1 = new Set<Socket>();
  server.on('session', (s: ServerHttp2Session) => { sessions.add(s); s.once('close', () => sessions.delete(s)); });
  // allowHTTP1: requests over HTTP/1.1 arrive as 'request' with no session behind them. Only a server that already
  // answers through 'request' gets this listener: one that serves 'stream' would switch to the compatibility API.
  if (server.listenerCount('request') > 0) server.on('request', (req: { httpVersionMajor: number; socket: Socket }) => {
    if (req.httpVersionMajor !== 1 || h1.has(req.socket)) return;
    h1.add(req.socket);
    req.socket.once('close', () => h1.delete(req.socket));
  });
  t.after(() => new Promise<void>((resolve) => {
    if (!server.listening) { resolve(); return; }
    server.close(() => resolve());
    for (const s of sessions) s.destroy();
    for (const c of h1) c.destroy();
  }));
}
