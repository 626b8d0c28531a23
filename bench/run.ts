/**
 * The proxy benchmark: the same load, from a load generator in its own process, against the upstream
 * directly, tagway (tracing off, tracing at sampleRate 1 and 0.01, two workers), @fastify/http-proxy and
 * nginx (when installed). Prints a table and ratios, writes .bench-out/latest.json. See bench/README.md.
 * Every round runs fresh processes in a rotated order; ratios come with 95% intervals (an A/A pair: a target named twice).
 * Run: npm run bench -- [--duration=10] [--connections=50] [--warmup=2] [--repeats=3] [--slices=2] [--slice-warmup=2] [--targets=…|tracing] [--cpu-prof]
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.ts';
import { CAN_PIN, installCleanup, interrupted, spawnChild, stopAll } from './lib/children.ts';
import { compiledHelper } from './lib/compiled.ts';
import { HostProbe, MAX_REMEASURE, SLOW_HOST } from './lib/host-probe.ts';
import { LoadGenerator, measure, type Sample } from './lib/measure.ts';
import { treeRss } from './lib/procstat.ts';
import { formatProfile, formatProfileDiff, summarizeProfile, type ProfileRun } from './lib/profile-summary.ts';
import { formatReport, goals, median, ratios, summarize, unsaturated, type TargetResult } from './lib/report.ts';
import { TAGWAY_NODE_FLAGS } from './lib/tagway.ts';
import { GEN_CPUS, HELPER_CPUS, SUT_CPUS, TARGETS, specFor, startOrigin, startTarget, unavailable, type RunningTarget, type Shared, type TargetSpec } from './lib/targets.ts';

const log = (line: string) => process.stderr.write(line + '\n');
const READY = /^READY (\d+)/;
const PROFILE_DIR = '.bench-out';

/** The backend upstream (`origin`: nginx or bench/lib/upstream.ts) and the OTLP sink, off core 0 (HELPER_CPUS) so core 0 is the SUT's alone. */
async function startShared(tmpDir: string, needSink: boolean, nodeFlags: string[], origin: BenchArgs['origin']): Promise<Shared & { stop(): Promise<void> }> {
  const up = await startOrigin(origin, join(tmpDir, 'origin'), HELPER_CPUS);
  const sink = needSink
    ? await spawnChild('otlp-sink', process.execPath, [compiledHelper('bench/lib/otlp-sink.ts')], { cpus: HELPER_CPUS, readyLine: READY })
    : undefined;
  return {
    upstreamPort: up.port, origin, otlpPort: Number(sink?.ready?.[1] ?? 0), tmpDir, tagwayNodeFlags: nodeFlags,
    pids: { upstream: up.proc.child.pid!, sink: sink?.child.pid },
    stop: async () => { await Promise.all([up.proc.stop(), sink?.stop()]); },
  };
}

