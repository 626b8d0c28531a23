/**
 * What tracing costs the gateway, in instructions per request, counted by valgrind's callgrind: nearly the same count
 * for the same code and load, whatever else the machine does (timed runs on this host scatter by ±10%; counts by ~1%;
 * what V8's optimizing compilers do inside the counted window is counted apart and left out). tagway from `dist/`
 * runs under `valgrind --tool=callgrind --instr-atstart=no` with tracing off and at sampleRate 1 (OTLP/HTTP to the
 * bench's sink); after a warm-up run uncounted (JIT tiers settled), counting is switched on (`callgrind_control -i on`)
 * for a fixed number of requests, then dumped. Printed: instructions per request of each variant, the traced/untraced ratio, and the functions whose
 * self cost differs most (V8's JIT code named from the gateway's `--perf-basic-prof` map). `--base=<checkout>` adds
 * the same variants from another checkout's `dist/` (an A/B: this tree's count against the base's).
 *
 * Instructions are not time: a cache or TLB miss costs nothing here, the kernel's work is not counted (socket writes,
 * the sink's and upstream's loopback traffic). What it is for: whether a change to the request path does less work,
 * decided in one run instead of twelve noisy ones (README, "Benchmarks", session 17).
 * Only user-space code is counted, one thread at a time (valgrind serialises threads).
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/callgrind-tracing.ts [--requests=3000]
 *   [--warmup=20000] [--variants=off,trace1] [--base=<dir>] [--top=30]
 * Needs valgrind (apt-get install valgrind). About a minute per variant. Measures, never asserts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, variantRate } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const REQUESTS = Number(arg('requests', '3000'));
const WARMUP = Number(arg('warmup', '20000'));
const VARIANTS = arg('variants', 'off,trace1').split(',');
const BASE = process.argv.find((a) => a.startsWith('--base='))?.slice(7);
const TOP = Number(arg('top', '30'));

interface AutocannonResult { errors: number; non2xx: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

function load(port: number, amount: number): Promise<AutocannonResult> {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections: 16, amount, headers: { host: BENCH_HOST }, timeout: 60 });
}

/**
 * One counted run: instructions per request, and each function's own (self) instructions per request. `compiler`:
 * what V8's optimizing compilers (TurboFan, Maglev) did inside the counted window, per request, left out of
 * `perRequest`: code compiled then is the warm-up's tail, not a request's work, and it came in some runs and not in
 * others (a run's count jumped by 5–15k when it did).
 */
interface Count { perRequest: number; compiler: number; functions: Map<string, number> }

/** V8's optimizing compilers' own functions (their threads run inside the counted window). */
const COMPILER = /^v8::internal::(compiler|maglev)::/;

/** JIT code ranges from V8's `--perf-basic-prof` map (`start size name`, hex), sorted by start. */
function perfMap(pid: number): Array<{ start: number; end: number; name: string }> {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return [];
  const entries = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    const [start = '0', size = '0', ...name] = line.split(' ');
    return { start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), name: name.join(' ') };
  });
  rmSync(file, { force: true });
  return entries.sort((a, b) => a.start - b.start);
}

/** The name of the JIT code at `address` (the last code created there, when code was replaced), else the address. */
function jitName(map: ReturnType<typeof perfMap>, address: number, fallback: string): string {
  let lo = 0;
  let hi = map.length - 1;
  while (lo <= hi) { // last entry starting at or before the address
    const mid = (lo + hi) >> 1;
    if (map[mid]!.start <= address) lo = mid + 1; else hi = mid - 1;
  }
  for (let i = hi; i >= 0 && i > hi - 64; i--) if (map[i]!.start <= address && address < map[i]!.end) return map[i]!.name;
  return fallback;
}

/**
 * Reads a callgrind dump (one event, Ir): the total, and self cost per function. A cost line after `calls=` is the
 * call's inclusive cost and belongs to the callee, so it is skipped.
 */
function readDump(file: string, pid: number, requests: number): Count {
  const text = readFileSync(file, 'utf8');
  const total = Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1] ?? NaN);
  const names = new Map<string, string>();
  const self = new Map<string, number>();
  let current = '';
  let skipNext = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      // names are compressed: "(id) name" the first time an id appears (as a function or as a callee), "(id)" after
      const m = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      if (m) {
        if (m[2] !== undefined) names.set(m[1]!, m[2]);
        if (line.startsWith('fn=')) current = m[1]!;
      }
      continue;
    }
    if (line.startsWith('calls=')) { skipNext = true; continue; }
    if (!/^[0-9+\-*]/.test(line)) continue;
    if (skipNext) { skipNext = false; continue; }
    const cost = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(cost)) self.set(current, (self.get(current) ?? 0) + cost);
  }
  const byName = new Map<string, number>();
  for (const [id, cost] of self) {
    const name = names.get(id) ?? id;
    byName.set(name, (byName.get(name) ?? 0) + cost);
  }
  const map = perfMap(pid);
  const functions = new Map<string, number>();
  for (const [name, cost] of byName) {
    const hex = /^0x([0-9a-f]+)/.exec(name);
    const named = (hex ? jitName(map, parseInt(hex[1]!, 16), name) : name).replace(/\/[^ ]*\/dist\//, 'dist/').replace(/\/[^ ]*\/node_modules\//, 'node_modules/').replace(/ \[[^\]]*\]$/, '')
      // without line and column, so that a function moved by an edit is still itself in an A/B
      .replace(/:\d+:\d+$/, '');
    functions.set(named, (functions.get(named) ?? 0) + cost / requests);
  }
  let compiler = 0;
  for (const [name, cost] of functions) if (COMPILER.test(name)) { compiler += cost; functions.delete(name); }
  return { perRequest: total / requests - compiler, compiler, functions };
}

