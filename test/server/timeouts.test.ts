import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startUpstream } from '../support/upstream.ts';
import { openConnections, portOf, rawConnect, rawRequest, type RawClient } from '../support/raw.ts';
import { waitFor } from '../support/wait.ts';
import { lb, startFileGateway } from '../support/file-gateway.ts';

const READ = '--entryPoints.web.transport.respondingTimeouts.readTimeout';
const WRITE = '--entryPoints.web.transport.respondingTimeouts.writeTimeout';
const IDLE = '--entryPoints.web.transport.respondingTimeouts.idleTimeout';

/** Writes `text` one byte every `everyMs` until the connection closes. */
function trickle(client: RawClient, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed || i >= text.length) { clearInterval(timer); return; }
    client.socket.write(text[i++]!);
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
}

async function echoGateway(t: TestContext, flags: string[], handler?: (req: IncomingMessage, res: ServerResponse) => void) {
  const up = await startUpstream(t, 'echo', handler);
  return startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'echo' } }, services: { echo: lb(up.url) } }, flags);
}

describe('respondingTimeouts.readTimeout', () => {
  // Node checks its header/request timers every connectionsCheckingInterval (30 s by default): a limit of
  // 1 s closed these connections after about 30 s. The bounds below sit far from that.
  it('closes connections that trickle their headers one byte at a time, 200 of them', { timeout: 30_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=1s`]);
    const port = portOf(gw.web);
    const clients = await Promise.all(Array.from({ length: 200 }, () => rawConnect(t, port)));
    for (const c of clients) trickle(c, 'GET / HTTP/1.1\r\nHost: a.test\r\nX-Slow: ' + 'a'.repeat(1000), 100);
    const closedAfter = await Promise.all(clients.map((c) => c.closed));
    assert.ok(Math.min(...closedAfter) >= 900, `closed before readTimeout: ${Math.min(...closedAfter)} ms`);
    assert.ok(Math.max(...closedAfter) < 6000, `still open long after readTimeout: ${Math.max(...closedAfter)} ms`);
    for (const c of clients) assert.match(c.received(), /^(HTTP\/1\.1 408 |$)/);
    // Destroyed, not half-closed: the gateway holds none of them.
    const server = gw.gateway.entryPoints.get('web')!.listener; // the net.Server that accepts (and counts) the connections
    await waitFor('no open connection', async () => (await openConnections(server)) === 0, { timeoutMs: 2000 });
  });

  it('closes a connection that never sends a byte', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=1s`]);
    const client = await rawConnect(t, portOf(gw.web));
    const after = await client.closed;
    assert.ok(after >= 900 && after < 6000, `closed after ${after} ms`);
  });

  it('bounds the body too: a body trickling past readTimeout is cut', { timeout: 10_000 }, async (t) => {
    let bodyBytes = 0;
    const gw = await echoGateway(t, [`${READ}=1s`], (req, res) => {
      req.on('data', (c: Buffer) => { bodyBytes += c.length; });
      req.on('end', () => res.end('whole body'));
    });
    const client = await rawConnect(t, portOf(gw.web));
    client.socket.write('POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\n');
    trickle(client, 'b'.repeat(100), 100);
    const after = await client.closed;
    assert.ok(after >= 900 && after < 6000, `closed after ${after} ms`);
    assert.ok(bodyBytes < 100, 'the upstream never got the whole body');
    assert.doesNotMatch(client.received(), /whole body/);
  });

  it('lets a request that arrives in time through, and 0 turns the limit off', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=0s`]);
    const client = await rawConnect(t, portOf(gw.web));
    // With no limit the 30 s default check never fires; one byte every 50 ms for ~1.5 s is fine either way.
    trickle(client, 'GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\n', 50);
    const reply = await client.response();
    assert.equal(reply.status, 200);
    assert.match(reply.body, /"url":"\/slow"/);
  });
});

describe('respondingTimeouts.idleTimeout', () => {
  it('closes an idle keep-alive connection; 0 falls back to readTimeout as in Go', { timeout: 10_000 }, async (t) => {
    // Before: idleTimeout 0 became 180 s.
    const gw = await echoGateway(t, [`${READ}=1s`, `${IDLE}=0s`]);
    const { status, client } = await rawRequest(t, portOf(gw.web), 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
    assert.equal(status, 200);
    const after = await client.closed;
    assert.ok(after >= 900 && after < 6000, `idle connection closed after ${after} ms`);
  });

  it('keeps an idle connection open for idleTimeout', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=1s`, `${IDLE}=500ms`]);
    const { client } = await rawRequest(t, portOf(gw.web), 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
    const after = await client.closed;
    assert.ok(after >= 400 && after < 5000, `idle connection closed after ${after} ms`);
  });
});

