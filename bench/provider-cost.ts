/**
 * What one health flip costs the Consul Catalog provider itself (issue 17): the provider runs in this process (no
 * gateway, no thread), a devcatalog with the churn fleet in a child process (its work is not counted), and the
 * instances flip one at a time; for each flip, the CPU this process used from the flip until the provider emitted
 * its configuration, and the garbage collections in between. CPU time, not wall time: a loaded machine barely moves it.
 *
 *   node --import tsx bench/provider-cost.ts [--services=5000] [--flips=40] [--cpu-prof]
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { startChurnCatalog } from '../test/support/churn-catalog.ts';
import { ConsulCatalogProvider } from '../src/providers/consulcatalog/watcher.ts';
import { loadStaticConfig } from '../src/static/load.ts';
import type { Message } from '../src/dynamic/types.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERVICES = Number(arg('services', '5000'));
const FLIPS = Number(arg('flips', '40'));

const catalog = await startChurnCatalog({ services: SERVICES, ports: [18081, 18082, 18083] });
const config = loadStaticConfig({ argv: [`--providers.consulCatalog.endpoint.address=${catalog.address}`, '--providers.consulCatalog.exposedByDefault=true'], env: {} });
const provider = new ConsulCatalogProvider(config.providers.consulCatalog!, {});
const abort = new AbortController();
let last: Message | undefined;
let emitted: ((m: Message) => void) | undefined = (m) => { last = m; };
let messages = 0;
const running = provider.provide((m) => { messages++; emitted?.(m); }, abort.signal);
const t0 = performance.now();
while (messages === 0 || Object.keys(lastRouters()).length < SERVICES) await new Promise((r) => setTimeout(r, 50));
function lastRouters(): Record<string, unknown> { return last?.configuration.http.routers ?? {}; }
process.stderr.write(`first configuration after ${(performance.now() - t0).toFixed(0)} ms\n`);

const before = { ...provider.status().counters };
let gcMs = 0, gcs = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) { gcMs += e.duration; gcs++; } }).observe({ entryTypes: ['gc'] });
{ // what this process uses with no flip at all (should be ~0)
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 1000));
  const c = process.cpuUsage(c0);
  process.stderr.write(`idle: ${((c.user + c.system) / 1000).toFixed(1)} ms of CPU in 1 s\n`);
}
// settle: a few flips not counted
const cpu: number[] = [], wall: number[] = [];
for (let i = 0; i < FLIPS + 3; i++) {
  await new Promise((r) => setTimeout(r, 100));
  const done = new Promise<void>((resolve) => { emitted = (m) => { last = m; resolve(); }; });
  const c0 = process.cpuUsage(); const w0 = performance.now();
  if (i === 3) { gcMs = 0; gcs = 0; }
  await catalog.flip();
  await done;
  const c = process.cpuUsage(c0);
  if (i >= 3) { cpu.push((c.user + c.system) / 1000); wall.push(performance.now() - w0); }
}
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const p = (xs: number[], q: number): number => sorted(xs)[Math.floor(q * (xs.length - 1))]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
process.stdout.write(`provider CPU per flip (${SERVICES} services, ${FLIPS} flips): mean ${mean(cpu).toFixed(1)} ms, p50 ${p(cpu, 0.5).toFixed(1)}, max ${Math.max(...cpu).toFixed(1)}; wall p50 ${p(wall, 0.5).toFixed(1)} ms; GC ${gcs} pauses, ${(gcMs / FLIPS).toFixed(1)} ms per flip\n`);
const after = provider.status().counters ?? {};
process.stdout.write(`provider counters over the flips: ${Object.entries(after).map(([k, v]) => `${k} +${v - (before?.[k] ?? 0)}`).join(', ')}\n`);
abort.abort();
await running;
await catalog.close();
