import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware, MiddlewareError, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { buildMiddlewares } from '../../src/runtime/middlewares.ts';
import type { RequestTrace, StepSpan } from '../../src/http/hooks.ts';
import { send, serve, terminal } from '../support/terminal.ts';

const noRefs = (): Error => new Error('no references');

describe('buildMiddleware: one type per middleware', () => {
  const rows: Array<{ desc: string; def: unknown; message: RegExp }> = [
    { desc: 'no type at all', def: {}, message: /^middleware has no type/ },
    { desc: 'two types', def: { addPrefix: { prefix: '/a' }, stripPrefix: { prefixes: ['/b'] } }, message: /^middleware has 2 types \(addPrefix, stripPrefix\)/ },
    { desc: 'an unknown type, with a suggestion', def: { stripprefix: { prefixes: ['/a'] } }, message: /^unknown middleware type "stripprefix" \(did you mean "stripPrefix"\?\)/ },
    { desc: 'a type Traefik has but tagway does not build', def: { plugin: { demo: {} } }, message: /^unknown middleware type "plugin"/ },
  ];
  for (const r of rows) {
    test(r.desc, () => {
      const built = buildMiddleware('m@file', r.def as Middleware, noRefs);
      assert.ok(built instanceof MiddlewareError);
      assert.equal(built.code, 'TAGWAY_MIDDLEWARE_TYPE');
      assert.match(built.message, r.message);
    });
  }

  test('a built middleware carries its name and type, and close is idempotent', () => {
    const built = buildMiddleware('rl@file', { rateLimit: { average: 5 } }, noRefs) as BuiltMiddleware;
    assert.equal(built.name, 'rl@file');
    assert.equal(built.type, 'rateLimit');
    built.close?.();
    built.close?.();
  });
});

describe('chain', () => {
  test('members run in order, the first outermost', async (t) => {
    const all = buildMiddlewares({
      'c@file': { chain: { middlewares: ['a', 'b@file'] } },
      'a@file': { addPrefix: { prefix: '/a' } },
      'b@file': { addPrefix: { prefix: '/b' } },
    });
    const chain = all.get('c@file');
    assert.ok(chain && !(chain instanceof Error), String(chain));
    const up = terminal();
    const url = await serve(t, chain.wrap(up.handler));
    assert.equal((await send(url, '/x')).status, 200);
    assert.equal(up.calls[0]!.path, '/b/a/x');
  });

  test('an empty chain passes requests through', async (t) => {
    const built = buildMiddleware('c@file', { chain: { middlewares: [] } }, noRefs) as BuiltMiddleware;
    const up = terminal();
    const url = await serve(t, built.wrap(up.handler));
    assert.equal((await send(url, '/x')).status, 200);
    assert.equal(up.calls[0]!.path, '/x');
  });

  const broken: Array<{ desc: string; defs: Record<string, Middleware>; name: string; code: string; message: RegExp }> = [
    { desc: 'a missing member names its position', name: 'c@file', code: 'TAGWAY_MIDDLEWARE_REF',
      defs: { 'c@file': { chain: { middlewares: ['a', 'missing'] } }, 'a@file': { addPrefix: { prefix: '/a' } } },
      message: /^chain\.middlewares\[1\] "missing": middleware "missing@file" does not exist/ },
    { desc: 'a broken member passes its error up', name: 'c@file', code: 'TAGWAY_MIDDLEWARE_REF',
      defs: { 'c@file': { chain: { middlewares: ['bad'] } }, 'bad@file': { addPrefix: {} } },
      message: /^chain\.middlewares\[0\] "bad": addPrefix\.prefix: prefix cannot be empty/ },
    { desc: 'a chain that reaches itself is a cycle', name: 'a@file', code: 'TAGWAY_MIDDLEWARE_CYCLE',
      defs: { 'a@file': { chain: { middlewares: ['b'] } }, 'b@file': { chain: { middlewares: ['a'] } } },
      message: /recursion detected in chain: a@file -> b@file -> a@file/ },
    { desc: 'a chain listing itself is a cycle', name: 's@file', code: 'TAGWAY_MIDDLEWARE_CYCLE',
      defs: { 's@file': { chain: { middlewares: ['s'] } } }, message: /recursion detected in chain: s@file -> s@file/ },
  ];
  for (const r of broken) {
    test(r.desc, () => {
      const built = buildMiddlewares(r.defs).get(r.name);
      assert.ok(built instanceof MiddlewareError, String(built));
      assert.equal(built.code, r.code);
      assert.match(built.message, r.message);
    });
  }
});

describe('tracing', () => {
  interface Rec { name: string; attributes: Record<string, string>; ended: boolean; error?: string }
  function recorder(verbosity: 'minimal' | 'detailed'): { trace: RequestTrace; steps: Rec[]; refused: string[] } {
    const steps: Rec[] = [];
    const refused: string[] = [];
    const trace: RequestTrace = {
      verbosity,
      startAttempt: () => { throw new Error('unused'); },
      refuse: (reason) => { refused.push(reason); },
      enterStep(name, attributes): StepSpan {
        const step: Rec = { name, attributes, ended: false };
        steps.push(step);
        return { end: (error) => { if (step.ended) return; step.ended = true; if (error !== undefined) step.error = error; } };
      },
    };
    return { trace, steps, refused };
  }
  const defs: Record<string, Middleware> = {
    'c@file': { chain: { middlewares: ['strip', 'hdr'] } },
    'strip@file': { stripPrefix: { prefixes: ['/api'] } },
    'hdr@file': { headers: { customRequestHeaders: { 'X-A': '1' } } },
  };

  test('detailed: one INTERNAL step per middleware, named by Traefik type, ended with the response', async (t) => {
    const { trace, steps } = recorder('detailed');
    const chain = buildMiddlewares(defs).get('c@file') as BuiltMiddleware;
    const url = await serve(t, chain.wrap(terminal().handler), { trace });
    assert.equal((await send(url, '/api/x')).status, 200);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(steps.map((s) => [s.name, s.attributes['traefik.middleware.name']]),
      [['Chain', 'c@file'], ['StripPrefix', 'strip@file'], ['Headers', 'hdr@file']]);
    assert.ok(steps.every((s) => s.ended));
  });

  test('minimal: no step spans', async (t) => {
    const { trace, steps } = recorder('minimal');
    const chain = buildMiddlewares(defs).get('c@file') as BuiltMiddleware;
    const url = await serve(t, chain.wrap(terminal().handler), { trace });
    assert.equal((await send(url, '/api/x')).status, 200);
    assert.deepEqual(steps, []);
  });

  test('a refusing middleware ends its own step in error and marks the request', async (t) => {
    const { trace, steps, refused } = recorder('detailed');
    const all = buildMiddlewares({
      'c@file': { chain: { middlewares: ['hdr', 'auth'] } },
      'hdr@file': { headers: { customRequestHeaders: { 'X-A': '1' } } },
      'auth@file': { basicAuth: { users: ['u:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='] } },
    });
    const up = terminal();
    const url = await serve(t, (all.get('c@file') as BuiltMiddleware).wrap(up.handler), { trace });
    assert.equal((await send(url, '/')).status, 401);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(steps.map((s) => [s.name, s.ended, s.error]),
      [['Chain', true, undefined], ['Headers', true, undefined], ['BasicAuth', true, 'Authentication failed']]);
    assert.deepEqual(refused, ['Authentication failed']);
    assert.equal(up.calls.length, 0);
  });
});