async function countOne(dir: string, variant: string, dynamic: string, otlpPort: number, out: string): Promise<Count> {
  const port = await freePort();
  const args = tagwayArgs({ workers: 1, sampleRate: variantRate(variant) }, port, dynamic, otlpPort);
  const dumpFile = join(out, `${variant}.out`);
  const sut = await spawnChild(`callgrind ${variant}`, 'valgrind', [
    '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${dumpFile}`,
    process.execPath, ...TAGWAY_NODE_FLAGS, '--perf-basic-prof', join(dir, 'dist/cli.js'), ...args,
  ], { cpus: '0', cwd: dir });
  const pid = sut.child.pid!;
  await waitForRoute(port, sut, 300_000);
  // in four runs, as tracing-cpu.ts warms up: the first ends of a run deoptimize code that the next recompiles
  for (let i = 0; i < 4; i++) await load(port, Math.ceil(WARMUP / 4));
  execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
  const r = await load(port, REQUESTS);
  execFileSync('callgrind_control', ['-d', 'counted', String(pid)], { stdio: 'ignore' });
  await sut.stop(10_000);
  if (r.errors > 0 || r.non2xx > 0) console.log(`  ${variant}: ${r.errors} errors, ${r.non2xx} non-2xx`);
  const dumps = readdirSync(out).filter((f) => f.startsWith(`${variant}.out`) && f !== `${variant}.out`);
  if (dumps.length !== 1) throw new Error(`${variant}: expected one callgrind dump in ${out}, found ${dumps.join(', ') || 'none'}`);
  const count = readDump(join(out, dumps[0]!), pid, REQUESTS);
  for (const f of readdirSync(out)) if (f.startsWith(`${variant}.out`)) rmSync(join(out, f));
  return count;
}

function topDifferences(from: Count, to: Count, top: number): string[] {
  const names = new Set([...from.functions.keys(), ...to.functions.keys()]);
  const rows = [...names].map((name) => ({ name, a: from.functions.get(name) ?? 0, b: to.functions.get(name) ?? 0 }))
    .map((r) => ({ ...r, d: r.b - r.a })).sort((x, y) => Math.abs(y.d) - Math.abs(x.d)).slice(0, top);
  return rows.map((r) => `  ${(r.d >= 0 ? '+' : '') + r.d.toFixed(0)}`.padStart(9) + `${r.a.toFixed(0).padStart(9)}${r.b.toFixed(0).padStart(9)}  ${r.name.slice(0, 120)}`);
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error('callgrind-tracing: valgrind is not installed (apt-get install valgrind)');
    process.exit(2);
  }
  installCleanup(60 * 60_000, (line) => console.error(line));
  const out = mkdtempSync(join(tmpdir(), 'tagway-callgrind-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const { dynamic, otlpPort } = await startTracingPeers('callgrind');
  const trees = [{ label: '', dir: resolve('.') }, ...(BASE !== undefined ? [{ label: 'base ', dir: resolve(BASE) }] : [])];
  console.log(`callgrind-tracing: ${WARMUP} warm-up requests uncounted, then ${REQUESTS} counted, per variant (${VARIANTS.join(', ')})${BASE ? `; base ${BASE}` : ''}`);
  const counts = new Map<string, Count>();
  for (const t of trees) {
    for (const v of VARIANTS) {
      const c = await countOne(t.dir, v, dynamic, otlpPort, out);
      counts.set(t.label + v, c);
      console.log(`${(t.label + v).padEnd(14)} ${Math.round(c.perRequest).toLocaleString('en-US').padStart(9)} instructions per request`
        + ` (V8's compilers ${Math.round(c.compiler).toLocaleString('en-US')} more, left out)`);
    }
  }
  for (const t of trees) {
    const off = counts.get(`${t.label}off`);
    for (const v of VARIANTS) {
      if (v === 'off' || off === undefined) continue;
      const c = counts.get(t.label + v)!;
      console.log(`\n${t.label}${v} vs ${t.label}off: ${((c.perRequest / off.perRequest - 1) * 100).toFixed(1)}% more instructions (+${Math.round(c.perRequest - off.perRequest)} per request); self instructions per request, largest differences:`);
      console.log(`${'diff'.padStart(9)}${'off'.padStart(9)}${v.padStart(9)}  function`);
      for (const row of topDifferences(off, c, TOP)) console.log(row);
    }
  }
  if (BASE !== undefined) {
    for (const v of VARIANTS) {
      const mine = counts.get(v)!;
      const base = counts.get(`base ${v}`)!;
      console.log(`\n${v}: this tree vs base ${(mine.perRequest / base.perRequest).toFixed(4)}× (${Math.round(mine.perRequest - base.perRequest)} per request); largest differences:`);
      console.log(`${'diff'.padStart(9)}${'base'.padStart(9)}${'this'.padStart(9)}  function`);
      for (const row of topDifferences(base, mine, TOP)) console.log(row);
    }
  }
  await stopAll();
}

void main();
