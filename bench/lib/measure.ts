import { spawnChild, type Spawned } from './children.ts';
import { compiledHelper } from './compiled.ts';
import { machineBusySeconds, treeCpuSeconds, treeMinorFaults } from './procstat.ts';
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
  /** Minor page faults of the SUT's process tree per 1,000 requests while measured (bench/host.ts: what one costs). */
  sutFaults?: number;
  /**
   * The host probe's slower reading around this measurement (host-probe.ts), ms; set by the caller. Against the
   * run's fastest reading it says whether the host was in its slow mode meanwhile.
   */
  hostProbeMs?: number;
  /** The round it belongs to (1-based), set by the caller: ratios pair samples of the same round. */
  round?: number;
  /** The measured window on the monotonic clock, µs (the clock of V8's .cpuprofile timestamps). */
  window?: { fromUs: number; toUs: number };
}

/**
 * A load generator process (bench/lib/loadgen.ts `serve`) on the generator's core, kept up across measurements so
 * that its JIT stays warm: a round of many short slices then measures the system under test, not a generator
 * starting up. One measurement at a time.
 *
 * @example
 * const gen = await LoadGenerator.start();
 * const sample = await measure(target, { connections: 50, duration: 1, warmup: 0 }, pids, gen);
 * await gen.stop();
 */
export class LoadGenerator {
  readonly #proc: Spawned;
  #buffer = '';
  /** The current measurement's line handler. */
  #onLine: ((line: string) => void) | undefined;
  #exited = false;

  private constructor(proc: Spawned) {
    this.#proc = proc;
    void proc.exited.then(() => { this.#exited = true; this.#onLine?.(''); });
  }

  static async start(): Promise<LoadGenerator> {
    let gen: LoadGenerator | undefined;
    const proc = await spawnChild('loadgen', process.execPath, [compiledHelper('bench/lib/loadgen.ts'), 'serve'], {
      cpus: GEN_CPUS, stdin: true, onStdout: (chunk) => { if (gen !== undefined) gen.#onChunk(chunk); },
    });
    gen = new LoadGenerator(proc);
    return gen;
  }

  /** Runs one LoadSpec; `onLine` sees WARM, START and END as they come. Resolves with the RESULT. */
  run(spec: LoadSpec, onLine: (line: string) => void): Promise<LoadResult> {
    if (this.#onLine !== undefined) return Promise.reject(new Error('LoadGenerator: one measurement at a time'));
    return new Promise((resolve, reject) => {
      this.#onLine = (line) => {
        if (this.#exited && line === '') {
          this.#onLine = undefined;
          reject(new Error(`load generator exited during a measurement:\n${this.#proc.stderr()}`));
          return;
        }
        const m = /^RESULT (.+)$/.exec(line);
        if (m === null) { onLine(line); return; }
        this.#onLine = undefined;
        resolve(JSON.parse(m[1]!) as LoadResult);
      };
      if (this.#exited) { this.#onLine(''); return; }
      this.#proc.child.stdin!.write(`${JSON.stringify(spec)}\n`);
    });
  }

  /** Ends the process (closing its stdin ends it; SIGTERM after a grace period). */
  async stop(): Promise<void> {
    this.#proc.child.stdin?.end();
    await Promise.race([this.#proc.exited, new Promise((r) => setTimeout(r, 2000))]);
    await this.#proc.stop(1000);
  }

  #onChunk(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) !== -1) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      this.#onLine?.(line);
    }
  }
}

/**
 * Drives `target` with the load generator (`gen`, kept up by the caller; else one started for this measurement) on
 * the generator's core: `warmup` seconds unmeasured, then `duration` seconds measured. The SUT's CPU time is read
 * from /proc when the generator says START and END.
 */
export async function measure(target: RunningTarget, p: LoadParams, helpers: { upstream?: number; sink?: number } = {}, gen?: LoadGenerator): Promise<Sample> {
  const spec: LoadSpec = {
    url: `http://127.0.0.1:${target.port}/`, connections: p.connections, duration: p.duration, warmup: p.warmup,
    headers: { host: BENCH_HOST },
  };
  type Reading = { at: number; us: number; sut?: number; faults?: number; upstream?: number; sink?: number; machine?: number };
  const read = (): Reading => ({
    at: performance.now(), us: Number(process.hrtime.bigint() / 1000n), sut: treeCpuSeconds(target.pid), faults: treeMinorFaults(target.pid), machine: machineBusySeconds(),
    upstream: helpers.upstream === undefined ? 0 : treeCpuSeconds(helpers.upstream),
    sink: helpers.sink === undefined ? 0 : treeCpuSeconds(helpers.sink),
  });
  let start: Reading | undefined;
  let end: Reading | undefined;
  const onLine = function sampleCpu(line: string): void {
    if (line === 'START') start = read();
    else if (line === 'END' && start !== undefined) end = read();
  };
  const own = gen === undefined ? await LoadGenerator.start() : undefined;
  let result: LoadResult;
  try {
    result = await (gen ?? own!).run(spec, onLine);
  } catch (err) {
    throw new Error(`load generator failed on ${target.spec.id}: ${(err as Error).message}`);
  } finally {
    await own?.stop();
  }
  if (!start || !end) return result;
  const seconds = (end.at - start.at) / 1000;
  const delta = (k: 'sut' | 'faults' | 'upstream' | 'sink' | 'machine') => (start![k] !== undefined && end![k] !== undefined ? end![k]! - start![k]! : undefined);
  const [sut, upstream, sink, machine] = [delta('sut'), delta('upstream'), delta('sink'), delta('machine')];
  const sutCpu = sut === undefined ? undefined : (100 * sut) / seconds;
  // The generator measured itself (process.cpuUsage); everything else busy on the machine is someone else's.
  const otherCpu = sut === undefined || machine === undefined
    ? undefined
    : Math.max(0, (100 * (machine - sut - (upstream ?? 0) - (sink ?? 0))) / seconds - result.genCpu);
  const helperCpu = upstream === undefined ? undefined : (100 * upstream) / seconds;
  const sinkCpu = helpers.sink === undefined || sink === undefined ? undefined : (100 * sink) / seconds;
  const faults = delta('faults');
  const sutFaults = faults === undefined || result.requests === 0 ? undefined : (1000 * faults) / result.requests;
  return { ...result, sutCpu, otherCpu, helperCpu, sinkCpu, sutFaults, window: { fromUs: start.us, toUs: end.us } };
}
