import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket, WebSocketServer } from 'ws';
import { startUpstream } from '../support/upstream.ts';
import { lb, send, servedBy, startFileGateway } from '../support/file-gateway.ts';
import { waitForEvent } from '../support/wait.ts';

async function refusedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function count(names: Array<string | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n ?? '?'] = (out[n ?? '?'] ?? 0) + 1;
  return out;
}

/** Waits for `predicate`, re-checking after each `event` on `emitter` (bounded in time). */
function until(emitter: EventEmitter, event: string, predicate: () => boolean): Promise<void> {
  return waitForEvent(`"${event}" events until the condition holds`, emitter, event, predicate);
}

describe('load balancing through the gateway', () => {
  it('spreads by weight (smooth weighted round robin)', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const c = await startUpstream(t, 'c');
    const gw = await startFileGateway(t, {
      routers: { rr: { rule: 'Path(`/rr`)', service: 'rr' }, w: { rule: 'Path(`/w`)', service: 'w' } },
      services: {
        rr: lb(a.url, b.url, c.url),
        w: { loadBalancer: { servers: [{ url: a.url, weight: 1 }, { url: b.url, weight: 2 }, { url: c.url, weight: 3 }] } },
      },
    });
    const rr: Array<string | undefined> = [];
    for (let i = 0; i < 30; i++) rr.push(servedBy(await send(gw.web, '/rr')));
    assert.deepEqual(count(rr), { a: 10, b: 10, c: 10 });
    const w: Array<string | undefined> = [];
    for (let i = 0; i < 60; i++) w.push(servedBy(await send(gw.web, '/w')));
    assert.deepEqual(count(w), { a: 10, b: 20, c: 30 });
    // Smooth: the heaviest server never gets more than its share in a row within one cycle of 6.
    assert.deepEqual(count(w.slice(0, 6)), { a: 1, b: 2, c: 3 });
  });

  it('takes a failing server out on health checks and brings it back', async (t) => {
    const probes = new EventEmitter();
    let bHealthy = true;
    const health = (name: string, healthy: () => boolean) => (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      req.resume();
      if (req.url === '/health') {
        res.once('finish', () => setImmediate(() => probes.emit('probe', name)));
        res.writeHead(healthy() ? 200 : 503);
        res.end();
        return;
      }
      res.writeHead(200, { 'x-upstream': name });
      res.end(name);
    };
    const a = await startUpstream(t, 'a', health('a', () => true));
    const b = await startUpstream(t, 'b', health('b', () => bHealthy));
    const gw = await startFileGateway(t, {
      routers: { hc: { rule: 'PathPrefix(`/`)', service: 'hc' } },
      services: { hc: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }], healthCheck: { path: '/health', interval: '20ms', timeout: '1s' } } } },
    });
    const status = () => gw.gateway.state().services['hc@file']?.serverStatus?.[b.url];
    const served = async (n: number) => { const out: Array<string | undefined> = []; for (let i = 0; i < n; i++) out.push(servedBy(await send(gw.web, '/x'))); return count(out); };

    assert.deepEqual(await served(4), { a: 2, b: 2 });
    bHealthy = false;
    await until(probes, 'probe', () => status() === 'DOWN');
    assert.deepEqual(await served(4), { a: 4 }, 'evicted');
    bHealthy = true;
    await until(probes, 'probe', () => status() === 'UP');
    assert.deepEqual(await served(4), { a: 2, b: 2 }, 'back in rotation');
  });

  it('keeps a client on its server with a sticky cookie', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const gw = await startFileGateway(t, {
      routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } },
      services: { s: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }], sticky: { cookie: { name: 'lb', httpOnly: true } } } } },
    });
    const first = await send(gw.web, '/');
    const setCookie = String(first.headers['set-cookie']);
    assert.match(setCookie, /^lb=[0-9a-f]{16}; Path=\/; HttpOnly/);
    const cookie = setCookie.split(';')[0]!;
    const pinned = servedBy(first);
    for (let i = 0; i < 5; i++) {
      const r = await send(gw.web, '/', { headers: { cookie } });
      assert.equal(servedBy(r), pinned);
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not set again');
    }
    const other = count(await Promise.all([0, 1].map(async () => servedBy(await send(gw.web, '/')))));
    assert.deepEqual(Object.keys(other).sort(), ['a', 'b'], 'without the cookie: round robin');
  });
});

