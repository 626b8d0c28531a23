/**
 * Is a gateway's speed its own, or the machine's at the time? Starts `--processes` gateways (`dist/`) per variant
 * (off and sampleRate 1 by default), all up at once and idle until their turn, then measures them one after the other
 * in short slices, cycle after cycle, in an order that alternates direction (A B C … C B A …), so that every process
 * sees the machine's slow and fast moments alike. Prints, per process, the median CPU µs per request and req/s over
 * its slices, then how much of the spread lies between processes of the same code (persistent: a fresh process per
 * round is needed, and many rounds) against within one process over time (the machine: finer interleaving helps).
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/process-spread.ts [--processes=3]
 *   [--cycles=6] [--seconds=2] [--warmup=4] [--slice-warmup=1] [--variants=off,trace1] (a variant named twice: twice the processes; `trace1+bare`:
 *   that variant under bare node, an A/B of the flags; `off+args:--min-semi-space-size=16;--foo`: under those flags
 *   instead, `;`-separated)
 *   [--node-args=] (node flags instead of those tagway ships with, bench/lib/tagway.ts; `--node-args=` runs bare node)
 * Measures, never asserts.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll, type Spawned } from './lib/children.ts';
import { threadTimes, treeMinorFaults } from './lib/procstat.ts';
import { median as medianOf } from './lib/stats.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, variantRate } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const PROCESSES = Number(arg('processes', '3'));
const CYCLES = Number(arg('cycles', '6'));
const SECONDS = Number(arg('seconds', '2'));
/** `--node-args=--max-semi-space-size=32,…`: node/V8 flags for every gateway instead of TAGWAY_NODE_FLAGS (`--node-args=`: none). */
const NODE_ARGS = process.argv.some((a) => a.startsWith('--node-args=')) ? arg('node-args', '').split(',').filter((a) => a !== '') : [...TAGWAY_NODE_FLAGS];
/** Seconds of load on each process before the first cycle. */
const WARMUP = Number(arg('warmup', '4'));
/**
 * Seconds of unmeasured load before each slice: a Node 20 gateway that waited ~12 s or more for its turn shrinks its
 * new space at its next scavenge and faults 16 MB of fresh pages (bench/idle-gap.ts); with six processes of 2 s
 * slices in mirrored order a process can wait 20 s.
 */
const SLICE_WARMUP = Number(arg('slice-warmup', '1'));
/** A variant named twice gets twice the processes (`off,trace1,trace1`). */
const VARIANTS = arg('variants', 'off,trace1').split(',');
const SPECS = VARIANTS.map(parseVariant);

/**
 * A variant as named, read before anything starts (an unknown name throws). `trace1+bare`: that variant under bare
 * node (no flags), beside the others: an A/B of the node flags. `trace1+clean`: every load it gets is a fixed count
 * of requests, so no run ends under requests in flight (an A/B of what aborted requests leave behind in the JIT's
 * feedback). `+args:<flag>;<flag>`: under these node flags instead of the shipped ones.
 */
function parseVariant(variant: string): { variant: string; sampleRate: number | undefined; bare: boolean; clean: boolean; own: string[] | undefined } {
  const [rate = '', ...mods] = variant.split('+');
  const forms = ', each optionally +bare, +clean, +args:<flags>';
  const sampleRate = variantRate(rate, forms);
  if (mods.some((m) => m !== 'bare' && m !== 'clean' && !m.startsWith('args:'))) throw new Error(`unknown variant ${variant} (${forms.slice(2)})`);
  const own = mods.find((m) => m.startsWith('args:'))?.slice(5).split(';').filter((a) => a !== '');
  return { variant, sampleRate, bare: mods.includes('bare'), clean: mods.includes('clean'), own };
}
interface Result { requests: { average: number; total: number } }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<Result>;

interface Gateway { name: string; variant: string; clean: boolean; rate: number; port: number; proc: Spawned; cpuUs: number[]; mainUs: number[]; nicedUs: number[]; rps: number[]; faults: number[] }

/** CPU seconds (utime + stime ticks) of the process's main thread, of its niced threads (the export thread lowers its own) and of all. */
function threadSeconds(pid: number): { main: number; all: number; niced: number } {
  let main = 0;
  let all = 0;
  let niced = 0;
  for (const [tid, t] of threadTimes(pid)) {
    const s = (t.user + t.system) / 100;
    all += s;
    if (tid === pid) main = s;
    else if (t.nice > 0) niced += s;
  }
  return { main, all, niced };
}

const median = (xs: number[]): number => medianOf(xs)!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]): number => { const m = mean(xs); return xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1); };

