/**
 * Builds the Consul Catalog configuration for 5,000 services × 3 instances (15,000 instances, each with
 * a router rule, entry points, a middleware and a port override) and reports time and memory.
 * Run: node --expose-gc --import tsx bench/catalog-build.ts [services] [instances] [rounds]
 */
import { buildConfiguration, DEFAULT_BUILD_OPTIONS } from '../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../src/providers/consulcatalog/instance.ts';

const services = Number(process.argv[2] ?? 5000);
const perService = Number(process.argv[3] ?? 3);
const rounds = Number(process.argv[4] ?? 5);
const gc = (globalThis as { gc?: () => void }).gc;

function instances(): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (let s = 0; s < services; s++) {
    const name = `svc-${s}`;
    const tags = [
      `traefik.http.routers.${name}.rule=Host(\`${name}.example.com\`) && PathPrefix(\`/api\`)`,
      `traefik.http.routers.${name}.entrypoints=web`,
      `traefik.http.routers.${name}.middlewares=${name}-strip`,
      `traefik.http.middlewares.${name}-strip.stripprefix.prefixes=/api`,
      `traefik.http.services.${name}.loadbalancer.server.port=8080`,
      'env=prod',
    ];
    for (let i = 0; i < perService; i++) {
      out.push({
        id: `${name}-${i}`, node: `node-${(s + i) % 200}`, datacenter: 'dc1', name, namespace: 'default',
        address: `10.${(s >> 8) & 255}.${s & 255}.${i + 1}`, port: '8080', tags, status: i === 2 ? 'critical' : 'passing',
        labels: tagsToLabels(tags),
      });
    }
  }
  return out;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
const input = instances();
gc?.();
const base = process.memoryUsage();
const times: number[] = [];
let routers = 0, issues = 0, peakHeap = 0;
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const result = buildConfiguration(input, DEFAULT_BUILD_OPTIONS);
  times.push(performance.now() - t0);
  routers = Object.keys(result.configuration.http.routers).length;
  issues = result.issues.length;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}
gc?.();
const after = process.memoryUsage();
const cold = times[0]!;
const warm = times.slice(1).sort((a, b) => a - b);
console.log(`catalog-build: ${services} services × ${perService} instances = ${input.length} instances, ${rounds} rounds`);
console.log(`  routers ${routers}, issues ${issues}`);
console.log(`  build time: cold (every instance decoded) ${cold.toFixed(0)} ms; warm (same instance objects, as the watcher's rebuild after a change) median ${warm.length ? warm[Math.floor(warm.length / 2)]!.toFixed(0) : '-'} ms, min ${warm[0]?.toFixed(0) ?? '-'} ms`);
console.log(`  heap: before ${mb(base.heapUsed)}, peak during builds ${mb(peakHeap)}, after GC ${mb(after.heapUsed)}${gc ? '' : ' (run with --expose-gc for exact figures)'}`);
console.log(`  rss: before ${mb(base.rss)}, after ${mb(after.rss)}`);
