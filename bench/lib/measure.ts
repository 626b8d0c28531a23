import { spawnChild } from './children.ts';
import { compiledHelper } from './compiled.ts';
import { machineBusySeconds, treeCpuSeconds } from './procstat.ts';
import { BENCH_HOST } from './tagway.ts';
import { GEN_CPUS, type RunningTarget } from './targets.ts';
import type { LoadResult, LoadSpec } from './loadgen.ts';

export interface LoadParams { connections: number; duration: number; warmup: number }

/** One measurement: the generator's figures plus the SUT's CPU use over the same window. */
export interface Sample extends LoadResult {
  /** CPU the SUT's process tree used while measured, % of one core (100 = one core saturated). */
  sutCpu?: number;
  /**
   * CPU used meanwhile by processes outside the bench (other work on the machine), % of one core. Large
   * values mean the figures are noisy: the SUT and the generator were waiting for a core.
   */
  otherCpu?: number;
  /** CPU of the upstream behind the proxies, % of one core. */
  helperCpu?: number;
  /**
   * CPU of the OTLP sink (tracing variants), % of one core. It shares the generator's core: this says how much
   * of that core it took from the generator and the upstream.
   */
  sinkCpu?: number;
  /** The round it belongs to (1-based), set by the caller: ratios pair samples of the same round. */
  round?: number;
  /** The measured window on the monotonic clock, µs (the clock of V8's .cpuprofile timestamps). */
  window?: { fromUs: number; toUs: number };
}

/**
 * Drives `target` with the load generator in its own process on the generator's core: `warmup` seconds
 * unmeasured, then `duration` seconds measured. The SUT's CPU time is read from /proc when the generator
 * says START and END.
 */
export async function measure(target: RunningTarget, p: LoadParams, helpers: { upstream?: number; sink?: number } = {}): Promise<Sample> {
  const spec: LoadSpec = {
    url: `http://127.0.0.1:${target.port}/`, connections: p.connections, duration: p.duration, warmup: p.warmup,
    headers: { host: BENCH_HOST },
  };
  let out = '';
  type Reading = { at: number; us: number; sut?: number; upstream?: number; sink?: number; machine?: number };
  const read = (): Reading => ({
    at: performance.now(), us: Number(process.hrtime.bigint() / 1000n), sut: treeCpuSeconds(target.pid), machine: machineBusySeconds(),
    upstream: helpers.upstream === undefined ? 0 : treeCpuSeconds(helpers.upstream),
    sink: helpers.sink === undefined ? 0 : treeCpuSeconds(helpers.sink),
  });
  let start: Reading | undefined;
  let end: Reading | undefined;
  const onStdout = function sampleCpu(chunk: string): void {
    out += chunk;
    if (!start && /^START$/m.test(out)) start = read();
    if (start && !end && /^END$/m.test(out)) end = read();
  };
  const args = [compiledHelper('bench/lib/loadgen.ts'), JSON.stringify(spec)];
  const gen = await spawnChild(`loadgen:${target.spec.id}`, process.execPath, args, { cpus: GEN_CPUS, onStdout });
  const code = await gen.exited;
  const m = out.match(/^RESULT (.+)$/m);
  if (code !== 0 || !m) throw new Error(`load generator failed on ${target.spec.id} (exit ${code}):\n${gen.stderr()}`);
  const result = JSON.parse(m[1]!) as LoadResult;
  if (!start || !end) return result;
  const seconds = (end.at - start.at) / 1000;
  const delta = (k: 'sut' | 'upstream' | 'sink' | 'machine') => (start![k] !== undefined && end![k] !== undefined ? end![k]! - start![k]! : undefined);
  const [sut, upstream, sink, machine] = [delta('sut'), delta('upstream'), delta('sink'), delta('machine')];
  const sutCpu = sut === undefined ? undefined : (100 * sut) / seconds;
  // The generator measured itself (process.cpuUsage); everything else busy on the machine is someone else's.
  const otherCpu = sut === undefined || machine === undefined
    ? undefined
    : Math.max(0, (100 * (machine - sut - (upstream ?? 0) - (sink ?? 0))) / seconds - result.genCpu);
  const helperCpu = upstream === undefined ? undefined : (100 * upstream) / seconds;
  const sinkCpu = helpers.sink === undefined || sink === undefined ? undefined : (100 * sink) / seconds;
  return { ...result, sutCpu, otherCpu, helperCpu, sinkCpu, window: { fromUs: start.us, toUs: end.us } };
}
