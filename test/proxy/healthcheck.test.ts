import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { ServerHealthCheck } from '../../src/dynamic/types.ts';
import { HealthChecker, healthCheckSettings, probe, type HealthCheckSettings } from '../../src/proxy/healthcheck.ts';
import { PoolRegistry } from '../../src/proxy/pool.ts';
import { createServiceHandler } from '../../src/proxy/service.ts';
import { startFront } from '../support/proxy-harness.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';

/** An upstream whose /health answers `state.status`; counts health probes. */
async function healthUpstream(t: TestContext, name: string): Promise<Upstream & { state: { status: number; probes: number } }> {
  const state = { status: 200, probes: 0 };
  const up = await startUpstream(t, name, (req, res) => {
    req.resume();
    if (req.url === '/health') { state.probes++; res.writeHead(state.status); res.end(); return; }
    res.writeHead(200, { 'x-upstream': name });
    res.end(name);
  });
  return Object.assign(up, { state });
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => { let b = ''; res.on('data', (c: Buffer) => { b += c; }); res.on('end', () => resolve(b)); }).on('error', reject).end();
  });
}

/**
 * undici keeps timer handles (keep-alive, its process-wide "fast timer") made with whatever `setTimeout`
 * was installed; under mock timers a handle outliving its test, cleared under a later test's mock,
 * cancels an unrelated timer there (Node's mock clears by queue position). So at most one test per file
 * mocks timers *and* forwards through undici (see sticky-health.test.ts), and it dials without a timeout.
 */
const NO_FAST_TIMERS = { dialTimeout: 0 };

describe('healthCheckSettings', () => {
  const base = { path: '', method: 'GET', status: 0, port: 0, scheme: '', hostname: '', headers: {}, followRedirects: true };
  const cases: Array<{ desc: string; hc: ServerHealthCheck; want: Partial<HealthCheckSettings> }> = [
    { desc: "Traefik's defaults", hc: {}, want: { ...base, interval: 30_000, unhealthyInterval: 30_000, timeout: 5_000 } },
    { desc: 'unhealthyInterval follows interval when unset', hc: { interval: '10s' }, want: { interval: 10_000, unhealthyInterval: 10_000 } },
    { desc: 'explicit unhealthyInterval', hc: { interval: '10s', unhealthyInterval: '2s', timeout: '500ms' }, want: { interval: 10_000, unhealthyInterval: 2_000, timeout: 500 } },
    { desc: 'zero durations fall back to defaults', hc: { interval: '0s', timeout: '0' }, want: { interval: 30_000, timeout: 5_000 } },
    { desc: 'method upper-cased, options kept', hc: { method: 'head', status: 204, port: 9000, scheme: 'https', hostname: 'h', followRedirects: false, headers: { a: 'b' } }, want: { method: 'HEAD', status: 204, port: 9000, scheme: 'https', hostname: 'h', followRedirects: false, headers: { a: 'b' } } },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const got = healthCheckSettings(c.hc);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k as keyof HealthCheckSettings], v, k);
    });
  }
  it('refuses an unparsable duration', () => assert.throws(() => healthCheckSettings({ interval: 'soon' }), { code: 'TAGWAY_BAD_DURATION' }));
});

describe('probe', () => {
  it('sends path, method, headers and Host as configured', async (t) => {
    const up = await startUpstream(t, 'a', (req, res) => { req.resume(); res.writeHead(204); res.end(); });
    await probe(new URL(up.url + '/app/'), healthCheckSettings({ path: 'ready?x=1', method: 'head', hostname: 'svc.local', headers: { 'x-probe': '1' }, status: 204 }));
    assert.equal(up.seen[0]!.url, '/app/ready?x=1', 'relative path resolves against the server URL');
    assert.equal(up.seen[0]!.method, 'HEAD');
    assert.equal(up.seen[0]!.headers.host, 'svc.local');
    assert.equal(up.seen[0]!.headers['x-probe'], '1');
  });

  it('uses the health-check port instead of the server port', async (t) => {
    const up = await startUpstream(t, 'a');
    await probe(new URL('http://127.0.0.1:1/'), healthCheckSettings({ path: '/health', port: up.port }));
    assert.equal(up.seen.length, 1);
  });

  const statusCases = [
    { desc: '2xx passes by default', answer: 200, hc: {}, ok: true },
    { desc: '3xx passes without following redirects', answer: 302, hc: { followRedirects: false }, ok: true },
    { desc: '4xx fails by default', answer: 404, hc: {}, ok: false },
    { desc: 'an expected status must match exactly', answer: 200, hc: { status: 204 }, ok: false },
  ];
  for (const c of statusCases) {
    it(c.desc, async (t) => {
      const up = await startUpstream(t, 'a', (req, res) => { req.resume(); res.writeHead(c.answer, { location: '/elsewhere' }); res.end(); });
      const p = probe(new URL(up.url), healthCheckSettings({ path: '/health', ...c.hc }));
      if (c.ok) await p; else await assert.rejects(p, /received error status code/);
    });
  }

  it('follows redirects by default and judges the final answer', async (t) => {
    const up = await startUpstream(t, 'a', (req, res) => {
      req.resume();
      if (req.url === '/health') { res.writeHead(301, { location: '/moved' }); res.end(); return; }
      res.writeHead(503); res.end();
    });
    await assert.rejects(probe(new URL(up.url), healthCheckSettings({ path: '/health' })), /503/);
    assert.deepEqual(up.seen.map((s) => s.url), ['/health', '/moved']);
  });

  it('fails on a refused connection', async () => {
    await assert.rejects(probe(new URL('http://127.0.0.1:1/'), healthCheckSettings({})), { code: 'ECONNREFUSED' });
  });
});

