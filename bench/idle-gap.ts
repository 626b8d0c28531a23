/**
 * What a pause costs the load that follows it: one gateway (from `dist/`, on core 0) per variant, warmed up, then
 * loaded with a fixed number of requests after each idle gap in turn, printing per load the CPU µs per request, the
 * minor faults per 1,000 requests and how much RSS changed during the wait. It found why `npm run bench` warms each
 * later slice (`--slice-warmup`, bench/README.md "Order"): after ~12 s without load V8 shrinks the new space at the next
 * scavenge, and the next 16 MB of allocation fault page by page.
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/idle-gap.ts [--gaps=0,5,0,11,0,13,0,30]
 *   [--variants=off,trace1,off+args:--no-memory-reducer] (`+args:`: node flags added to the shipped ones, `;` between
 *   several, as in process-spread.ts) [--requests=20000]
 *   [--rounds=1]
 * Measures, never asserts.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { treeCpuNs, treeMinorFaults, treeRss } from './lib/procstat.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, variantRate } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const GAPS = arg('gaps', '0,5,0,11,0,13,0,30').split(',').map(Number);
/** Each variant's sampleRate and extra node flags, read before anything starts (an unknown name throws). */
const VARIANTS = arg('variants', 'off,trace1').split(',').map((v) => {
  const [name = '', extra = ''] = v.split('+args:');
  return { v, sampleRate: variantRate(name, ', each optionally +args:<flags>'), flags: extra.split(';').filter((f) => f !== '') };
});
const REQUESTS = Number(arg('requests', '20000'));
const ROUNDS = Number(arg('rounds', '1'));

const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<{ errors: number; non2xx: number }>;

async function main(): Promise<void> {
  installCleanup(10 * 60_000, (line) => console.error(line));
  const { dynamic, otlpPort } = await startTracingPeers('idle-gap');
  console.log(`idle-gap: ${REQUESTS} requests after each gap of ${GAPS.join(', ')} s; node ${TAGWAY_NODE_FLAGS.join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const { v, sampleRate, flags: extra } of VARIANTS) {
      const port = await freePort();
      const args = tagwayArgs({ workers: 1, sampleRate }, port, dynamic, otlpPort);
      const flags = [...TAGWAY_NODE_FLAGS, ...extra];
      const sut = await spawnChild(`tagway ${v}`, process.execPath, [...flags, join(resolve('.'), 'dist/cli.js'), ...args], { cpus: '0' });
      await waitForRoute(port, sut, 30_000);
      const pid = sut.child.pid!;
      const load = (amount: number) => autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, amount, headers: { host: BENCH_HOST }, timeout: 10 });
      // in four runs, as tracing-cpu.ts warms up: the first ends of a run deoptimize code
      for (let i = 0; i < 4; i++) await load(2500);
      const cells: string[] = [];
      for (const gap of GAPS) {
        const rss0 = treeRss(pid) ?? NaN;
        if (gap > 0) await sleep(gap * 1000);
        const rssWait = Math.round(((treeRss(pid) ?? NaN) - rss0) / 1024);
        const cpu0 = treeCpuNs(pid);
        const faults0 = treeMinorFaults(pid) ?? 0;
        const r = await load(REQUESTS);
        const us = (treeCpuNs(pid) - cpu0) / 1000 / REQUESTS;
        const faults = ((treeMinorFaults(pid) ?? 0) - faults0) * 1000 / REQUESTS;
        cells.push(`${gap} s: ${us.toFixed(1)} µs ${faults.toFixed(0)} f/1k${gap > 0 ? ` (RSS ${rssWait >= 0 ? '+' : ''}${rssWait} kB waiting)` : ''}${r.errors + r.non2xx > 0 ? ' ERRORS' : ''}`);
      }
      await sut.stop();
      console.log(`${v.padEnd(28)} ${cells.join(' | ')}`);
    }
  }
  await stopAll();
}

void main();
