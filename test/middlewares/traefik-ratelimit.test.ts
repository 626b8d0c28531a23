import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import type { TestContext } from 'node:test';
import type { Middleware, RateLimit } from '../../src/dynamic/types.ts';
import { decodeDynamicLabels } from '../../src/labels/index.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { collectReply } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION, startCaseGateway, type CaseGateway } from '../support/traefik-tables.ts';

/**
 * Traefik's rate limiter tables (pkg/middlewares/ratelimiter/rate_limiter_test.go), ported as data and run
 * through the running gateway. Traefik's load tests run for real seconds with a ticker; here the same load
 * schedule (a burst as fast as possible, then one request per tick) runs against the gateway with the clock
 * faked (`mock.timers`, Date only: the sockets stay real), so a one-minute case takes the time its requests
 * take. The count of requests that went through must be within Traefik's bounds: at most 2% above
 * average/period × duration + burst, at least 95% of it (Traefik's bound off CI). The fake clock moves by a fixed
 * cost per request and by the ticks, never by the machine's load.
 * TestNewRateLimiter reads the middleware's internals (maxDelay, the source extractor, the rate); each case
 * here is what that internal value does to traffic.
 *
 * Not ported: TestRedisRateLimit (Redis storage; tagway has none: see "Use Redis") and the ttlmap tests (an
 * internal map; tagway's buckets expire as Traefik's, see rate-limit.test.ts).
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/ratelimiter/rate_limiter_test.go`);

const NO_REDIS = 'Redis storage (`redis`) is not supported: the key is refused, reported on the middleware (Traefik v3.7 shares buckets through Redis)';

interface LoadCase { desc: string; config: RateLimit; loadSeconds: number; incomingLoad: number; burst?: number }

// TestInMemoryRateLimit.
const loads: LoadCase[] = [
  { desc: 'Average is respected', config: { average: 100, burst: 1 }, loadSeconds: 2, incomingLoad: 400 },
  { desc: 'burst allowed, no bursty traffic', config: { average: 100, burst: 100 }, loadSeconds: 2, incomingLoad: 200 },
  { desc: 'burst allowed, initial burst, under capacity', config: { average: 100, burst: 100 }, loadSeconds: 2, incomingLoad: 200, burst: 50 },
  { desc: 'burst allowed, initial burst, over capacity', config: { average: 100, burst: 100 }, loadSeconds: 2, incomingLoad: 200, burst: 150 },
  { desc: 'burst over average, initial burst, over capacity', config: { average: 100, burst: 200 }, loadSeconds: 2, incomingLoad: 200, burst: 300 },
  { desc: 'lower than 1/s', config: { average: 5, period: '10s' }, loadSeconds: 2, incomingLoad: 100 },
  { desc: 'lower than 1/s, longer', config: { average: 5, period: '10s' }, loadSeconds: 60, incomingLoad: 100 },
  { desc: 'lower than 1/s, longer, harsher', config: { average: 1, period: '1m' }, loadSeconds: 60, incomingLoad: 100 },
  { desc: 'period below 1 second', config: { average: 50, period: '500ms' }, loadSeconds: 2, incomingLoad: 300 },
].map((c) => ({ ...c, desc: `TestInMemoryRateLimit: ${c.desc}` }));

/** A step of a TestNewRateLimiter case: at `at` ms (fake clock, from the case's start), from `from` (peer) with `headers`. */
interface Step { at: number; status: number; from?: string; headers?: Record<string, string>; retryIn?: string }
interface NewCase { desc: string; config: RateLimit; steps: Step[] }
const repeat = (n: number, step: Step): Step[] => Array.from({ length: n }, () => step);

// TestNewRateLimiter, observed: each internal value shown by the traffic it shapes.
const news: NewCase[] = [
  // rate.Inf: nothing is ever refused.
  { desc: 'no ratelimit on Average == 0', config: { average: 0, burst: 10 }, steps: repeat(30, { at: 0, status: 200 }) },
  // maxDelay 2.5ms at 200/s: after the burst of 10, a token 3 ms away is refused, one 2 ms away is waited for.
  { desc: 'maxDelay computation', config: { average: 200, burst: 10 },
    steps: [...repeat(10, { at: 0, status: 200 }), { at: 2, status: 429, retryIn: '3ms' }, { at: 3, status: 200 }] },
  // maxDelay 500ms below 1/s (2 per 10s: a token every 5 s).
  { desc: 'maxDelay computation, low rate regime', config: { average: 2, period: '10s', burst: 10 },
    // 600ms as Go computes it: 4.4 s × 0.2/s is 0.8800000000000001 tokens, and Go's Duration truncates.
    steps: [...repeat(10, { at: 0, status: 200 }), { at: 4400, status: 429, retryIn: '599.999999ms' }, { at: 4600, status: 200 }] },
  // The peer's address is the source: another peer has its own bucket.
  { desc: 'default SourceMatcher is remote address ip strategy', config: { average: 200, burst: 10 },
    steps: [...repeat(10, { at: 0, status: 200, from: '127.0.0.1' }), { at: 0, status: 429, from: '127.0.0.1' }, { at: 0, status: 200, from: '127.0.0.2' }] },
  { desc: 'SourceCriterion in config is respected', config: { average: 200, burst: 10, sourceCriterion: { requestHeaderName: 'Foo' } },
    steps: [...repeat(10, { at: 0, status: 200, headers: { Foo: 'bar' } }), { at: 0, status: 429, headers: { Foo: 'bar' } }, { at: 0, status: 200, headers: { Foo: 'baz' } }] },
].map((c) => ({ ...c, desc: `TestNewRateLimiter: ${c.desc}` }));