async function main(): Promise<void> {
  const gateways = VARIANTS.length * PROCESSES;
  installCleanup(5 * 60_000 + gateways * ((CYCLES + 2) * (SECONDS + SLICE_WARMUP + 1) + WARMUP) * 1000, (line) => console.error(line));
  const { dynamic, otlpPort } = await startTracingPeers('spread');
  const all: Gateway[] = [];
  const count = new Map<string, number>();
  for (let i = 0; i < PROCESSES; i++) {
    for (const { variant, sampleRate, bare, clean, own } of SPECS) {
      const port = await freePort();
      const proc = await spawnChild(`tagway-${variant}-${i}`, process.execPath, [...(bare ? [] : own ?? NODE_ARGS), resolve('dist/cli.js'), ...tagwayArgs({ workers: 1, sampleRate }, port, dynamic, otlpPort)], { cpus: '0' });
      await waitForRoute(port, proc, 30_000);
      count.set(variant, (count.get(variant) ?? 0) + 1);
      all.push({ name: `${variant}#${count.get(variant)}`, variant, clean, rate: 0, port, proc, cpuUs: [], mainUs: [], nicedUs: [], rps: [], faults: [] });
    }
  }
  // a `+clean` gateway gets as many requests as its last load served in that time (2,000 the first time), counted
  // instead of timed
  const load = async (g: Gateway, seconds: number): Promise<Result> => {
    const limit = g.clean ? { amount: g.rate === 0 ? 2000 : Math.max(500, Math.round(g.rate * seconds)) } : { duration: seconds };
    const r = await autocannon({ url: `http://127.0.0.1:${g.port}/`, connections: 50, ...limit, headers: { host: BENCH_HOST } });
    g.rate = r.requests.average;
    return r;
  };
  // warm-up: every process, in four runs (each end closes the connections under requests in flight: see bench/lib/loadgen.ts)
  for (const g of all) for (let i = 0; i < 4; i++) await load(g, WARMUP / 4);
  for (let c = 0; c < CYCLES; c++) {
    for (const g of c % 2 === 0 ? all : [...all].reverse()) {
      const pid = g.proc.child.pid!;
      if (SLICE_WARMUP > 0) await load(g, SLICE_WARMUP);
      const f0 = treeMinorFaults(pid) ?? 0;
      const before = threadSeconds(pid);
      const r = await load(g, SECONDS);
      const after = threadSeconds(pid);
      g.faults.push(((treeMinorFaults(pid) ?? 0) - f0) * 1000 / r.requests.total);
      g.cpuUs.push((after.all - before.all) * 1e6 / r.requests.total);
      g.mainUs.push((after.main - before.main) * 1e6 / r.requests.total);
      g.nicedUs.push((after.niced - before.niced) * 1e6 / r.requests.total);
      g.rps.push(r.requests.average);
    }
    console.error(`cycle ${c + 1}/${CYCLES}: ${all.map((g) => `${g.name} ${g.cpuUs.at(-1)!.toFixed(0)}`).join('  ')} (CPU µs/request)`);
  }
  await stopAll();

  // Each slice against the untraced processes' mean in the same cycle: the machine's drift mostly drops out.
  const base = Array.from({ length: CYCLES }, (_, c) => mean(all.filter((g) => g.variant === VARIANTS[0]).map((g) => g.cpuUs[c]!)));
  console.log('\nprocess      CPU µs/request: median (min–max)   main thread   niced threads (export)   other threads (V8: GC, JIT)   against the cycle\'s first variant   req/s   faults/1k req');
  for (const g of all) {
    const rel = g.cpuUs.map((x, c) => x / base[c]!);
    const other = g.cpuUs.map((x, c) => x - g.mainUs[c]! - g.nicedUs[c]!);
    console.log(`${g.name.padEnd(12)} ${median(g.cpuUs).toFixed(1).padStart(7)} (${Math.min(...g.cpuUs).toFixed(0)}–${Math.max(...g.cpuUs).toFixed(0)})` +
      `${median(g.mainUs).toFixed(1).padStart(14)}${median(g.nicedUs).toFixed(1).padStart(25)}${median(other).toFixed(1).padStart(30)}${median(rel).toFixed(3).padStart(20)}×${median(g.rps).toFixed(0).padStart(22)}${median(g.faults).toFixed(1).padStart(16)}`);
  }
  // One-way analysis of variance per variant, on log CPU per request: the share of the spread between processes.
  for (const variant of new Set(VARIANTS)) {
    const groups = all.filter((g) => g.variant === variant).map((g) => g.cpuUs.map(Math.log));
    const within = mean(groups.map(variance));
    const between = Math.max(0, variance(groups.map(mean)) - within / CYCLES);
    const share = between / (between + within);
    console.log(`${variant}: spread between processes ${(100 * Math.sqrt(between)).toFixed(1)}% (sd), within a process over time ${(100 * Math.sqrt(within)).toFixed(1)}%: ${(100 * share).toFixed(0)}% of the variance is the process's own`);
  }
  const med = (v: string) => median(all.filter((g) => g.variant === v).map((g) => median(g.cpuUs)));
  for (const v of [...new Set(VARIANTS)].slice(1)) console.log(`${v} against ${VARIANTS[0]}: ${(med(v) / med(VARIANTS[0]!)).toFixed(3)}× CPU per request (median of the process medians)`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