describe('HealthChecker', () => {
  it('takes a failing server out at the next interval and back in at the next unhealthy interval', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const a = await healthUpstream(t, 'a');
    const changes: string[] = [];
    const hc = new HealthChecker(
      healthCheckSettings({ path: '/health', interval: '10s', unhealthyInterval: '3s' }),
      [{ name: 'a', url: new URL(a.url) }],
      (name, up) => changes.push(`${name}:${up ? 'UP' : 'DOWN'}`),
    );
    t.after(() => hc.stop());
    hc.start();
    t.mock.timers.tick(9_999);
    await hc.settled();
    assert.equal(a.state.probes, 0, 'first probe one interval after start');
    a.state.status = 500;
    t.mock.timers.tick(1);
    await hc.settled();
    assert.deepEqual(changes, ['a:DOWN']);
    assert.equal(hc.isUp('a'), false);
    a.state.status = 200;
    t.mock.timers.tick(3_000);
    await hc.settled();
    assert.deepEqual(changes, ['a:DOWN', 'a:UP']);
    assert.equal(a.state.probes, 2);
  });

  it('stop() cancels the schedule', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const a = await healthUpstream(t, 'a');
    const hc = new HealthChecker(healthCheckSettings({ path: '/health', interval: '1s' }), [{ name: 'a', url: new URL(a.url) }], () => {});
    hc.start();
    hc.stop();
    hc.stop();
    t.mock.timers.tick(5_000);
    await hc.settled();
    assert.equal(a.state.probes, 0);
  });
});

describe('service with health checks', () => {
  it('routes around a server that fails its checks and back when it recovers', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const a = await healthUpstream(t, 'a');
    const b = await healthUpstream(t, 'b');
    const pools = new PoolRegistry();
    const svc = createServiceHandler('hc@test', { servers: [{ url: a.url }, { url: b.url }], healthCheck: { path: '/health', interval: '10s' } }, { pools, forwardingTimeouts: NO_FAST_TIMERS });
    t.after(async () => { svc.close(); await pools.close(); });
    const front = await startFront(t, svc.handle);

    a.state.status = 503;
    t.mock.timers.tick(10_000);
    await svc.settled();
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'DOWN', [b.url]: 'UP' });
    const served = [await get(front.url), await get(front.url), await get(front.url)];
    assert.deepEqual(served, ['b', 'b', 'b']);

    b.state.status = 503;
    t.mock.timers.tick(10_000);
    await svc.settled();
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'DOWN', [b.url]: 'DOWN' });
    assert.equal(await get(front.url), 'no available server\n');

    a.state.status = 200;
    t.mock.timers.tick(10_000);
    await svc.settled();
    assert.deepEqual(svc.serverStatus(), { [a.url]: 'UP', [b.url]: 'DOWN' });
    assert.equal(await get(front.url), 'a');
  });

  it('does not probe when health checks are disabled by the caller', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const a = await healthUpstream(t, 'a');
    const pools = new PoolRegistry();
    const svc = createServiceHandler('hc@test', { servers: [{ url: a.url }], healthCheck: { path: '/health', interval: '1s' } }, { pools, healthChecks: false });
    t.after(async () => { svc.close(); await pools.close(); });
    t.mock.timers.tick(5_000);
    await svc.settled();
    assert.equal(a.state.probes, 0);
  });
});
