import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficStore, TRAFFIC_SECONDS } from '../../src/metrics/traffic.ts';

/** A store on a clock the test moves (epoch ms). */
function store(start = 1_000_000_000_000): { traffic: TrafficStore; clock: { now: number } } {
  const clock = { now: start };
  return { traffic: new TrafficStore({ now: () => clock.now }), clock };
}

describe('TrafficStore', () => {
  it('counts requests and 5xx per second for the router and its service; reads show whole seconds only', () => {
    const { traffic, clock } = store();
    const t0 = clock.now;
    traffic.record('r@file', 's@file', 200, 2, t0);
    traffic.record('r@file', 's@file', 502, 2, t0 + 10);
    traffic.record('r@file', 's@file', 404, 2, t0 + 1000);
    assert.deepEqual(traffic.series('router', 'r@file', 3).map((p) => p.requests), [0, 0, 0], 'the second still filling is not shown');
    clock.now = t0 + 2000;
    const points = traffic.series('router', 'r@file', 3);
    assert.deepEqual(points.map((p) => [p.t, p.requests, p.errors]), [[t0 / 1000 - 1, 0, 0], [t0 / 1000, 2, 1], [t0 / 1000 + 1, 1, 0]], '4xx are not errors');
    assert.deepEqual(traffic.series('service', 's@file', 2).map((p) => p.requests), [2, 1]);
    assert.deepEqual(traffic.totals('router', 2), [{ name: 'r@file', requests: 3, rps: 1.5, errorRate: 1 / 3, p50: points[1]!.p50, p99: points[1]!.p99 }]);
    assert.deepEqual(traffic.total('router', 'r@file', 2), traffic.totals('router', 2)[0]);
    traffic.record('quiet@file', 's@file', 200, 1, t0);
    assert.deepEqual(traffic.totals('router', 2, 1).map((x) => x.name), ['r@file'], 'the busiest first, at most `limit`');
  });

  it('gives p50 and p99 within the histogram\'s ±16%', () => {
    const { traffic, clock } = store();
    for (let i = 1; i <= 1000; i++) traffic.record('r', 's', 200, i / 10, clock.now); // 0.1 .. 100 ms, uniform
    clock.now += 1000;
    const [p] = traffic.series('router', 'r', 1);
    const within = (got: number | null, want: number) => got !== null && Math.abs(got - want) / want <= 0.16;
    assert.ok(within(p!.p50, 50), `p50 ${p!.p50}`);
    assert.ok(within(p!.p99, 99), `p99 ${p!.p99}`);
    const [empty] = traffic.series('router', 'nobody', 1);
    assert.deepEqual(empty, { t: empty!.t, requests: 0, errors: 0, p50: null, p99: null });
  });

  it('forgets seconds older than the ring', () => {
    const { traffic, clock } = store();
    traffic.record('r', 's', 200, 1, clock.now);
    clock.now += (TRAFFIC_SECONDS + 5) * 1000;
    traffic.record('r', 's', 200, 1, clock.now - 1000);
    assert.deepEqual(traffic.totals('router', TRAFFIC_SECONDS).map((x) => x.requests), [1]);
  });

  it('sums workers the way the primary does: each worker hands each finished second once, the primary adds, workers take the sums', () => {
    const { traffic: a, clock } = store();
    const b = new TrafficStore({ now: () => clock.now });
    const primary = new TrafficStore({ now: () => clock.now });
    const view = new TrafficStore({ now: () => clock.now });
    a.record('r', 's', 200, 1, clock.now);
    a.record('r', 's', 500, 40, clock.now);
    b.record('r', 's', 200, 3, clock.now);
    assert.deepEqual(a.takeCompleted(), [], 'the current second is not finished');
    clock.now += 1000;
    const changed = new Set<number>();
    for (const w of [a, b]) for (const f of w.takeCompleted()) { primary.add(f); changed.add(f.sec); }
    assert.deepEqual(a.takeCompleted(), [], 'a second is handed out once');
    for (const f of primary.frames(changed)) view.set(f);
    // The same sums again (a broadcast repeated) do not double anything.
    for (const f of primary.frames(changed)) view.set(f);
    const [p] = view.series('router', 'r', 1);
    assert.equal(p!.requests, 3);
    assert.equal(p!.errors, 1);
    assert.deepEqual(view.series('service', 's', 1).map((x) => x.requests), [3]);
    assert.equal(p!.p99, primary.series('router', 'r', 1)[0]!.p99);
    assert.ok(p!.p99! > 30, 'the slow request of worker a sets p99');
  });

  it('counts a request through the gateway\'s observer hook only for routers that are not internal and keep metrics on', () => {
    const { traffic, clock } = store();
    const listeners: Array<() => void> = [];
    const ctx = (metrics: boolean) => {
      const res = { statusCode: 200, on(_e: string, f: () => void) { listeners.push(f.bind(res)); } };
      return { res, start: process.hrtime.bigint(), observability: { metrics } } as never;
    };
    const route = (internal: boolean) => ({ name: 'r', service: 's', internal }) as never;
    traffic.onRequest(ctx(true), route(false));
    traffic.onRequest(ctx(false), route(false));
    traffic.onRequest(ctx(true), route(true));
    traffic.onRequest(ctx(true), undefined);
    assert.equal(listeners.length, 1);
    listeners[0]!();
    clock.now += 1000;
    assert.deepEqual(traffic.totals('router', 1).map((x) => [x.name, x.requests, x.errorRate]), [['r', 1, 0]]);
    assert.deepEqual(traffic.totals('service', 1).map((x) => [x.name, x.requests]), [['s', 1]]);
  });
});
