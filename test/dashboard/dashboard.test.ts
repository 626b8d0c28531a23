import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { browser } from '../support/browser.ts';
import { startTestGateway } from '../support/gateway.ts';
import { startCollector } from '../support/collector.ts';
import { request, startUpstream } from '../support/upstream.ts';
import { serviceWithUpstream } from '../support/operate.ts';

/** Bounded waits for the page: it redraws every 100 ms here (`?refresh=100`). */
const WAIT = { timeout: 15_000 };

describe('dashboard in a real browser', () => {
  it('shows routers as they come, their observability with sources, services, the Consul watcher and a trace waterfall', async (t) => {
    const page = await browser(t);
    if (!page) return;
    const collector = await startCollector();
    const { gateway, catalog, web, admin } = await startTestGateway(t, {
      flags: [`--tracing.otlp.http.endpoint=${collector.endpoint}`, '--tracing.batch.scheduledDelay=50ms', '--entryPoints.web.observability.accessLogs=false', '--accessLog=true'],
    });
    t.after(() => collector.close());
    await page.goto(`${admin}/dashboard/?refresh=100&perPage=2`); // small pages: every list spans several
    assert.equal(await page.title(), 'tagway dashboard');

    // The Consul watcher: contacted, configuration built, no error.
    const consul = page.locator('#providers tr[data-provider="consulcatalog"]');
    // The first answer from Consul may come after the first redraw ("never"): wait for it.
    await consul.locator('.contact', { hasText: /^\d+s ago$/ }).waitFor(WAIT);
    await consul.locator('.age', { hasText: /^\d+s ago$/ }).waitFor(WAIT);
    assert.equal(await consul.locator('.err').innerText(), '');

    // A service registered while the page is open shows up without a reload.
    const shop = await serviceWithUpstream(t, gateway, catalog!, 'shop', [
      'http.routers.shop.rule=Host(`shop.test`)', 'http.routers.shop.entryPoints=web', 'http.routers.shop.observability.tracing=true',
    ]);
    const row = page.locator('#routers tr[data-router="shop@consulcatalog"]');
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /Host\(`shop\.test`\)/);
    const cases = [
      { desc: 'set on the router', field: 'tracing', want: 'tracing: true (router)' },
      { desc: 'inherited from the entry point', field: 'accessLogs', want: 'accessLogs: false (entryPoint)' },
      { desc: 'nobody set it', field: 'metrics', want: 'metrics: true (default)' },
      { desc: 'nobody set it', field: 'traceVerbosity', want: 'traceVerbosity: minimal (default)' },
    ];
    for (const c of cases) assert.equal(await row.locator(`[data-obs="${c.field}"]`).innerText(), c.want, c.desc);

    const service = page.locator('#services tr[data-service="shop@consulcatalog"]');
    await service.waitFor(WAIT);
    assert.match(await service.innerText(), new RegExp(`${shop.url.replace(/[.]/g, '\\.')}`));
    assert.match(await service.innerText(), /shop@consulcatalog/);

    // A server failing its health check shows DOWN (Traefik's serverStatus), its sibling UP.
    const sick = await startUpstream(t, 'sick', (req, res) => { req.resume(); res.writeHead(req.url === '/health' ? 503 : 200).end(); });
    const well = await startUpstream(t, 'well');
    const hc = ['http.services.hc.loadBalancer.healthCheck.path=/health', 'http.services.hc.loadBalancer.healthCheck.interval=50ms', 'http.routers.hc.rule=Host(`hc.test`)'];
    catalog!.register({ ID: 'hc-1', Name: 'hc', Address: '127.0.0.1', Port: sick.port, Tags: hc.map((x) => `traefik.${x}`) });
    catalog!.register({ ID: 'hc-2', Name: 'hc', Address: '127.0.0.1', Port: well.port, Tags: hc.map((x) => `traefik.${x}`) });
    const hcRow = page.locator('#services tr[data-service="hc@consulcatalog"]');
    await hcRow.locator(`div:has(code:text-is("${sick.url}")) .down`, { hasText: 'DOWN' }).waitFor(WAIT);
    await hcRow.locator(`div:has(code:text-is("${well.url}")) .up`, { hasText: 'UP' }).waitFor(WAIT);
    // Every page of the lists is read (two items a page here).
    const names = async (sel: string, attr: string) => (await page.locator(sel).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr)).sort();
    const all = ['api@internal', 'dashboard@internal', 'hc@consulcatalog', 'ping@internal', 'shop@consulcatalog'];
    assert.deepEqual(await names('#routers tr[data-router]', 'data-router'), all);
    assert.deepEqual(await names('#services tr[data-service]', 'data-service'), all);
    assert.deepEqual(await names('#entrypoints tr[data-entrypoint]', 'data-entrypoint'), ['traefik', 'web']);

    // A traced request appears in the list; opening it draws the server span and its ReverseProxy child.
    assert.equal((await request(`${web}/cart`, { headers: { host: 'shop.test' } })).status, 200);
    const trace = page.locator('#traces tr.trace-row', { hasText: '/cart' });
    await trace.waitFor(WAIT);
    await trace.click();
    const server = page.locator('#waterfall .span[data-span="GET"]');
    const proxy = page.locator('#waterfall .span[data-span="ReverseProxy"]');
    await server.waitFor(WAIT);
    await proxy.waitFor(WAIT);
    const indent = async (l: typeof server) => l.locator('div').first().evaluate((el) => (el as HTMLElement).style.paddingLeft);
    assert.equal(await indent(server), '0px', 'the server span is the root here');
    assert.equal(await indent(proxy), '14px', 'ReverseProxy is drawn as the server span\'s child');
    if (process.env['TAGWAY_SCREENSHOT']) await page.screenshot({ path: process.env['TAGWAY_SCREENSHOT'], fullPage: true });

    // The watcher's error shows while Consul has no leader.
    catalog!.faults.noLeader = true;
    catalog!.register({ ID: 'wake-1', Name: 'wake', Address: '127.0.0.1', Port: 1 }); // ends the pending blocking query
    await page.locator('#providers tr[data-provider="consulcatalog"] .err', { hasText: /leader/i }).waitFor(WAIT);
  });
});
