/**
 * Where a traced request's CPU goes, kernel and JIT code included: runs tagway (`dist/`) untraced and at sampleRate 1
 * under the same fixed load, records its serving thread with Linux `perf record` (node --perf-basic-prof names the
 * JavaScript frames), and prints the symbols whose samples per request differ most. Complements `--cpu-prof`
 * (bench/run.ts), which sees neither the kernel nor time spent preempted.
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/perf-tracing.ts [--requests=60000] [--warmup=20000] [--variants=off,trace1]
 *   [--top=45] [--by-caller] (runtime, builtin and kernel samples charged to the JavaScript function that called them)
 *   [--thread=export] (the export thread instead, started with `--tracing.exportThread=true`, with `--variants=trace1`:
 *   its own symbols per request)
 * Needs `perf` (linux-perf); measures, never asserts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { threadTimes } from './lib/procstat.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, variantRate } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const REQUESTS = Number(arg('requests', '60000'));
/** Requests before recording starts. */
const WARMUP = Number(arg('warmup', '20000'));
const VARIANTS = arg('variants', 'off,trace1').split(',');
/** Each variant's sampleRate, read before anything starts (an unknown name throws). */
const RATE = new Map(VARIANTS.map((v) => [v, variantRate(v)]));
/** `--by-caller`: charge runtime samples to their JavaScript caller; `--by-caller=leaf` keeps the runtime symbol too. */
const BY_CALLER = process.argv.includes('--by-caller') ? 'kind' : arg('by-caller', '') === 'leaf' ? 'leaf' : undefined;
/** `--thread=export`: record the export thread (the process's niced thread) instead of the serving one. */
const THREAD = arg('thread', 'serving');
/** perf's sampling rate, Hz: each sample stands for 1e6 / HZ µs. */
const HZ = 4999;
/** Kinds of code, by symbol name, first match wins. */
const CATEGORIES: Array<[string, RegExp]> = [
  ['kernel', /^\[k\]/],
  ['tagway tracing (src/observability)', /\/observability\//],
  ['tagway, other', /\/work\/[^ ]*\/dist\//],
  ['undici', /node_modules\/undici/],
  ['node: internals (JS)', /node:/],
  ['V8 garbage collection', /Scaveng|Sweep|Mark|Heap|GC|Evacuat|RememberedSet|Slot|Allocat/],
  ['V8 builtins (ICs, calls, stores)', /^Builtins_/],
  ['V8 runtime, other', /^v8::|^Runtime_/],
  ['libc / node C++', /^(__|node::|uv_|_int_|mem|str)/],
];
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<{ requests: { average: number } }>;

function load(port: number, amount: number): Promise<unknown> {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, amount, headers: { host: BENCH_HOST }, timeout: 10 });
}

/** Leaf symbols whose samples `--by-caller` charges to the nearest JavaScript frame above them. */
const RUNTIME = /^(\[k\] |Builtins_|v8::|Runtime_|__|node::|uv_|_int_|mem|str|\[unknown\])/;

function symbolName(raw: string, kernel: boolean): string {
  return `${kernel ? '[k] ' : ''}${raw.replace(/^(LazyCompile|Function|JS|Builtin|Handler):[~*^+]?/, '').trim()}`;
}

