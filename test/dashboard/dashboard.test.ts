import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import type { Page } from 'playwright-core';
import { browser } from '../support/browser.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { startCollector } from '../support/collector.ts';
import { request, startUpstream } from '../support/upstream.ts';
import { serviceWithUpstream } from '../support/operate.ts';

/** Bounded waits for the page: it polls every 100 ms here (`?refresh=100`). */
const WAIT = { timeout: 15_000 };

/** Names of the rows a list shows now, in order. */
async function rows(page: Page): Promise<string[]> {
  return page.locator('[data-list] tbody tr[data-name]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name') ?? ''));
}

/** Waits until the list shows exactly `want` (the API answers the filter; the page redraws). */
async function listShows(page: Page, want: string[]): Promise<void> {
  await page.waitForFunction((w) => JSON.stringify(Array.from(document.querySelectorAll('[data-list] tbody tr[data-name]')).map((e) => e.getAttribute('data-name'))) === JSON.stringify(w), want, WAIT)
    .catch(async (err: Error) => { throw new Error(`${err.message}: the list shows ${JSON.stringify(await rows(page))}, want ${JSON.stringify(want)} at ${page.url()}`); });
}

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env['TAGWAY_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

describe('dashboard in headless Chromium, against a running gateway', () => {
  it('renders every page; search and filters narrow the lists; the explain form answers; a trace opens its waterfall', async (t) => {
    const page = await browser(t);
    if (!page) return;
    const collector = await startCollector();
    t.after(() => collector.close());
    const { gateway, catalog, web, admin } = await startTestGateway(t, {
      flags: [`--tracing.otlp.http.endpoint=${collector.endpoint}`, '--tracing.batch.scheduledDelay=50ms', '--entryPoints.web.observability.accessLogs=false', '--accessLog=true'],
    });
    await serviceWithUpstream(t, gateway, catalog!, 'shop', [
      'http.routers.shop.rule=Host(`shop.test`)', 'http.routers.shop.entryPoints=web', 'http.routers.shop.observability.tracing=true',
      'http.routers.shop.middlewares=shop-hdr,shop-strip',
      'http.middlewares.shop-hdr.headers.customResponseHeaders.X-Shop=yes',
      'http.middlewares.shop-strip.stripPrefix.prefixes=/shop',
    ]);
    await serviceWithUpstream(t, gateway, catalog!, 'cart', ['http.routers.cart.rule=Host(`cart.test`) && PathPrefix(`/cart`)', 'http.routers.cart.entryPoints=web']);
    // A server failing its health check: DOWN, with the check's error; its sibling UP.
    const sick = await startUpstream(t, 'sick', (req, res) => { req.resume(); res.writeHead(req.url === '/health' ? 503 : 200).end(); });
    const well = await startUpstream(t, 'well');
    const hc = ['http.services.hc.loadBalancer.healthCheck.path=/health', 'http.services.hc.loadBalancer.healthCheck.interval=50ms', 'http.routers.hc.rule=Host(`hc.test`)',
      'http.services.hc.loadBalancer.sticky.cookie.name=hc_pin'];
    catalog!.register({ ID: 'hc-1', Name: 'hc', Address: '127.0.0.1', Port: sick.port, Tags: hc.map((x) => `traefik.${x}`) });
    catalog!.register({ ID: 'hc-2', Name: 'hc', Address: '127.0.0.1', Port: well.port, Tags: hc.map((x) => `traefik.${x}`) });
    // A router whose rule does not parse: disabled, with its error (needs attention).
    catalog!.register({ ID: 'broken-1', Name: 'broken', Address: '127.0.0.1', Port: well.port, Tags: ['traefik.http.routers.broken.rule=Host(`x'] });
    await waitForState(gateway, (s) => s.routers['hc@consulcatalog'] !== undefined && s.routers['broken@consulcatalog'] !== undefined);

    // Overview: counts, entry points, the Consul watcher, span export, what needs attention.
    await page.goto(`${admin}/dashboard/?refresh=100`);
    const routersCount = page.locator('[data-count="http.routers"]');
    await routersCount.waitFor(WAIT);
    await page.locator('[data-count="http.routers"] .n', { hasText: /^7$/ }).waitFor(WAIT); // api, dashboard, ping + shop, cart, hc, broken
    assert.equal(await routersCount.locator('[data-part="disabled"]').innerText(), '1');
    assert.equal(await routersCount.locator('[data-part="enabled"]').innerText(), '6');
    await page.locator('[data-section="attention"] li[data-attention="router"]', { hasText: 'broken@consulcatalog' }).waitFor(WAIT);
    await page.locator('[data-section="attention"] li[data-attention="server"]', { hasText: sick.url }).waitFor(WAIT);
    assert.deepEqual(await page.locator('[data-section="entrypoints"] tr[data-entrypoint]').evaluateAll((els) => els.map((e) => e.getAttribute('data-entrypoint'))), ['traefik', 'web']);
    await page.locator('[data-section="providers"] tr[data-provider="consulcatalog"] .contact', { hasText: /^\d+s ago$/ }).waitFor(WAIT);
    assert.equal(await page.locator('[data-section="tracing"] [data-export="dropped"] .n').innerText(), '0');
    await shot(page, 'overview');

    // Routers: the list, then each filter narrows it (the API filters; the URL keeps them).
    await page.click('[data-nav="http/routers"]');
    await listShows(page, ['api@internal', 'broken@consulcatalog', 'cart@consulcatalog', 'dashboard@internal', 'hc@consulcatalog', 'ping@internal', 'shop@consulcatalog']);
    await page.fill('[data-list] input[name="search"]', 'shop');
    await listShows(page, ['shop@consulcatalog']);
    assert.match(page.url(), /#\/http\/routers\?search=shop$/);
    await page.fill('[data-list] input[name="search"]', 'cart.test'); // the rule is searched too
    await listShows(page, ['cart@consulcatalog']);
    await page.fill('[data-list] input[name="search"]', '');
    await page.selectOption('[data-list] select[name="status"]', 'disabled');
    await listShows(page, ['broken@consulcatalog']);
    await page.selectOption('[data-list] select[name="status"]', '');
    await page.selectOption('[data-list] select[name="provider"]', 'internal');
    await listShows(page, ['api@internal', 'dashboard@internal', 'ping@internal']);
    await page.selectOption('[data-list] select[name="provider"]', '');
    await page.selectOption('[data-list] select[name="entryPoint"]', 'web');
    await listShows(page, ['broken@consulcatalog', 'cart@consulcatalog', 'hc@consulcatalog', 'shop@consulcatalog']);
    await page.fill('[data-list] input[name="serviceName"]', 'hc@consulcatalog');
    await page.press('[data-list] input[name="serviceName"]', 'Enter');
    await listShows(page, ['hc@consulcatalog']);
    // Paging: two a page, the next page from X-Next-Page.
    await page.goto(`${admin}/dashboard/?refresh=100#/http/routers?per_page=2`);
    await listShows(page, ['api@internal', 'broken@consulcatalog']);
    await page.click('[data-list] button.next');
    await listShows(page, ['cart@consulcatalog', 'dashboard@internal']);
    // Services and middlewares lists filter too.
    await page.goto(`${admin}/dashboard/?refresh=100#/http/services?search=shop`);
    await listShows(page, ['shop@consulcatalog']);
    await page.goto(`${admin}/dashboard/?refresh=100#/http/middlewares`);
    await listShows(page, ['shop-hdr@consulcatalog', 'shop-strip@consulcatalog']);
    await page.fill('[data-list] input[name="type"]', 'stripprefix');
    await page.press('[data-list] input[name="type"]', 'Enter');
    await listShows(page, ['shop-strip@consulcatalog']);

    // A router's page (deep link): rule, chain in order with each configuration, observability with sources.
    for (let i = 0; i < 20; i++) assert.equal((await request(`${web}/shop/item${i}`, { headers: { host: 'shop.test' } })).status, 200);
    await page.goto(`${admin}/dashboard/?refresh=100#/http/routers/shop%40consulcatalog`);
    await page.locator('[data-rule]', { hasText: 'Host(`shop.test`)' }).waitFor(WAIT);
    await page.locator('[data-middleware="shop-strip@consulcatalog"] pre').waitFor(WAIT);
    assert.deepEqual(await page.locator('[data-section="middlewares"] .step').evaluateAll((els) => els.map((e) => e.getAttribute('data-middleware'))),
      ['shop-hdr@consulcatalog', 'shop-strip@consulcatalog']);
    assert.match(await page.locator('[data-middleware="shop-strip@consulcatalog"] pre').innerText(), /"\/shop"/);
    const obs = async (field: string) => (await page.locator(`[data-section="observability"] tr[data-obs="${field}"]`).innerText()).replace(/\s+/g, ' ').trim();
    assert.equal(await obs('tracing'), 'tracing true router');
    assert.equal(await obs('accessLogs'), 'accessLogs false entryPoint');
    assert.equal(await obs('metrics'), 'metrics true default');

    // The explain form answers from /api/explain: this router, then a request nobody takes.
    await page.fill('[data-section="explain"] input[name="url"]', 'http://shop.test/shop/cart');
    await page.click('[data-section="explain"] button[type="submit"]');
    await page.locator('[data-explain] [data-matched="shop@consulcatalog"]', { hasText: 'This router takes it' }).waitFor(WAIT);
    await page.locator('[data-explain] [data-tried="shop@consulcatalog"]').waitFor(WAIT);
    await page.fill('[data-section="explain"] input[name="url"]', 'http://cart.test/cart/1');
    await page.click('[data-section="explain"] button[type="submit"]');
    await page.locator('[data-explain] [data-matched="cart@consulcatalog"]', { hasText: 'not this one' }).waitFor(WAIT);
    await page.fill('[data-section="explain"] input[name="url"]', 'http://nobody.test/');
    await page.click('[data-section="explain"] button[type="submit"]');
    await page.locator('[data-explain] [data-matched=""]', { hasText: 'No router takes it' }).waitFor(WAIT);
    await shot(page, 'router');

    // A service's page: servers with health and the check's last error, weights, sticky cookie, transport.
    await page.click('[data-section="summary"] a[data-service]');
    await page.locator('h2[data-service="shop@consulcatalog"]').waitFor(WAIT);
    await page.goto(`${admin}/dashboard/?refresh=100#/http/services/hc%40consulcatalog`);
    await page.locator(`tr[data-server="${sick.url}"] .badge.down`).waitFor(WAIT);
    await page.locator(`tr[data-server="${well.url}"] .badge.up`).waitFor(WAIT);
    await page.locator(`tr[data-server="${sick.url}"] [data-last-error]`, { hasText: /503/ }).waitFor(WAIT);
    assert.match(await page.locator('[data-sticky]').innerText(), /name hc_pin/);
    assert.equal(await page.locator('[data-transport]').innerText(), 'default');

    // A middleware's page: configuration and who uses it.
    await page.goto(`${admin}/dashboard/?refresh=100#/http/middlewares/shop-hdr%40consulcatalog`);
    await page.locator('[data-used-by] a', { hasText: 'shop@consulcatalog' }).waitFor(WAIT);
    assert.match(await page.locator('[data-section="config"] pre').innerText(), /X-Shop/);

    // Certificates: none configured here (the HTTPS test shows them).
    await page.click('[data-nav="certificates"]');
    await page.locator('main[data-page="certificates"] .card').waitFor(WAIT);

    // A traced request shows in the traces; opening it draws the server span and its ReverseProxy child.
    assert.equal((await request(`${web}/shop/cart`, { headers: { host: 'shop.test' } })).status, 200);
    await page.click('[data-nav="traces"]');
    const trace = page.locator('tr.trace-row', { hasText: '/shop/cart' });
    await trace.waitFor(WAIT);
    await trace.click();
    await page.locator('.waterfall .span[data-span="GET"][data-depth="0"]').waitFor(WAIT);
    await page.locator('.waterfall .span[data-span="ReverseProxy"][data-depth="1"]').waitFor(WAIT);
    assert.match(page.url(), /#\/traces\/[0-9a-f]{32}$/);

    // The watcher's error shows on the overview while Consul has no leader.
    await page.click('[data-nav="overview"]');
    catalog!.faults.noLeader = true;
    catalog!.register({ ID: 'wake-1', Name: 'wake', Address: '127.0.0.1', Port: 1 }); // ends the pending blocking query
    await page.locator('[data-section="providers"] tr[data-provider="consulcatalog"] .err', { hasText: /leader/i }).waitFor(WAIT);
  });

  it('draws a router\'s live traffic, and the chart moves while a load runs', async (t) => {
    const page = await browser(t);
    if (!page) return;
    const { gateway, catalog, web, admin } = await startTestGateway(t);
    await serviceWithUpstream(t, gateway, catalog!, 'busy', ['http.routers.busy.rule=PathPrefix(`/busy`)', 'http.routers.busy.entryPoints=web']);
    // A second service that fails one request in four: its error rate shows.
    let n = 0;
    const flaky = await startUpstream(t, 'flaky', (req, res) => { req.resume(); res.writeHead(++n % 4 === 0 ? 503 : 200).end(); });
    catalog!.register({ ID: 'flaky-1', Name: 'flaky', Address: '127.0.0.1', Port: flaky.port, Tags: ['traefik.http.routers.flaky.rule=PathPrefix(`/flaky`)'] });
    await waitForState(gateway, (s) => s.routers['flaky@consulcatalog'] !== undefined);
    await page.goto(`${admin}/dashboard/?refresh=200#/http/routers/busy%40consulcatalog`);
    const chart = page.locator('[data-traffic="routers/busy@consulcatalog"]');
    await chart.locator('canvas').first().waitFor(WAIT);
    assert.equal(await chart.getAttribute('data-requests'), '0', 'no traffic yet');
    const pixels = () => chart.locator('.plot.rate canvas').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    const idle = await pixels();

    // A load of keep-alive requests, bounded in count, running until the test has seen what it waits for.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());
    let stop = false;
    const one = (path: string) => new Promise<void>((resolve, reject) => {
      httpRequest(`${web}${path}`, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
    });
    const runner = Promise.all(Array.from({ length: 4 }, async (_, w) => { for (let i = 0; i < 50_000 && !stop; i++) await one(w === 3 ? '/flaky/x' : '/busy/x'); }));
    t.after(async () => { stop = true; await runner; });

    const requests = async () => Number(await chart.getAttribute('data-requests'));
    await page.waitForFunction(() => Number(document.querySelector('[data-traffic="routers/busy@consulcatalog"]')?.getAttribute('data-requests')) > 0, undefined, WAIT);
    const first = await requests();
    await page.waitForFunction((n) => Number(document.querySelector('[data-traffic="routers/busy@consulcatalog"]')?.getAttribute('data-requests')) > n, first, WAIT);
    assert.notEqual(await pixels(), idle, 'the chart was redrawn with the load');
    assert.match(await chart.locator('.title').innerText(), /req\/s/);
    // The live traffic page lists the router and its service, busiest first.
    await page.click('[data-nav="traffic"]');
    await page.locator('[data-traffic-table="routers"] tr[data-name="busy@consulcatalog"]').waitFor(WAIT);
    await page.locator('[data-traffic-table="services"] tr[data-name="busy@consulcatalog"]').waitFor(WAIT);
    // 503 answers count as errors: flaky's share is about a quarter, busy's none.
    await page.locator('[data-traffic-table="routers"] tr[data-name="flaky@consulcatalog"] td.errors', { hasText: /^2\d\.\d%$/ }).waitFor(WAIT);
    assert.equal(await page.locator('[data-traffic-table="routers"] tr[data-name="busy@consulcatalog"] td.errors').innerText(), '0.0%');
    await page.locator('main [data-traffic="routers/busy@consulcatalog"] canvas').first().waitFor(WAIT);
    await shot(page, 'traffic');
    stop = true;
    await runner;
  });
});
