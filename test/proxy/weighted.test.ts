import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { startFileGateway, send, lb, type FileGateway } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

/**
 * `weighted` services through the running gateway, and Traefik's pkg/server/service/loadbalancer/wrr/wrr_test.go
 * ported: each Go handler is a real upstream behind a load-balancer service (named like the Go handler), health
 * changes come from real active health checks (an upstream's /health answering 500 takes its service down).
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/server/service/loadbalancer/wrr/wrr_test.go`);

interface Named { url: string; setHealthy(up: boolean): void }
/** An upstream that answers with its name in `server` (as the Go handlers do) and a switchable /health. */
async function named(t: TestContext, name: string, status = 200): Promise<Named> {
  let healthy = true;
  const up = await startUpstream(t, name, (req, res) => {
    req.resume();
    if (req.url === '/health') { res.writeHead(healthy ? 200 : 500); res.end(); return; }
    res.writeHead(status, { server: name });
    res.end(name);
  });
  return { url: up.url, setHealthy: (v) => { healthy = v; } };
}

const checked = (url: string): unknown => ({ loadBalancer: { servers: [{ url }], healthCheck: { path: '/health', interval: '50ms', timeout: '1s' } } });

async function counts(gw: FileGateway, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await send(gw.web, '/', { headers });
    const s = String(r.headers.server ?? r.status);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

describe('weighted: Traefik wrr table through the running gateway', () => {
  it('TestBalancer', () => tally.runAsync('TestBalancer', undefined, async () => {
    const t = tctx();
    const [a, b] = [await named(t, 'first'), await named(t, 'second')];
    const gw = await startFileGateway(t, { routers: { r: { rule: 'PathPrefix(`/`)', service: 'w' } }, services: { w: { weighted: { services: [{ name: 'first', weight: 3 }, { name: 'second', weight: 1 }] } }, first: lb(a.url), second: lb(b.url) } });
    assert.deepEqual(await counts(gw, 4), { first: 3, second: 1 });
    await t.done();
  }));

  it('TestBalancerNoService', () => tally.runAsync('TestBalancerNoService', undefined, async () => {
    const t = tctx();
    const gw = await startFileGateway(t, { routers: { r: { rule: 'PathPrefix(`/`)', service: 'w' } }, services: { w: { weighted: { services: [] } } } });
    const r = await send(gw.web, '/');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no available server\n');
    await t.done();
  }));

  it('TestBalancerOneServerZeroWeight / TestBalancerAllServersZeroWeight', () => tally.runAsync('TestBalancerOneServerZeroWeight', undefined, async () => {
    const t = tctx();
    const [a, b] = [await named(t, 'first'), await named(t, 'second')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'Path(`/`)', service: 'w' }, z: { rule: 'Path(`/zero`)', service: 'z' } },
      services: { w: { weighted: { services: [{ name: 'first', weight: 1 }, { name: 'second', weight: 0 }] } }, z: { weighted: { services: [{ name: 'first', weight: 0 }] } }, first: lb(a.url), second: lb(b.url) },
    });
    assert.deepEqual(await counts(gw, 3), { first: 3 });
    await tally.runAsync('TestBalancerAllServersZeroWeight', undefined, async () => assert.equal((await send(gw.web, '/zero')).status, 503));
    await t.done();
  }));

  it('TestBalancerNoServiceUp / TestBalancerOneServerDown / TestBalancerDownThenUp (healthCheck: children followed)', () => tally.runAsync('TestBalancerDownThenUp', undefined, async () => {
    const t = tctx();
    const [a, b] = [await named(t, 'first'), await named(t, 'second')];
    const gw = await startFileGateway(t, { routers: { r: { rule: 'PathPrefix(`/`)', service: 'w' } }, services: { w: { weighted: { services: [{ name: 'first' }, { name: 'second' }], healthCheck: {} } }, first: checked(a.url), second: checked(b.url) } });
    b.setHealthy(false);
    await waitFor('second down', () => gw.gateway.state().services['second@file']?.serverStatus?.[b.url] === 'DOWN');
    await tally.runAsync('TestBalancerOneServerDown', undefined, async () => assert.deepEqual(await counts(gw, 3), { first: 3 }));
    b.setHealthy(true);
    await waitFor('second up', () => gw.gateway.state().services['second@file']?.serverStatus?.[b.url] === 'UP');
    const two = await counts(gw, 2);
    assert.deepEqual(two, { first: 1, second: 1 });
    a.setHealthy(false);
    b.setHealthy(false);
    await waitFor('both down', () => gw.gateway.state().services['first@file']?.serverStatus?.[a.url] === 'DOWN' && gw.gateway.state().services['second@file']?.serverStatus?.[b.url] === 'DOWN');
    await tally.runAsync('TestBalancerNoServiceUp', undefined, async () => {
      const r = await send(gw.web, '/');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'no available server\n', 'the weighted service answers, not a child');
    });
    await t.done();
  }));

  it('TestBalancerPropagate (nested weighted services report up and down to their parent)', () => tally.runAsync('TestBalancerPropagate', undefined, async () => {
    const t = tctx();
    const ups = [await named(t, 'first'), await named(t, 'second'), await named(t, 'third'), await named(t, 'fourth')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'top' } },
      services: {
        top: { weighted: { services: [{ name: 'b1' }, { name: 'b2' }], healthCheck: {} } },
        b1: { weighted: { services: [{ name: 'first' }, { name: 'second' }], healthCheck: {} } },
        b2: { weighted: { services: [{ name: 'third' }, { name: 'fourth' }], healthCheck: {} } },
        first: checked(ups[0]!.url), second: checked(ups[1]!.url), third: checked(ups[2]!.url), fourth: checked(ups[3]!.url),
      },
    });
    assert.deepEqual(await counts(gw, 8), { first: 2, second: 2, third: 2, fourth: 2 });
    ups[0]!.setHealthy(false);
    ups[1]!.setHealthy(false);
    await waitFor('b1 empty', () => ['first', 'second'].every((n, i) => gw.gateway.state().services[`${n}@file`]?.serverStatus?.[ups[i]!.url] === 'DOWN'));
    assert.deepEqual(await counts(gw, 4), { third: 2, fourth: 2 }, 'the parent skips the child with nothing up');
    await t.done();
  }));

  it('TestSticky / TestSticky_Fallback', () => tally.runAsync('TestSticky', undefined, async () => {
    const t = tctx();
    const [a, b] = [await named(t, 'first'), await named(t, 'second')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'w' } },
      services: { w: { weighted: { services: [{ name: 'first', weight: 1 }, { name: 'second', weight: 2 }], sticky: { cookie: { name: 'test', secure: true, httpOnly: true, sameSite: 'none', domain: 'foo.com', maxAge: 42, path: '/foo' } } } }, first: lb(a.url), second: lb(b.url) },
    });
    let cookie = '';
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send(gw.web, '/', { headers: cookie ? { cookie } : {} });
      seen.push(String(r.headers.server));
      const set = r.headers['set-cookie']?.[0];
      if (set) {
        assert.ok(!/first|second/.test(set.split(';')[0]!), 'the cookie value hides the child name');
        assert.match(set, /^test=[0-9a-f]{16}; Path=\/foo; Domain=foo\.com; Max-Age=42; HttpOnly; Secure; SameSite=None$/);
        cookie = set.split(';')[0]!;
      }
    }
    assert.deepEqual(seen, ['second', 'second', 'second']);
    await tally.runAsync('TestSticky_Fallback', undefined, async () => {
      // A legacy cookie holding the child's name is honoured (and rewritten to the hashed value).
      const r = await send(gw.web, '/', { headers: { cookie: 'test=first' } });
      assert.equal(r.headers.server, 'first');
      assert.match(String(r.headers['set-cookie']?.[0]), /^test=[0-9a-f]{16};/);
    });
    await t.done();
  }));

  it('count', (t) => tally.report(t));
});

