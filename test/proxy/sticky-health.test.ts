import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { PoolRegistry } from '../../src/proxy/pool.ts';
import { createServiceHandler } from '../../src/proxy/service.ts';
import { startFront } from '../support/proxy-harness.ts';
import { startUpstream } from '../support/upstream.ts';

// In its own file: it mocks timers and forwards through undici (see the note in healthcheck.test.ts).
const NO_FAST_TIMERS = { dialTimeout: 0 };

function getWithCookie(url: string, cookie: string | undefined): Promise<{ body: string; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false, headers: cookie ? { cookie } : {} }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => { b += c; });
      res.on('end', () => resolve({ body: b, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] ?? cookie }));
    }).on('error', reject).end();
  });
}

describe('sticky sessions and health checks', () => {
  it('moves a sticky client to another server when its server goes down', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const a = await healthUpstream(t, 'a');
    const b = await healthUpstream(t, 'b');
    const pools = new PoolRegistry();
    const svc = createServiceHandler('hc@test', { servers: [{ url: a.url }, { url: b.url }], sticky: { cookie: { name: 'lb' } }, healthCheck: { path: '/health', interval: '10s' } }, { pools, forwardingTimeouts: NO_FAST_TIMERS });
    t.after(async () => { svc.close(); await pools.close(); });
    const front = await startFront(t, svc.handle);
    const first = await getWithCookie(front.url, undefined);
    assert.equal(first.body, 'a');
    assert.equal(await getWithCookie(front.url, first.cookie).then((r) => r.body), 'a');
    a.state.status = 500;
    t.mock.timers.tick(10_000);
    await svc.settled();
    const moved = await getWithCookie(front.url, first.cookie);
    assert.equal(moved.body, 'b');
    assert.notEqual(moved.cookie, first.cookie, 'a new cookie for the new server');
    assert.equal(await getWithCookie(front.url, moved.cookie).then((r) => r.body), 'b');
  });
});

/** An upstream whose /health answers `state.status`. */
async function healthUpstream(t: TestContext, name: string) {
  const state = { status: 200 };
  const up = await startUpstream(t, name, (req, res) => {
    req.resume();
    if (req.url === '/health') { res.writeHead(state.status); res.end(); return; }
    res.writeHead(200);
    res.end(name);
  });
  return Object.assign(up, { state });
}
