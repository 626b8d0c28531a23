import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { startFileGateway, send, lb, type FileGateway } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

/**
 * `failover` services through the running gateway, and Traefik's pkg/server/service/loadbalancer/failover/failover_test.go
 * ported: "handler" and "fallback" are real upstreams behind load-balancer services (with active health checks
 * where the Go test sets a status), answering with their name in `server` and echoing what they read.
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/server/service/loadbalancer/failover/failover_test.go`);

interface Side { url: string; setHealthy(up: boolean): void; setStatus(code: number): void; bodies: string[] }
async function side(t: TestContext, name: string, status = 200): Promise<Side> {
  let healthy = true;
  let code = status;
  const bodies: string[] = [];
  const up = await startUpstream(t, name, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c; });
    req.on('end', () => {
      if (req.url === '/health') { res.writeHead(healthy ? 200 : 500); res.end(); return; }
      bodies.push(body);
      res.writeHead(code, { server: name });
      res.end(name === 'handler' ? 'main response' : 'fallback response');
    });
  });
  return { url: up.url, bodies, setHealthy: (v) => { healthy = v; }, setStatus: (c) => { code = c; } };
}
const checked = (url: string): unknown => ({ loadBalancer: { servers: [{ url }], healthCheck: { path: '/health', interval: '50ms', timeout: '1s' } } });
const statusOf = (gw: FileGateway, service: string, url: string): string | undefined => gw.gateway.state().services[`${service}@file`]?.serverStatus?.[url];

function tctx(): TestContext & { done(): Promise<void> } {
  const fns: Array<() => unknown> = [];
  return { after: (fn: () => unknown) => { fns.push(fn); }, async done() { for (const fn of fns.reverse()) await fn(); } } as unknown as TestContext & { done(): Promise<void> };
}

// failover_test.go TestFailoverStatusCode.
const statusCases = [
  { desc: 'main handler returns 503, failover triggered', status: ['503'], code: 503, handler: 'fallback', want: 200, body: 'fallback response' },
  { desc: 'main handler returns 200, failover not triggered', status: ['503'], code: 200, handler: 'handler', want: 200, body: 'main response' },
  { desc: 'main handler returns 500, failover not triggered', status: ['503'], code: 500, handler: 'handler', want: 500, body: 'main response' },
  { desc: 'multiple status codes, 503 triggers failover', status: ['500', '502', '503', '504'], code: 503, handler: 'fallback', want: 200, body: 'fallback response' },
  { desc: 'multiple status codes, 502 triggers failover', status: ['500', '502', '503', '504'], code: 502, handler: 'fallback', want: 200, body: 'fallback response' },
  { desc: 'multiple status codes, 404 does not trigger failover', status: ['500', '502', '503', '504'], code: 404, handler: 'handler', want: 404, body: 'main response' },
  { desc: 'status code range 500-504, 503 triggers failover', status: ['500-504'], code: 503, handler: 'fallback', want: 200, body: 'fallback response' },
  { desc: 'status code range 500-504, 404 does not trigger failover', status: ['500-504'], code: 404, handler: 'handler', want: 404, body: 'main response' },
];
// failover_test.go TestFailoverStatusCodeMaxBodySize.
const bodyCases = [
  { desc: 'request body within limit', max: 100, body: 'small body', want: 200 },
  { desc: 'request body exceeds limit', max: 5, body: 'this body is too large', want: 413, message: 'Request body too large\n' },
  { desc: 'zero body size limit', max: 0, body: 'any size body', want: 413, message: 'Request body too large\n' },
  { desc: 'no body size limit', max: -1, body: 'any size body should work', want: 200 },
];

describe('failover: Traefik failover table through the running gateway', () => {
  it('TestFailover / TestFailoverDownThenUp (health checks on both sides)', () => tally.runAsync('TestFailover', undefined, async () => {
    const t = tctx();
    const [main, fb] = [await side(t, 'handler'), await side(t, 'fallback')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'f' } },
      services: { f: { failover: { service: 'main', fallback: 'fb', healthCheck: {} } }, main: checked(main.url), fb: checked(fb.url) },
    });
    assert.equal((await send(gw.web, '/')).headers.server, 'handler');
    main.setHealthy(false);
    await waitFor('main down', () => statusOf(gw, 'main', main.url) === 'DOWN');
    assert.equal((await send(gw.web, '/')).headers.server, 'fallback');
    fb.setHealthy(false);
    await waitFor('fallback down', () => statusOf(gw, 'fb', fb.url) === 'DOWN');
    const none = await send(gw.web, '/');
    assert.equal(none.status, 503);
    assert.equal(none.body, 'Service Unavailable\n');
    await tally.runAsync('TestFailoverDownThenUp', undefined, async () => {
      main.setHealthy(true);
      await waitFor('main up', () => statusOf(gw, 'main', main.url) === 'UP');
      assert.equal((await send(gw.web, '/')).headers.server, 'handler');
    });
    await t.done();
  }));

  it('TestFailoverPropagate (a failover inside a weighted service reports "main or fallback up")', () => tally.runAsync('TestFailoverPropagate', undefined, async () => {
    const t = tctx();
    const [main, fb, other] = [await side(t, 'handler'), await side(t, 'fallback'), await side(t, 'other')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'top' } },
      services: {
        top: { weighted: { services: [{ name: 'f' }, { name: 'other' }], healthCheck: {} } },
        f: { failover: { service: 'main', fallback: 'fb', healthCheck: {} } },
        main: checked(main.url), fb: checked(fb.url), other: checked(other.url),
      },
    });
    main.setHealthy(false);
    fb.setHealthy(false);
    await waitFor('both sides down', () => statusOf(gw, 'main', main.url) === 'DOWN' && statusOf(gw, 'fb', fb.url) === 'DOWN');
    for (let i = 0; i < 3; i++) assert.equal((await send(gw.web, '/')).headers.server, 'other', 'the parent skips the failover with nothing up');
    fb.setHealthy(true);
    await waitFor('fallback up', () => statusOf(gw, 'fb', fb.url) === 'UP');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(String((await send(gw.web, '/')).headers.server));
    assert.deepEqual([...seen].sort(), ['fallback', 'other']);
    await t.done();
  }));

  it('TestFailoverStatusCode', async () => {
    const t = tctx();
    const [main, fb] = [await side(t, 'handler'), await side(t, 'fallback')];
    const routers: Record<string, unknown> = {};
    const services: Record<string, unknown> = { main: lb(main.url), fb: lb(fb.url) };
    statusCases.forEach((c, i) => {
      services[`f${i}`] = { failover: { service: 'main', fallback: 'fb', errors: { status: c.status } } };
      routers[`r${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: `f${i}` };
    });
    const gw = await startFileGateway(t, { routers, services });
    for (const [i, c] of statusCases.entries()) {
      await tally.runAsync(c.desc, undefined, async () => {
        main.setStatus(c.code);
        const r = await send(gw.web, '/', { headers: { 'x-case': String(i) } });
        assert.equal(r.headers.server, c.handler);
        assert.equal(r.status, c.want);
        assert.equal(r.body, c.body);
      });
    }
    await tally.runAsync('TestFailoverStatusCodeWithRequestBody: request body replayed to fallback handler', undefined, async () => {
      main.setStatus(503);
      const r = await send(gw.web, '/', { method: 'POST', headers: { 'x-case': '0' }, body: 'test request body' });
      assert.equal(r.headers.server, 'fallback');
      assert.equal(main.bodies.at(-1), 'test request body');
      assert.equal(fb.bodies.at(-1), 'test request body');
    });
    await tally.runAsync('TestFailoverStatusCodeWithRequestBody: request body used by main handler', undefined, async () => {
      main.setStatus(200);
      const r = await send(gw.web, '/', { method: 'POST', headers: { 'x-case': '0' }, body: 'test request body' });
      assert.equal(r.headers.server, 'handler');
      assert.equal(main.bodies.at(-1), 'test request body');
    });
    await t.done();
  });

  it('TestFailoverStatusCodeMaxBodySize', async () => {
    const t = tctx();
    const [main, fb] = [await side(t, 'handler', 503), await side(t, 'fallback')];
    const routers: Record<string, unknown> = {};
    const services: Record<string, unknown> = { main: lb(main.url), fb: lb(fb.url) };
    bodyCases.forEach((c, i) => {
      services[`f${i}`] = { failover: { service: 'main', fallback: 'fb', errors: { status: ['503'], maxRequestBodyBytes: c.max } } };
      routers[`r${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: `f${i}` };
    });
    const gw = await startFileGateway(t, { routers, services });
    for (const [i, c] of bodyCases.entries()) {
      await tally.runAsync(c.desc, undefined, async () => {
        const r = await send(gw.web, '/', { method: 'POST', headers: { 'x-case': String(i) }, body: c.body });
        assert.equal(r.status, c.want);
        if (c.message) assert.equal(r.body, c.message);
      });
    }
    await t.done();
  });

  it('TestFailoverStatusCodeWithHealthCheck / TestFailoverInvalidStatusCodeRange', async () => {
    const t = tctx();
    const [main, fb] = [await side(t, 'handler', 503), await side(t, 'fallback')];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'Path(`/`)', service: 'f' }, bad: { rule: 'Path(`/bad`)', service: 'bad' }, nohc: { rule: 'Path(`/nohc`)', service: 'nohc' } },
      services: {
        f: { failover: { service: 'main', fallback: 'fb', healthCheck: {}, errors: { status: ['503'] } } },
        bad: { failover: { service: 'main', fallback: 'fb', errors: { status: ['foo'] } } },
        nohc: { failover: { service: 'plain', fallback: 'fb' } },
        main: checked(main.url), fb: checked(fb.url), plain: lb(main.url),
      },
    });
    await tally.runAsync('TestFailoverStatusCodeWithHealthCheck', undefined, async () => {
      assert.equal((await send(gw.web, '/')).headers.server, 'fallback', 'up but 503: the fallback answers');
      main.setHealthy(false);
      await waitFor('main down', () => statusOf(gw, 'main', main.url) === 'DOWN');
      assert.equal((await send(gw.web, '/')).headers.server, 'fallback');
      main.setStatus(200);
      main.setHealthy(true);
      await waitFor('main up', () => statusOf(gw, 'main', main.url) === 'UP');
      const r = await send(gw.web, '/');
      assert.equal(r.headers.server, 'handler');
      assert.equal(r.status, 200);
    });
    await tally.runAsync('TestFailoverInvalidStatusCodeRange', undefined, async () => {
      assert.match(gw.gateway.state().services['bad@file']?.error?.join() ?? '', /failover\.errors\.status\[0\]: invalid status range "foo"/);
    });
    // Traefik's getFailoverServiceHandler: without errors.status the main service must report its health.
    assert.match(gw.gateway.state().services['nohc@file']?.error?.join() ?? '', /cannot register plain@file as updater for nohc@file/);
    await t.done();
  });

  it('count', (t) => tally.report(t));
});