describe('weighted services through the running gateway', () => {
  it('a child that does not exist, a service that contains itself, and healthCheck over a child without one are errors on the service alone', async (t) => {
    const a = await named(t, 'first');
    const gw = await startFileGateway(t, {
      routers: {
        ok: { rule: 'Path(`/ok`)', service: 'first' },
        missing: { rule: 'Path(`/missing`)', service: 'missing' },
        loop: { rule: 'Path(`/loop`)', service: 'loop' },
        hc: { rule: 'Path(`/hc`)', service: 'hc' },
      },
      services: {
        first: lb(a.url),
        missing: { weighted: { services: [{ name: 'first' }, { name: 'nope' }] } },
        loop: { weighted: { services: [{ name: 'loop2' }] } },
        loop2: { weighted: { services: [{ name: 'loop' }] } },
        hc: { weighted: { services: [{ name: 'first' }], healthCheck: {} } },
      },
    });
    const s = gw.gateway.state().services;
    assert.match(s['missing@file']?.error?.join() ?? '', /services\[1\] "nope@file" does not exist/);
    assert.match(s['loop@file']?.error?.join() ?? '', /contains itself: loop@file -> loop2@file -> loop@file/);
    assert.match(s['hc@file']?.error?.join() ?? '', /cannot register first@file as updater for hc@file: healthCheck not enabled/);
    assert.equal(s['missing@file']?.type, 'weighted');
    assert.equal((await send(gw.web, '/ok')).status, 200);
    assert.equal((await send(gw.web, '/missing')).status, 404);
  });

  it('is refused as a Consul tag (file provider only, as in Traefik)', async () => {
    const { decodeDynamicLabels } = await import('../../src/labels/index.ts');
    const r = decodeDynamicLabels({ 'traefik.http.services.w.weighted.services[0].name': 'a' }, 'traefik');
    assert.equal(r.errors.length + r.unsupported.length > 0, true, JSON.stringify(r));
    assert.equal(r.configuration.http.services.w?.weighted, undefined);
    assert.match(JSON.stringify([...r.errors, ...r.unsupported]), /weighted/i);
  });
});

/** A TestContext stand-in for a table case that must run inside tally.runAsync (its servers close at the end). */
function tctx(): TestContext & { done(): Promise<void> } {
  const fns: Array<() => unknown> = [];
  return { after: (fn: () => unknown) => { fns.push(fn); }, async done() { for (const fn of fns.reverse()) await fn(); } } as unknown as TestContext & { done(): Promise<void> };
}