/** Self samples per symbol (perf report). */
function samplesBySymbol(data: string): { rows: Map<string, number>; total: number } {
  const report = spawnSync('perf', ['report', '-i', data, '--stdio', '--sort', 'sym', '-F', 'sample,sym', '--no-children'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rows = new Map<string, number>();
  let total = 0;
  for (const line of report.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+\[([.k])\]\s+(.*)$/.exec(line);
    if (m === null) continue;
    const name = symbolName(m[3]!, m[2] === 'k');
    rows.set(name, (rows.get(name) ?? 0) + Number(m[1]));
    total += Number(m[1]);
  }
  return { rows, total };
}

/**
 * `--by-caller`: each sample of V8's builtins and runtime, the kernel or libc is charged to the first JavaScript
 * function on its stack (frame pointers: `perf record -g`), as "<leaf kind> ← <function>"; JavaScript leaves stay as
 * they are. Answers "which code makes these IC misses, stores, syscalls".
 */
function samplesByCaller(data: string): { rows: Map<string, number>; total: number } {
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const rows = new Map<string, number>();
  let total = 0;
  const flush = (stack: string[]): void => {
    if (stack.length === 0) return;
    total++;
    const leaf = stack[0]!;
    let name = leaf;
    if (RUNTIME.test(leaf)) {
      const js = stack.find((f) => !RUNTIME.test(f));
      const kind = leaf.startsWith('[k]') ? 'kernel' : leaf.startsWith('Builtins_') ? 'builtins' : 'runtime/C++';
      name = `${BY_CALLER === 'leaf' ? leaf : kind} ← ${js ?? '(no JS frame)'}`;
    }
    rows.set(name, (rows.get(name) ?? 0) + 1);
  };
  let stack: string[] = [];
  for (const line of script.stdout.split('\n')) {
    const m = /^\s+([0-9a-f]+)\s+(.*)$/.exec(line);
    if (m === null) { flush(stack); stack = []; continue; }
    const kernel = /^ffff/.test(m[1]!);
    stack.push(symbolName(m[2]!.replace(/\+0x[0-9a-f]+$/, ''), kernel));
  }
  flush(stack);
  return { rows, total };
}

async function main(): Promise<void> {
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) { console.error('perf-tracing: `perf` is not installed (apt-get install linux-perf)'); process.exit(2); }
  installCleanup(10 * 60_000, (line) => console.error(line));
  const { tmp, dynamic, otlpPort } = await startTracingPeers('perf');
  const perRequest = new Map<string, Map<string, number>>();
  for (const v of VARIANTS) {
    const port = await freePort();
    // the export thread is opt-in (tracing.exportThread): started here only when it is what is recorded
    const args = [...tagwayArgs({ workers: 1, sampleRate: RATE.get(v) }, port, dynamic, otlpPort), ...(THREAD === 'export' ? ['--tracing.exportThread=true'] : [])];
    const sut = await spawnChild(`tagway ${v}`, process.execPath, [...TAGWAY_NODE_FLAGS, '--perf-basic-prof-only-functions', resolve('dist/cli.js'), ...args], { cpus: '0', cwd: tmp }); // cwd: Node 24 writes isolate-*-v8.log files there
    await waitForRoute(port, sut, 30_000);
    await load(port, WARMUP);
    const data = join(tmp, `${v}.data`);
    const pid = sut.child.pid!;
    const tid = THREAD === 'export' ? [...threadTimes(pid)].find(([id, t]) => id !== pid && t.nice > 0)?.[0] : pid;
    if (tid === undefined) throw new Error(`tagway ${v} has no niced (export) thread`);
    console.error(`recording ${v} (tagway pid ${pid}, thread ${tid})`);
    const perf = spawn('perf', ['record', '-q', '-F', String(HZ), ...(BY_CALLER ? ['-g'] : []), '-t', String(tid), '-o', data], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    await load(port, REQUESTS);
    const stopped = new Promise((r) => perf.once('exit', r));
    perf.kill('SIGINT');
    await stopped;
    await sut.stop();
    const { rows, total } = BY_CALLER ? samplesByCaller(data) : samplesBySymbol(data);
    const us = new Map([...rows].map(([k, n]) => [k, (n * 1e6) / HZ / REQUESTS]));
    perRequest.set(v, us);
    console.log(`${v}: ${((total * 1e6) / HZ / REQUESTS).toFixed(1)} µs/request on the ${THREAD} thread (${total} samples)`);
    if (VARIANTS.length === 1) {
      for (const [n, x] of [...us].sort((p, q) => q[1] - p[1]).slice(0, Number(arg('top', '45')))) console.log(`${x.toFixed(3).padStart(8)}  ${n.slice(0, 110)}`);
    }
  }
  mkdirSync('.bench-out', { recursive: true });
  writeFileSync('.bench-out/perf-tracing.json', JSON.stringify(Object.fromEntries([...perRequest].map(([v, m]) => [v, Object.fromEntries(m)]))));
  const [a, b] = VARIANTS.map((v) => perRequest.get(v)!);
  if (a !== undefined && b !== undefined) {
    const names = new Set([...a.keys(), ...b.keys()]);
    const diff = [...names].map((n) => ({ n, a: a.get(n) ?? 0, b: b.get(n) ?? 0 })).sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a));
    console.log(`\n${VARIANTS[1]} − ${VARIANTS[0]}, µs per request (${VARIANTS[0]}, ${VARIANTS[1]}):`);
    for (const d of diff.slice(0, Number(arg('top', '45')))) console.log(`${(d.b - d.a >= 0 ? '+' : '') + (d.b - d.a).toFixed(2)}`.padStart(8) + `${d.a.toFixed(2)}`.padStart(8) + `${d.b.toFixed(2)}`.padStart(8) + `  ${d.n.slice(0, 110)}`);
    // where the difference lies, by kind of code (a symbol's own samples; inlining moves time between symbols)
    const sums = new Map<string, [number, number]>();
    for (const d of diff) {
      const kind = CATEGORIES.find(([, test]) => test.test(d.n))?.[0] ?? 'other';
      const s = sums.get(kind) ?? [0, 0];
      s[0] += d.a; s[1] += d.b;
      sums.set(kind, s);
    }
    console.log('\nby kind of code, µs per request:');
    for (const [kind, [x, y]] of [...sums].sort((p, q) => Math.abs(q[1][1] - q[1][0]) - Math.abs(p[1][1] - p[1][0]))) {
      console.log(`${(y - x >= 0 ? '+' : '') + (y - x).toFixed(2)}`.padStart(8) + `${x.toFixed(2)}`.padStart(8) + `${y.toFixed(2)}`.padStart(8) + `  ${kind}`);
    }
  }
  await stopAll();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