function machine() {
  return {
    cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: process.platform,
    pinned: CAN_PIN, sutCpus: SUT_CPUS, generatorCpus: GEN_CPUS, helperCpus: HELPER_CPUS, loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** What the sink received over a round: proof that the tracing variants exported. */
const sinkStats = (port: number) => fetch(`http://127.0.0.1:${port}/stats`).then((r) => r.json() as Promise<{ posts: number; bytes: number }>).catch(() => undefined);

/**
 * The comparison: `repeats` rounds; each round starts a fresh upstream (and OTLP sink), then measures every target
 * in a process of its own, started for that measurement and stopped after it, in an order rotated by one each round.
 * Why fresh processes: a process keeps a speed of its own (two processes of the same code differed by up to ±20%,
 * steady across that process's rounds), so one process per target for the whole run compares processes, not code;
 * a new process per round makes that difference noise which the rounds average out and the interval shows.
 */
async function compare(args: BenchArgs, tmpDir: string): Promise<void> {
  const results = new Map<string, { spec: TargetSpec; skipped?: string; samples: Sample[]; rss?: number }>();
  for (const id of args.targets) {
    const spec = specFor(id);
    results.set(id, { spec, samples: [], skipped: unavailable(spec) });
  }
  for (const r of results.values()) if (r.skipped) log(`skip  ${r.spec.label}: ${r.skipped}`);
  const needSink = [...results.values()].some((r) => r.spec.variant?.sampleRate !== undefined);
  const all = [...results.values()].filter((r) => !r.skipped);
  const otlp = { posts: 0, bytes: 0 };
  /** How long each target took from spawn to its first 200 (the price of a fresh process per round). */
  const startMs: number[] = [];
  // The host's speed on the SUT's core, read around every slice (host-probe.ts); not for a run of targets at once.
  const probe = args.together ? undefined : await HostProbe.start(SUT_CPUS);
  let remeasured = 0;

  for (let round = 1; round <= args.repeats; round++) {
    if (interrupted()) return;
    const shared = await startShared(tmpDir, needSink, [...TAGWAY_NODE_FLAGS], args.origin);
    // Each round starts one target later (round r measures targets r, r+1, … wrapping around): the slot within a
    // round was measured to matter (the first target of a round ran 10–20% faster), so over a multiple of as many
    // rounds as targets every target takes every slot equally often.
    const shift = (round - 1) % Math.max(1, all.length);
    const order = [...all.slice(shift), ...all.slice(0, shift)];
    const started: Array<{ r: (typeof order)[number]; running: RunningTarget }> = [];
    let gen: LoadGenerator | undefined;
    const start = async (r: (typeof order)[number]): Promise<RunningTarget | undefined> => {
      try {
        return await startTarget(r.spec, shared);
      } catch (err) {
        const why = `failed to start: ${err instanceof Error ? err.message.split('\n').slice(0, 6).join(' | ') : String(err)}`;
        log(`round ${round}: FAIL ${r.spec.label}: ${why}`);
        if (r.samples.length === 0) r.skipped = why;
        return undefined;
      }
    };
    try {
      if (args.together) {
        // every target of the round at once: started first, measured together, stopped together
        for (const r of order) { const running = await start(r); if (running) started.push({ r, running }); }
        const got = await Promise.all(started.map(({ running }) => measure(running, args, shared.pids).catch((err: unknown) => err as Error)));
        for (const [i, { r, running }] of started.entries()) record(r, running, got[i]!, round, args.repeats);
      } else {
        // The round's processes, started in its order (idle until their turn), then measured slice by slice in
        // mirrored order (A B C C B A …): each target's slices sit around the round's middle alike.
        for (const r of order) {
          if (interrupted()) return;
          const t0 = performance.now();
          const running = await start(r);
          if (!running) continue;
          started.push({ r, running });
          startMs.push(performance.now() - t0);
        }
        const slices = new Map<(typeof started)[number], Sample[]>();
        const sliceSeconds = args.duration / args.slices;
        // one generator for the round's slices, its JIT warm from the first target's warm-up on
        gen = await LoadGenerator.start();
        for (let k = 0; k < args.slices; k++) {
          for (const one of k % 2 === 0 ? started : [...started].reverse()) {
            if (interrupted()) return;
            // a slice measured while the host was slow (the probe around it says so) is measured again, twice at most
            let tries = 0;
            const slice = (): Promise<Sample | Error> => {
              // the round's first slice warms the fresh process up; a slice made again needs only a slice's warm-up
              const warmup = k === 0 && tries === 0 ? args.warmup : args.sliceWarmup;
              tries++;
              return measure(one.running, { ...args, duration: sliceSeconds, warmup }, shared.pids, gen).catch((err: unknown) => err as Error);
            };
            let got: Sample | Error;
            if (probe === undefined) got = await slice();
            else {
              const bracketed = await probe.around(slice, (slowness) => {
                remeasured++;
                log(`round ${round}: ${one.r.spec.label}: the host was slow around that slice (probe ${slowness.toFixed(2)}× its fastest): measured again`);
              }, (value) => value instanceof Error || interrupted());
              got = bracketed.value;
              if (!(got instanceof Error)) got.hostProbeMs = bracketed.probeMs;
            }
            if (got instanceof Error) { if (!interrupted()) log(`round ${round}: ${one.r.spec.label}: ${got.message}`); continue; }
            slices.set(one, [...(slices.get(one) ?? []), got]);
          }
        }
        for (const one of started) {
          const got = slices.get(one);
          if (got?.length === args.slices) record(one.r, one.running, combine(got), round, args.repeats);
        }
      }
    } finally {
      await gen?.stop();
      await Promise.all(started.map(({ running }) => running.proc.stop(10_000)));
      if (needSink) {
        const got = await sinkStats(shared.otlpPort);
        if (got) { otlp.posts += got.posts; otlp.bytes += got.bytes; }
      }
      await shared.stop();
    }
  }
  if (interrupted()) return;
  const loadAfter = loadavg().map((x) => Number(x.toFixed(2)));
  await probe?.stop();
  await stopAll();
  const host = probe === undefined ? undefined : excludeSlowSamples([...results.values()], probe, remeasured);

  const summaries: TargetResult[] = [...results.values()].map((r) => r.skipped && r.samples.length === 0
    ? { id: r.spec.id, label: r.spec.label, skipped: r.skipped, samples: [] }
    : summarize(r.spec.id, r.spec.label, r.samples, r.rss));
  if (startMs.length > 0) log(`start-up to the first 200: median ${median(startMs)!.toFixed(0)} ms over ${startMs.length} processes`);
  report(args, summaries, loadAfter, needSink ? otlp : undefined, host);
}

/** What the host probe saw over a run, for the report. */
interface HostReport { fastestMs: number; slowestMs: number; readings: number; remeasured: number; excluded: string[] }

/**
 * Leaves out every measurement the host was slow around, judged against the fastest probe reading of the whole run (a
 * slice kept during the run was judged against the fastest reading until then). Only that target's sample of that
 * round goes: the ratios pair the samples of a round that two targets both kept. A target that would lose every sample
 * keeps them.
 */
function excludeSlowSamples(all: Array<{ spec: TargetSpec; samples: Sample[] }>, probe: HostProbe, remeasured: number): HostReport {
  const excluded: string[] = [];
  for (const r of all) {
    const { kept, left, allSlow } = probe.leaveOutSlow(r.samples, (s) => s.hostProbeMs);
    if (allSlow) log(`host probe: ${r.spec.label}: the host was slow around every round; all kept (figures include its slow mode)`);
    for (const s of left) {
      excluded.push(`${r.spec.id} round ${s.round}`);
      log(`host probe: ${r.spec.label}, round ${s.round} left out: the host was slow around it even after ${MAX_REMEASURE} more tries`);
    }
    r.samples = kept;
  }
  return { fastestMs: probe.fastest, slowestMs: Math.max(...probe.readings), readings: probe.readings.length, remeasured, excluded };
}

/** One sample from a target's equal-length slices of a round: means of the rates and percentiles, sums of the counts. */
function combine(slices: Sample[]): Sample {
  if (slices.length === 1) return slices[0]!;
  const mean = (f: (s: Sample) => number | undefined): number | undefined => {
    const v = slices.map(f);
    return v.some((x) => x === undefined) ? undefined : v.reduce((a, b) => a! + b!, 0)! / v.length;
  };
  const sum = (f: (s: Sample) => number) => slices.reduce((n, s) => n + f(s), 0);
  return {
    rps: mean((s) => s.rps)!, p50: mean((s) => s.p50)!, p90: mean((s) => s.p90)!, p99: mean((s) => s.p99)!, mean: mean((s) => s.mean)!,
    requests: sum((s) => s.requests), errors: sum((s) => s.errors), timeouts: sum((s) => s.timeouts), non2xx: sum((s) => s.non2xx),
    genCpu: mean((s) => s.genCpu)!, sutCpu: mean((s) => s.sutCpu), otherCpu: mean((s) => s.otherCpu), helperCpu: mean((s) => s.helperCpu), sinkCpu: mean((s) => s.sinkCpu),
    // a rate per request: weighted by each slice's requests
    sutFaults: slices.some((s) => s.sutFaults === undefined) ? undefined : sum((s) => s.sutFaults! * s.requests) / Math.max(1, sum((s) => s.requests)),
    hostProbeMs: slices.some((s) => s.hostProbeMs === undefined) ? undefined : Math.max(...slices.map((s) => s.hostProbeMs!)),
  };
}

/** Keeps one measurement of a target (its RSS is read before its process stops) and prints its line. */
function record(r: { spec: TargetSpec; samples: Sample[]; rss?: number }, running: RunningTarget, got: Sample | Error, round: number, rounds: number): void {
  if (got instanceof Error) {
    if (!interrupted()) log(`round ${round}: ${r.spec.label}: ${got.message}`);
    return;
  }
  const s = got;
  s.round = round;
  r.samples.push(s);
  r.rss = treeRss(running.pid) ?? r.rss;
  const usPerReq = s.sutCpu ? (s.sutCpu * 10_000) / s.rps : undefined;
  log(`round ${round}/${rounds}  ${r.spec.label.padEnd(28)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${+s.p50.toFixed(1)} ms  p99 ${+s.p99.toFixed(1)} ms` +
    `  SUT CPU ${s.sutCpu?.toFixed(0) ?? 'n/a'}% (${usPerReq?.toFixed(1) ?? 'n/a'} µs/req)  gen CPU ${s.genCpu.toFixed(0)}%  upstream CPU ${s.helperCpu?.toFixed(0) ?? 'n/a'}%` +
    `${s.sinkCpu !== undefined ? `  sink CPU ${s.sinkCpu.toFixed(1)}%` : ''}  other CPU ${s.otherCpu?.toFixed(0) ?? 'n/a'}%${s.errors + s.timeouts + s.non2xx > 0 ? `  errors ${s.errors + s.timeouts + s.non2xx}` : ''}`);
}

/** Prints the table, ratios and goals, and writes the JSON file. */
function report(args: BenchArgs, summaries: TargetResult[], loadAfter: number[], otlp?: { posts: number; bytes: number }, host?: HostReport): void {
  const rs = ratios(summaries);
  // measured at once, req/s is how the core was shared: the goals are judged on CPU µs per request then
  const idle = args.together ? [] : unsaturated(summaries);
  const gs = goals(rs, { byCpu: args.together, unsaturated: new Set(idle.map((r) => r.id)) });
  process.stdout.write(`\n${formatReport(summaries, rs, gs)}\n`);
  process.stdout.write(`\n${args.connections} connections, ${args.warmup} s warm-up + ${args.duration} s measured per target, ` +
    `${args.repeats} round(s)${args.together ? ', targets at once' : ` of ${args.slices} slice(s) per target in mirrored order${args.slices > 1 ? `, ${args.sliceWarmup} s warm-up before each later slice` : ''}`}, a fresh process per target and round (median); SUT on cpu ${SUT_CPUS}, generator on cpu ${GEN_CPUS}, upstream (${args.origin}) + sink on cpu ${HELPER_CPUS}${CAN_PIN ? '' : ' (NOT pinned: no taskset)'}; ` +
    `${args.nice !== undefined ? `nice ${args.nice}; ` : ''}load average after ${loadAfter.join(' ')}` +
    `${otlp ? `; OTLP sinks received ${otlp.posts} exports, ${(otlp.bytes / 1024 / 1024).toFixed(1)} MB` : ''}` +
    `${host ? `; host probe ${host.fastestMs.toFixed(2)}–${host.slowestMs.toFixed(2)} ms over ${host.readings} readings, ${host.remeasured} slice(s) measured again, ${host.excluded.length === 0 ? 'nothing' : host.excluded.join(', ')} left out (slow host: > ${SLOW_HOST}× the fastest)` : ''}\n`);

  mkdirSync(dirname(args.out), { recursive: true });
  const params = { duration: args.duration, connections: args.connections, warmup: args.warmup, repeats: args.repeats, slices: args.slices, sliceWarmup: args.sliceWarmup, together: args.together, nice: args.nice ?? null, origin: args.origin };
  writeFileSync(args.out, JSON.stringify({ date: new Date().toISOString(), machine: { ...machine(), loadavgAfter: loadAfter }, params, otlp: otlp ?? null, hostProbe: host ?? null, targets: summaries, ratios: rs, goals: gs }, null, 2) + '\n');
  process.stdout.write(`wrote ${args.out}\n`);
  const noisy = summaries.filter((r) => (r.otherCpu ?? 0) > 30);
  if (noisy.length > 0) {
    log(`note: other processes used more than 30% of a core while ${noisy.map((r) => r.id).join(', ')} ran; ` +
      'req/s there is held down by the machine — compare req/CPU-s, or rerun when it is quiet (see bench/README.md)');
  }
  // a proxy that did not fill its core was waiting on cpu 1 (generator, upstream): its req/s is cpu 1's, not its own
  if (idle.length > 0) {
    log(`note: ${idle.map((r) => `${r.id} (SUT CPU ${r.sutCpu!.toFixed(1)}%)`).join(', ')} did not fill the SUT's core: the generator and the ` +
      'upstream on cpu 1 set the pace, so req/s ratios there understate differences in cost: the goals involving them are judged on CPU µs/request (bench/README.md)');
  }
}

/**
 * Profiles tagway targets one after the other under the same load with --cpu-prof and prints where the self
 * time goes; with several targets, also the difference per request against the first (µs of self time per
 * request, function by function: what tracing adds, e.g. `--cpu-prof=tagway,tagway-trace1,tagway-trace001`).
 */
async function profile(args: BenchArgs, tmpDir: string, ids: string[]): Promise<void> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const specs = ids.map((id) => TARGETS.find((t) => t.id === id)!);
  const shared = await startShared(tmpDir, specs.some((s) => s.variant?.sampleRate !== undefined), [...TAGWAY_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`], args.origin);
  const profiles: ProfileRun[] = [];
  // One target after the other, or (--together) all at once under the same conditions.
  const groups = args.together ? [specs] : specs.map((s) => [s]);
  for (const group of groups) {
    if (interrupted()) return;
    const targets = [];
    for (const spec of group) targets.push(await startTarget(spec, shared));
    const samples = await Promise.all(targets.map((t) => measure(t, args, shared.pids)));
    for (const t of targets) await t.proc.stop(10_000);
    for (const [i, t] of targets.entries()) {
      const s = samples[i]!;
      const usPerReq = s.sutCpu ? (s.sutCpu * 10_000) / s.rps : undefined;
      log(`profiled ${t.spec.label}: ${s.rps.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${usPerReq?.toFixed(1) ?? 'n/a'} CPU µs/req (profiling slows it down)`);
      // node --cpu-prof names the file CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one.
      const file = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${t.pid}.0.`)).map((f) => join(PROFILE_DIR, f))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
      if (file === undefined) throw new Error(`tagway (pid ${t.pid}) wrote no .cpuprofile into ${PROFILE_DIR} (did it exit cleanly?)`);
      const summary = summarizeProfile(file, s.window);
      profiles.push({ label: t.spec.id, summary, requests: s.requests });
      process.stdout.write(`\n${t.spec.label}: ${file} (measured window only; ${((1000 * summary.totalMs) / s.requests).toFixed(1)} µs busy per request)\n${formatProfile(summary)}\n`);
    }
  }
  await stopAll();
  if (profiles.length > 1) process.stdout.write(`\n${formatProfileDiff(profiles)}\n`);
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try { args = parseArgs(process.argv.slice(2), process.env); } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  if (args.help) { process.stdout.write(USAGE + '\n'); return; }
  const n = args.cpuProf ? args.cpuProf.length : args.targets.length;
  // Start-up of every target, then each measurement with the generator's own start-up, a slice measured again (the host
  // probe) per slice on average; then a margin.
  const maxMs = 120_000 + args.repeats * n * (args.warmup + args.duration + (args.slices - 1) * args.sliceWarmup + 10) * 1000
    + (args.cpuProf || args.together ? 0 : args.repeats * n * args.slices * (args.sliceWarmup + args.duration / args.slices) * 1000);
  installCleanup(maxMs, log);
  if (args.nice !== undefined) {
    // Children inherit the niceness of the thread that spawns them: this one.
    try {
      setPriority(args.nice);
      // With autogroup scheduling (Linux default on desktops and these VMs) niceness only ranks processes of
      // one session; the session's autogroup carries the weight against other sessions' work.
      if (existsSync('/proc/self/autogroup')) writeFileSync('/proc/self/autogroup', String(args.nice));
    } catch (err) { log(`warning: --nice=${args.nice} refused (${(err as Error).message}); priority partly unchanged`); }
  }
  log(`tagway bench: ${JSON.stringify(machine())}; the run stops by itself within ${Math.round(maxMs / 1000)} s`);
  if (availableParallelism() < 2) log('warning: fewer than 2 cores; SUT and generator share a core, figures are not comparable to the README');
  const tmpDir = mkdtempSync(join(tmpdir(), 'tagway-bench-'));
  // On 'exit' too: a signal ends the run through process.exit, past the finally below.
  process.on('exit', () => rmSync(tmpDir, { recursive: true, force: true }));
  try {
    await (args.cpuProf ? profile(args, tmpDir, args.cpuProf) : compare(args, tmpDir));
  } finally {
    await stopAll();
  }
}

main().then(() => process.exit(process.exitCode ?? 0), async (err: unknown) => {
  if (interrupted()) return; // the signal handler exits once its children are gone
  log(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await stopAll(1000);
  process.exit(1);
});
