/**
 * What a catalog change costs where requests are served (issue 17), in one process and without the noise of
 * a load generator: the churn fleet (N services × 3 instances) built by the Consul provider's own incremental
 * build, sent through the workers' delta protocol (`DeltaFanout` → JSON, as over IPC → `DeltaReceiver`) into a
 * running gateway, then one health flip at a time. Reports the cold first build (snapshot decoded, built, live)
 * and, per change, the CPU time and the longest synchronous stretch of the serving loop (what a request could
 * wait behind), and an API read of the changed service.
 *
 * Run: node --expose-gc --import tsx bench/apply-cost.ts [--services=5000] [--changes=50]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CatalogBuild } from '../src/providers/consulcatalog/incremental.ts';
import { DEFAULT_BUILD_OPTIONS } from '../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../src/providers/consulcatalog/instance.ts';
import { noteChanges } from '../src/dynamic/changes.ts';
import type { Message } from '../src/dynamic/types.ts';
import type { Provider } from '../src/providers/provider.ts';
import { DeltaFanout, DeltaReceiver, type FanoutMessage } from '../src/server/deltas.ts';
import { startGateway } from '../src/server/gateway.ts';
import { loadStaticConfig } from '../src/static/load.ts';
import { createLogger } from '../src/util/log.ts';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SERVICES = Number(arg('services', '5000'));
const CHANGES = Number(arg('changes', '50'));

function instance(s: number, k: number, status: 'passing' | 'critical'): ServiceInstance {
  const name = `svc-${s}`;
  const tags = [
    `traefik.http.routers.${name}.rule=Host(\`${name}.churn.test\`)`,
    `traefik.http.routers.${name}.middlewares=${name}-strip`,
    `traefik.http.middlewares.${name}-strip.stripprefix.prefixes=/strip`,
  ];
  return { id: `${name}-${k}`, node: `node-${(s * 3 + k) % 50}`, datacenter: 'dc1', name, namespace: 'default', address: '127.0.0.1', port: String(9000 + k), tags, status, labels: tagsToLabels(tags) };
}

const groups = new Map<string, ServiceInstance[]>();
for (let s = 0; s < SERVICES; s++) groups.set(`svc-${s}`, [0, 1, 2].map((k) => instance(s, k, 'passing')));
const catalog = new CatalogBuild(DEFAULT_BUILD_OPTIONS);
let last: Message | undefined;
function next(): Message {
  const built = catalog.update(groups);
  const message: Message = { providerName: 'consulcatalog', configuration: built.configuration, issues: built.issues };
  if (last) noteChanges(message, last, built.changed);
  last = message;
  return message;
}

// The worker's side: a provider fed by a DeltaReceiver, messages JSON-encoded as node:cluster's IPC does.
let emit!: (m: Message) => void;
const receiver = new DeltaReceiver();
const remote: Provider = { name: 'remote', provide: (e) => { emit = e; return Promise.resolve(); }, status: () => ({ name: 'remote' }) };
const fanout = new DeltaFanout<number>((_peer, m: FanoutMessage) => {
  const decoded = JSON.parse(JSON.stringify(m)) as FanoutMessage;
  const { messages, reply } = receiver.receive(decoded);
  for (const message of messages) emit(message);
  if (reply?.type === 'tagway:ack') queueMicrotask(() => fanout.ack(1, reply.seq));
});

const builds: Array<{ full: boolean; ms: number }> = [];
const logger = createLogger({ level: 'DEBUG', format: 'json', write: (line) => {
  if (line.includes('"level":"error"') || line.includes('"level":"warn"')) process.stderr.write(line + '\n');
  if (line.includes('configuration applied')) { const j = JSON.parse(line) as { full: boolean; ms: number }; builds.push({ full: j.full, ms: j.ms }); }
} });
const config = loadStaticConfig({ argv: ['--entryPoints.web.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true', '--providers.providersThrottleDuration=0s'], env: {} });
const gw = await startGateway({ config, logger, providers: [remote] });
const admin = gw.url('traefik');
await new Promise((r) => setTimeout(r, 50));
fanout.join(1);

const gc = (globalThis as { gc?: () => void }).gc;
const first = next();
gc?.();
let t0 = performance.now();
const c0 = process.cpuUsage();
let reloaded = gw.nextReload();
fanout.publish(first);
await reloaded;
const coldWall = performance.now() - t0;

const coldCpu = process.cpuUsage(c0);
const coldBuild = builds.at(-1)!.ms;
await fetch(`${admin}/api/http/routers?per_page=10`).then((r) => r.text());

const h = monitorEventLoopDelay({ resolution: 1 });
const cpu: number[] = [];
const apiMs: number[] = [];
const buildMs: number[] = [];
let maxStretch = 0;
for (let i = 0; i < CHANGES; i++) {
  const s = (i * 7919) % SERVICES;
  const g = groups.get(`svc-${s}`)!;
  groups.set(`svc-${s}`, g.map((inst, k) => (k === 0 ? instance(s, 0, inst.status === 'passing' ? 'critical' : 'passing') : inst)));
  const message = next();
  await new Promise((r) => setImmediate(r));
  h.reset(); h.enable();
  t0 = performance.now();
  const c = process.cpuUsage();
  reloaded = gw.nextReload();
  fanout.publish(message);
  await reloaded;
  if (process.env.APPLY_DEBUG) process.stderr.write(`change ${i}\n`);
  const a0 = performance.now();
  const res = await fetch(`${admin}/api/http/services/svc-${s}@consulcatalog`);
  await res.text();
  apiMs.push(performance.now() - a0);
  const used = process.cpuUsage(c);
  h.disable();
  cpu.push((used.user + used.system) / 1000);
  buildMs.push(builds.at(-1)!.ms);
  maxStretch = Math.max(maxStretch, h.max / 1e6);
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]): number => Math.max(...xs);
console.log(`apply-cost: ${SERVICES} services × 3, ${CHANGES} changes (node ${process.version})`);
console.log(`  cold: snapshot to live ${coldWall.toFixed(0)} ms wall, ${((coldCpu.user + coldCpu.system) / 1000).toFixed(0)} ms CPU; logged build ${coldBuild} ms`);
console.log(`  per change (delta through JSON, applied, API read of the service): CPU median ${med(cpu).toFixed(2)} ms, max ${max(cpu).toFixed(2)} ms; logged build median ${med(buildMs)} ms; API read median ${med(apiMs).toFixed(2)} ms`);
console.log(`  longest event-loop delay during a change: ${maxStretch.toFixed(1)} ms`);
await gw.close();
