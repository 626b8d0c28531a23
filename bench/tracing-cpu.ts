/**
 * What tracing costs the gateway, as CPU per request: tagway (from `dist/`, as production runs it) with tracing
 * off, at sampleRate 1 and at sampleRate 0.01 (OTLP/HTTP protobuf to a sink that discards), each driven with the
 * same fixed number of requests, its CPU read from /proc (every thread of its process tree, `schedstat`:
 * nanoseconds). CPU per request survives a loaded machine far better than requests/s: another process taking the
 * core makes a request wait, not cost more (caches and frequency aside).
 *
 * Each round starts a fresh gateway per variant (processes of the same code differ by up to ±20% in req/s, so one
 * process per variant for the whole run would measure the process), in a rotated order, warms it up, then
 * measures. Ratios are paired within a round, then the median over rounds is printed with its spread.
 * The host probe (bench/lib/host-probe.ts) is read on core 0 before and after each measurement: one the host was
 * slow around is measured again (twice at most), and one still slow against the run's fastest reading is left out
 * (bench/README.md, "The host's slow mode"). User and system CPU are printed apart.
 * The gateway runs on core 0, the upstream, the sink and the load generator (autocannon, this process) on core 1
 * (taskset, when present). `--base=<checkout>` adds the same variants from another checkout's `dist/` (an A/B).
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/tracing-cpu.ts [--rounds=5]
 *   [--requests=30000] [--warmup=10000] [--connections=32] [--variants=off,trace1,trace001] [--base=<dir>]
 *   [--base-node-args=<flags>] (the base's gateways under other node flags: with `--base=.` an A/B of the flags)
 *   [--threads] [--cpu-prof=<dir>] (a profile per gateway; bench/lib/profile-summary.ts reads them)
 *   (a variant may add environment variables: `trace1+env:OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2048;OTEL_BSP_MAX_QUEUE_SIZE=8192`;
 *   `{grpcPort}` in a value is the sink's OTLP/gRPC port: `trace1+env:TAGWAY_TRACING_OTLP_GRPC_ENDPOINT=127.0.0.1:{grpcPort};TAGWAY_TRACING_OTLP_GRPC_INSECURE=true`)
 * Measures, never asserts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { HostProbe } from './lib/host-probe.ts';
import { threadTimes, treeCpuNs, treeMinorFaults, treeUserSystemSeconds } from './lib/procstat.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, variantRate } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROUNDS = Number(arg('rounds', '5'));
const REQUESTS = Number(arg('requests', '30000'));
const WARMUP = Number(arg('warmup', '10000'));
const CONNECTIONS = Number(arg('connections', '32'));
const VARIANTS = arg('variants', 'off,trace1,trace001').split(',');
const BASE = process.argv.find((a) => a.startsWith('--base='))?.slice(7);
/** `--cpu-prof=<dir>`: each gateway runs under `node --cpu-prof`, its profile in <dir>/<variant>/ (start-up and warm-up included). */
const PROFILE_DIR = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice(11);
/** `--threads`: also print, per round, each busy thread's CPU per request (main first), its user/system split. */
const THREADS = process.argv.includes('--threads');
/** `--node-args=--single-threaded,--max-semi-space-size=16`: node/V8 flags for every gateway. */
const NODE_ARGS = process.argv.some((a) => a.startsWith('--node-args=')) ? arg('node-args', '').split(',').filter((a) => a !== '') : [...TAGWAY_NODE_FLAGS];
/** `--base-node-args=--min-semi-space-size=16`: the base's gateways under these flags instead (`--base=.`: an A/B of flags). */
const BASE_NODE_ARGS = process.argv.some((a) => a.startsWith('--base-node-args=')) ? arg('base-node-args', '').split(',').filter((a) => a !== '') : NODE_ARGS;

interface AutocannonResult { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

/** The threads that used more than 0.5 µs per request between two readings, main first: "main 81.2 (u 70 s 11) · t2 3.8 (u 2 s 1.8)". */
function threadLine(pid: number, before: ReturnType<typeof threadTimes>, after: ReturnType<typeof threadTimes>, requests: number): string {
  const rows: Array<{ tid: number; us: number; user: number; system: number }> = [];
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { ns: 0, user: 0, system: 0, nice: 0 };
    // ticks are 10 ms (USER_HZ 100)
    rows.push({ tid, us: (a.ns - b.ns) / 1000 / requests, user: ((a.user - b.user) * 10_000) / requests, system: ((a.system - b.system) * 10_000) / requests });
  }
  rows.sort((x, y) => (x.tid === pid ? -1 : y.tid === pid ? 1 : y.us - x.us));
  return rows.filter((r) => r.us > 0.5).map((r) => `${r.tid === pid ? 'main' : r.tid} ${r.us.toFixed(1)} (u ${r.user.toFixed(1)} s ${r.system.toFixed(1)})`).join(' · ');
}

