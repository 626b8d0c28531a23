import { describe, test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { CircuitBreaker } from '../../src/dynamic/types.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { circuitBreaker } from '../../src/middlewares/circuit-breaker/index.ts';
import { compileExpression, type MetricsView } from '../../src/middlewares/circuit-breaker/expression.ts';
import type { Handler } from '../../src/http/context.ts';
import { send, serve, terminal } from '../support/terminal.ts';
import { waitFor } from '../support/wait.ts';

/** A request of a scenario: advance fake time, set what the upstream answers, expect a status. */
interface Step { advance?: number; upstream?: number; latency?: number; status: number; reached?: boolean }
interface Scenario { desc: string; cfg: CircuitBreaker; steps: Step[]; state?: string }

const ok = (extra: Partial<Step> = {}): Step => ({ upstream: 200, status: 200, ...extra });
const fail = (code: number, extra: Partial<Step> = {}): Step => ({ upstream: code, status: code, ...extra });
const blocked = (extra: Partial<Step> = {}): Step => ({ status: 503, reached: false, ...extra });
const NET = 'NetworkErrorRatio() > 0.5';

const scenarios: Scenario[] = [
  { desc: 'NetworkErrorRatio trips on 502s; then requests get 503 without reaching the upstream',
    cfg: { expression: NET }, steps: [fail(502), blocked(), blocked({ advance: 9_999 })], state: 'open' },
  { desc: '504 counts as a network error too', cfg: { expression: NET }, steps: [fail(504), blocked()] },
  { desc: 'a 500 is not a network error', cfg: { expression: NET }, steps: [fail(500), fail(500)], state: 'closed' },
  { desc: 'responseCode sets the fallback status', cfg: { expression: NET, responseCode: 429 },
    steps: [fail(502), { status: 429, reached: false }] },
  { desc: 'ResponseCodeRatio(500, 600, 0, 600) counts 5xx among all answers',
    cfg: { expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.25' }, steps: [ok(), ok(), ok(), fail(500, { advance: 100 }), ok(), fail(503, { advance: 100 }), blocked()] },
  { desc: 'the condition is checked at most every checkPeriod', cfg: { expression: NET, checkPeriod: '1s' },
    steps: [ok(), fail(502), fail(502), fail(502, { advance: 999 }), fail(502, { advance: 1 }), blocked()] },
  { desc: 'LatencyAtQuantileMS trips on slow answers', cfg: { expression: 'LatencyAtQuantileMS(50.0) > 100' },
    steps: [ok({ latency: 150 }), blocked()] },
  { desc: 'LatencyAtQuantileMS stays closed on fast answers', cfg: { expression: 'LatencyAtQuantileMS(50.0) > 100' },
    steps: [ok({ latency: 50 }), ok({ latency: 50, advance: 100 })], state: 'closed' },
  { desc: '&& needs both sides', cfg: { expression: `${NET} && LatencyAtQuantileMS(50) > 100` },
    // step 1: all network errors but fast; step 2: slow but half errors; step 3: both hold.
    steps: [fail(502), ok({ advance: 100, latency: 500 }), fail(502, { advance: 100, latency: 500 }), blocked()] },
  { desc: '|| needs either side', cfg: { expression: `LatencyAtQuantileMS(50) > 100 || ${NET}` }, steps: [fail(502), blocked()] },
  { desc: 'after fallbackDuration it recovers: a linearly growing share of requests goes through',
    cfg: { expression: NET, fallbackDuration: '10s', recoveryDuration: '10s' },
    // Recovering lets a request through when allowed/(allowed+denied) stays under 0.5·elapsed/recoveryDuration.
    steps: [fail(502), blocked({ advance: 9_999 }), blocked({ advance: 1 }), blocked({ advance: 5_000 }), blocked(), blocked(), ok()],
    state: 'recovering' },
  { desc: 'after recoveryDuration it closes again', cfg: { expression: NET, fallbackDuration: '1s', recoveryDuration: '2s' },
    steps: [fail(502), blocked({ advance: 1_000 }), ok({ advance: 2_001 }), ok(), ok()], state: 'closed' },
  { desc: 'errors older than the 10s window no longer count', cfg: { expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5', checkPeriod: '20s' },
    steps: [ok(), fail(500), fail(500), fail(500), ok({ advance: 20_000 }), ok()], state: 'closed' },
];

describe('circuitBreaker', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 5_000_000 }); });
  afterEach(() => { mock.timers.reset(); });

  for (const sc of scenarios) {
    test(sc.desc, { timeout: 10_000 }, async (t) => {
      const options = { status: 200 };
      const up = terminal(options);
      let latency = 0;
      let scheduled = 0;
      // The upstream answers after `latency` ms of fake time.
      const slow: Handler = (ctx) => {
        if (latency === 0) { up.handler(ctx); return; }
        setTimeout(() => up.handler(ctx), latency);
        scheduled++;
      };
      const cb = circuitBreaker(sc.cfg);
      const url = await serve(t, cb.wrap(slow));
      for (const [i, step] of sc.steps.entries()) {
        if (step.advance) mock.timers.tick(step.advance);
        if (step.upstream !== undefined) options.status = step.upstream;
        latency = step.latency ?? 0;
        const before = up.calls.length;
        const wasScheduled = scheduled;
        const pending = send(url, '/');
        if (latency > 0) {
          await until(() => scheduled > wasScheduled, 'the upstream call was scheduled');
          mock.timers.tick(latency);
        }
        const r = await pending;
        assert.equal(r.status, step.status, `step ${i}: ${r.text}`);
        assert.equal(up.calls.length > before, step.reached ?? true, `step ${i} reached the upstream`);
        if (step.reached === false) assert.equal(r.text, step.status === 503 ? 'Service Unavailable' : 'Too Many Requests');
      }
      if (sc.state) assert.equal(cb.state(), sc.state);
    });
  }

  test('a blocked request is reported to the trace with the expression', { timeout: 10_000 }, async (t) => {
    const reasons: string[] = [];
    const trace = { verbosity: 'minimal' as const, startAttempt: () => { throw new Error('unused'); }, refuse: (r: string) => { reasons.push(r); } };
    const cb = buildMiddleware('cb@test', { circuitBreaker: { expression: NET } }, () => new Error('none'));
    assert.ok(!(cb instanceof Error));
    const url = await serve(t, cb.wrap(terminal({ status: 502 }).handler), { trace });
    await send(url, '/');
    assert.equal((await send(url, '/')).status, 503);
    assert.deepEqual(reasons, [`blocked by circuit-breaker (${JSON.stringify(NET)})`]);
  });

  const bad: Array<{ desc: string; cfg: CircuitBreaker; message: RegExp }> = [
    { desc: 'a missing expression', cfg: {}, message: /^circuitBreaker\.expression: the expression is empty/ },
    { desc: 'an unknown function', cfg: { expression: 'ErrorRatio() > 0.5' }, message: /^circuitBreaker\.expression: unknown function/ },
    { desc: 'a bad duration', cfg: { expression: NET, fallbackDuration: 'later' }, message: /^circuitBreaker\.fallbackDuration:/ },
    { desc: 'a negative checkPeriod', cfg: { expression: NET, checkPeriod: '-1s' }, message: /^circuitBreaker\.checkPeriod:/ },
    { desc: 'an unknown responseCode', cfg: { expression: NET, responseCode: 999 }, message: /^circuitBreaker\.responseCode:/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('cb@test', { circuitBreaker: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});

describe('circuitBreaker expression', () => {
  const m: MetricsView = {
    networkErrorRatio: () => 0.6,
    responseCodeRatio: (a, b, c, d) => (a === 500 && b === 600 && c === 0 && d === 600 ? 0.3 : -1),
    latencyAtQuantileMS: (q) => q * 2,
  };
  const good: Array<{ desc: string; expr: string; value: boolean }> = [
    { desc: 'a comparison', expr: 'NetworkErrorRatio() > 0.5', value: true },
    { desc: 'arguments reach the metric', expr: 'ResponseCodeRatio(500, 600, 0, 600) >= 0.3', value: true },
    { desc: 'a float argument', expr: 'LatencyAtQuantileMS(50.0) == 100', value: true },
    { desc: 'the number on the left', expr: '0.7 < NetworkErrorRatio()', value: false },
    { desc: '&& binds tighter than ||', expr: 'NetworkErrorRatio() > 1 && NetworkErrorRatio() > 0 || LatencyAtQuantileMS(10) != 1', value: true },
    { desc: 'parentheses group', expr: 'NetworkErrorRatio() > 1 && (NetworkErrorRatio() > 0 || LatencyAtQuantileMS(10) != 1)', value: false },
    { desc: '<= and spaces', expr: '  LatencyAtQuantileMS(1)<=2  ', value: true },
  ];
  for (const c of good) test(c.desc, () => { assert.equal(compileExpression(c.expr)(m), c.value); });

  const bad: Array<{ desc: string; expr: string; message: RegExp }> = [
    { desc: 'not a condition', expr: 'NetworkErrorRatio()', message: /must be a condition/ },
    { desc: 'a missing operand', expr: 'NetworkErrorRatio() >', message: /expected a number.*end of expression/ },
    { desc: 'wrong arity', expr: 'ResponseCodeRatio(500, 600) > 0', message: /takes 4 argument/ },
    { desc: '&& on numbers', expr: '1 && 2', message: /needs comparisons/ },
    { desc: 'a dangling &&', expr: 'NetworkErrorRatio() > 0.5 &&', message: /end of expression/ },
    { desc: 'an unknown character', expr: 'NetworkErrorRatio() > 0.5 ; 1', message: /unexpected character ";"/ },
    { desc: 'an unclosed parenthesis', expr: '(NetworkErrorRatio() > 0.5', message: /expected "\)"/ },
  ];
  for (const c of bad) test(`error: ${c.desc}`, () => { assert.throws(() => compileExpression(c.expr), c.message); });
});

/** Lets real I/O run (the toolkit waits in real time, fake timers or not) until `cond` holds; bounded. */
function until(cond: () => boolean, what: string): Promise<void> {
  return waitFor(what, cond);
}