describe('respondingTimeouts.writeTimeout', () => {
  it('cuts a response still streaming at the deadline (an absolute limit, not an inactivity timer); quick ones pass', { timeout: 10_000 }, async (t) => {
    const streams: NodeJS.Timeout[] = [];
    t.after(() => { for (const s of streams) clearInterval(s); });
    const gw = await echoGateway(t, [`${WRITE}=500ms`], (req, res) => {
      req.resume();
      if (req.url !== '/stream') { res.end('quick'); return; }
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const timer = setInterval(() => { if (++n === 30) { clearInterval(timer); res.end('end'); } else res.write('.'); }, 100);
      streams.push(timer);
    });
    const port = portOf(gw.web);
    const quick = await rawRequest(t, port, 'GET /quick HTTP/1.1\r\nHost: a.test\r\n\r\n');
    assert.equal(quick.body, 'quick');
    const slow = await rawConnect(t, port);
    slow.socket.write('GET /stream HTTP/1.1\r\nHost: a.test\r\n\r\n');
    const after = await slow.closed;
    assert.ok(after >= 400 && after < 2500, `closed after ${after} ms`);
    assert.match(slow.received(), /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(slow.received(), /end/);
    // The keep-alive connection that answered in time is still usable now that its deadline (had it one
    // left running) is past: it answered before the slow request was even sent.
    quick.client.socket.write('GET /quick HTTP/1.1\r\nHost: a.test\r\n\r\n');
    await once(quick.client.socket, 'data');
    assert.match(quick.client.received(), /quick[\s\S]*quick/);
  });
});

describe('http.maxHeaderBytes', () => {
  it('takes a 64 KB header by default (Traefik: 1 MiB)', { timeout: 10_000 }, async (t) => {
    // The upstream takes as much as the gateway (Node's own default is 16 KiB).
    const up = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => { req.resume(); res.end(String(req.headers['x-big']?.length)); });
    up.listen(0, '127.0.0.1');
    await once(up, 'listening');
    t.after(() => { up.closeAllConnections(); up.close(); });
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'big' } }, services: { big: lb(`http://127.0.0.1:${(up.address() as { port: number }).port}`) } });
    const reply = await rawRequest(t, portOf(gw.web), `GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, String(64 * 1024));
  });

  it('answers 431 over the configured limit and closes the connection', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, ['--entryPoints.web.http.maxHeaderBytes=4096']);
    const port = portOf(gw.web);
    assert.equal((await rawRequest(t, port, `GET / HTTP/1.1\r\nHost: a.test\r\nX-Fits: ${'b'.repeat(3000)}\r\n\r\n`)).status, 200);
    const over = await rawRequest(t, port, `GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: ${'b'.repeat(8192)}\r\n\r\n`);
    assert.equal(over.status, 431);
    await over.client.closed;
  });
});

describe('respondingTimeouts on HTTP/2 (h2c), as Go\'s http2 server', () => {
  it('closes a session with no open stream after idleTimeout', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=5s`, `${IDLE}=500ms`]);
    const session = h2connect(gw.web);
    t.after(() => session.destroy());
    const start = Date.now();
    const stream = session.request({ ':path': '/one' });
    stream.resume();
    const [headers] = await once(stream, 'response') as [Record<string, unknown>];
    assert.equal(headers[':status'], 200);
    await once(stream, 'close');
    await once(session, 'close');
    const after = Date.now() - start;
    assert.ok(after >= 400 && after < 5000, `idle session closed after ${after} ms`);
  });

  it('forwards a request body sent without Content-Length (it was dropped: no Transfer-Encoding in HTTP/2)', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [], (req, res) => { let body = ''; req.setEncoding('utf8'); req.on('data', (c: string) => { body += c; }); req.on('end', () => res.end(`got ${body}`)); });
    const session = h2connect(gw.web);
    t.after(() => session.destroy());
    const stream = session.request({ ':path': '/upload', ':method': 'POST' });
    let answer = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => { answer += c; });
    stream.write('hel');
    stream.end('lo');
    await once(stream, 'end');
    assert.equal(answer, 'got hello');
  });

  it('resets a stream whose body trickles past readTimeout', { timeout: 10_000 }, async (t) => {
    const gw = await echoGateway(t, [`${READ}=1s`]);
    const session = h2connect(gw.web);
    t.after(() => session.destroy());
    session.on('error', () => {});
    const start = Date.now();
    const stream = session.request({ ':path': '/upload', ':method': 'POST' });
    stream.on('error', () => {});
    let answer = '';
    stream.on('response', (h) => { answer += `${String(h[':status'])} `; });
    stream.on('data', (c: Buffer) => { answer += c.toString(); });
    const timer = setInterval(() => { if (!stream.closed) stream.write('b'); }, 100);
    t.after(() => clearInterval(timer));
    await once(stream, 'close');
    clearInterval(timer);
    const after = Date.now() - start;
    assert.ok(after >= 900 && after < 6000, `stream closed after ${after} ms: ${answer}`);
    assert.notEqual(stream.rstCode, 0, 'reset, not answered');
  });
});
