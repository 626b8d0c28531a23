import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ServerResponse } from 'node:http';
import { startFileGateway, send, lb } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

/**
 * `mirroring` services through the running gateway, and Traefik's pkg/server/service/loadbalancer/mirror/mirror_test.go
 * ported: the main handler and each mirror are real upstreams behind load-balancer services; what a mirror
 * received is read from its upstream.
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/server/service/loadbalancer/mirror/mirror_test.go`);

interface Recorder { url: string; bodies: string[] }
async function recorder(t: TestContext, name: string, onRequest?: (res: ServerResponse) => boolean): Promise<Recorder> {
  const bodies: string[] = [];
  const up = await startUpstream(t, name, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c; });
    req.on('end', () => {
      bodies.push(body);
      if (onRequest?.(res) === true) return;
      res.writeHead(200, { server: name });
      res.end(`${name}:${body}`);
    });
  });
  return { url: up.url, bodies };
}

function tctx(): TestContext & { done(): Promise<void> } {
  const fns: Array<() => unknown> = [];
  return { after: (fn: () => unknown) => { fns.push(fn); }, async done() { for (const fn of fns.reverse()) await fn(); } } as unknown as TestContext & { done(): Promise<void> };
}

describe('mirroring: Traefik mirror table through the running gateway', () => {
  for (const [desc, n, want1, want2] of [['TestMirroringOn100', 100, 10, 50], ['TestMirroringOn10', 10, 1, 5]] as const) {
    it(desc, () => tally.runAsync(desc, undefined, async () => {
      const t = tctx();
      const [main, m1, m2] = [await recorder(t, 'main'), await recorder(t, 'm1'), await recorder(t, 'm2')];
      const gw = await startFileGateway(t, {
        routers: { r: { rule: 'PathPrefix(`/`)', service: 'mirror' } },
        services: { mirror: { mirroring: { service: 'main', mirrors: [{ name: 'm1', percent: 10 }, { name: 'm2', percent: 50 }] } }, main: lb(main.url), m1: lb(m1.url), m2: lb(m2.url) },
      });
      for (let i = 0; i < n; i++) assert.equal((await send(gw.web, '/')).status, 200);
      await waitFor('mirrors received their share', () => m1.bodies.length === want1 && m2.bodies.length === want2);
      assert.equal(main.bodies.length, n);
      await t.done();
    }));
  }

  it('TestInvalidPercent', () => tally.runAsync('TestInvalidPercent', undefined, async () => {
    const t = tctx();
    const main = await recorder(t, 'main');
    const svc = (percent: number): unknown => ({ mirroring: { service: 'main', mirrors: [{ name: 'main', percent }] } });
    const gw = await startFileGateway(t, {
      routers: Object.fromEntries(['m1', 'p101', 'p100', 'p0'].map((n) => [n, { rule: `Path(\`/${n}\`)`, service: n }])),
      services: { main: lb(main.url), m1: svc(-1), p101: svc(101), p100: svc(100), p0: svc(0) },
    });
    const s = gw.gateway.state().services;
    assert.match(s['m1@file']?.error?.join() ?? '', /percent must be between 0 and 100/);
    assert.match(s['p101@file']?.error?.join() ?? '', /percent must be between 0 and 100/);
    assert.equal(s['p100@file']?.status, 'enabled');
    assert.equal(s['p0@file']?.status, 'enabled');
    await t.done();
  }));

  for (const [desc, mirrorBody, want] of [['TestMirroringWithBody', true, 'body'], ['TestMirroringWithIgnoredBody', false, '']] as const) {
    it(desc, () => tally.runAsync(desc, undefined, async () => {
      const t = tctx();
      const main = await recorder(t, 'main');
      const mirrors = await Promise.all(Array.from({ length: 10 }, (_, i) => recorder(t, `m${i}`)));
      const services: Record<string, unknown> = { main: lb(main.url) };
      mirrors.forEach((m, i) => { services[`m${i}`] = lb(m.url); });
      services.mirror = { mirroring: { service: 'main', mirrorBody, mirrors: mirrors.map((_, i) => ({ name: `m${i}`, percent: 100 })) } };
      const gw = await startFileGateway(t, { routers: { r: { rule: 'PathPrefix(`/`)', service: 'mirror' } }, services });
      const r = await send(gw.web, '/', { method: 'POST', body: 'body' });
      assert.equal(r.body, 'main:body');
      await waitFor('every mirror got its copy', () => mirrors.every((m) => m.bodies.length === 1));
      for (const m of mirrors) assert.equal(m.bodies[0], want);
      assert.deepEqual(main.bodies, ['body']);
      await t.done();
    }));
  }

  it('count', (t) => tally.report(t));
});

describe('mirroring services through the running gateway', () => {
  it('a mirror that hangs or is down never slows or fails the main request; mirrors start once the main answer is complete', async (t) => {
    const hung: ServerResponse[] = [];
    t.after(() => { for (const r of hung) r.destroy(); });
    const main = await recorder(t, 'main');
    const slow = await recorder(t, 'slow', (res) => { hung.push(res); return true; });
    const down = await startUpstream(undefined, 'down');
    await new Promise<void>((resolve) => down.server.close(() => resolve()));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'mirror' } },
      services: { mirror: { mirroring: { service: 'main', mirrors: [{ name: 'slow', percent: 100 }, { name: 'down', percent: 100 }] } }, main: lb(main.url), slow: lb(slow.url), down: lb(down.url) },
    });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const r = await send(gw.web, '/', { method: 'POST', body: `n${i}` });
      assert.equal(r.status, 200);
      assert.equal(r.body, `main:n${i}`);
      assert.ok(performance.now() - started < 2000, 'the main answer does not wait for mirrors');
    }
    await waitFor('the hanging mirror got every copy', () => slow.bodies.length === 3);
    assert.deepEqual(slow.bodies, ['n0', 'n1', 'n2']);
  });

  it('a body over maxBodySize goes to the main service whole and is not mirrored', async (t) => {
    const main = await recorder(t, 'main');
    const m = await recorder(t, 'm');
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'mirror' } },
      services: { mirror: { mirroring: { service: 'main', maxBodySize: 8, mirrors: [{ name: 'm', percent: 100 }] } }, main: lb(main.url), m: lb(m.url) },
    });
    const { request } = await import('node:http');
    const url = new URL(gw.web);
    // Chunked, so the size is only known while reading: the bytes read are handed back to the main request.
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', agent: false }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => { b += c; });
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.write('0123456789');
      req.end('abcdef');
    });
    assert.equal(body, 'main:0123456789abcdef');
    const small = await send(gw.web, '/', { method: 'POST', body: 'small' });
    assert.equal(small.body, 'main:small');
    await waitFor('the small one is mirrored', () => m.bodies.length === 1);
    assert.deepEqual(m.bodies, ['small']);
  });
});
