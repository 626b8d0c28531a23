import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { lb, send, startFileGateway } from '../support/file-gateway.ts';

interface StaleUpstream { url: string; attempts: Array<{ method: string; reused: boolean }> }

/**
 * An upstream that keeps connections alive (it says so) but drops an idle one exactly when the next request
 * arrives on it, before answering: the race of an upstream idle timeout against a reused pooled connection,
 * forced on every reuse instead of timed. With `dropFresh`, it drops fresh connections' requests too.
 */
async function staleUpstream(t: TestContext, opts: { dropFresh?: boolean } = {}): Promise<StaleUpstream> {
  const served = new WeakMap<Socket, number>();
  const attempts: StaleUpstream['attempts'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const n = served.get(req.socket) ?? 0;
    served.set(req.socket, n + 1);
    attempts.push({ method: req.method ?? '', reused: n > 0 });
    if (n > 0 || opts.dropFresh) { req.socket.destroy(); return; }
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, attempts };
}

describe('stale pooled connections (Go transport retry)', () => {
  it('0 of 500 GETs fail when every reused connection is closed as the request is written', async (t) => {
    const up = await staleUpstream(t);
    const gw = await startFileGateway(t, { routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } }, services: { s: lb(up.url) } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 500; i++) {
      const r = await send(gw.web, `/r${i}`, { agent });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
    assert.deepEqual(statuses, { 200: 500 });
    // The race really happened: each GET after the first met a stale connection, then a fresh one.
    assert.equal(up.attempts.filter((a) => a.reused).length, 499);
    assert.equal(up.attempts.length, 999);
  });

  it('HEAD, OPTIONS and a body-less POST with Idempotency-Key are replayed too', async (t) => {
    const up = await staleUpstream(t);
    const gw = await startFileGateway(t, { routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } }, services: { s: lb(up.url) } });
    assert.equal((await send(gw.web, '/warm')).status, 200);
    assert.equal((await send(gw.web, '/', { method: 'HEAD' })).status, 200);
    assert.equal((await send(gw.web, '/', { method: 'OPTIONS' })).status, 200);
    assert.equal((await send(gw.web, '/', { method: 'POST', headers: { 'idempotency-key': 'k1' } })).status, 200);
  });

  it('a request with a body is not replayed (it cannot be sent twice): 502', async (t) => {
    const up = await staleUpstream(t);
    const gw = await startFileGateway(t, { routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } }, services: { s: lb(up.url) } });
    assert.equal((await send(gw.web, '/warm')).status, 200);
    const r = await send(gw.web, '/', { method: 'POST', body: 'payload' });
    assert.equal(r.status, 502);
    assert.deepEqual(up.attempts.map((a) => `${a.method}${a.reused ? ' reused' : ''}`), ['GET', 'POST reused']);
  });

  it('a non-idempotent body-less request is not replayed: 502', async (t) => {
    const up = await staleUpstream(t);
    const gw = await startFileGateway(t, { routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } }, services: { s: lb(up.url) } });
    assert.equal((await send(gw.web, '/warm')).status, 200);
    assert.equal((await send(gw.web, '/', { method: 'DELETE' })).status, 502);
    assert.equal(up.attempts.length, 2);
  });

  it('a failure on a fresh connection is not retried (one attempt, 502)', async (t) => {
    const up = await staleUpstream(t, { dropFresh: true });
    const gw = await startFileGateway(t, { routers: { s: { rule: 'PathPrefix(`/`)', service: 's' } }, services: { s: lb(up.url) } });
    assert.equal((await send(gw.web, '/')).status, 502);
    assert.equal((await send(gw.web, '/')).status, 502);
    assert.deepEqual(up.attempts.map((a) => a.reused), [false, false]);
  });
});
