import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server } from 'node:http';
import { Transform } from 'node:stream';
import type { ServersLoadBalancer } from '../../src/dynamic/types.ts';
import { respond, type RequestContext } from '../../src/http/context.ts';
import type { ProxyError } from '../../src/http/errors.ts';
import { PoolRegistry, type ForwardingTimeouts } from '../../src/proxy/pool.ts';
import { createServiceHandler, type ServiceHandler } from '../../src/proxy/service.ts';
import { startFront, type ProxyFront } from '../support/proxy-harness.ts';
import { collectReply, startUpstream } from '../support/upstream.ts';

interface Reply { status: number; headers: IncomingMessage['headers']; body: string }

/** One request through a real socket (no keep-alive, so each test controls its connections). */
function send(url: string, init: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer[] } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      collectReply(res, resolve, reject);
    });
    req.on('error', reject);
    if (Array.isArray(init.body)) { for (const c of init.body) req.write(c); req.end(); } else req.end(init.body);
  });
}

async function setup(t: TestContext, lb: ServersLoadBalancer, opts: { decorate?: (ctx: RequestContext) => void; timeouts?: ForwardingTimeouts; checkContinue?: boolean } = {}): Promise<{ svc: ServiceHandler; front: ProxyFront }> {
  const pools = new PoolRegistry();
  const svc = createServiceHandler('svc@test', lb, { pools, forwardingTimeouts: opts.timeouts });
  t.after(async () => { svc.close(); await pools.close(); });
  const front = await startFront(t, svc.handle, opts.decorate, { checkContinue: opts.checkContinue });
  return { svc, front };
}

