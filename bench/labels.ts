/**
 * Label decoding cost for ONE Consul instance carrying many router tags (issue 10, "Decoding cost"): the
 * generic decoder must stay linear in the number of labels, because it runs on the event loop.
 * Prints, per round, the wall time and the CPU time of `decodeExtraConfig` + `decodeDynamicLabels` (what the
 * Consul builder calls per instance), then the whole `buildConfiguration` of that instance.
 * Run: node --import tsx bench/labels.ts [routers=20000] [rounds=5]
 */
import { decodeDynamicLabels, decodeExtraConfig } from '../src/labels/index.ts';
import { buildConfiguration, DEFAULT_BUILD_OPTIONS } from '../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../src/providers/consulcatalog/instance.ts';

const routers = Number(process.argv[2] ?? 20000);
const rounds = Number(process.argv[3] ?? 5);

const tags: string[] = [];
for (let i = 0; i < routers; i++) tags.push(`traefik.http.routers.r${i}.rule=Host(\`h${i}.example.com\`)`);
const labels = tagsToLabels(tags);

function instance(): ServiceInstance {
  // A fresh object per round: the builder caches its result per instance object.
  return {
    id: 'big-1', node: 'node-1', datacenter: 'dc1', name: 'big', namespace: 'default', address: '10.0.0.1',
    port: '8080', tags, status: 'passing', labels,
  } as ServiceInstance;
}

function timed<T>(fn: () => T): { wall: number; cpu: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  return { wall: performance.now() - t0, cpu: process.cpuUsage(c0).user / 1000, value };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const decodeWall: number[] = [], decodeCpu: number[] = [], buildWall: number[] = [];
console.log(`labels: one instance with ${routers} router tags, ${rounds} rounds`);
for (let r = 0; r < rounds; r++) {
  const d = timed(() => { decodeExtraConfig(labels, 'traefik'); return decodeDynamicLabels(labels, 'traefik'); });
  const decoded = Object.keys(d.value.configuration.http.routers).length;
  if (decoded !== routers || d.value.errors.length > 0) throw new Error(`decoded ${decoded} routers, ${d.value.errors.length} errors`);
  const b = timed(() => buildConfiguration([instance()], DEFAULT_BUILD_OPTIONS));
  decodeWall.push(d.wall); decodeCpu.push(d.cpu); buildWall.push(b.wall);
  console.log(`  round ${r + 1}: decode ${d.wall.toFixed(0)} ms (cpu ${d.cpu.toFixed(0)} ms), whole build ${b.wall.toFixed(0)} ms`);
}
console.log(`  median: decode ${median(decodeWall).toFixed(0)} ms (cpu ${median(decodeCpu).toFixed(0)} ms), whole build ${median(buildWall).toFixed(0)} ms`);
