/**
 * The dashboard at scale: a gateway with N routers and N services (file provider), then, in Debian's headless
 * Chromium, how long the router list takes to draw its first page from a cold page load, how long a search takes
 * to narrow it, and how long the overview takes; plus the API answer behind the list page. Prints the figures
 * (medians of `rounds` page loads). A measurement, not a test: nothing is asserted.
 * Run: node --import tsx bench/dashboard-scale.ts [routers=5000] [rounds=3]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chromium } from 'playwright-core';
import { loadStaticConfig } from '../src/static/load.ts';
import { startGateway } from '../src/server/gateway.ts';
import { silentLogger } from '../src/util/log.ts';

const N = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 3);
const CHROMIUM = process.env['TAGWAY_CHROMIUM'] ?? '/usr/bin/chromium';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = await mkdtemp(join(tmpdir(), 'tagway-dash-scale-'));
const file = join(dir, 'dynamic.yml');
const routers: Record<string, unknown> = {};
const services: Record<string, unknown> = {};
for (let i = 0; i < N; i++) {
  routers[`r${i}`] = { rule: `Host(\`r${i}.example.com\`) && PathPrefix(\`/api\`)`, service: `s${i}`, entryPoints: ['web'] };
  services[`s${i}`] = { loadBalancer: { servers: [{ url: `http://127.0.0.1:${10000 + (i % 1000)}` }] } };
}
await writeFile(file, stringify({ http: { routers, services } }));
const config = loadStaticConfig({ argv: ['--entryPoints.web.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true',
  `--providers.file.filename=${file}`, '--providers.providersThrottleDuration=0s'], env: {} });
let t0 = performance.now();
const gw = await startGateway({ config, logger: silentLogger });
await new Promise<void>((resolve) => { const check = () => { if (Object.keys(gw.state().routers).length >= N) resolve(); else gw.once('reload', check); }; check(); });
const buildMs = performance.now() - t0;
const admin = gw.url('traefik');

const apiMs: number[] = [];
for (let r = 0; r < 5; r++) {
  t0 = performance.now();
  const res = await fetch(`${admin}/api/http/routers?per_page=50&page=1`);
  await res.arrayBuffer();
  apiMs.push(performance.now() - t0);
}

const profile = await mkdtemp(join(tmpdir(), 'tagway-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
const page = context.pages()[0] ?? await context.newPage();
const firstPage: number[] = [];
const search: number[] = [];
const overview: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    // Cold load of the list: navigation start → the first row in the DOM (the page's own clock).
    await page.goto('about:blank');
    await page.goto(`${admin}/dashboard/?refresh=60000#/http/routers`);
    await page.waitForSelector('[data-list] tbody tr[data-name]', { timeout: 60_000 });
    firstPage.push(await page.evaluate(() => performance.now()));
    t0 = performance.now();
    await page.fill('[data-list] input[name="search"]', `r${N - 1}.`);
    await page.waitForFunction((want) => {
      const rows = document.querySelectorAll('[data-list] tbody tr[data-name]');
      return rows.length === 1 && rows[0]!.getAttribute('data-name') === want;
    }, `r${N - 1}@file`, { timeout: 60_000 });
    search.push(performance.now() - t0 - 250); // less the search box's 250 ms pause after the last key
    await page.goto('about:blank');
    await page.goto(`${admin}/dashboard/?refresh=60000#/`);
    await page.waitForSelector('[data-count="http.routers"]', { timeout: 60_000 });
    overview.push(await page.evaluate(() => performance.now()));
  }
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await gw.close();
  await rm(dir, { recursive: true, force: true });
}
console.log(`${N} routers + ${N} services (file provider), ${process.version}, ${rounds} rounds, medians:`);
console.log(`  configuration built in                      ${buildMs.toFixed(0)} ms`);
console.log(`  API /api/http/routers?per_page=50           ${median(apiMs).toFixed(1)} ms`);
console.log(`  router list, first page drawn (cold load)   ${median(firstPage).toFixed(0)} ms  [${firstPage.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`  search narrowed to one router               ${median(search).toFixed(0)} ms  [${search.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`  overview drawn (cold load)                  ${median(overview).toFixed(0)} ms  [${overview.map((x) => x.toFixed(0)).join(', ')}]`);
