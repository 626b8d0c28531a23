/**
 * Linear-time matching of every Go regexp tagway compiles, at the unit level (the gateway-level proof is
 * test/server/regexp-dos.test.ts): hostile inputs that take a backtracking engine seconds to minutes
 * finish within 1 s (a backtracking engine needs minutes to hours on these 40-character inputs), whatever the pattern's flags, captures or compile time, and in the Consul
 * `TagRegex` constraint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp } from '../../src/regexp/index.ts';
import { compileConstraints } from '../../src/providers/consulcatalog/constraints.ts';
import { regexOption } from '../../src/middlewares/shared/options.ts';

const FAST_MS = 1000;

/** Best of three runs: a stall is deterministic, scheduling noise is not. */
function bestMs(run: () => unknown): number {
  let best = Infinity;
  for (let k = 0; k < 3 && best >= FAST_MS; k++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const HOSTILE: Array<{ desc: string; pattern: string; input: string }> = [
  { desc: 'nested plus', pattern: '^/p/(a+)+$', input: `/p/${'a'.repeat(40)}!` },
  { desc: 'overlapping alternation', pattern: '^(a|aa)+$', input: `${'a'.repeat(60)}!` },
  { desc: 'nested star, unanchored', pattern: '(x+x+)+y', input: 'x'.repeat(40) },
  { desc: 'case-insensitive', pattern: '(?i)^(A+)+$', input: `${'a'.repeat(40)}!` },
  { desc: 'Unicode class', pattern: '^(\\pL+)+$', input: `${'é'.repeat(40)}1` },
  { desc: 'counted repetition above V8\'s replication bound', pattern: '^(a{1,30})+$', input: `${'a'.repeat(40)}!` },
  { desc: 'five nested plus', pattern: '^(((((a+)+)+)+)+)+$', input: `${'a'.repeat(40)}!` },
  { desc: 'multi-line anchors', pattern: '(?m)^(a+)+$', input: `${'a'.repeat(40)}!` },
];

describe('linear-time matching', () => {
  for (const h of HOSTILE) {
    it(`${h.desc}: test, exec and replaceAll stay fast`, () => {
      const re = compileGoRegexp(h.pattern);
      const ms = bestMs(() => { re.test(h.input); re.exec(h.input); re.replaceAll(h.input, '$1'); });
      assert.ok(ms < FAST_MS, `${h.pattern} on ${h.input.length} characters took ${ms.toFixed(0)} ms`);
    });
  }

  it('protects patterns compiled at any time (the fallback is per regexp, set when it is compiled)', async () => {
    await new Promise((r) => setTimeout(r, 10));
    const late = compileGoRegexp(`^/late/(b+)+$`);
    assert.ok(bestMs(() => late.test(`/late/${'b'.repeat(40)}!`)) < FAST_MS);
  });

  it('gives the same answers when the linear engine takes over (the match after the fallback is right)', () => {
    const re = compileGoRegexp('^/p/(a+)+(?P<tail>b)$');
    const input = `/p/${'a'.repeat(40)}b`;
    assert.equal(re.test(input), true);
    assert.deepEqual(re.exec(input)?.groups, [input, 'a'.repeat(40), 'b']);
    assert.equal(re.test(`/p/${'a'.repeat(40)}!`), false);
  });

  it('TagRegex constraint', () => {
    const matches = compileConstraints('TagRegex(`^env=(a+)+$`)');
    const tags = [`env=${'a'.repeat(40)}!`];
    assert.ok(bestMs(() => matches(tags)) < FAST_MS);
    assert.equal(matches(['env=aaa']), true);
  });

  it('CORS origin regex (headers.accessControlAllowOriginListRegex goes through regexOption)', () => {
    const re = regexOption('^https://(a+)+\\.example\\.com$', 'headers.accessControlAllowOriginListRegex[0]');
    assert.ok(bestMs(() => re.test(`https://${'a'.repeat(40)}.example.org`)) < FAST_MS);
    assert.equal(re.test('https://aa.example.com'), true);
  });
});
