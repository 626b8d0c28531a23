/**
 * Issue 17: the Consul catalog build kept between changes (CatalogBuild) gives what a build of every instance gives,
 * whatever the sequence of service changes, and shares the items that did not change.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildConfiguration, DEFAULT_BUILD_OPTIONS } from '../../../src/providers/consulcatalog/builder.ts';
import { CatalogBuild } from '../../../src/providers/consulcatalog/incremental.ts';
import { tagsToLabels, type ServiceInstance } from '../../../src/providers/consulcatalog/instance.ts';

/** Tags that make services share item names (merged across services), disagree (conflicts) or break (issues). */
const TAGS = [
  'traefik.http.routers.shared.rule=Host(`shared.test`)',
  'traefik.http.routers.shared.rule=Host(`other.test`)',
  'traefik.http.middlewares.strip.stripprefix.prefixes=/api',
  'traefik.http.middlewares.strip.stripprefix.prefixes=/v2',
  'traefik.http.services.pool.loadbalancer.server.port=81',
  'traefik.http.routers.own.service=pool',
  'traefik.http.routers.own.rule=Path(`/own`)',
  'traefik.http.routers.bad.rulez=oops',
  'traefik.enable=false',
  'traefik.http.services.nourl.loadbalancer.server.scheme=https',
];

const instanceArb = fc.record({
  id: fc.constantFrom('i1', 'i2', 'i3'),
  node: fc.constantFrom('n1', 'n2'),
  address: fc.constantFrom('10.0.0.1', '10.0.0.2'),
  status: fc.constantFrom('passing', 'passing', 'critical', 'warning'),
  tags: fc.subarray(TAGS, { maxLength: 3 }),
});
const stepArb = fc.record({
  service: fc.constantFrom('alpha', 'beta', 'gamma', 'delta'),
  instances: fc.option(fc.uniqueArray(instanceArb, { selector: (i) => i.id, maxLength: 3 }), { nil: undefined }),
});

function toInstances(service: string, list: Array<{ id: string; node: string; address: string; status: string; tags: string[] }>): ServiceInstance[] {
  return list.map((i) => ({ ...i, id: `${service}-${i.id}`, name: service, datacenter: 'dc1', namespace: 'default', port: '80', labels: tagsToLabels(i.tags) }));
}

const issueKey = (i: { kind: string; name: string; severity: string; dropped: boolean; message: string }): string => `${i.kind} ${i.name} ${i.severity} ${i.dropped} ${i.message}`;

describe('CatalogBuild = buildConfiguration', () => {
  it('after any sequence of service changes: the same configuration and issues; unchanged items are the same objects', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 15 }), (steps) => {
      const groups = new Map<string, ServiceInstance[]>();
      const build = new CatalogBuild(DEFAULT_BUILD_OPTIONS);
      // The item maps are patched in place: what the previous result held is taken as a copy.
      const copy = (r: ReturnType<CatalogBuild['update']>): Record<string, Record<string, unknown>> => ({
        routers: { ...r.configuration.http.routers }, services: { ...r.configuration.http.services }, middlewares: { ...r.configuration.http.middlewares },
      });
      let previous = copy(build.update(groups));
      for (const step of steps) {
        if (step.instances === undefined || step.instances.length === 0) groups.delete(step.service);
        else groups.set(step.service, toInstances(step.service, step.instances));
        const inc = build.update(groups);
        const full = buildConfiguration([...groups.values()].flat(), DEFAULT_BUILD_OPTIONS);
        assert.deepEqual(inc.configuration, full.configuration);
        assert.deepEqual(inc.issues.map(issueKey).sort(), full.issues.map(issueKey).sort());
        for (const section of ['routers', 'services', 'middlewares'] as const) {
          const was = previous[section]!;
          const now = inc.configuration.http[section] as Record<string, unknown>;
          const differ = new Set([...Object.keys(was), ...Object.keys(now)].filter((k) => was[k] !== now[k]));
          assert.deepEqual([...differ].sort(), [...inc.changed[section]].sort(), `${section}: changed lists exactly the items that are not the same objects`);
        }
        previous = copy(inc);
      }
    }), { numRuns: 300, seed: 2026_12_06 });
  });

  it('a health flip in 2,000 services: one service built again, one service item changed, the rest shared', () => {
    const groups = new Map<string, ServiceInstance[]>();
    for (let s = 0; s < 2000; s++) {
      groups.set(`svc-${s}`, toInstances(`svc-${s}`, [1, 2, 3].map((i) => ({ id: `i${i}`, node: `n${i}`, address: `10.0.${s % 250}.${i}`, status: 'passing', tags: [`traefik.http.routers.svc-${s}.rule=Host(\`svc-${s}.test\`)`] }))));
    }
    const build = new CatalogBuild(DEFAULT_BUILD_OPTIONS);
    const first = build.update(groups);
    const router7 = first.configuration.http.routers['svc-7'], service8 = first.configuration.http.services['svc-8'];
    const flipped = groups.get('svc-7')!.map((i, k) => (k === 1 ? { ...i, status: 'critical' } : i));
    groups.set('svc-7', flipped);
    const next = build.update(groups);
    assert.deepEqual(next.changed, { routers: [], services: ['svc-7'], middlewares: [] });
    assert.equal(next.configuration.http.routers['svc-7'], router7, 'the router is the same object');
    assert.equal(next.configuration.http.services['svc-8'], service8);
    assert.equal(next.configuration.http.routers, first.configuration.http.routers, 'the item maps are patched in place, not copied');
    assert.deepEqual(next.configuration.http.services['svc-7']!.loadBalancer!.servers!.map((x) => x.url), ['http://10.0.7.1:80', 'http://10.0.7.3:80']);
  });
});
