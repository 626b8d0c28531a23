/**
 * Tracing's own cost per request on the serving thread, no network on the request side: a built tagway's
 * `startRequest` → `startAttempt` → `onResponse` → response close, sampled (sampleRate 1, minimal verbosity, spans
 * encoded and exported to a local sink) minus sampled out (sampleRate 0: ids and `traceparent` only), time on the
 * event loop per request. Each round runs both; a process prints the minimum of its rounds for each (noise only
 * ever adds), and the run alternates the checkouts given, one fresh process each, so an A/B of two builds comes out
 * of one command. The export thread is left out (the export is posted from this thread: `exportThread: false`), so
 * what is measured is recording and encoding, plus the POST itself.
 *
 * Run: npm run build && node --import tsx bench/tracing-request.ts [--dist=dist,/work/wt/base/dist] [--processes=3]
 *   [--rounds=7] [--requests=50000]
 * Measures, never asserts; the end-to-end cost is `npm run bench -- --targets=tracing`.
 */
import { spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tracing } from '../src/observability/tracing.ts';
import { benchTracingConfig, fakeContext, startSink } from './lib/tracing-micro.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROUNDS = Number(arg('rounds', '7'));
const REQUESTS = Number(arg('requests', '50000'));

/** One process, one build: `--child=<dist>` prints `<sampled-out µs> <sampled µs>` (minimum over rounds). */
async function child(dist: string): Promise<void> {
  const { createTracing } = await import(pathToFileURL(resolve(dist, 'observability/tracing.js')).href) as typeof import('../src/observability/tracing.ts');
  const sink = await startSink();
  const make = (sampleRate: number): Tracing => createTracing(benchTracingConfig(sink.endpoint, sampleRate), { logger: { warn() {} }, exportThread: false });
  const target = new URL('http://127.0.0.1:9000/api/items?id=7');
  const run = async (tracing: Tracing, n: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const ctx = fakeContext('minimal');
      const trace = tracing.startRequest(ctx);
      trace.startAttempt(target, '/api/items?id=7', { ...ctx.headers }, 0)?.onResponse(200, { 'content-type': 'text/plain' });
      (ctx.res as unknown as EventEmitter).emit('close');
      if (i % 16 === 15) await new Promise((r) => setImmediate(r)); // the batch processor runs between requests
    }
    const us = (performance.now() - t0) * 1000 / n;
    await tracing.flush();
    return us;
  };
  const off = make(0);
  const on = make(1);
  await run(on, 20_000);
  await run(off, 20_000);
  let bestOff = Infinity;
  let bestOn = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    bestOff = Math.min(bestOff, await run(off, REQUESTS));
    bestOn = Math.min(bestOn, await run(on, REQUESTS));
  }
  await on.shutdown();
  await off.shutdown();
  sink.close();
  console.log(`${bestOff} ${bestOn}`);
}

function main(): void {
  const dists = arg('dist', 'dist').split(',');
  const processes = Number(arg('processes', '3'));
  const cores = spawnSync('taskset', ['--version']).status === 0 ? ['taskset', '-c', '0'] : [];
  console.log(`tracing-request: ${processes} process(es) per build, ${ROUNDS} rounds of ${REQUESTS} requests each (Node ${process.version})${cores.length ? ', on core 0' : ''}`);
  const results = new Map<string, number[]>(dists.map((d) => [d, []]));
  for (let p = 0; p < processes; p++) {
    for (const dist of p % 2 === 0 ? dists : [...dists].reverse()) {
      const argv = [process.execPath, ...process.execArgv, process.argv[1]!, `--child=${dist}`, `--rounds=${ROUNDS}`, `--requests=${REQUESTS}`];
      const out = spawnSync(cores[0] ?? argv[0]!, cores.length ? [...cores.slice(1), ...argv] : argv.slice(1), { encoding: 'utf8' });
      const [off, on] = out.stdout.trim().split(' ').map(Number);
      if (out.status !== 0 || !Number.isFinite(off) || !Number.isFinite(on)) { console.error(`${dist}: failed\n${out.stderr}`); process.exit(1); }
      results.get(dist)!.push(on! - off!);
      console.log(`  ${dist}: sampled out ${off!.toFixed(2)} µs, sampled ${on!.toFixed(2)} µs, difference ${(on! - off!).toFixed(2)} µs`);
    }
  }
  for (const [dist, diffs] of results) {
    const sorted = [...diffs].sort((a, b) => a - b);
    console.log(`${dist}: tracing a request costs ${sorted[sorted.length >> 1]!.toFixed(2)} µs on the loop (median of ${sorted.length}; ${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)})`);
  }
}

const childDist = arg('child', '');
if (childDist !== '') await child(childDist);
else main();
