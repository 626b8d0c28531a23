import { describe, test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimit } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { rateLimit } from '../../src/middlewares/rate-limit/index.ts';
import { send, serve, terminal } from '../support/terminal.ts';
import { waitFor } from '../support/wait.ts';

function build(cfg: RateLimit): BuiltMiddleware {
  const built = buildMiddleware('rl@test', { rateLimit: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}

/** One request of a scenario: wait `advance` ms of fake time first, send `headers`, expect `status`. */
interface Step { advance?: number; headers?: Record<string, string>; status: number; retryAfter?: string; retryIn?: string }
interface Scenario { desc: string; cfg: RateLimit; steps: Step[] }

const s = (status: number, extra: Omit<Step, 'status'> = {}): Step => ({ status, ...extra });
const header = (name: string, value: string): Record<string, string> => ({ [name]: value });

const scenarios: Scenario[] = [
  { desc: 'average 1/s, burst 1 (default): the second request at once is refused with Retry-After and X-Retry-In',
    cfg: { average: 1 }, steps: [s(200), s(429, { retryAfter: '1', retryIn: '1s' }), s(200, { advance: 1000 })] },
  { desc: 'burst 3 lets three requests through at once', cfg: { average: 1, burst: 3 }, steps: [s(200), s(200), s(200), s(429)] },
  { desc: 'average 0 disables limiting', cfg: { average: 0 }, steps: [s(200), s(200), s(200), s(200)] },
  { desc: 'period: 60 per minute is one per second', cfg: { average: 60, period: '1m' },
    steps: [s(200), s(429, { retryAfter: '1', retryIn: '1s' }), s(429, { advance: 400, retryIn: '600ms' }), s(200, { advance: 600 })] },
  { desc: 'a rate below 1/s: Retry-After is the whole wait, rounded up', cfg: { average: 1, period: '10s' },
    steps: [s(200), s(429, { retryAfter: '10', retryIn: '10s' }), s(429, { advance: 5000, retryAfter: '5', retryIn: '5s' })] },
  { desc: 'a partial wait beyond maxDelay (500ms at 1/s) is refused with the exact remaining time', cfg: { average: 1 },
    steps: [s(200), s(429, { advance: 300, retryAfter: '1', retryIn: '700ms' })] },
  { desc: 'requestHeaderName: each header value has its own bucket', cfg: { average: 1, sourceCriterion: { requestHeaderName: 'X-Api-Key' } },
    steps: [s(200, { headers: header('x-api-key', 'a') }), s(200, { headers: header('x-api-key', 'b') }), s(429, { headers: header('x-api-key', 'a') })] },
  { desc: 'requestHost: each Host has its own bucket', cfg: { average: 1, sourceCriterion: { requestHost: true } },
    steps: [s(200, { headers: header('host', 'a.test') }), s(200, { headers: header('host', 'b.test') }), s(429, { headers: header('host', 'a.test') })] },
  { desc: 'by default the peer is the source: X-Forwarded-For does not split buckets', cfg: { average: 1 },
    steps: [s(200, { headers: header('x-forwarded-for', '10.0.0.1') }), s(429, { headers: header('x-forwarded-for', '10.0.0.2') })] },
  { desc: 'ipStrategy depth 1: each forwarded client has its own bucket', cfg: { average: 1, sourceCriterion: { ipStrategy: { depth: 1 } } },
    steps: [s(200, { headers: header('x-forwarded-for', '10.0.0.1') }), s(200, { headers: header('x-forwarded-for', '10.0.0.2') }),
      s(429, { headers: header('x-forwarded-for', '10.0.0.1') })] },
  { desc: 'ipStrategy ipv6Subnet: addresses of one /64 share a bucket', cfg: { average: 1, sourceCriterion: { ipStrategy: { depth: 1, ipv6Subnet: 64 } } },
    steps: [s(200, { headers: header('x-forwarded-for', '2001:db8::1') }), s(429, { headers: header('x-forwarded-for', '2001:db8::2') }),
      s(200, { headers: header('x-forwarded-for', '2001:db8:0:1::1') })] },
  { desc: 'an idle bucket expires after its ttl (2s at 1/s) and comes back full', cfg: { average: 1, burst: 5 },
    steps: [s(200), s(200), s(200), s(200), s(200), s(200, { advance: 2001 }), s(200), s(200), s(200), s(200), s(429)] },
];

describe('rateLimit', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 }); });
  afterEach(() => { mock.timers.reset(); });

  for (const sc of scenarios) {
    test(sc.desc, { timeout: 10_000 }, async (t) => {
      const up = terminal();
      const url = await serve(t, build(sc.cfg).wrap(up.handler));
      for (const [i, step] of sc.steps.entries()) {
        if (step.advance) mock.timers.tick(step.advance);
        const r = await send(url, '/', { headers: step.headers ?? {} });
        assert.equal(r.status, step.status, `step ${i}`);
        if (step.status === 429) assert.equal(r.text, 'Too Many Requests');
        if (step.retryAfter !== undefined) assert.equal(r.headers['retry-after'], step.retryAfter, `Retry-After at step ${i}`);
        if (step.retryIn !== undefined) assert.equal(r.headers['x-retry-in'], step.retryIn, `X-Retry-In at step ${i}`);
      }
    });
  }

  test('a short wait (within maxDelay) delays the request instead of refusing it', { timeout: 10_000 }, async (t) => {
    const up = terminal();
    let arrived = 0;
    // 10/s: maxDelay is 50ms. After 60ms the bucket holds 0.6 token: the next request waits 40ms.
    const url = await serve(t, build({ average: 10 }).wrap(up.handler), { onContext: () => { arrived++; } });
    assert.equal((await send(url, '/')).status, 200);
    mock.timers.tick(60);
    const pending = send(url, '/');
    await until(() => arrived === 2);
    assert.equal(up.calls.length, 1);
    mock.timers.tick(39);
    assert.equal(up.calls.length, 1);
    mock.timers.tick(1);
    assert.equal(up.calls.length, 2);
    assert.equal((await pending).status, 200);
  });

  test('the number of sources is bounded: the least recently seen is dropped', async (t) => {
    const up = terminal();
    const mw = rateLimit({ average: 1, sourceCriterion: { requestHeaderName: 'X-Key' } }, { maxSources: 2 });
    const url = await serve(t, mw.wrap(up.handler));
    const key = (k: string): Promise<number> => send(url, '/', { headers: { 'x-key': k } }).then((r) => r.status);
    assert.deepEqual([await key('a'), await key('b'), await key('a')], [200, 200, 429]);
    assert.equal(await key('c'), 200); // evicts b (a was used more recently)
    assert.equal(await key('a'), 429);
    assert.equal(await key('b'), 200); // b came back with a fresh bucket
  });

  test('a refusal is reported to the trace', async (t) => {
    const reasons: string[] = [];
    const trace = { verbosity: 'minimal' as const, startAttempt: () => { throw new Error('unused'); }, refuse: (r: string) => { reasons.push(r); } };
    const url = await serve(t, build({ average: 1 }).wrap(terminal().handler), { trace });
    await send(url, '/');
    assert.equal((await send(url, '/')).status, 429);
    assert.deepEqual(reasons, ['Too Many Requests']);
  });

  const bad: Array<{ desc: string; cfg: RateLimit; message: RegExp }> = [
    { desc: 'a negative period', cfg: { average: 1, period: '-1s' }, message: /^rateLimit\.period:/ },
    { desc: 'an unparsable period', cfg: { average: 1, period: 'soon' }, message: /^rateLimit\.period:/ },
    { desc: 'a negative average', cfg: { average: -1 }, message: /^rateLimit\.average:/ },
    { desc: 'ipStrategy and requestHeaderName together (Traefik: mutually exclusive)', cfg: { average: 1, sourceCriterion: { ipStrategy: {}, requestHeaderName: 'X-Key' } },
      message: /^rateLimit\.sourceCriterion: ipStrategy and requestHeaderName are mutually exclusive/ },
    { desc: 'requestHeaderName and requestHost together', cfg: { average: 1, sourceCriterion: { requestHeaderName: 'X-Key', requestHost: true } },
      message: /^rateLimit\.sourceCriterion: requestHeaderName and requestHost are mutually exclusive/ },
    { desc: 'a bad ipStrategy', cfg: { average: 1, sourceCriterion: { ipStrategy: { excludedIPs: ['x'] } } }, message: /^rateLimit\.sourceCriterion\.ipStrategy\.excludedIPs:/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('rl@test', { rateLimit: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});

/** Lets real I/O run (the toolkit waits in real time, fake timers or not) until `cond` holds; bounded. */
function until(cond: () => boolean): Promise<void> {
  return waitFor('the condition', cond);
}