/** A port nothing listens on (bound, then released). */
/** Listens on 127.0.0.1:0, closed by the test; returns the server URL. */
async function listenUpstream(t: TestContext, upstream: Server): Promise<string> {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  return `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
}

/** PUT of 5 bytes with `Expect: 100-continue`: the body goes only after "100 Continue" arrives. */
function putExpectingContinue(url: string): Promise<{ continued: boolean; body: string; status: number }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest(url + '/', { method: 'PUT', agent: false, headers: { expect: '100-continue', 'content-length': '5' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c; });
      res.on('end', () => { resolve({ continued, body, status: res.statusCode ?? 0 }); req.destroy(); });
    });
    req.on('continue', () => { continued = true; req.end('12345'); });
    req.on('error', reject);
    req.flushHeaders();
  });
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('load balancing through sockets', () => {
  it('follows the WRR sequence of the weights', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const { front } = await setup(t, { servers: [{ url: a.url, weight: 3 }, { url: b.url, weight: 1 }] });
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) seen.push(String((await send(front.url + '/')).headers['x-upstream']));
    assert.deepEqual(seen, ['a', 'a', 'b', 'a', 'a', 'a', 'a', 'b']);
  });

  it('answers 503 "no available server" without servers', async (t) => {
    const { front } = await setup(t, { servers: [] });
    const r = await send(front.url + '/');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no available server\n');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  });

  it('sticks a client to its server and falls back to WRR for an unknown cookie', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const { front } = await setup(t, { servers: [{ url: a.url }, { url: b.url }], sticky: { cookie: { name: 'lb', httpOnly: true } } });
    const first = await send(front.url + '/');
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^lb=[0-9a-f]{16}; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(';')[0]!;
    for (let i = 0; i < 4; i++) {
      const r = await send(front.url + '/', { headers: { cookie } });
      assert.equal(r.headers['x-upstream'], first.headers['x-upstream'], 'same server every time');
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not rewritten');
    }
    const other = await send(front.url + '/', { headers: { cookie: 'lb=0000000000000000' } });
    assert.equal(other.status, 200);
    assert.match(other.headers['set-cookie']?.[0] ?? '', /^lb=[0-9a-f]{16}/, 'a new cookie for the WRR pick');
  });
});

describe('request and response headers', () => {
  const hostCases = [
    { desc: 'passHostHeader default: upstream sees the client Host', passHostHeader: undefined, host: 'app.example.com', want: (_u: string) => 'app.example.com' },
    { desc: 'passHostHeader false: upstream sees its own host:port', passHostHeader: false, host: 'app.example.com', want: (u: string) => new URL(u).host },
  ];
  for (const c of hostCases) {
    it(c.desc, async (t) => {
      const a = await startUpstream(t, 'a');
      const { front } = await setup(t, { servers: [{ url: a.url }], passHostHeader: c.passHostHeader });
      const r = await send(front.url + '/', { headers: { host: c.host } });
      assert.equal(r.status, 200);
      assert.equal(a.seen[0]!.headers.host, c.want(a.url));
      assert.equal(a.seen[0]!.headers['x-forwarded-host'], c.host);
    });
  }

  it('strips hop-by-hop headers both ways, keeps TE: trailers', async (t) => {
    const a = await startUpstream(t, 'a', (req, res) => {
      req.resume();
      res.writeHead(200, { connection: 'x-secret', 'x-secret': '1', 'proxy-authenticate': 'Basic', 'x-kept': 'yes', 'content-type': 'text/plain' });
      res.end('ok');
    });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const r = await send(front.url + '/', {
      headers: {
        connection: 'keep-alive, x-drop-me', 'x-drop-me': '1', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic eA==',
        'proxy-connection': 'keep-alive', te: 'trailers, deflate', upgrade: 'h2c', 'x-keep': 'me',
      },
    });
    assert.equal(r.status, 200);
    const h = a.seen[0]!.headers;
    for (const gone of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'upgrade']) assert.equal(h[gone], undefined, gone);
    assert.equal(h.te, 'trailers');
    assert.equal(h['x-keep'], 'me');
    assert.equal(r.headers['x-secret'], undefined);
    assert.equal(r.headers['proxy-authenticate'], undefined);
    assert.equal(r.headers['x-kept'], 'yes');
    assert.equal(r.body, 'ok');
  });

  const pathCases = [
    { desc: 'server path ignored without preservePath', preservePath: false, target: '/x/y?q=1', want: '/x/y?q=1' },
    { desc: 'server path joined with preservePath', preservePath: true, target: '/x?q=1', want: '/base/x?q=1' },
    { desc: 'semicolons in the query become "&" (Traefik)', preservePath: false, target: '/x?a=1;b=2', want: '/x?a=1&b=2' },
  ];
  for (const c of pathCases) {
    it(`path: ${c.desc}`, async (t) => {
      const a = await startUpstream(t, 'a');
      const { front } = await setup(t, { servers: [{ url: a.url + '/base/', preservePath: c.preservePath }] });
      assert.equal((await send(front.url + c.target)).status, 200);
      assert.equal(a.seen[0]!.url, c.want);
    });
  }

  it('sends X-Forwarded-Prefix from ctx.strippedPrefix and the rewritten ctx.path', async (t) => {
    const a = await startUpstream(t, 'a');
    const { front } = await setup(t, { servers: [{ url: a.url }] }, { decorate: (ctx) => { ctx.strippedPrefix = '/api'; ctx.path = ctx.path.slice(4) || '/'; } });
    await send(front.url + '/api/users');
    assert.equal(a.seen[0]!.url, '/users');
    assert.equal(a.seen[0]!.headers['x-forwarded-prefix'], '/api');
  });

  it('runs onResponseHead hooks and pipes through responseTransforms; sets ctx.status and ctx.upstream', async (t) => {
    const a = await startUpstream(t, 'a', (req, res) => { req.resume(); res.writeHead(201, { 'content-type': 'text/plain', 'content-length': '5' }); res.end('hello'); });
    const hookSaw: number[] = [];
    const { front } = await setup(t, { servers: [{ url: a.url }] }, {
      decorate: (ctx) => {
        ctx.onResponseHead = [(status, headers) => { hookSaw.push(status); headers['x-hook'] = 'on'; }];
        ctx.responseTransforms = [
          () => undefined,
          (_status, headers) => {
            delete headers['content-length'];
            return new Transform({ transform(chunk: Buffer, _enc, cb) { cb(null, chunk.toString().toUpperCase()); } });
          },
        ];
      },
    });
    const r = await send(front.url + '/');
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-hook'], 'on');
    assert.equal(r.body, 'HELLO');
    assert.deepEqual(hookSaw, [201]);
    assert.equal(front.contexts[0]!.status, 201);
    assert.equal(front.contexts[0]!.upstream, a.url);
    assert.equal(front.contexts[0]!.attempts, 1);
  });

  it('keeps Content-Encoding and the body bytes as the upstream sent them', async (t) => {
    const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x80]);
    const a = await startUpstream(t, 'a', (req, res) => { req.resume(); res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bytes.length) }); res.end(bytes); });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const got = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      httpRequest(front.url + '/', { agent: false, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    assert.equal(got.enc, 'gzip');
    assert.deepEqual(got.body, bytes);
    assert.equal(a.seen[0]!.headers['accept-encoding'], 'gzip');
  });
});

describe('bodies', () => {
  it('streams a chunked body both ways without buffering (chunk-by-chunk ping-pong)', async (t) => {
    const a = await startUpstream(t, 'a', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.on('data', (c: Buffer) => res.write(c.toString().toUpperCase()));
      req.on('end', () => res.end('|' + String(req.headers['transfer-encoding'])));
    });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const r = await new Promise<{ body: string; te: string | undefined }>((resolve, reject) => {
      const req = httpRequest(front.url + '/', { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        const next = ['def', null];
        res.on('data', (c: Buffer) => {
          body += c;
          // Each echo proves the previous chunk crossed the proxy alone, before the request ended.
          if (next.length > 0) { const n = next.shift(); if (n === null) req.end(); else req.write(n!); }
        });
        res.on('end', () => resolve({ body, te: res.headers['transfer-encoding'] }));
      });
      req.on('error', reject);
      req.write('abc');
    });
    assert.deepEqual(r, { body: 'ABCDEF|chunked', te: 'chunked' });
  });

  it('relays the upstream "100 Continue", then the body', async (t) => {
    const upstream = createServer((req, res) => { let n = 0; req.on('data', (c: Buffer) => { n += c.length; }); req.on('end', () => res.end(`got ${n}`)); });
    upstream.on('checkContinue', (req, res) => { res.writeContinue(); upstream.emit('request', req, res); });
    const { front } = await setup(t, { servers: [{ url: await listenUpstream(t, upstream) }] }, { checkContinue: true });
    const r = await putExpectingContinue(front.url);
    assert.deepEqual(r, { continued: true, body: 'got 5', status: 200 });
  });

  it('relays a final answer to Expect: 100-continue without sending the body', async (t) => {
    let bodyBytes = 0;
    const upstream = createServer();
    upstream.on('checkContinue', (req, res) => { req.on('data', (c: Buffer) => { bodyBytes += c.length; }); res.writeHead(417, { 'content-type': 'text/plain' }); res.end('no thanks'); });
    const { front } = await setup(t, { servers: [{ url: await listenUpstream(t, upstream) }] }, { checkContinue: true });
    const r = await putExpectingContinue(front.url);
    assert.deepEqual(r, { continued: false, body: 'no thanks', status: 417 });
    assert.equal(bodyBytes, 0);
  });
});

describe('failures', () => {
  it('answers 502 for a refused connection', async (t) => {
    const { front } = await setup(t, { servers: [{ url: `http://127.0.0.1:${await deadPort()}` }] });
    const r = await send(front.url + '/');
    assert.equal(r.status, 502);
    assert.equal(r.body, 'Bad Gateway');
    assert.equal(front.contexts[0]!.status, 502);
  });

  it('answers 502 when the upstream resets the connection', async (t) => {
    const a = await startUpstream(t, 'a', (req) => { req.socket.destroy(); });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    assert.equal((await send(front.url + '/')).status, 502);
  });

  it('answers 504 when the response head does not come within responseHeaderTimeout', async (t) => {
    const a = await startUpstream(t, 'a', () => { /* never answers */ });
    const { front } = await setup(t, { servers: [{ url: a.url }] }, { timeouts: { responseHeaderTimeout: 50 } });
    const r = await send(front.url + '/');
    assert.equal(r.status, 504);
    assert.equal(r.body, 'Gateway Timeout');
  });

  it('calls onAttemptFailed before writing anything, and lets the caller retry', async (t) => {
    const b = await startUpstream(t, 'b');
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const failures: ProxyError[] = [];
    let svc: ServiceHandler | undefined;
    const { front, svc: s } = await setup(t, { servers: [{ url: dead, weight: 2 }, { url: b.url, weight: 1 }] }, {
      decorate: (ctx) => {
        ctx.onAttemptFailed = (err) => {
          failures.push(err);
          if (ctx.attempts >= 3) return false;
          setImmediate(() => svc!.handle(ctx));
          return true;
        };
      },
    });
    svc = s;
    const r = await send(front.url + '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'b');
    assert.ok(failures.length >= 1);
    assert.ok(failures.every((f) => f.code === 'TAGWAY_UPSTREAM_REFUSED' && f.status === 502));
    assert.equal(front.contexts[0]!.attempts, failures.length + 1);
  });

  it('answers the mapped status when onAttemptFailed declines', async (t) => {
    const { front } = await setup(t, { servers: [{ url: `http://127.0.0.1:${await deadPort()}` }] }, { decorate: (ctx) => { ctx.onAttemptFailed = () => false; } });
    assert.equal((await send(front.url + '/')).status, 502);
  });

  it('aborts the upstream request when the client leaves before the answer (499)', async (t) => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => { upstreamClosed = r; });
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => { arrived = r; });
    const a = await startUpstream(t, 'a', (req) => { req.socket.on('close', () => upstreamClosed()); arrived(); });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const req = httpRequest(front.url + '/', { agent: false });
    req.on('error', () => { /* we destroy it */ });
    req.end();
    await arrival;
    req.destroy();
    await closed;
    assert.equal(front.contexts[0]!.status, 499);
  });

  it('aborts the upstream when the client leaves in the middle of the body', async (t) => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => { upstreamClosed = r; });
    const a = await startUpstream(t, 'a', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024, 1));
      res.on('close', () => upstreamClosed()); // never ends on its own
    });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(front.url + '/', { agent: false }, (res) => { res.once('data', () => { req.destroy(); resolve(); }); });
      req.on('error', () => { /* we destroy it */ });
      req.once('error', reject);
      req.end();
    });
    await closed;
    assert.equal(front.contexts[0]!.status, 200);
  });

  it('drops a late upstream answer when the entry point already answered (its timeout)', async (t) => {
    let arrived!: (res: import('node:http').ServerResponse) => void;
    const arrival = new Promise<import('node:http').ServerResponse>((r) => { arrived = r; });
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => { upstreamClosed = r; });
    const a = await startUpstream(t, 'a', (req, res) => { req.resume(); res.on('close', () => upstreamClosed()); arrived(res); });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const reply = send(front.url + '/');
    const upstreamRes = await arrival;
    respond(front.contexts[0]!, 504, 'entry point timeout');
    const r = await reply;
    assert.deepEqual([r.status, r.body], [504, 'entry point timeout']);
    upstreamRes.writeHead(200, { 'content-type': 'text/plain' });
    upstreamRes.end('too late');
    await closed;
    assert.equal(front.contexts[0]!.status, 504);
  });

  it('cuts the client connection when the upstream dies mid-body', async (t) => {
    const a = await startUpstream(t, 'a', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setImmediate(() => req.socket.destroy());
    });
    const { front } = await setup(t, { servers: [{ url: a.url }] });
    const outcome = await new Promise<string>((resolve) => {
      httpRequest(front.url + '/', { agent: false }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('end'));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('aborted'));
      }).on('error', () => resolve('error')).end();
    });
    assert.notEqual(outcome, 'end');
  });
});

