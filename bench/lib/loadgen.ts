/**
 * Child process: the load generator. It runs autocannon's programmatic API in its own process (pinned to
 * its own core by bench/run.ts), so the generator never shares an event loop — or a core, where taskset
 * exists — with the system under test.
 *
 * argv[2] is a JSON LoadSpec. Protocol on stdout, one line each: `WARM` when the warm-up starts, `START`
 * when measuring starts, `END` when it ends, then `RESULT <json>` (a LoadResult). The parent samples the
 * SUT's CPU time between START and END.
 *
 * With `serve` as argv[2] the process stays up and takes one JSON LoadSpec per line on stdin, answering each as
 * above, one at a time, until stdin ends: a generator whose JIT is warm from one measurement to the next
 * (bench/run.ts slices a round into many short measurements; a fresh generator per slice spent its first second
 * interpreted, and was then the bottleneck instead of the system under test).
 */
import { createRequire } from 'node:module';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Seconds of unmeasured load before measuring (0: none). */
  warmup: number;
  headers: Record<string, string>;
  /** SNI for https:// URLs (autocannon verifies nothing). */
  servername?: string;
}

export interface LoadResult {
  /** Mean requests/s over the measurement. */
  rps: number;
  /** Latency percentiles, ms (autocannon's histogram has 1 ms resolution). */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU the generator itself used during the measurement, % of one core. */
  genCpu: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; average: number };
  errors: number; timeouts: number; non2xx: number; duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
/** The warm-up is cut into this many runs (fewer when it is shorter than as many seconds). */
const WARMUP_RUNS = 4;

async function run(spec: LoadSpec): Promise<void> {
  const base = { url: spec.url, connections: spec.connections, headers: spec.headers, timeout: 10, ...(spec.servername ? { servername: spec.servername } : {}) };
  if (spec.warmup > 0) {
    process.stdout.write('WARM\n');
    // In runs that end as a measurement ends: with its connections closed under requests in flight. The first few such
    // ends deoptimize code the steady load never reached (aborted requests, closed sockets), and the next run began
    // with ~0.5 s of the SUT's core spent recompiling (`node --trace-opt`: 476 ms in the first second of a run after
    // one end, 3 ms after four). A gateway in service has seen many; the measurement should not see the first ones.
    const runs = Math.min(WARMUP_RUNS, Math.max(1, Math.floor(spec.warmup)));
    for (let i = 0; i < runs; i++) await autocannon({ ...base, duration: spec.warmup / runs });
  }
  process.stdout.write('START\n');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await autocannon({ ...base, duration: spec.duration });
  const cpu = process.cpuUsage(cpu0);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  process.stdout.write('END\n');
  const result: LoadResult = {
    rps: r.requests.total / r.duration, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.average,
    requests: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
    genCpu: (100 * (cpu.user + cpu.system)) / wallUs,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** `serve`: one measurement per line of stdin, in turn. */
async function serve(): Promise<void> {
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== '') await run(JSON.parse(line) as LoadSpec);
  }
}

(process.argv[2] === 'serve' ? serve() : run(JSON.parse(process.argv[2] ?? '{}') as LoadSpec)).then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`loadgen: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
