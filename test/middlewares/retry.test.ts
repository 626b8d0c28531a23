import { describe, test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Middleware, Retry } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { buildMiddlewares } from '../../src/runtime/middlewares.ts';
import { retry } from '../../src/middlewares/retry/index.ts';
import type { Handler } from '../../src/http/context.ts';
import { ProxyError } from '../../src/http/errors.ts';
import { refused, send, serve, terminal, type Reply, type Terminal } from '../support/terminal.ts';
import { waitFor } from '../support/wait.ts';

function build(cfg: Retry): BuiltMiddleware {
  const built = buildMiddleware('retry@test', { retry: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}

/** Lets real I/O run (the toolkit waits in real time, fake timers or not) until `cond` holds; bounded. */
function until(cond: () => boolean): Promise<void> {
  return waitFor('the condition', cond);
}

/** Sends one request and keeps ticking fake time until it is answered (bounded). */
async function drive(url: string, init: Parameters<typeof send>[2] = {}, step = 1000): Promise<Reply> {
  let done: Reply | undefined;
  const p = send(url, '/x', init).then((r) => { done = r; return r; });
  for (let i = 0; i < 200 && done === undefined; i++) {
    await new Promise((r) => setImmediate(r));
    mock.timers.tick(step);
  }
  return p;
}

interface Scenario {
  desc: string;
  cfg: Retry;
  /** Attempts (1-based) that fail with connection refused. */
  failing: number[];
  /** The failure (default: connection refused). */
  error?: () => ProxyError;
  request?: Parameters<typeof send>[2];
  status: number;
  attempts: number;
}

const scenarios: Scenario[] = [
  { desc: 'a failed attempt is retried and the next success is answered', cfg: { attempts: 3 }, failing: [1, 2], status: 200, attempts: 3 },
  { desc: 'when every attempt fails the last error is answered', cfg: { attempts: 2 }, failing: [1, 2, 3], status: 502, attempts: 2 },
  { desc: 'attempts: 1 never retries', cfg: { attempts: 1 }, failing: [1], status: 502, attempts: 1 },
  { desc: 'a success at once is not retried', cfg: { attempts: 4 }, failing: [], status: 200, attempts: 1 },
  { desc: 'initialInterval 0 retries without waiting', cfg: { attempts: 3, initialInterval: '0s' }, failing: [1], status: 200, attempts: 2 },
  { desc: 'a request with a body is not retried (it cannot be replayed)', cfg: { attempts: 3 }, failing: [1],
    request: { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }, status: 502, attempts: 1 },
  { desc: 'no server available (503) is not retried', cfg: { attempts: 3 }, failing: [1],
    error: () => new ProxyError('TAGWAY_NO_SERVER', 503, 'no available server'), status: 503, attempts: 1 },
  { desc: 'a request with an empty body (Content-Length: 0) is retried', cfg: { attempts: 3 }, failing: [1],
    request: { method: 'POST', headers: { 'content-length': '0' } }, status: 200, attempts: 2 },
];

describe('retry', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout'] }); });
  afterEach(() => { mock.timers.reset(); });

  for (const sc of scenarios) {
    test(sc.desc, { timeout: 10_000 }, async (t) => {
      const up = terminal({ fail: (n) => (sc.failing.includes(n) ? (sc.error ?? refused)() : undefined) });
      const url = await serve(t, build(sc.cfg).wrap(up.handler));
      const r = await drive(url, sc.request);
      assert.equal(r.status, sc.status, r.text);
      assert.equal(up.calls.length, sc.attempts);
      assert.deepEqual(up.calls.map((c) => c.resendCount), up.calls.map((_, i) => i), 'resend count seen by each attempt');
    });
  }

  test('waits grow exponentially from initialInterval (last wait about twice the first)', { timeout: 10_000 }, async (t) => {
    const up = terminal({ fail: (n) => (n < 3 ? refused() : undefined) });
    // random 0.5 means no jitter: waits are 100ms, then 100·√2 ≈ 141.4ms for 3 attempts.
    const url = await serve(t, retry({ attempts: 3, initialInterval: '100ms' }, { random: () => 0.5 }).wrap(up.handler));
    const pending = send(url, '/x');
    await until(() => up.calls.length === 1);
    mock.timers.tick(99);
    assert.equal(up.calls.length, 1);
    mock.timers.tick(1);
    assert.equal(up.calls.length, 2);
    mock.timers.tick(141);
    assert.equal(up.calls.length, 2);
    mock.timers.tick(1);
    assert.equal(up.calls.length, 3);
    assert.equal((await pending).status, 200);
  });

  test('jitter stays within ±50% of the interval', { timeout: 10_000 }, async (t) => {
    for (const [random, low] of [[0, 50], [0.999, 149]] as const) {
      const up = terminal({ fail: (n) => (n === 1 ? refused() : undefined) });
      const url = await serve(t, retry({ attempts: 2, initialInterval: '100ms' }, { random: () => random }).wrap(up.handler));
      const pending = send(url, '/x');
      await until(() => up.calls.length === 1);
      mock.timers.tick(low - 1);
      assert.equal(up.calls.length, 1, `random ${random}`);
      mock.timers.tick(2);
      assert.equal(up.calls.length, 2, `random ${random}`);
      await pending;
    }
  });

  test('each attempt sees the request as retry saw it (inner rewrites are not applied twice)', { timeout: 10_000 }, async (t) => {
    const defs: Record<string, Middleware> = {
      'all@file': { chain: { middlewares: ['retry', 'add'] } },
      'retry@file': { retry: { attempts: 3, initialInterval: '1ms' } },
      'add@file': { addPrefix: { prefix: '/v1' } },
    };
    const all = buildMiddlewares(defs).get('all@file');
    assert.ok(all && !(all instanceof Error), String(all));
    const up: Terminal = terminal({ fail: (n) => (n < 3 ? refused() : undefined) });
    const url = await serve(t, (all as BuiltMiddleware).wrap(up.handler));
    const r = await drive(url);
    assert.equal(r.status, 200);
    assert.deepEqual(up.calls.map((c) => c.path), ['/v1/x', '/v1/x', '/v1/x']);
  });

  test('an outer onAttemptFailed gets the failure once retries are exhausted', { timeout: 10_000 }, async (t) => {
    const seen: string[] = [];
    const up = terminal({ fail: () => refused() });
    const outer: Handler = (ctx) => { ctx.onAttemptFailed = (err) => { seen.push(err.code); return false; }; inner(ctx); };
    const inner = build({ attempts: 2, initialInterval: '1ms' }).wrap(up.handler);
    const url = await serve(t, outer);
    assert.equal((await drive(url)).status, 502);
    assert.deepEqual(seen, ['TAGWAY_UPSTREAM_REFUSED']);
  });

  const bad: Array<{ desc: string; cfg: Retry; message: RegExp }> = [
    { desc: 'attempts missing', cfg: {}, message: /^retry\.attempts: incorrect \(or empty\) value/ },
    { desc: 'attempts negative', cfg: { attempts: -2 }, message: /^retry\.attempts:/ },
    { desc: 'a negative initialInterval', cfg: { attempts: 2, initialInterval: '-1s' }, message: /^retry\.initialInterval:/ },
    { desc: 'an unparsable initialInterval', cfg: { attempts: 2, initialInterval: 'fast' }, message: /^retry\.initialInterval:/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('retry@test', { retry: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});