describe('tracing hooks', () => {
  it('starts one attempt per try with the outgoing headers, then reports the outcome', async (t) => {
    const b = await startUpstream(t, 'b');
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const calls: string[] = [];
    let svc: ServiceHandler | undefined;
    const { front, svc: s } = await setup(t, { servers: [{ url: dead }, { url: b.url }] }, {
      decorate: (ctx) => {
        ctx.trace = {
          verbosity: 'minimal',
          refuse() {},
          startAttempt(_server, path, headers, resendCount) {
            headers.traceparent = `00-${'a'.repeat(32)}-${String(resendCount).padStart(16, '0')}-01`;
            calls.push(`start ${path} resend=${resendCount}`);
            return {
              onResponse: (status) => calls.push(`response ${status}`),
              onError: (status, err) => calls.push(`error ${status} ${(err as ProxyError).code}`),
            };
          },
        };
        ctx.onAttemptFailed = () => { setImmediate(() => svc!.handle(ctx)); return true; };
      },
    });
    svc = s;
    const r = await send(front.url + '/p?q=1', { headers: { traceparent: `00-${'f'.repeat(32)}-${'f'.repeat(16)}-01` } });
    assert.equal(r.status, 200);
    assert.deepEqual(calls, ['start /p?q=1 resend=0', 'error 502 TAGWAY_UPSTREAM_REFUSED', 'start /p?q=1 resend=1', 'response 200']);
    assert.equal(b.seen[0]!.headers.traceparent, `00-${'a'.repeat(32)}-0000000000000001-01`, 'the injected traceparent replaces the incoming one');
  });
});

