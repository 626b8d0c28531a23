/**
 * The proxy benchmark: the same load, from a load generator in its own process, against the upstream
 * directly, tagway (tracing off, tracing at sampleRate 1 and 0.01, two workers), @fastify/http-proxy and
 * nginx (when installed). Prints a table and ratios, writes .bench-out/latest.json. See bench/README.md.
 * Run: npm run bench -- [--duration=10] [--connections=50] [--warmup=2] [--repeats=1] [--targets=…] [--cpu-prof]
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.ts';
import { CAN_PIN, installCleanup, interrupted, spawnChild, stopAll } from './lib/children.ts';
import { compiledHelper } from './lib/compiled.ts';
import { measure, type Sample } from './lib/measure.ts';
import { treeRss } from './lib/procstat.ts';
import { formatProfile, formatProfileDiff, summarizeProfile, type ProfileRun } from './lib/profile-summary.ts';
import { formatReport, goals, ratios, summarize, type TargetResult } from './lib/report.ts';
import { GEN_CPUS, SUT_CPUS, TARGETS, startTarget, unavailable, type RunningTarget, type Shared, type TargetSpec } from './lib/targets.ts';

const log = (line: string) => process.stderr.write(line + '\n');
const READY = /^READY (\d+)/;
const PROFILE_DIR = '.bench-out';

/** The backend upstream and the OTLP sink, on the generator's core so core 0 is the SUT's alone. */
async function startShared(tmpDir: string, needSink: boolean, nodeFlags: string[]): Promise<Shared> {
  const up = await spawnChild('upstream', process.execPath, [compiledHelper('bench/lib/upstream.ts')], { cpus: GEN_CPUS, readyLine: READY });
  const sink = needSink
    ? await spawnChild('otlp-sink', process.execPath, [compiledHelper('bench/lib/otlp-sink.ts')], { cpus: GEN_CPUS, readyLine: READY })
    : undefined;
  return {
    upstreamPort: Number(up.ready![1]), otlpPort: Number(sink?.ready?.[1] ?? 0), tmpDir, tagwayNodeFlags: nodeFlags,
    pids: { upstream: up.child.pid!, sink: sink?.child.pid },
  };
}

