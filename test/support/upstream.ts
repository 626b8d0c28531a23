import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
