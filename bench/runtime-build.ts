/**
 * The cold build of the runtime (issue 17: "a cold start of 5,000 services < 1 s of build"): the churn fleet's
 * configuration as the Consul provider builds it, sent as the provider thread sends it (one delta, structured
 * clone) or as the primary sends a worker its first snapshot (`--wire=ipc`: JSON), then, timed: decoded, applied by
 * the delta receiver, aggregated and built by a fresh runtime stage (live service registry, pools, route tables)
 * until the tables are live. `rounds` times; prints each round (wall, CPU of the process, GC pauses) and the median.
 * The first round is the one a gateway pays (its code runs cold); the provider's own build is not in it.
 *
 * Run: node --expose-gc --import tsx bench/runtime-build.ts [--services=5000] [--rounds=5] [--wire=thread|ipc]
 */
import { CatalogBuild } from '../src/providers/consulcatalog/incremental.ts';
import { DEFAULT_BUILD_OPTIONS } from '../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../src/providers/consulcatalog/instance.ts';
import type { Message } from '../src/dynamic/types.ts';
import { internalMessage } from '../src/providers/internal.ts';
import { PoolRegistry } from '../src/proxy/pool.ts';
import { RuntimeStage } from '../src/runtime/stage.ts';
import { loadStaticConfig } from '../src/static/load.ts';
import { createLogger } from '../src/util/log.ts';
import { PerformanceObserver } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import { DeltaReceiver, encodeDelta, type FanoutMessage } from '../src/server/deltas.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERVICES = Number(arg('services', '5000'));
const ROUNDS = Number(arg('rounds', '5'));
const WIRE = arg('wire', 'thread');

const groups = new Map<string, ServiceInstance[]>();
for (let s = 0; s < SERVICES; s++) {
  const name = `svc-${s}`;
  const tags = [
    `traefik.http.routers.${name}.rule=Host(\`${name}.churn.test\`)`,
    `traefik.http.routers.${name}.middlewares=${name}-strip`,
    `traefik.http.middlewares.${name}-strip.stripprefix.prefixes=/strip`,
  ];
  groups.set(name, [0, 1, 2].map((k) => ({ id: `${name}-${k}`, node: `node-${(s * 3 + k) % 50}`, datacenter: 'dc1', name, namespace: 'default', address: '127.0.0.1', port: String(9000 + k), tags, status: 'passing' as const, labels: tagsToLabels(tags) })));
}
const built = new CatalogBuild(DEFAULT_BUILD_OPTIONS).update(groups);
const message: Message = { providerName: 'consulcatalog', configuration: built.configuration, issues: built.issues };
const first: FanoutMessage = WIRE === 'ipc'
  ? { type: 'tagway:snapshot', seq: 1, messages: [message] }
  : { type: 'tagway:delta', seq: 1, delta: encodeDelta(undefined, message)! };
const wire: Buffer | string = WIRE === 'ipc' ? JSON.stringify(first) : serialize(first);
const decode = (): FanoutMessage => (typeof wire === 'string' ? JSON.parse(wire) : deserialize(wire)) as FanoutMessage;
const config = loadStaticConfig({ argv: ['--entryPoints.web.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true', '--providers.providersThrottleDuration=0s'], env: {} });
const gc = (globalThis as { gc?: () => void }).gc;

const keepAlive = setInterval(() => {}, 1000); // the stage's timers are unref'd
const times: number[] = [];
const cpu: number[] = [];
const gcs: number[] = [];
/** Garbage collection pauses of this thread: those that started while a build ran are summed (ms). */
const gcEntries: Array<{ start: number; duration: number }> = [];
const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration }); });
gcObserver.observe({ entryTypes: ['gc'] });
for (let r = 0; r < ROUNDS; r++) {
  gc?.();
  const receiver = new DeltaReceiver();
  receiver.receive({ type: 'tagway:snapshot', seq: 0, messages: [] }); // a thread's first snapshot: nothing yet
  if (process.env['HEAP']) console.log(`heap before ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`);
  const pools = new PoolRegistry();
  let applied!: () => void;
  const done = new Promise<void>((resolve) => { applied = resolve; });
  let builds = 0;
  const stage = new RuntimeStage({ entryPoints: config.entryPoints, throttleMs: 0, pools, internalServices: new Map(), log: createLogger({ level: 'ERROR' }), onApply: () => { if (++builds === 2) applied(); } });
  stage.push(internalMessage(config, new Map([['web', 8000], ['traefik', 8080]])));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const m of receiver.receive(decode()).messages) stage.push(m);
  await done;
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer hears of the last pauses
  gcs.push(gcEntries.filter((e) => e.start >= t0 && e.start < t1).reduce((sum, e) => sum + e.duration, 0));
  times.push(t1 - t0);
  if (process.env['SNAP']) (await import('node:v8')).writeHeapSnapshot(process.env['SNAP']);
  if (process.env['HEAP'] && gc) { gc(); console.log(`retained heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`); }
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  stage.close();
  await pools.close();
}
clearInterval(keepAlive);
gcObserver.disconnect();
const show = (xs: number[]): string => { const s = [...xs].sort((a, b) => a - b); return `${xs.map((t) => t.toFixed(0)).join(', ')} ms; median ${s[Math.floor(s.length / 2)]!.toFixed(0)}, min ${s[0]!.toFixed(0)}`; };
console.log(`runtime-build: ${SERVICES} services; wall ${show(times)}; CPU (process) ${show(cpu)}; GC pauses ${show(gcs)}`);
