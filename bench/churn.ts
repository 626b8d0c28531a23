/**
 * The churn bench (issue 17): N services × 3 instances in a devcatalog, tagway in its own process (the CLI,
 * `workers` 1 or 2) watching it through the real Consul client, and a steady client (its own process) sending one
 * request at a time to one router, first on a quiet catalog, then while one instance's health flips every second.
 * Also measured: how long each flip takes to show in the API, and the first (full) build of the runtime.
 *
 * Run (one command, prints a table and the figures against the issue's targets):
 *   node --import tsx bench/churn.ts [--services=1000,5000] [--workers=1,2] [--seconds=10] [--cpu-prof=DIR]
 * tagway runs with `--providers.providersThrottleDuration=0s` (Traefik's default 2 s would hold one change per
 * second back by up to 2 s: a setting, not a cost) and logs at DEBUG to report its build times.
 *
 * Fairness: processes are pinned as bench/run.ts pins them (when `taskset` exists): tagway on cpu 0 with
 * `workers: 1` and on cpus 0,1 with `workers: 2` (as run.ts's workers=2 target), the steady client, the upstreams
 * and this process (devcatalog, API probes) on cpu 1. Both measured phases come after the same warm-up of tagway
 * (a steady client run that is not counted), each client does the same 200 unmeasured requests first, and the
 * churn starts when the churn phase's client starts measuring (every flip falls inside the measured window).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDevCatalog } from '../src/dev/devcatalog/index.ts';
import { registerFleet, startChurn, churnHost, type ChurnFleet } from '../src/dev/devcatalog/churn.ts';
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { CAN_PIN, freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { GEN_CPUS, SUT_CPUS } from './lib/targets.ts';
import { treeCpuSeconds } from './lib/procstat.ts';
import { builtGateway, compiledHelper } from './lib/compiled.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERVICES = arg('services', '1000,5000').split(',').map(Number);
const WORKERS = arg('workers', '1,2').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
/** `--cpu-prof=DIR`: tagway's processes (primary and workers) write CPU profiles there. */
const CPU_PROF = arg('cpu-prof', '');
/** Seconds of steady traffic before the quiet phase, not counted (JIT, the first build's garbage). */
const WARMUP_SECONDS = 3;
/** tagway's cores: one with one worker, both with two (bench/run.ts's workers=2 target does the same). */
const tagwayCpus = (workers: number): string => (workers > 1 ? `${SUT_CPUS},${GEN_CPUS}` : SUT_CPUS);

/** The issue's targets at 5,000 services (issue 17, "Must show"). */
const TARGETS = { throughput: 0.9, p99: 1.5, maxMs: 50, visibleMs: 1000, coldBuildMs: 1000 };
const ROOT = resolve(import.meta.dirname, '..');
const GATEWAY = builtGateway(ROOT, (line) => process.stderr.write(line + '\n'));
const log = (line: string): void => { process.stderr.write(line + '\n'); };

interface Steady { count: number; errors: number; p50: number; p99: number; max: number }
interface Row {
  services: number; workers: number; quiet: Steady; churn: Steady; flips: number;
  visible: { p50: number; max: number; missed: number }; startMs: number; coldBuildMs: number | undefined; changeBuildMs: { p50: number; max: number } | undefined;
  /**
   * tagway's CPU (its whole process tree, threads included: /proc) per 1,000 requests in each phase, and what the
   * churn phase used beyond the quiet one per flip: figures a loaded machine distorts far less than req/s.
   */
  cpu: { quietMsPerK: number; churnMsPerK: number; perFlipMs: number } | undefined;
  /**
   * The provider thread's own CPU per flip (its /proc schedstat, ns-precise; beyond what it used in the quiet phase):
   * with `workers: 1` in the serving process, with `workers: 2` in the primary.
   */
  providerThreadMsPerFlip: number | undefined;
}

/** CPU time of one thread of `pid`, ms (schedstat's first field, ns), or undefined. */
function threadCpuMs(pid: number, tid: number | undefined): number | undefined {
  if (tid === undefined) return undefined;
  try { return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6; } catch { return undefined; }
}

