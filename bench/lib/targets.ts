import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { spawnChild, freePort, type Spawned } from './children.ts';
import { builtGateway, compiledHelper } from './compiled.ts';
import { findNginx, nginxArgs, startNginxOrigin, writeNginxConfig } from './nginx.ts';
import { BENCH_HOST, TAGWAY_NODE_FLAGS, tagwayArgs, writeDynamicConfig, type TagwayVariant } from './tagway.ts';

/**
 * Cores: the system under test gets core 0, the generator core 1. The upstream and the OTLP sink get the cores beyond
 * (2…n−1) when the machine has them; on 2 cores they share the generator's (on core 0 their CPU would be the SUT's).
 */
export const SUT_CPUS = '0';
export const GEN_CPUS = '1';
export const HELPER_CPUS = availableParallelism() >= 3 ? `2-${availableParallelism() - 1}` : GEN_CPUS;

export type TargetKind = 'direct' | 'tagway' | 'fastify' | 'nginx';

export interface TargetSpec {
  id: string;
  label: string;
  kind: TargetKind;
  /** taskset CPU list of the system under test. */
  cpus: string;
  variant?: TagwayVariant;
  /** Run tagway from the checkout in BENCH_BASELINE (an older commit) instead of this tree: an A/B in one run. */
  baseline?: boolean;
}

/** Every target the bench knows, in report order. */
export const TARGETS: readonly TargetSpec[] = [
  { id: 'direct', label: '(a) upstream direct', kind: 'direct', cpus: SUT_CPUS },
  { id: 'tagway', label: '(b) tagway, tracing off', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1 } },
  { id: 'tagway-base', label: '(b) tagway baseline (BENCH_BASELINE), tracing off', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1 }, baseline: true },
  { id: 'tagway-base-trace1', label: '(b) tagway baseline (BENCH_BASELINE), tracing @1', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 1 }, baseline: true },
  { id: 'tagway-base-trace001', label: '(b) tagway baseline (BENCH_BASELINE), tracing @0.01', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 0.01 }, baseline: true },
  { id: 'tagway-trace1', label: '(b) tagway, tracing @1', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 1 } },
  { id: 'tagway-trace001', label: '(b) tagway, tracing @0.01', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 0.01 } },
  { id: 'tagway-trace0', label: '(b) tagway, tracing @0 (every request sampled out)', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 0 } },
  { id: 'tagway-base-trace0', label: '(b) tagway baseline (BENCH_BASELINE), tracing @0', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, sampleRate: 0 }, baseline: true },
  { id: 'tagway-dash', label: '(b) tagway, API + dashboard on', kind: 'tagway', cpus: SUT_CPUS, variant: { workers: 1, api: true } },
  { id: 'tagway-w2', label: '(b) tagway, workers=2', kind: 'tagway', cpus: '0,1', variant: { workers: 2 } },
  { id: 'fastify', label: '(c) @fastify/http-proxy', kind: 'fastify', cpus: SUT_CPUS },
  { id: 'nginx', label: '(d) nginx', kind: 'nginx', cpus: SUT_CPUS },
];

/**
 * The spec of a target id from the `--targets` list: an A/A instance (`tagway#2`) is its base target under its own
 * id and label.
 */