describe('serverStatus', () => {
  it('lists every configured server as UP at start', async (t) => {
    const a = await startUpstream(t, 'a');
    const { svc } = await setup(t, { servers: [{ url: a.url }, { url: 'http://127.0.0.1:1', weight: 0 }] });
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'UP', 'http://127.0.0.1:1': 'UP' });
  });

  it('refuses an invalid server URL, naming it', (t) => {
    const pools = new PoolRegistry();
    t.after(() => pools.close());
    assert.throws(() => createServiceHandler('bad@test', { servers: [{ url: 'not a url' }] }, { pools }), /bad@test.*"not a url"/);
    assert.throws(() => createServiceHandler('bad@test', { servers: [{ url: 'ftp://x' }] }, { pools }), /http, https or h2c/);
    assert.equal(pools.size, 0, 'no pool leaked by the failed build');
  });
});


describe('lazy (a plain service made by its first request)', () => {
  it('holds no pool until the first request, then balances as the eager handler does', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const pools = new PoolRegistry();
    const svc = createServiceHandler('lazy@test', { servers: [{ url: a.url, weight: 3 }, { url: b.url, weight: 1 }] }, { pools, lazy: true });
    t.after(async () => { svc.close(); await pools.close(); });
    assert.equal(pools.size, 0, 'no pool before a request');
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'UP', [b.url]: 'UP' });
    assert.equal(svc.serverHealth(), undefined);
    assert.ok(svc.registerStatusUpdater?.(() => {}) instanceof Error, 'no health check to report from');
    const front = await startFront(t, svc.handle);
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) seen.push(String((await send(front.url + '/')).headers['x-upstream']));
    assert.deepEqual(seen, ['a', 'a', 'b', 'a', 'a', 'a', 'a', 'b']);
    assert.equal(pools.size, 2);
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'UP', [b.url]: 'UP' });
    svc.close();
    await waitFor(() => pools.size === 0);
  });

  it('refuses what the eager handler refuses, with the same error, when it is built', (t) => {
    const pools = new PoolRegistry();
    t.after(() => pools.close());
    const cases: Array<{ desc: string; lb: ServersLoadBalancer }> = [
      { desc: 'a server without url', lb: { servers: [{ url: 'http://127.0.0.1:1' }, {} as { url: string }] } },
      { desc: 'not a URL', lb: { servers: [{ url: 'not a url' }] } },
      { desc: 'a port out of range', lb: { servers: [{ url: 'http://127.0.0.1:70000' }] } },
      { desc: 'an IPv4 address out of range', lb: { servers: [{ url: 'http://10.0.0.300:80' }] } },
      { desc: 'another scheme', lb: { servers: [{ url: 'ftp://x' }] } },
      { desc: 'another scheme behind a space', lb: { servers: [{ url: ' ftp://x' }] } },
      { desc: 'a strategy tagway lacks', lb: { strategy: 'leasttime', servers: [{ url: 'http://127.0.0.1:1' }] } },
      { desc: 'an unknown strategy', lb: { strategy: 'bogus', servers: [{ url: 'http://127.0.0.1:1' }] } },
    ];
    for (const { desc, lb } of cases) {
      let eager: unknown;
      try { createServiceHandler('bad@test', lb, { pools }).close(); } catch (err) { eager = err; }
      assert.ok(eager instanceof Error, `${desc}: the eager build refuses it`);
      assert.throws(() => createServiceHandler('bad@test', lb, { pools, lazy: true }), { message: eager.message }, desc);
    }
    for (const url of ['HTTP://127.0.0.1:1', ' http://127.0.0.1:1', 'h2c://127.0.0.1:1', 'https://[::1]:1/base']) {
      assert.doesNotThrow(() => createServiceHandler('ok@test', { servers: [{ url }] }, { pools, lazy: true }).close(), url);
    }
    assert.equal(pools.size, 0, 'no pool made by the checks');
  });

  it('serves a request that arrives after close (a request on the previous table) and keeps no pool for it', async (t) => {
    const a = await startUpstream(t, 'a');
    const pools = new PoolRegistry();
    const svc = createServiceHandler('late@test', { servers: [{ url: a.url }] }, { pools, lazy: true });
    t.after(() => pools.close());
    svc.close();
    const front = await startFront(t, svc.handle);
    const r = await send(front.url + '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'a');
    await waitFor(() => pools.size === 0);
  });

  it('stays eager with a health check or a sticky cookie (they work before any request)', (t) => {
    const pools = new PoolRegistry();
    const svc = createServiceHandler('sticky@test', { servers: [{ url: 'http://127.0.0.1:1' }], sticky: { cookie: {} } }, { pools, lazy: true });
    t.after(async () => { svc.close(); await pools.close(); });
    assert.equal(pools.size, 1);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
