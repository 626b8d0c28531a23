import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import type { RequestContext } from '../../src/http/context.ts';
import { lb, startFileGateway } from '../support/file-gateway.ts';

/** A real gateway with one router `ws` toward `url`; `middlewares` as in a dynamic file; every request context it built. */
async function gatewayTo(t: TestContext, url: string, middlewares?: Record<string, unknown>): Promise<{ web: string; contexts: RequestContext[]; ended: Promise<void>[] }> {
  const contexts: RequestContext[] = [];
  const ended: Promise<void>[] = [];
  const gw = await startFileGateway(t, {
    routers: { ws: { rule: 'PathPrefix(`/`)', service: 'ws', ...(middlewares ? { middlewares: Object.keys(middlewares) } : {}) } },
    services: { ws: lb(url) },
    ...(middlewares ? { middlewares } : {}),
  }, [], { observers: [{ onRequest: (ctx) => { contexts.push(ctx); ended.push(new Promise((r) => ctx.res.once('close', () => r()))); } }] });
  return { web: gw.web, contexts, ended };
}

/** A real WebSocket echo upstream (ws on node:http); remembers the upgrade request headers. */
async function echoUpstream(t: TestContext): Promise<{ url: string; headers: Array<Record<string, string | string[] | undefined>>; closed: Promise<void> }> {
  const server = createServer((req, res) => { req.resume(); res.writeHead(426); res.end('websocket only'); });
  const wss = new WebSocketServer({ server });
  const headers: Array<Record<string, string | string[] | undefined>> = [];
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => { markClosed = r; });
  wss.on('connection', (ws, req) => {
    headers.push(req.headers);
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${String(data)}`, { binary: isBinary }));
    ws.on('close', () => markClosed());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { wss.close(); server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, headers, closed };
}

describe('WebSocket through the running gateway', () => {
  it('switches protocols and pipes frames both ways', async (t) => {
    const up = await echoUpstream(t);
    // a response-header middleware runs on the 101 like on any answer (its onResponseHead hook)
    const front = await gatewayTo(t, up.url, { hooked: { headers: { customResponseHeaders: { 'X-Hooked': '1' } } } });

    const ws = new WebSocket(front.web.replace('http:', 'ws:') + '/chat', { headers: { 'x-client': 'c1' } });
    t.after(() => ws.terminate());
    let upgradeHeaders: Record<string, unknown> = {};
    ws.once('upgrade', (res) => { upgradeHeaders = res.headers; });
    await once(ws, 'open');
    assert.equal(upgradeHeaders['x-hooked'], '1');
    ws.send('hello');
    const [text] = await once(ws, 'message');
    assert.equal(String(text), 'echo:hello');
    const big = Buffer.alloc(256 * 1024, 7);
    ws.send(big);
    const [bin] = await once(ws, 'message') as [Buffer];
    assert.deepEqual(Buffer.from(bin), big);
    ws.close();
    await up.closed;
    const ctx = front.contexts[0]!;
    await front.ended[0]; // observers see the end of the tunnel

    assert.equal(front.contexts.length, 1);
    assert.equal(ctx.status, 101);
    assert.equal(up.headers[0]!['x-client'], 'c1');
    assert.equal(up.headers[0]!['x-forwarded-for'], '127.0.0.1');
  });

  it('relays a refused upgrade as a normal response', async (t) => {
    const server = createServer((req, res) => { req.resume(); res.writeHead(403, { 'content-type': 'text/plain' }); res.end('nope'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const front = await gatewayTo(t, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    const ws = new WebSocket(front.web.replace('http:', 'ws:') + '/');
    t.after(() => ws.terminate());
    ws.on('error', () => { /* expected: unexpected-response below */ });
    const [, res] = await once(ws, 'unexpected-response') as [unknown, import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 403);
    let body = '';
    for await (const c of res) body += c;
    assert.equal(body, 'nope');
  });

  it('answers 502 when the upstream of an upgrade is down', async (t) => {
    const front = await gatewayTo(t, 'http://127.0.0.1:1');
    const ws = new WebSocket(front.web.replace('http:', 'ws:') + '/');
    t.after(() => ws.terminate());
    ws.on('error', () => {});
    const [, res] = await once(ws, 'unexpected-response') as [unknown, import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 502);
    res.resume();
  });
});
