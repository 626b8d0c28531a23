import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../../../src/http/context.ts';
import { BalancerStrategyError, createBalancer } from '../../../src/proxy/balancer/index.ts';
import { PowerOfTwoChoices } from '../../../src/proxy/balancer/p2c.ts';
import { WeightedRoundRobin } from '../../../src/proxy/balancer/wrr.ts';
import { getJson } from '../../support/gateway.ts';
import { startUpstream } from '../../support/upstream.ts';
import { send, servedBy, startFileGateway } from '../../support/file-gateway.ts';

/** A request whose response can be closed: all the balancer reads of a context. */
function request(): { ctx: RequestContext; close(): void } {
  const res = new EventEmitter();
  return { ctx: { res } as unknown as RequestContext, close: () => { res.emit('close'); } };
}

/** Go's `rand.Intn` answers, in order, as the `[0, 1)` draws that give them over `n` servers. */
function draws(n: number, ...ints: number[]): () => number {
  let i = 0;
  return () => (ints[i++]! + 0.5) / n;
}

describe('PowerOfTwoChoices (Traefik TestP2C vectors)', () => {
  const cases: Array<{ desc: string; inflight: number[]; draws: number[]; expected: string }> = [
    { desc: 'one healthy handler', inflight: [0], draws: [], expected: '0' },
    { desc: 'two handlers zero in flight', inflight: [0, 0], draws: [1, 0], expected: '1' },
    { desc: 'chooses lower of two', inflight: [0, 1], draws: [1, 0], expected: '0' },
    { desc: 'chooses lower of three', inflight: [10, 90, 40], draws: [1, 1], expected: '2' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const lb = new PowerOfTwoChoices<string>(draws(c.inflight.length, ...c.draws));
      c.inflight.forEach((_, i) => lb.add(String(i), String(i), 1));
      c.inflight.forEach((n, i) => { for (let k = 0; k < n; k++) lb.take(String(i), request().ctx); });
      assert.equal(lb.next(request().ctx), c.expected);
    });
  }

  it('counts a request until its response closes', () => {
    const lb = new PowerOfTwoChoices<string>(draws(2, 0, 1, 0, 1));
    lb.add('a', 'a', 1);
    lb.add('b', 'b', 1);
    const first = request();
    assert.equal(lb.next(first.ctx), 'a');
    assert.deepEqual(lb.inflight(), { a: 1, b: 0 });
    assert.equal(lb.next(request().ctx), 'b', 'a is busier');
    first.close();
    assert.deepEqual(lb.inflight(), { a: 0, b: 1 });
  });

  it('never draws a server that is down, ignores weights (Traefik), and has nothing to give when all are down', () => {
    const lb = new PowerOfTwoChoices<string>(() => 0);
    lb.add('a', 'a', 1);
    lb.add('zero', 'zero', 0);
    assert.equal(lb.setStatus('a', false), false);
    assert.equal(lb.next(request().ctx), 'zero', 'weight 0 takes part, as in Traefik');
    assert.equal(lb.take('a', request().ctx), undefined);
    assert.equal(lb.setStatus('zero', false), true, 'no server up any more');
    assert.equal(lb.next(request().ctx), undefined);
  });
});

describe('createBalancer: loadBalancer.strategy chosen when the service is built', () => {
  it('wrr by default and for "wrr"; p2c for "p2c"', () => {
    assert.ok(createBalancer(undefined) instanceof WeightedRoundRobin);
    assert.ok(createBalancer('') instanceof WeightedRoundRobin);
    assert.ok(createBalancer('wrr') instanceof WeightedRoundRobin);
    assert.ok(createBalancer('p2c') instanceof PowerOfTwoChoices);
  });

  const refused = [
    { desc: 'a value Traefik does not know', strategy: 'random', message: /unsupported load-balancer strategy "random"/ },
    { desc: 'values compare exactly, as in Traefik', strategy: 'P2C', message: /unsupported load-balancer strategy "P2C"/ },
    { desc: 'a Traefik strategy tagway does not implement', strategy: 'hrw', message: /"hrw" is not supported by tagway/ },
    { desc: 'leasttime likewise', strategy: 'leasttime', message: /"leasttime" is not supported by tagway/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc}`, () => {
      assert.throws(() => createBalancer(c.strategy), (e: unknown) => e instanceof BalancerStrategyError && e.code === 'TAGWAY_BALANCER_STRATEGY' && c.message.test(e.message));
    });
  }
});

describe('loadBalancer.strategy through the gateway', () => {
  it('p2c: a server busy with a request gets no more while the other is idle (WRR would alternate)', async (t) => {
    const held: ServerResponse[] = [];
    const slow = await startUpstream(t, 'slow', (req, res) => { req.resume(); held.push(res); });
    t.after(() => { for (const res of held) res.destroy(); });
    const fast = await startUpstream(t, 'fast');
    const gw = await startFileGateway(t, {
      routers: { p: { rule: 'PathPrefix(`/`)', service: 'p' } },
      services: { p: { loadBalancer: { strategy: 'p2c', servers: [{ url: slow.url }, { url: fast.url }] } } },
    });
    // Which server a request reached: `fast` answers; `slow` only shows the request arriving.
    const reached = async (path: string): Promise<string> => {
      const before = slow.seen.length;
      const answer = send(gw.web, path).then(servedBy);
      answer.catch(() => undefined);
      const arrivedSlow = new Promise<string>((resolve) => {
        const tick = setInterval(() => { if (slow.seen.length > before) { clearInterval(tick); resolve('slow'); } }, 1);
        void answer.finally(() => clearInterval(tick));
      });
      return (await Promise.race([answer, arrivedSlow])) ?? '?';
    };
    // Both servers are drawn every time: with none in flight either may win, so send until one is held at `slow`.
    for (let i = 0; i < 64 && slow.seen.length === 0; i++) await reached('/first');
    assert.equal(slow.seen.length, 1, 'one request held at the slow server');
    const served: string[] = [];
    for (let i = 0; i < 20; i++) served.push(await reached('/next'));
    assert.deepEqual(served, Array(20).fill('fast'));
    assert.equal(slow.seen.length, 1);
  });

  it('an unknown or unsupported strategy is an error on the service; other services still route', async (t) => {
    const up = await startUpstream(t, 'ok');
    const gw = await startFileGateway(t, {
      routers: { bad: { rule: 'Path(`/bad`)', service: 'bad' }, odd: { rule: 'Path(`/odd`)', service: 'odd' }, good: { rule: 'Path(`/good`)', service: 'good' } },
      services: {
        bad: { loadBalancer: { strategy: 'fastest', servers: [{ url: up.url }] } },
        odd: { loadBalancer: { strategy: 'hrw', servers: [{ url: up.url }] } },
        good: { loadBalancer: { strategy: 'wrr', servers: [{ url: up.url }] } },
      },
    });
    assert.equal((await send(gw.web, '/good')).status, 200);
    const bad = await getJson<{ status: string; error?: string[] }>(`${gw.admin}/api/http/services/bad@file`);
    assert.equal(bad.body.status, 'disabled');
    assert.match(bad.body.error?.join() ?? '', /unsupported load-balancer strategy "fastest"/);
    const odd = await getJson<{ status: string; error?: string[] }>(`${gw.admin}/api/http/services/odd@file`);
    assert.equal(odd.body.status, 'disabled');
    assert.match(odd.body.error?.join() ?? '', /"hrw" is not supported by tagway/);
    assert.notEqual((await send(gw.web, '/bad')).status, 200);
  });
});
