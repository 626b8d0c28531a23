/**
 * Where a traced request's CPU goes, kernel and JIT code included: runs tagway (`dist/`) untraced and at sampleRate 1
 * under the same fixed load, records its serving thread with Linux `perf record` (node --perf-basic-prof names the
 * JavaScript frames), and prints the symbols whose samples per request differ most. Complements `--cpu-prof`
 * (bench/run.ts), which sees neither the kernel nor time spent preempted.
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/perf-tracing.ts [--requests=60000] [--variants=off,trace1]
 * Needs `perf` (linux-perf); measures, never asserts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { BENCH_HOST, tagwayArgs } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const REQUESTS = Number(arg('requests', '60000'));
const VARIANTS = arg('variants', 'off,trace1').split(',');
/** perf's sampling rate, Hz: each sample stands for 1e6 / HZ µs. */
const HZ = 4999;
const RATES: Record<string, number | undefined> = { off: undefined, trace1: 1, trace001: 0.01 };
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<{ requests: { average: number } }>;

function load(port: number, amount: number): Promise<unknown> {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, amount, headers: { host: BENCH_HOST }, timeout: 10 });
}

async function main(): Promise<void> {
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) { console.error('perf-tracing: `perf` is not installed (apt-get install linux-perf)'); process.exit(2); }
  installCleanup(10 * 60_000, (line) => console.error(line));
  const { tmp, dynamic, otlpPort } = await startTracingPeers('perf');
  const perRequest = new Map<string, Map<string, number>>();
  for (const v of VARIANTS) {
    const port = await freePort();
    const args = tagwayArgs({ workers: 1, ...(RATES[v] !== undefined ? { sampleRate: RATES[v] } : {}) }, port, dynamic, otlpPort);
    const sut = await spawnChild(`tagway ${v}`, process.execPath, ['--perf-basic-prof-only-functions', resolve('dist/cli.js'), ...args], { cpus: '0' });
    await waitForRoute(port, sut, 30_000);
    await load(port, 20_000);
    const data = join(tmp, `${v}.data`);
    console.error(`recording ${v} (tagway pid ${sut.child.pid})`);
    const perf = spawn('perf', ['record', '-q', '-F', String(HZ), '-t', String(sut.child.pid), '-o', data], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    await load(port, REQUESTS);
    const stopped = new Promise((r) => perf.once('exit', r));
    perf.kill('SIGINT');
    await stopped;
    const report = spawnSync('perf', ['report', '-i', data, '--stdio', '--sort', 'sym', '-F', 'sample,sym', '--no-children'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    await sut.stop();
    const rows = new Map<string, number>();
    let total = 0;
    for (const line of report.stdout.split('\n')) {
      const m = /^\s*(\d+)\s+\[([.k])\]\s+(.*)$/.exec(line);
      if (m === null) continue;
      const name = `${m[2] === 'k' ? '[k] ' : ''}${m[3]!.replace(/^(LazyCompile|Function|JS|Builtin|Handler):[~*^+]?/, '').trim()}`;
      rows.set(name, (rows.get(name) ?? 0) + Number(m[1]));
      total += Number(m[1]);
    }
    const us = new Map([...rows].map(([k, n]) => [k, (n * 1e6) / HZ / REQUESTS]));
    perRequest.set(v, us);
    console.log(`${v}: ${((total * 1e6) / HZ / REQUESTS).toFixed(1)} µs/request on the serving thread (${total} samples)`);
  }
  const [a, b] = VARIANTS.map((v) => perRequest.get(v)!);
  if (a !== undefined && b !== undefined) {
    const names = new Set([...a.keys(), ...b.keys()]);
    const diff = [...names].map((n) => ({ n, a: a.get(n) ?? 0, b: b.get(n) ?? 0 })).sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a));
    console.log(`\n${VARIANTS[1]} − ${VARIANTS[0]}, µs per request (${VARIANTS[0]}, ${VARIANTS[1]}):`);
    for (const d of diff.slice(0, Number(arg('top', '45')))) console.log(`${(d.b - d.a >= 0 ? '+' : '') + (d.b - d.a).toFixed(2)}`.padStart(8) + `${d.a.toFixed(2)}`.padStart(8) + `${d.b.toFixed(2)}`.padStart(8) + `  ${d.n.slice(0, 110)}`);
    const kernel = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith('[k]')).reduce((s, [, v]) => s + v, 0);
    console.log(`kernel: ${kernel(a).toFixed(1)} → ${kernel(b).toFixed(1)} µs/request`);
  }
  await stopAll();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
