/**
 * What tracing every request costs, measured inside one gateway process: tagway (`dist/`) at sampleRate 1 on core 0
 * with two routers to the same upstream, `bench.local` traced and `plain.local` with `observability.tracing: false`
 * (Traefik's per-router switch: no spans, no `traceparent`), and the load generator alternating between the two
 * hosts slice by slice (A B, B A, …). A fresh process per variant (the preset, bench/run.ts) carries this host's
 * per-process spread (up to 2× on the machine this was written on) into every ratio; here both sides share the
 * process, its JIT, its heap and its core, so a ratio per pair of neighbouring slices is tracing's cost and little
 * else. Per slice: req/s, p99 and the process's CPU per request (every thread: the export thread included, from
 * /proc); the cost is 1 − traced/plain req/s per pair, shown as the median over pairs with its spread.
 *
 * Run: npm run build && flock /work/wt/bench.lock node --import tsx bench/tracing-ab.ts [--pairs=10] [--seconds=5]
 * Measures, never asserts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { freePort, installCleanup, spawnChild, stopAll } from './lib/children.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs } from './lib/tagway.ts';
import { waitForRoute } from './lib/targets.ts';
import { startTracingPeers } from './lib/tracing-peers.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const PAIRS = Number(arg('pairs', '10'));
const SECONDS = Number(arg('seconds', '5'));
const PLAIN_HOST = 'plain.local';
interface Result { requests: { average: number; total: number }; latency: { p99: number } }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<Result>;

/** utime + stime of the whole process (all its threads), in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  installCleanup(5 * 60_000 + PAIRS * 2 * (SECONDS + 2) * 1000, (line) => console.error(line));
  const { tmp, dynamic, otlpPort } = await startTracingPeers('ab');
  const upstream = /url: "([^"]+)"/.exec(readFileSync(dynamic, 'utf8'))![1]!;
  const file = join(tmp, 'ab.yml');
  writeFileSync(file, `http:
  routers:
    traced:
      rule: "Host(\`${BENCH_HOST}\`)"
      service: upstream
    plain:
      rule: "Host(\`${PLAIN_HOST}\`)"
      service: upstream
      observability:
        tracing: false
  services:
    upstream:
      loadBalancer:
        servers:
          - url: "${upstream}"
`);
  const port = await freePort();
  const sut = await spawnChild('tagway', process.execPath, [...TAGWAY_NODE_FLAGS, resolve('dist/cli.js'), ...tagwayArgs({ workers: 1, sampleRate: 1 }, port, file, otlpPort)], { cpus: '0' });
  await waitForRoute(port, sut, 30_000);
  const pid = sut.child.pid!;
  const load = (host: string, seconds: number) => autocannon({ url: `http://127.0.0.1:${port}/`, connections: 50, duration: seconds, headers: { host } });
  for (const host of [BENCH_HOST, PLAIN_HOST, BENCH_HOST, PLAIN_HOST]) await load(host, 3); // warm-up, both paths
  const rows: Record<'traced' | 'plain', Array<{ rps: number; p99: number; cpu: number }>> = { traced: [], plain: [] };
  for (let p = 0; p < PAIRS; p++) {
    for (const side of (p % 2 === 0 ? ['traced', 'plain'] : ['plain', 'traced']) as Array<'traced' | 'plain'>) {
      const before = cpuTicks(pid);
      const r = await load(side === 'traced' ? BENCH_HOST : PLAIN_HOST, SECONDS);
      const cpu = ((cpuTicks(pid) - before) * 10_000) / r.requests.total; // ticks of 10 ms → µs per request
      rows[side].push({ rps: r.requests.average, p99: r.latency.p99, cpu });
      console.log(`pair ${p + 1}/${PAIRS} ${side.padEnd(6)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p99 ${r.latency.p99} ms  ${cpu.toFixed(1)} CPU µs/request`);
    }
  }
  const cost = rows.traced.map((t, i) => 1 - t.rps / rows.plain[i]!.rps);
  const cpuRatio = rows.traced.map((t, i) => t.cpu / rows.plain[i]!.cpu);
  const p99Ratio = rows.traced.map((t, i) => t.p99 / rows.plain[i]!.p99);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`\nplain : ${median(rows.plain.map((r) => r.rps)).toFixed(0)} req/s, p99 ${median(rows.plain.map((r) => r.p99))} ms, ${median(rows.plain.map((r) => r.cpu)).toFixed(1)} CPU µs/request (medians of ${PAIRS})`);
  console.log(`traced: ${median(rows.traced.map((r) => r.rps)).toFixed(0)} req/s, p99 ${median(rows.traced.map((r) => r.p99))} ms, ${median(rows.traced.map((r) => r.cpu)).toFixed(1)} CPU µs/request`);
  console.log(`tracing every request costs ${pct(median(cost))} of req/s (pairs: ${pct(Math.min(...cost))} to ${pct(Math.max(...cost))}), CPU per request ${median(cpuRatio).toFixed(3)}× (${Math.min(...cpuRatio).toFixed(3)}–${Math.max(...cpuRatio).toFixed(3)}), p99 ${median(p99Ratio).toFixed(2)}× (${Math.min(...p99Ratio).toFixed(2)}–${Math.max(...p99Ratio).toFixed(2)})`);
  await stopAll();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