describe('streams and connections through the gateway', () => {
  it('streams 100 MB both ways with flat memory', async (t) => {
    const SIZE = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const upstream = createServer((req, res) => {
      if (req.method === 'POST') {
        let received = 0;
        req.on('data', (c: Buffer) => { received += c.length; });
        req.on('end', () => { res.writeHead(200); res.end(String(received)); });
        return;
      }
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
      let sent = 0;
      const pump = (): void => {
        while (sent < SIZE) {
          sent += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
    const gw = await startFileGateway(t, {
      routers: { big: { rule: 'PathPrefix(`/`)', service: 'big' } },
      services: { big: lb(`http://127.0.0.1:${(upstream.address() as { port: number }).port}`) },
    });
    // Live memory after a full GC (garbage awaiting collection is not growth). `external` includes the
    // buffers' memory; `arrayBuffers` alone jumps by tens of MB now and then without `external` moving.
    const mem = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
    // Flat = no sample above the first one (taken after 16 MB, once code and pools are warm) by much.
    const samples: number[] = [];
    const sample = (): void => { samples.push(mem()); };

    // Download
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      httpRequest(`${gw.web}/down`, { agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          got += c.length;
          if ((got & 0xffffff) < c.length) sample();
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject).end();
    });
    assert.equal(got, SIZE);

    // Upload, written with backpressure
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${gw.web}/up`, { method: 'POST', agent: false, headers: { 'content-length': SIZE } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c; });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < SIZE) {
          sent += chunk.length;
          if ((sent & 0xffffff) === 0) sample();
          if (!req.write(chunk)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
    assert.equal(answer, String(SIZE));
    assert.ok(samples.length >= 10, `${samples.length} samples`);
    const mb = (x: number): number => Math.round(x / 1048576);
    t.diagnostic(`live memory vs the first sample, MB: ${samples.map((x) => mb(x - samples[0]!)).join(', ')}`);
    // Bounded: far below the 100 MB that buffering one body would hold (Node 24's larger stream buffers
    // plateau near 40 MB once the pipe is full; Node 20's stay within a few MB).
    const peak = Math.max(...samples) - samples[0]!;
    assert.ok(peak < 64 * 1024 * 1024, `live memory grew by ${mb(peak)} MB while streaming 2×100 MB`);
    // Flat: memory does not keep growing with the bytes streamed (the later samples stay at the plateau).
    const early = Math.max(...samples.slice(0, 3));
    const late = Math.max(...samples.slice(3));
    assert.ok(late - early < 16 * 1024 * 1024, `live memory kept growing: ${mb(late - early)} MB after the first 48 MB`);
  });

  it('relays WebSocket frames both ways', async (t) => {
    const server = createServer((req, res) => { req.resume(); res.writeHead(426); res.end(); });
    const wss = new WebSocketServer({ server });
    let upgradeHeaders: IncomingMessage['headers'] | undefined;
    wss.on('connection', (ws, req) => {
      upgradeHeaders = req.headers;
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${String(data)}`, { binary: isBinary }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { wss.close(); server.closeAllConnections(); server.close(() => r()); }));
    const gw = await startFileGateway(t, {
      routers: { ws: { rule: 'Path(`/chat`)', service: 'ws' } },
      services: { ws: lb(`http://127.0.0.1:${(server.address() as { port: number }).port}`) },
    });
    const ws = new WebSocket(gw.web.replace('http:', 'ws:') + '/chat');
    t.after(() => ws.terminate());
    await once(ws, 'open');
    ws.send('hello');
    assert.equal(String((await once(ws, 'message'))[0]), 'echo:hello');
    const bin = Buffer.alloc(128 * 1024, 3);
    ws.send(bin);
    assert.deepEqual(Buffer.from((await once(ws, 'message'))[0] as Buffer), bin);
    assert.equal(upgradeHeaders?.['x-forwarded-proto'], 'ws');
    assert.equal(upgradeHeaders?.['x-forwarded-for'], '127.0.0.1');
    ws.close();
    await once(ws, 'close');
  });

  it('propagates a client abort to the upstream', async (t) => {
    const events = new EventEmitter();
    const up = await startUpstream(t, 'slow', (req, res) => {
      events.emit('received');
      res.once('close', () => events.emit('upstream-closed', res.writableFinished));
    });
    const gw = await startFileGateway(t, {
      routers: { slow: { rule: 'PathPrefix(`/`)', service: 'slow' } },
      services: { slow: lb(up.url) },
    });
    const closed = once(events, 'upstream-closed');
    const req = httpRequest(`${gw.web}/hang`, { agent: false });
    req.on('error', () => { /* we abort it */ });
    req.end();
    await once(events, 'received');
    req.destroy();
    const [finished] = await closed;
    assert.equal(finished, false, 'the upstream request was cut, not answered');
  });

  it('maps upstream failures: timeout 504, refused 502, no server 503', async (t) => {
    const hung = await startUpstream(t, 'hung', (req) => { req.resume(); /* never answers */ });
    const dead = await refusedPort();
    const gw = await startFileGateway(t, {
      routers: {
        hung: { rule: 'Path(`/hung`)', service: 'hung' },
        dead: { rule: 'Path(`/dead`)', service: 'dead' },
        empty: { rule: 'Path(`/empty`)', service: 'empty' },
      },
      services: { hung: lb(hung.url), dead: lb(`http://127.0.0.1:${dead}`), empty: { loadBalancer: { servers: [] } } },
    }, ['--serversTransport.forwardingTimeouts.responseHeaderTimeout=150ms']);
    const cases = [
      { desc: 'no response head within responseHeaderTimeout', path: '/hung', want: 504 },
      { desc: 'connection refused', path: '/dead', want: 502 },
      { desc: 'service without servers', path: '/empty', want: 503 },
    ];
    for (const c of cases) assert.equal((await send(gw.web, c.path)).status, c.want, c.desc);
  });
});