function load(port: number, amount: number): Promise<AutocannonResult> {
  return autocannon({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, amount, headers: { host: BENCH_HOST }, timeout: 10 });
}

interface Sample { cpuUs: number; userUs: number; systemUs: number; rps: number; p99: number; faults: number; probeMs: number; round: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const trees = [{ label: '', dir: resolve('.'), nodeArgs: NODE_ARGS }, ...(BASE !== undefined ? [{ label: 'base-', dir: resolve(BASE), nodeArgs: BASE_NODE_ARGS }] : [])];
  // the watchdog: a gateway's run takes ~10 s at the default counts on this host (80 s a round with six variants),
  // and a measurement the host was slow around is made again
  installCleanup(Math.max(10 * 60_000, ROUNDS * trees.length * VARIANTS.length * ((WARMUP + 2 * REQUESTS) / 2_000 + 15) * 1000), (line) => console.error(line));
  const variants = trees.flatMap((t) => VARIANTS.map((v) => {
    // `trace1+env:NAME=value;NAME=value`: that variant with these variables in its environment
    const [rate = '', env = ''] = v.split('+env:');
    const sampleRate = variantRate(rate, ', each optionally +env:NAME=value;…');
    const vars = Object.fromEntries(env.split(';').filter((e) => e !== '').map((e) => {
      const eq = e.indexOf('=');
      if (eq <= 0) throw new Error(`variant ${v}: each +env: entry is NAME=value`);
      return [e.slice(0, eq), e.slice(eq + 1)];
    }));
    return { id: t.label + v, label: t.label, dir: t.dir, nodeArgs: t.nodeArgs, sampleRate, vars };
  }));
  const { dynamic, otlpPort, otlpGrpcPort } = await startTracingPeers('tracing-cpu');
  const envOf = (vars: Record<string, string>): NodeJS.ProcessEnv =>
    ({ ...process.env, ...Object.fromEntries(Object.entries(vars).map(([k, value]) => [k, value.replaceAll('{grpcPort}', String(otlpGrpcPort))])) });
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.id, []]));
  const loadAvg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const probe = await HostProbe.start('0');
  console.log(`tracing-cpu: ${ROUNDS} rounds × ${variants.length} variants, ${WARMUP} warm-up + ${REQUESTS} measured requests, ${CONNECTIONS} connections${NODE_ARGS.length > 0 ? `, node ${NODE_ARGS.join(' ')}` : ''}; load average ${loadAvg()}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    const line: string[] = [];
    for (const v of order) {
      const port = await freePort();
      const args = tagwayArgs({ workers: 1, sampleRate: v.sampleRate }, port, dynamic, otlpPort);
      const prof = PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR, v.id)}`] : [];
      const sut = await spawnChild(`tagway ${v.id}`, process.execPath, [...v.nodeArgs, ...prof, join(v.dir, 'dist/cli.js'), ...args], { cpus: '0', cwd: v.dir, env: envOf(v.vars) });
      await waitForRoute(port, sut, 30_000);
      // in four runs: the first few ends of a run deoptimize code, recompiled at the start of the next (bench/lib/loadgen.ts)
      for (let i = 0; i < 4; i++) await load(port, Math.ceil(WARMUP / 4));
      const pid = sut.child.pid!;
      const measured = await probe.around(async (): Promise<Sample> => {
        const cpu0 = treeCpuNs(pid);
        const split0 = treeUserSystemSeconds(pid) ?? { user: 0, system: 0 };
        const faults0 = treeMinorFaults(pid) ?? 0;
        const threads0 = THREADS ? threadTimes(pid) : undefined;
        const r = await load(port, REQUESTS);
        const cpuUs = (treeCpuNs(pid) - cpu0) / 1000 / REQUESTS;
        const split = treeUserSystemSeconds(pid) ?? { user: 0, system: 0 };
        const faults = ((treeMinorFaults(pid) ?? 0) - faults0) * 1000 / REQUESTS;
        if (threads0 !== undefined) console.log(`  ${v.id} threads, µs/request: ${threadLine(pid, threads0, threadTimes(pid), REQUESTS)}`);
        if (r.errors > 0 || r.non2xx > 0) console.log(`  ${v.id}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        return {
          cpuUs, userUs: ((split.user - split0.user) * 1e6) / REQUESTS, systemUs: ((split.system - split0.system) * 1e6) / REQUESTS,
          rps: r.requests.average, p99: r.latency.p99, faults, probeMs: 0, round,
        };
      }, (slowness, s) => console.log(`  ${v.id}: the host was slow around it (probe ${slowness.toFixed(2)}× its fastest, ${s.cpuUs.toFixed(1)} µs/request): measured again`));
      const sample: Sample = { ...measured.value, probeMs: measured.probeMs };
      await sut.stop();
      samples.get(v.id)!.push(sample);
      line.push(`${v.id} ${sample.cpuUs.toFixed(1)} (u ${sample.userUs.toFixed(1)} s ${sample.systemUs.toFixed(1)}, ${sample.faults.toFixed(0)} faults/1k)`);
    }
    console.log(`round ${round + 1}: ${line.join('  ')} µs/request (load ${loadAvg()})`);
  }
  // a measurement the host was still slow around, against the run's fastest probe reading, is left out (that variant's
  // of that round; ratios pair what both variants kept of a round); a variant slow in every round keeps them all
  const dropped: string[] = [];
  for (const [id, xs] of samples) {
    const { kept, left } = probe.leaveOutSlow(xs, (x) => x.probeMs);
    samples.set(id, kept);
    for (const x of left) dropped.push(`${id} round ${x.round + 1}`);
  }
  console.log(`\nhost probe: ${probe.fastest.toFixed(2)}–${Math.max(...probe.readings).toFixed(2)} ms over ${probe.readings.length} readings; ` +
    (dropped.length === 0 ? 'nothing left out' : `left out (the host slow around it): ${dropped.join(', ')}`));
  /** Ratios of `of` to `vs`, CPU per request, over the rounds both kept. */
  const paired = (of: Sample[], vs: Sample[]): number[] => of.flatMap((x) => {
    const y = vs.find((z) => z.round === x.round);
    return y === undefined ? [] : [x.cpuUs / y.cpuUs];
  });
  console.log('\nvariant           CPU µs/request: median [min–max]   user  system   req/s median   p99 ms median   faults/1k req   vs off (paired ratios: median [min–max])');
  for (const v of variants) {
    const s = samples.get(v.id)!;
    const cpu = s.map((x) => x.cpuUs);
    const offId = `${v.label}off`;
    const off = samples.get(offId);
    const ratios = off && offId !== v.id ? paired(s, off) : [];
    const vs = ratios.length > 0 ? `+${((median(ratios) - 1) * 100).toFixed(1)}% [${((Math.min(...ratios) - 1) * 100).toFixed(1)}…${((Math.max(...ratios) - 1) * 100).toFixed(1)}%]` : '';
    console.log(`${v.id.padEnd(17)} ${median(cpu).toFixed(1).padStart(8)} [${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}]`.padEnd(52)
      + `${median(s.map((x) => x.userUs)).toFixed(1).padStart(5)} ${median(s.map((x) => x.systemUs)).toFixed(1).padStart(7)}   `
      + `${Math.round(median(s.map((x) => x.rps))).toString().padStart(8)}   ${median(s.map((x) => x.p99)).toString().padStart(8)}   ${median(s.map((x) => x.faults)).toFixed(1).padStart(13)}        ${vs}`);
  }
  if (BASE !== undefined) {
    // the A/B: each variant of this tree against the same variant of the base, paired within each round
    console.log('\nthis tree vs --base, CPU µs/request: median of the paired ratios [min–max], rounds lower');
    for (const v of VARIANTS) {
      const mine = samples.get(v)!;
      const base = samples.get(`base-${v}`)!;
      const ratios = paired(mine, base);
      const lower = ratios.filter((r) => r < 1).length;
      console.log(`${v.padEnd(17)} ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}], lower in ${lower} of ${ratios.length}`);
    }
  }
  console.log(`load average at the end ${loadAvg()}`);
  await probe.stop();
  await stopAll();
}

void main();