function machine() {
  return {
    cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: process.platform,
    pinned: CAN_PIN, sutCpus: SUT_CPUS, generatorCpus: GEN_CPUS, loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** The comparison: start every target, then `repeats` rounds over all of them, medians per target. */
async function compare(args: BenchArgs, tmpDir: string): Promise<void> {
  const specs = args.targets.map((id) => TARGETS.find((t) => t.id === id)!);
  const results = new Map<string, { spec: TargetSpec; skipped?: string; running?: RunningTarget; samples: Sample[]; rss?: number }>();
  for (const spec of specs) results.set(spec.id, { spec, samples: [], skipped: unavailable(spec) });

  const needSink = specs.some((s) => s.variant?.sampleRate !== undefined);
  const shared = await startShared(tmpDir, needSink, []);
  log(`upstream on 127.0.0.1:${shared.upstreamPort}${needSink ? `, OTLP sink on 127.0.0.1:${shared.otlpPort}` : ''}`);

  for (const r of results.values()) {
    if (interrupted()) return;
    if (r.skipped) { log(`skip  ${r.spec.label}: ${r.skipped}`); continue; }
    try {
      r.running = await startTarget(r.spec, shared);
      log(`ready ${r.spec.label} on 127.0.0.1:${r.running.port} (pid ${r.running.pid}, cpus ${CAN_PIN ? r.spec.cpus : 'unpinned'})`);
    } catch (err) {
      r.skipped = `failed to start: ${err instanceof Error ? err.message.split('\n').slice(0, 6).join(' | ') : String(err)}`;
      log(`FAIL  ${r.spec.label}: ${r.skipped}`);
    }
  }

  // Each round starts one target later (round r measures targets r, r+1, … wrapping around): the slot
  // within a round was measured to matter (the first target of a round ran 10–20% faster), so over as
  // many rounds as targets every target takes every slot once.
  const all = [...results.values()];
  for (let round = 1; round <= args.repeats; round++) {
    const shift = (round - 1) % all.length;
    const order = [...all.slice(shift), ...all.slice(0, shift)];
    const together = args.together
      ? await Promise.all(order.map((r) => (r.running ? measure(r.running, args, shared.pids).catch((err: unknown) => err as Error) : undefined)))
      : undefined;
    for (const [i, r] of order.entries()) {
      if (interrupted()) return;
      if (!r.running) continue;
      try {
        const got = together ? together[i] : await measure(r.running, args, shared.pids);
        if (got instanceof Error || got === undefined) throw got ?? new Error('not measured');
        const s = got;
        s.round = round;
        r.samples.push(s);
        if (round === args.repeats) r.rss = treeRss(r.running.pid);
        const usPerReq = s.sutCpu ? (s.sutCpu * 10_000) / s.rps : undefined;
        log(`round ${round}/${args.repeats}  ${r.spec.label.padEnd(28)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms` +
          `  SUT CPU ${s.sutCpu?.toFixed(0) ?? 'n/a'}% (${usPerReq?.toFixed(1) ?? 'n/a'} µs/req)  gen CPU ${s.genCpu.toFixed(0)}%  upstream CPU ${s.helperCpu?.toFixed(0) ?? 'n/a'}%` +
          `${s.sinkCpu !== undefined ? `  sink CPU ${s.sinkCpu.toFixed(1)}%` : ''}  other CPU ${s.otherCpu?.toFixed(0) ?? 'n/a'}%${s.errors + s.timeouts + s.non2xx > 0 ? `  errors ${s.errors + s.timeouts + s.non2xx}` : ''}`);
      } catch (err) {
        if (interrupted()) return;
        log(`round ${round}: ${r.spec.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (interrupted()) return;
  const loadAfter = loadavg().map((x) => Number(x.toFixed(2)));
  // Proof that the tracing variants exported: what the sink received over the whole run.
  const otlp = needSink ? await fetch(`http://127.0.0.1:${shared.otlpPort}/stats`).then((r) => r.json() as Promise<{ posts: number; bytes: number }>).catch(() => undefined) : undefined;
  await stopAll();

  const summaries: TargetResult[] = [...results.values()].map((r) => r.skipped && r.samples.length === 0
    ? { id: r.spec.id, label: r.spec.label, skipped: r.skipped, samples: [] }
    : summarize(r.spec.id, r.spec.label, r.samples, r.rss));
  report(args, summaries, loadAfter, otlp);
}

/** Prints the table, ratios and goals, and writes the JSON file. */
function report(args: BenchArgs, summaries: TargetResult[], loadAfter: number[], otlp?: { posts: number; bytes: number }): void {
  const rs = ratios(summaries);
  // measured at once, req/s is how the core was shared: the throughput goals are judged on the ordinary run
  const gs = args.together ? [] : goals(rs);
  process.stdout.write(`\n${formatReport(summaries, rs, gs)}\n`);
  process.stdout.write(`\n${args.connections} connections, ${args.warmup} s warm-up + ${args.duration} s measured per target, ` +
    `${args.repeats} round(s) (median); SUT on cpu ${SUT_CPUS}, generator + upstream on cpu ${GEN_CPUS}${CAN_PIN ? '' : ' (NOT pinned: no taskset)'}; ` +
    `${args.nice !== undefined ? `nice ${args.nice}; ` : ''}load average after ${loadAfter.join(' ')}` +
    `${otlp ? `; OTLP sink received ${otlp.posts} exports, ${(otlp.bytes / 1024 / 1024).toFixed(1)} MB` : ''}\n`);

  mkdirSync(dirname(args.out), { recursive: true });
  const params = { duration: args.duration, connections: args.connections, warmup: args.warmup, repeats: args.repeats, nice: args.nice ?? null };
  writeFileSync(args.out, JSON.stringify({ date: new Date().toISOString(), machine: { ...machine(), loadavgAfter: loadAfter }, params, otlp: otlp ?? null, targets: summaries, ratios: rs, goals: gs }, null, 2) + '\n');
  process.stdout.write(`wrote ${args.out}\n`);
  const noisy = summaries.filter((r) => (r.otherCpu ?? 0) > 30);
  if (noisy.length > 0) {
    log(`note: other processes used more than 30% of a core while ${noisy.map((r) => r.id).join(', ')} ran; ` +
      'req/s there is held down by the machine — compare req/CPU-s, or rerun when it is quiet (see bench/README.md)');
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
  const shared = await startShared(tmpDir, specs.some((s) => s.variant?.sampleRate !== undefined), ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]);
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
  // Start-up of every target, then each measurement with the generator's own start-up; then a margin.
  const maxMs = 120_000 + args.repeats * n * (args.warmup + args.duration + 10) * 1000;
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