/** What one request costs on the fake clock: fixed, so the count does not depend on the machine's load. */
const REQUEST_COST_MS = 0.5;

/** Go's `int(int64(rate*float64(loadDuration)) + burst)` and its bounds (+2%, -5%). */
function bounds(c: LoadCase): { min: number; max: number; want: number } {
  const periodMs = c.config.period === undefined ? 1000 : c.config.period.endsWith('ms') ? Number(c.config.period.slice(0, -2))
    : c.config.period.endsWith('m') ? Number(c.config.period.slice(0, -1)) * 60_000 : Number(c.config.period.slice(0, -1)) * 1000;
  const burst = Math.max(c.config.burst ?? 0, 1);
  const want = Math.trunc(((c.config.average ?? 0) / periodMs) * c.loadSeconds * 1000) + burst;
  return { want, max: Math.trunc((want * 102) / 100), min: Math.trunc((want * 95) / 100) };
}

describe('Traefik rate limiter tables through the running gateway', () => {
  let gw: CaseGateway;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const cleanups: Array<() => unknown> = [() => agent.destroy()];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    gw = await startCaseGateway(t, [...loads.map((c) => ({ middlewares: [{ rateLimit: c.config }] })), ...news.map((c) => ({ middlewares: [{ rateLimit: c.config }] }))]);
  });
  after(async () => { mock.timers.reset(); for (const fn of cleanups.reverse()) await fn(); });

  function get(i: number, headers: Record<string, string> = {}, localAddress?: string): Promise<{ status: number; headers: Record<string, unknown> }> {
    const url = new URL(gw.web);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/', headers: { ...headers, ...gw.caseHeader(i) },
        ...(localAddress ? { localAddress, agent: false } : { agent }) }, (res) => collectReply(res, resolve, reject));
      req.on('error', reject);
      req.end();
    });
  }

  loads.forEach((c, i) => {
    it(c.desc, { timeout: 120_000 }, () => tally.runAsync(c.desc, undefined, async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000_000 + i * 10_000_000 });
      try {
        const periodMs = 1000 / c.incomingLoad;
        let passed = 0;
        let dropped = 0;
        let now = 0; // ms since the start, on the fake clock
        let tick = 0; // the last tick consumed
        // Traefik's loop: a request, then (past the initial burst) wait for the next tick; until the duration is
        // over. The fake clock moves by a fixed cost per request (REQUEST_COST_MS, so that hammering in the burst
        // phase lets tokens arrive, as real time does in Go's loop), and to the next tick when the loop waits for
        // one (a tick missed meanwhile is buffered, as Go's ticker does). A delayed request waits in real time.
        while (now <= c.loadSeconds * 1000) {
          const r = await get(i);
          now += REQUEST_COST_MS;
          mock.timers.tick(REQUEST_COST_MS);
          if (r.status === 200) passed++; else dropped++;
          if (c.burst !== undefined && passed < c.burst) continue;
          const next = now >= tick + periodMs ? Math.floor(now / periodMs) * periodMs : tick + periodMs;
          if (next > now) { mock.timers.tick(next - now); now = next; }
          tick = next;
        }
        const { min, max, want } = bounds(c);
        assert.ok(passed >= min && passed <= max, `${passed} requests went through (dropped ${dropped}); Traefik wants ${want} (${min}..${max})`);
      } finally {
        mock.timers.reset();
      }
    }));
  });

  news.forEach((c, j) => {
    const i = loads.length + j;
    it(c.desc, () => tally.runAsync(c.desc, undefined, async () => {
      const start = 2_000_000_000 + j * 10_000_000;
      mock.timers.enable({ apis: ['Date'], now: start });
      try {
        for (const [k, step] of c.steps.entries()) {
          mock.timers.setTime(start + step.at);
          const r = await get(i, step.headers, step.from);
          assert.equal(r.status, step.status, `step ${k}`);
          if (step.retryIn) assert.equal(r.headers['x-retry-in'], step.retryIn);
        }
      } finally {
        mock.timers.reset();
      }
    }));
  });

  const constructed: Array<{ desc: string; mw: Middleware; error?: RegExp }> = [
    { desc: 'TestNewRateLimiter: SourceCriteria are mutually exclusive', mw: { rateLimit: { average: 200, burst: 10, sourceCriterion: { ipStrategy: {}, requestHeaderName: 'Foo' } } },
      error: /ipStrategy and requestHeaderName are mutually exclusive/ },
  ];
  constructed.forEach((c) => {
    it(c.desc, () => tally.run(c.desc, undefined, () => {
      const built = buildMiddleware('m@test', c.mw, () => new Error('no references'));
      if (c.error) { assert.ok(built instanceof Error); assert.match(built.message, c.error); } else assert.ok(!(built instanceof Error));
    }));
  });

  it('TestNewRateLimiter: Use Redis', () => tally.run('TestNewRateLimiter: Use Redis', NO_REDIS, () => {
    const decoded = decodeDynamicLabels({ 'traefik.http.middlewares.m.ratelimit.average': '200', 'traefik.http.middlewares.m.ratelimit.redis.endpoints': 'localhost:6379' }, 'traefik');
    const refusals = [...decoded.errors, ...decoded.unsupported].map((e) => JSON.stringify(e).toLowerCase());
    assert.ok(refusals.some((e) => e.includes('redis')), JSON.stringify(decoded));
  }));

  it('count', (t) => tally.report(t));
});