/** One steady-client run (its own process, on the generator's core); `onStart` when it starts measuring. */
async function steady(url: string, host: string, seconds: number, onStart?: () => void): Promise<Steady> {
  let out = '';
  let started = false;
  const child = await spawnChild('steady-client', process.execPath, [compiledHelper('bench/lib/steady-client.ts'), JSON.stringify({ url, host, seconds })], {
    cwd: ROOT, cpus: GEN_CPUS,
    onStdout: (c) => { out += c; if (!started && out.includes('START\n')) { started = true; onStart?.(); } },
  });
  await child.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`steady client gave no result: ${child.stderr()}`);
  return JSON.parse(line.slice(7)) as Steady;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return await res.json() as T;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 25): Promise<T | undefined> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined || performance.now() > end) return got;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const pct = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN; };

async function run(services: number, workers: number, catalogAddress: string, fleet: ChurnFleet, dc: Awaited<ReturnType<typeof startDevCatalog>>): Promise<Row> {
  const web = await freePort();
  const admin = await freePort();
  const builds: Array<{ full: boolean; ms: number }> = [];
  /** The provider thread's ID (it logs it at DEBUG), to read its own CPU time. */
  let providerTid: number | undefined;
  let buffer = '';
  const onLog = (chunk: string): void => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.includes('provider thread runs below the serving loop')) {
        try { providerTid = (JSON.parse(line) as { tid?: number }).tid; } catch { /* not json */ }
        continue;
      }
      if (!line.includes('configuration applied')) continue;
      // sinceSentMs: from the configuration leaving the provider's thread (or the primary) to live tables, decoding
      // and waiting included; ms: the runtime's build alone (in-process providers)
      try { const j = JSON.parse(line) as { full: boolean; ms: number; sinceSentMs?: number }; builds.push({ full: j.full, ms: j.sinceSentMs ?? j.ms }); } catch { /* not json */ }
    }
  };
  const started = performance.now();
  // Spawned here rather than with spawnChild: its log (stderr) carries the build times. taskset execs node.
  // Production's JavaScript (dist/, what `npm run build` and the image run), not the source through tsx: its loader
  // wraps every named function (esbuild's keepNames), tens of ms of a cold build.
  const argv = [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []), GATEWAY,
    `--entryPoints.web.address=127.0.0.1:${web}`, `--entryPoints.traefik.address=127.0.0.1:${admin}`, '--api.insecure=true',
    `--providers.consulCatalog.endpoint.address=${catalogAddress}`, '--providers.consulCatalog.exposedByDefault=true',
    '--providers.providersThrottleDuration=0s', `--workers=${workers}`, '--log.level=DEBUG', '--log.format=json'];
  const child = CAN_PIN
    ? spawn('taskset', ['-c', tagwayCpus(workers), process.execPath, ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { tail = (tail + c).slice(-4096); onLog(c); });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const gw = {
    stderr: () => tail,
    stop: async (graceMs: number) => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
  try {
    const ready = await until(async () => {
      const o = await getJson<{ http: { routers: { total: number } } }>(`http://127.0.0.1:${admin}/api/overview`);
      return o.http.routers.total >= services ? true : undefined;
    }, 120_000, 100);
    if (!ready) throw new Error(`tagway did not route ${services} services within 120 s: ${gw.stderr()}`);
    const startMs = performance.now() - started;
    // The first configuration of the catalog: the largest build before traffic (the internal provider's comes first),
    // from the catalog's message leaving the provider thread (workers 1) or the primary (workers 2, the slower worker)
    // to the route tables live: decoding, waiting, the runtime's build and the swap.
    const coldBuildMs = builds.length ? Math.max(...builds.map((b) => b.ms)) : undefined;
    const url = `http://127.0.0.1:${web}/`;
    const host = churnHost(Math.floor(services / 2));
    log(`  ${services} services, workers ${workers}: routable after ${startMs.toFixed(0)} ms; warm-up ${WARMUP_SECONDS} s, then quiet ${SECONDS} s…`);
    await steady(url, host, WARMUP_SECONDS);
    const cpu0 = treeCpuSeconds(child.pid!);
    const thread0 = threadCpuMs(child.pid!, providerTid);
    const quiet = await steady(url, host, SECONDS);
    const cpu1 = treeCpuSeconds(child.pid!);
    const thread1 = threadCpuMs(child.pid!, providerTid);

    log(`  churn ${SECONDS} s (one flip per second)…`);
    const visible: number[] = [];
    let missed = 0;
    const buildsBefore = builds.length;
    const probes: Array<Promise<void>> = [];
    let churn: ReturnType<typeof startChurn> | undefined;
    const onFlip = (f: { service: number; status: 'passing' | 'critical'; at: number }): void => {
      probes.push((async () => {
        const want = f.status === 'critical' ? fleet.instances - 1 : fleet.instances;
        const ok = await until(async () => {
          const s = await getJson<{ loadBalancer?: { servers?: unknown[] } }>(`http://127.0.0.1:${admin}/api/http/services/svc-${f.service}@consulcatalog`);
          return s.loadBalancer?.servers?.length === want ? true : undefined;
        }, 5000, 20);
        if (ok) visible.push(performance.now() - f.at); else missed++;
      })());
    };
    // The flips start when the client starts measuring: all of them fall inside the measured window.
    const during = await steady(url, host, SECONDS, () => { churn = startChurn(dc, fleet, 1000, onFlip); });
    churn?.stop();
    const cpu2 = treeCpuSeconds(child.pid!);
    const thread2 = threadCpuMs(child.pid!, providerTid);
    await Promise.all(probes);
    const changeBuilds = builds.slice(buildsBefore).filter((b) => !b.full).map((b) => b.ms);
    // Back to a quiet catalog for the next run.
    return {
      services, workers, quiet, churn: during, flips: churn?.flips ?? 0, startMs,
      visible: { p50: pct(visible, 0.5), max: Math.max(...visible), missed },
      coldBuildMs, changeBuildMs: changeBuilds.length ? { p50: pct(changeBuilds, 0.5), max: Math.max(...changeBuilds) } : undefined,
      cpu: cpu0 !== undefined && cpu1 !== undefined && cpu2 !== undefined ? {
        quietMsPerK: (1e6 * (cpu1 - cpu0)) / quiet.count, churnMsPerK: (1e6 * (cpu2 - cpu1)) / during.count,
        perFlipMs: (1000 * ((cpu2 - cpu1) - (cpu1 - cpu0))) / Math.max(1, churn?.flips ?? 0),
      } : undefined,
      providerThreadMsPerFlip: thread0 !== undefined && thread1 !== undefined && thread2 !== undefined
        ? ((thread2 - thread1) - (thread1 - thread0)) / Math.max(1, churn?.flips ?? 0) : undefined,
    };
  } finally {
    await gw.stop(3000);
  }
}

function table(rows: Row[]): string {
  const f = (n: number | undefined, d = 1): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  const out = [
    `| services | workers | quiet: requests in ${SECONDS} s | p99 ms | max ms | churn: requests | vs quiet | p99 ms | vs quiet | max ms | flip visible in API p50 / max ms | first catalog build ms | build per change p50 / max ms | tagway CPU per 1,000 requests quiet / churn ms | extra CPU per flip ms | provider thread CPU per flip ms |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(`| ${r.services} | ${r.workers} | ${r.quiet.count} | ${f(r.quiet.p99)} | ${f(r.quiet.max)} | ${r.churn.count} | ${f((100 * r.churn.count) / r.quiet.count, 0)}% | ${f(r.churn.p99)} | ${f(r.churn.p99 / r.quiet.p99, 2)}x | ${f(r.churn.max)} | ${f(r.visible.p50, 0)} / ${f(r.visible.max, 0)}${r.visible.missed ? ` (${r.visible.missed} missed)` : ''} | ${f(r.coldBuildMs, 0)} | ${r.changeBuildMs ? `${f(r.changeBuildMs.p50)} / ${f(r.changeBuildMs.max)}` : '-'} | ${r.cpu ? `${f(r.cpu.quietMsPerK, 0)} / ${f(r.cpu.churnMsPerK, 0)}` : '-'} | ${r.cpu ? f(r.cpu.perFlipMs, 0) : '-'} | ${f(r.providerThreadMsPerFlip)} |`);
  }
  return out.join('\n');
}

installCleanup(30 * 60_000, log);
const CORES = availableParallelism(); // before this process is pinned (it counts the cores it may use)
// This process (devcatalog, API probes) on the generator's core too.
const selfPinned = CAN_PIN && spawnSync('taskset', ['-a', '-p', '-c', GEN_CPUS, String(process.pid)], { stdio: 'ignore' }).status === 0;
const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
const upstreams = await Promise.all([0, 1, 2].map((i) => spawnChild(`upstream-${i}`, process.execPath, [compiledHelper('bench/lib/upstream.ts')], { cwd: ROOT, cpus: GEN_CPUS, readyLine: /^READY (\d+)/ })));
const ports = upstreams.map((u) => Number(u.ready![1]));
const rows: Row[] = [];
try {
  for (const services of SERVICES) {
    const dc = await startDevCatalog();
    const fleet: ChurnFleet = { services, instances: 3, address: '127.0.0.1', ports };
    log(`registering ${services} services × 3 instances in devcatalog…`);
    registerFleet(dc, fleet);
    try {
      for (const workers of WORKERS) {
        rows.push(await run(services, workers, dc.address, fleet, dc));
        // every instance passing again before the next run
        for (let s = 0; s < services; s++) for (let k = 0; k < 3; k++) dc.setCheck(`check-svc-${s}-${k}`, 'passing');
      }
    } finally {
      await dc.close();
    }
  }
} finally {
  await stopAll();
}
/** Each row at 5,000 services (the issue's targets are for 5,000) against the targets: value, target, held or not. */
function versusTargets(rows: Row[]): string {
  const out = ['| services | workers | throughput vs quiet (>= 90%) | p99 vs quiet (<= 1.5x) | max (<= 50 ms) | flip visible in API, max (< 1 s) | first catalog build (< 1 s) |', '|---|---|---|---|---|---|---|'];
  const cell = (ok: boolean, text: string): string => `${text} ${ok ? 'met' : 'MISSED'}`;
  for (const r of rows) {
    const tp = r.churn.count / r.quiet.count;
    const p99 = r.churn.p99 / r.quiet.p99;
    out.push(`| ${r.services} | ${r.workers} | ${cell(tp >= TARGETS.throughput, `${(100 * tp).toFixed(0)}%`)} | ${cell(p99 <= TARGETS.p99, `${p99.toFixed(2)}x`)} | ${cell(r.churn.max <= TARGETS.maxMs, `${r.churn.max.toFixed(1)} ms`)} | ${cell(r.visible.missed === 0 && r.visible.max < TARGETS.visibleMs, `${r.visible.max.toFixed(0)} ms${r.visible.missed ? ` (${r.visible.missed} missed)` : ''}`)} | ${r.coldBuildMs === undefined ? '-' : cell(r.coldBuildMs < TARGETS.coldBuildMs, `${r.coldBuildMs.toFixed(0)} ms`)} |`);
  }
  return out.join('\n');
}

const layout = CAN_PIN
  ? `pinned: tagway on cpu ${SUT_CPUS} (workers 1) or ${tagwayCpus(2)} (workers 2); steady client, upstreams${selfPinned ? ', devcatalog and probes (this process)' : ''} on cpu ${GEN_CPUS}${selfPinned ? '' : '; this process (devcatalog, probes) unpinned'}`
  : 'NOT pinned (no taskset): every process shares every core';
process.stdout.write(`\nchurn bench (node ${process.version}, ${CORES} cores, load average before ${loadBefore}; ${SECONDS} s per phase after a ${WARMUP_SECONDS} s warm-up; ${layout})\n\n${table(rows)}\n\nagainst the targets of issue 17 (stated for 5,000 services):\n\n${versusTargets(rows)}\n`);
