import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildLinearTable, buildRouteTable, type RouteInput } from '../../src/routing/index.ts';
import { request, route, runRouteTableSuite } from './common.case.ts';

runRouteTableSuite('indexed', buildRouteTable);
runRouteTableSuite('linear', buildLinearTable);

describe('indexed table equals the linear scan', () => {
  const hosts = ['a.com', 'b.com', 'x.a.com', 'y.x.a.com', 'localhost', ''];
  const hostExprs = ['a.com', 'b.com', 'x.a.com', '*.a.com', '**.a.com', '*', 'localhost', 'A.COM.'];
  const leafArb = fc.oneof(
    fc.constantFrom(...hostExprs).map((h) => `Host(\`${h}\`)`),
    fc.constantFrom('/', '/api', '/api/v1').map((p) => `PathPrefix(\`${p}\`)`),
    fc.constantFrom('GET', 'POST').map((m) => `Method(\`${m}\`)`),
    fc.constant('HostRegexp(`^x\\.`)'),
  );
  const ruleArb: fc.Arbitrary<string> = fc.letrec((tie) => ({
    rule: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      leafArb,
      fc.tuple(tie('rule'), tie('rule')).map(([a, b]) => `(${a} && ${b})`),
      fc.tuple(tie('rule'), tie('rule')).map(([a, b]) => `(${a} || ${b})`),
      tie('rule').map((a) => `!${a}`)),
  })).rule as fc.Arbitrary<string>;
  const routesArb = fc.array(fc.tuple(ruleArb, fc.integer({ min: -2, max: 4 })), { maxLength: 25 });
  const reqArb = fc.record({
    host: fc.constantFrom(...hosts),
    path: fc.constantFrom('/', '/api', '/api/v1/x', '/web'),
    method: fc.constantFrom('GET', 'POST'),
  });

  it('gives the same answer for random tables and requests', () => {
    fc.assert(fc.property(routesArb, fc.array(reqArb, { minLength: 1, maxLength: 10 }), (specs, reqs) => {
      const routes: Array<RouteInput<string>> = specs.map(([rule, prio], i) => route(`r${i}`, rule, prio === 0 ? undefined : prio));
      const indexed = buildRouteTable(routes);
      const linear = buildLinearTable(routes);
      for (const r of reqs) assert.equal(indexed.match(request(r)), linear.match(request(r)), JSON.stringify({ specs, r }));
    }), { numRuns: 300, seed: 20261126 });
  });

  it('a patched table equals the table built from scratch (order and answers), whatever the patches', () => {
    const opArb = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.option(fc.tuple(ruleArb, fc.integer({ min: -2, max: 4 })), { nil: undefined }));
    fc.assert(fc.property(routesArb, fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.array(reqArb, { minLength: 1, maxLength: 8 }), (specs, patches, reqs) => {
      const live = new Map<string, RouteInput<string>>();
      specs.forEach(([rule, prio], i) => live.set(`r${i % 8}`, route(`r${i % 8}`, rule, prio === 0 ? undefined : prio)));
      const table = buildRouteTable([...live.values()]);
      for (const ops of patches) {
        const remove: string[] = [];
        const add = new Map<string, RouteInput<string>>();
        for (const [k, spec] of ops) {
          const name = `r${k}`;
          if (spec === undefined) { remove.push(name); live.delete(name); add.delete(name); continue; }
          const r = route(name, spec[0], spec[1] === 0 ? undefined : spec[1]);
          live.set(name, r);
          add.set(name, r);
        }
        assert.deepEqual(table.patch(remove, [...add.values()]), []);
        const fresh = buildRouteTable([...live.values()]);
        assert.deepEqual(table.order(), fresh.order());
        assert.equal(table.size, fresh.size);
        for (const r of reqs) assert.equal(table.match(request(r)), fresh.match(request(r)), JSON.stringify({ specs, patches, r }));
      }
    }), { numRuns: 200, seed: 20261206 });
  });
});

describe('hand-made rules without explain/specialize', () => {
  const postOnA: RouteInput<string> = {
    name: 'post-a', priority: 5, value: 'post-a',
    rule: { ok: true, rule: 'custom', hosts: ['a.com'], match: (req) => req.host === 'a.com' && req.method === 'POST' },
  };
  const any: RouteInput<string> = { name: 'any', priority: 1, value: 'any', rule: { ok: true, rule: 'any', hosts: undefined, match: () => true } };
  for (const [label, build] of [['indexed', buildRouteTable], ['linear', buildLinearTable]] as const) {
    it(`${label}: falls back to match() and a generic reason`, () => {
      const table = build([any, postOnA]);
      assert.equal(table.match(request({ host: 'a.com', method: 'POST' })), 'post-a');
      assert.equal(table.match(request({ host: 'a.com' })), 'any');
      assert.deepEqual(table.explain(request({ host: 'a.com' }))[0], { name: 'post-a', priority: 5, matched: false, reason: 'custom is false' });
    });
  }
});

describe('host index keys', () => {
  it('hosts named like Object.prototype members match only their own routes', () => {
    const table = buildRouteTable([route('proto', 'Host(`__proto__`)'), route('ctor', 'Host(`constructor`)'), route('any', 'PathPrefix(`/any`)')]);
    assert.equal(table.match(request({ host: '__proto__' })), 'proto');
    assert.equal(table.match(request({ host: 'constructor' })), 'ctor');
    assert.equal(table.match(request({ host: 'tostring' })), undefined);
    assert.equal(table.match(request({ host: 'hasownproperty', path: '/any' })), 'any');
  });
});

describe('patch: a route replaced at its own place (a health flip rebuilds a router, same rule and priority)', () => {
  it('takes the new value without moving anything; a replacement the table refuses leaves its route out', () => {
    const routes = [route('a', 'Host(`a.com`)'), route('b', 'PathPrefix(`/`)', 1), route('c', 'Host(`c.com`) || Host(`d.com`)')];
    const table = buildRouteTable(routes);
    const order = table.order();
    const next: RouteInput<string> = { ...route('a', 'Host(`a.com`)'), value: 'a, rebuilt' };
    assert.deepEqual(table.patch(['a'], [next]), []);
    assert.deepEqual(table.order(), order, 'same order');
    assert.equal(table.match(request({ host: 'a.com' })), 'a, rebuilt');
    assert.equal(table.match(request({ host: 'c.com' })), 'c');
    assert.equal(table.match(request({ host: 'z.com' })), 'b');
    // A rule whose host folding throws while the table indexes it: that route is refused, the others stay.
    const broken: RouteInput<string> = { ...route('c', 'Host(`c.com`) || Host(`d.com`)'), value: 'c, broken' };
    broken.rule = { ...broken.rule, specialize: () => { throw new Error('cannot fold'); } } as typeof broken.rule;
    const refused = table.patch([], [broken]);
    assert.deepEqual(refused.map((r) => r.name), ['c']);
    assert.deepEqual(table.order().map((r) => r.name), order.map((r) => r.name).filter((n) => n !== 'c'));
    assert.equal(table.match(request({ host: 'c.com' })), 'b');
    assert.equal(table.match(request({ host: 'a.com' })), 'a, rebuilt');
    assert.deepEqual(table.order(), buildRouteTable([next, routes[1]!]).order());
  });
});
