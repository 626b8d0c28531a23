/**
 * How the export thread's scheduling policy touches the serving thread, on one gateway process: tagway (`dist/`) at
 * sampleRate 1 on core 0 with `--tracing.exportThread=true` (the default posts from the serving loop), its OTLP
 * export thread switched between nice 10 (the thread's default) and SCHED_IDLE (`chrt
 * --idle`) from one slice of load to the next, so that the per-process spread of this host cancels out. Per policy:
 * requests/s, p99, the serving thread's involuntary context switches per 1,000 requests (each one a time the
 * scheduler took the core from it mid-work: the export thread woken by a batch, among others), from /proc, and the
 * bytes the OTLP sink received per request (the same for both unless the thread falls behind and spans are dropped).
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/export-policy.ts [--slices=8] [--seconds=5]
 * Needs Linux and `chrt` (util-linux). Measures, never asserts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SLICES = Number(arg('slices', '8'));
const SECONDS = Number(arg('seconds', '5'));
interface Result { requests: { average: number }; latency: { p99: number } }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<Result>;

/** The export thread: the one thread of the process that lowered itself to nice 10 (util/thread-priority.ts). */
function exportThread(pid: number): number {
  const lowered = readdirSync(`/proc/${pid}/task`).filter((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16] === '10'; // field 19, nice
  });
  if (lowered.length !== 1) throw new Error(`expected one thread at nice 10 in ${pid}, found ${lowered.length}`);
  return Number(lowered[0]);
}

/** What the OTLP sink received so far (bench/lib/otlp-sink.ts): a starved export thread would show as fewer bytes per request. */
async function sinkStats(port: number): Promise<{ posts: number; bytes: number }> {
  return (await fetch(`http://127.0.0.1:${port}/stats`)).json() as Promise<{ posts: number; bytes: number }>;
}

function involuntary(pid: number): number {
  return Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]);
}

function setPolicy(tid: number, policy: 'nice10' | 'idle'): void {
  const r = policy === 'idle'
    ? spawnSync('chrt', ['--idle', '--pid', '0', String(tid)], { encoding: 'utf8' })
    : spawnSync('sh', ['-c', `chrt --other --pid 0 ${tid} && renice -n 10 -p ${tid} >/dev/null`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot set ${policy} on ${tid}: ${r.stderr}`);
}

async function main(): Promise<void> {
  if (spawnSync('chrt', ['--version']).status !== 0) { console.error('export-policy: `chrt` (util-linux) is missing'); process.exit(2); }
  installCleanup(10 * 60_000, (line) => console.error(line));
  const { dynamic, otlpPort } = await startTracingPeers('policy');
  const port = await freePort();
  const sut = await spawnChild('tagway', process.execPath, [...TAGWAY_NODE_FLAGS, resolve('dist/cli.js'), ...tagwayArgs({ workers: 1, sampleRate: 1 }, port, dynamic, otlpPort), '--tracing.exportThread=true'], { cpus: '0' });
  await waitForRoute(port, sut, 30_000);
  const pid = sut.child.pid!;
  const load = (seconds: number) => autocannon({ url: `http://127.0.0.1:${port}/`, connections: 50, duration: seconds, headers: { host: BENCH_HOST } });
  await load(10); // warm-up: the export thread exists once the first batch has gone
  const exporter = exportThread(pid);
  const results: Record<string, Array<{ rps: number; p99: number; switches: number; bytes: number }>> = { nice10: [], idle: [] };
  for (let s = 0; s < SLICES; s++) {
    for (const policy of (s % 2 === 0 ? ['nice10', 'idle'] : ['idle', 'nice10']) as Array<'nice10' | 'idle'>) {
      setPolicy(exporter, policy);
      const before = involuntary(pid);
      const bytesBefore = (await sinkStats(otlpPort)).bytes;
      const r = await load(SECONDS);
      const switches = involuntary(pid) - before;
      const requests = r.requests.average * SECONDS;
      const exported = (await sinkStats(otlpPort)).bytes - bytesBefore;
      const row = { rps: r.requests.average, p99: r.latency.p99, switches: (1000 * switches) / requests, bytes: exported / requests };
      results[policy]!.push(row);
      console.log(`slice ${s + 1}/${SLICES} ${policy.padEnd(6)} ${row.rps.toFixed(0).padStart(6)} req/s  p99 ${row.p99} ms  ${row.switches.toFixed(2)} involuntary switches per 1,000 requests  ${row.bytes.toFixed(0)} bytes exported per request`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const ratios = results.idle!.map((r, i) => r.rps / results.nice10![i]!.rps);
  for (const [policy, rows] of Object.entries(results)) {
    console.log(`${policy.padEnd(6)}: ${median(rows.map((r) => r.rps)).toFixed(0)} req/s, p99 ${median(rows.map((r) => r.p99))} ms, ${median(rows.map((r) => r.switches)).toFixed(2)} involuntary switches per 1,000 requests, ${median(rows.map((r) => r.bytes)).toFixed(0)} bytes exported per request (medians of ${rows.length} slices)`);
  }
  console.log(`idle / nice10 req/s per slice pair: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}]`);
  await stopAll();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