export function specFor(id: string): TargetSpec {
  const m = id.match(/^(.+)#(\d+)$/);
  const base = TARGETS.find((t) => t.id === (m ? m[1] : id));
  if (base === undefined) throw new Error(`unknown target ${JSON.stringify(id)}`);
  return m ? { ...base, id, label: `${base.label} #${m[2]}` } : base;
}

/** The upstream behind the proxies: nginx answering from its config, or bench/lib/upstream.ts (node:http); both send 100 bytes. */
export type Origin = 'nginx' | 'node';

/** nginx when installed: a Node upstream costs its core about as much as the load generator does, nginx a fraction of that. */
export function defaultOrigin(): Origin {
  return findNginx() !== undefined ? 'nginx' : 'node';
}

/** Starts an upstream of kind `origin` pinned to `cpus` (nginx keeps its files in `dir`) and waits until it answers. */
export async function startOrigin(origin: Origin, dir: string, cpus: string): Promise<{ proc: Spawned; port: number }> {
  if (origin === 'nginx') return startNginxOrigin(dir, cpus);
  const proc = await spawnChild('upstream', process.execPath, [compiledHelper('bench/lib/upstream.ts')], { cpus, readyLine: /^READY (\d+)/ });
  return { proc, port: Number(proc.ready![1]) };
}

/** What the targets share: the upstream behind every proxy, the OTLP sink, a temp dir, node flags. */
export interface Shared {
  upstreamPort: number;
  /** What the upstream is (BenchArgs.origin); target (a) is another instance of it, on the SUT's core. */
  origin: Origin;
  otlpPort: number;
  tmpDir: string;
  /** Extra node flags for tagway (e.g. --cpu-prof). */
  tagwayNodeFlags: string[];
  /** Pids of the bench's helper processes: their CPU is not "other load". */
  pids: { upstream: number; sink?: number };
}

export interface RunningTarget {
  spec: TargetSpec;
  port: number;
  /** Root pid of the SUT's process tree. */
  pid: number;
  proc: Spawned;
}

/** Why a target cannot run on this machine (e.g. no nginx), or undefined. */
export function unavailable(spec: TargetSpec): string | undefined {
  if (spec.kind === 'nginx' && !findNginx()) return 'nginx not installed (`command -v nginx` found nothing); skipped';
  if (spec.baseline && !process.env['BENCH_BASELINE']) return 'no BENCH_BASELINE (a checkout of the commit to compare with); skipped';
  return undefined;
}

/** Starts one target pinned to its cores and waits until it answers 200 through its route. */
export async function startTarget(spec: TargetSpec, shared: Shared): Promise<RunningTarget> {
  let proc: Spawned;
  let port: number;
  const ready = /^READY (\d+)/;
  switch (spec.kind) {
    case 'direct': {
      ({ proc, port } = await startOrigin(shared.origin, `${shared.tmpDir}/direct`, spec.cpus));
      break;
    }
    case 'fastify': {
      // under tagway's node flags too: the comparison is of the proxies, on the same runtime settings
      const s = await spawnChild(spec.id, process.execPath, [...TAGWAY_NODE_FLAGS, compiledHelper('bench/lib/fastify-proxy.ts'), `http://127.0.0.1:${shared.upstreamPort}`], { cpus: spec.cpus, readyLine: ready });
      proc = s; port = Number(s.ready![1]);
      break;
    }
    case 'nginx': {
      port = await freePort();
      const dir = `${shared.tmpDir}/nginx`;
      const conf = writeNginxConfig(dir, port, shared.upstreamPort);
      proc = await spawnChild(spec.id, findNginx()!, nginxArgs(dir, conf), { cpus: spec.cpus });
      break;
    }
    case 'tagway': {
      port = await freePort();
      const file = writeDynamicConfig(shared.tmpDir, shared.upstreamPort);
      const cwd = spec.baseline ? process.env['BENCH_BASELINE']! : process.cwd();
      // production's JavaScript (dist/, built by tsc), not the sources through tsx's loader
      const cli = builtGateway(cwd, (line) => process.stderr.write(line + '\n'));
      // BENCH_BASELINE_NODE_FLAGS: the baseline's node flags instead (BENCH_BASELINE=. makes it an A/B of flags)
      const baseFlags = spec.baseline ? process.env['BENCH_BASELINE_NODE_FLAGS']?.split(' ').filter((f) => f !== '') : undefined;
      const args = [...(baseFlags ?? shared.tagwayNodeFlags), cli, ...tagwayArgs(spec.variant!, port, file, shared.otlpPort)];
      // Every TAGWAY_* and OTEL_* variable is configuration to tagway: the bench's own flags alone must count.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TAGWAY|OTEL)_/i.test(k)));
      proc = await spawnChild(spec.id, process.execPath, args, { cpus: spec.cpus, env, cwd });
      break;
    }
  }
  await waitForRoute(port, proc, 30_000);
  return { spec, port, pid: proc.child.pid!, proc };
}

/** Polls GET / with the bench Host until it gets a 200 with the 100-byte body (routes load asynchronously). */
export async function waitForRoute(port: number, proc: Spawned, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${proc.name} exited during start-up:\n${proc.stderr()}`);
    last = await probe(port).catch((e: Error) => e.message);
    if (last === 'ok') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  await proc.stop(500);
  throw new Error(`${proc.name}: no 200 on 127.0.0.1:${port} after ${timeoutMs} ms (last: ${last})\n${proc.stderr()}`);
}

function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: BENCH_HOST }, agent: false, timeout: 2000 }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(res.statusCode === 200 && n === 100 ? 'ok' : `status ${res.statusCode}, ${n} bytes`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
