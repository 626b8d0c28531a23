import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { startUpstream } from '../support/upstream.ts';
import { lb, send, startFileGateway } from '../support/file-gateway.ts';

/** An upstream that holds `/hold` until released and streams `/stream` in two parts. */
async function heldUpstream(t: Parameters<typeof startUpstream>[0]) {
  const events = new EventEmitter();
  const held: ServerResponse[] = [];
  const up = await startUpstream(t, 'held', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/hold') { held.push(res); events.emit('held'); return; }
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1;');
      held.push(res);
      events.emit('held');
      return;
    }
    res.writeHead(200);
    res.end('quick');
  });
  const release = () => { for (const res of held.splice(0)) res.end('done'); };
  return { up, events, release };
}

/** Sends on `agent`, resolves with the response once its head arrived. */
function start(base: string, path: string, agent: Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const c of res) body += c;
  return body;
}

describe('graceful shutdown', () => {
  // A long grace and keep-alive: a close() that waited for either would blow the test timeout.
  const slowFlags = ['--entryPoints.web.transport.lifeCycle.graceTimeOut=60s', '--entryPoints.web.transport.respondingTimeouts.idleTimeout=180s'];

  it('lets in-flight requests finish, refuses new connections, closes keep-alive connections as they go idle', { timeout: 20_000 }, async (t) => {
    const { up, events, release } = await heldUpstream(t);
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'held' } }, services: { held: lb(up.url) } }, slowFlags);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());

    // An idle keep-alive connection, one request waiting for its head, one whose body is still streaming.
    assert.equal(await text(await start(gw.web, '/quick', agent)), 'quick');
    const heldFirst = once(events, 'held');
    const waiting = start(gw.web, '/hold', agent);
    await heldFirst;
    const streamingHead = once(events, 'held');
    const streaming = await start(gw.web, '/stream', agent);
    await streamingHead;
    const sockets = new Set<import('node:net').Socket>();
    for (const list of Object.values(agent.sockets)) for (const s of list ?? []) sockets.add(s);
    assert.equal(sockets.size, 2, 'two busy connections');
    const socketClosed = [...sockets].map((s) => once(s, 'close'));

    let closedAt = 0;
    const closing = gw.gateway.close().then(() => { closedAt = 1; });
    // No new connections once closing.
    await assert.rejects(send(gw.web, '/quick'), /ECONNREFUSED/);

    await new Promise((r) => setImmediate(r));
    assert.equal(closedAt, 0, 'close() waits while requests are in flight');
    release();
    const waited = await waiting;
    assert.equal(waited.statusCode, 200);
    assert.equal(waited.headers.connection, 'close', 'an answer written while draining closes its connection');
    assert.equal(await text(waited), 'done');
    assert.equal(await text(streaming), 'part1;done', 'a body already streaming finishes');
    await Promise.all(socketClosed);
    await closing;
    assert.equal(closedAt, 1);
  });

  it('cuts what is still running when graceTimeOut ends', { timeout: 20_000 }, async (t) => {
    const { up, events } = await heldUpstream(t);
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'held' } }, services: { held: lb(up.url) } }, [
      '--entryPoints.web.transport.lifeCycle.graceTimeOut=100ms',
      '--entryPoints.traefik.transport.lifeCycle.graceTimeOut=100ms',
    ]);
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const held = once(events, 'held');
    const pending = start(gw.web, '/hold', agent);
    pending.catch(() => { /* asserted below */ });
    await held;
    await gw.gateway.close();
    await assert.rejects(pending, /socket hang up|ECONNRESET/);
  });

  it('keeps accepting during requestAcceptGraceTimeout, then stops', { timeout: 20_000 }, async (t) => {
    const { up } = await heldUpstream(t);
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'held' } }, services: { held: lb(up.url) } }, [
      '--entryPoints.web.transport.lifeCycle.requestAcceptGraceTimeout=2s',
    ]);
    let closed = false;
    const closing = gw.gateway.close().then(() => { closed = true; });
    const r = await send(gw.web, '/quick');
    assert.equal(r.status, 200, 'a new connection right after close() is still served');
    assert.equal(r.body, 'quick');
    assert.equal(closed, false);
    await closing;
    await assert.rejects(send(gw.web, '/quick'), /ECONNREFUSED/);
  });

  it('does not wait for WebSocket tunnels once the HTTP requests are done', { timeout: 20_000 }, async (t) => {
    const server = createServer((req, res) => { req.resume(); res.writeHead(426); res.end(); });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(String(data))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { wss.close(); server.closeAllConnections(); server.close(() => r()); }));
    const { up, events, release } = await heldUpstream(t);
    const gw = await startFileGateway(t, {
      routers: { ws: { rule: 'Path(`/ws`)', service: 'ws' }, http: { rule: 'Path(`/hold`)', service: 'held' } },
      services: { ws: lb(`http://127.0.0.1:${(server.address() as { port: number }).port}`), held: lb(up.url) },
    }, slowFlags);
    const ws = new WebSocket(gw.web.replace('http:', 'ws:') + '/ws');
    t.after(() => ws.terminate());
    await once(ws, 'open');
    ws.send('ping');
    assert.equal(String((await once(ws, 'message'))[0]), 'ping');
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const held = once(events, 'held');
    const pending = start(gw.web, '/hold', agent);
    await held;

    const wsClosed = once(ws, 'close');
    let closed = false;
    const closing = gw.gateway.close().then(() => { closed = true; });
    ws.send('still open while an HTTP request is in flight');
    assert.equal(String((await once(ws, 'message'))[0]), 'still open while an HTTP request is in flight');
    assert.equal(closed, false);
    release();
    assert.equal(await text(await pending), 'done');
    await closing;
    await wsClosed;
  });
});
