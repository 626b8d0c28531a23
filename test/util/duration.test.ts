import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DurationError, formatDuration, parseDuration, parseGoDuration } from '../../src/util/duration.ts';

describe('parseDuration', () => {
  const good: { desc: string; input: string | number; ms: number }[] = [
    { desc: 'hours and minutes', input: '1h30m', ms: 5_400_000 },
    { desc: 'milliseconds', input: '300ms', ms: 300 },
    { desc: 'fractional seconds', input: '1.5s', ms: 1500 },
    { desc: 'leading dot', input: '.5s', ms: 500 },
    { desc: 'trailing dot (Go accepts it)', input: '1.s', ms: 1000 },
    { desc: 'bare zero', input: '0', ms: 0 },
    { desc: 'numeric string means seconds', input: '15', ms: 15_000 },
    { desc: 'number means seconds', input: 15, ms: 15_000 },
    { desc: 'microseconds, ASCII', input: '1us', ms: 0.001 },
    { desc: 'microseconds, micro sign', input: '1µs', ms: 0.001 },
    { desc: 'microseconds, Greek mu', input: '1μs', ms: 0.001 },
    { desc: 'nanoseconds', input: '1000000ns', ms: 1 },
    { desc: 'mixed units', input: '1h1m1s1ms', ms: 3_661_001 },
    { desc: 'explicit plus', input: '+2s', ms: 2000 },
    { desc: 'surrounding spaces', input: ' 10s ', ms: 10_000 },
  ];
  for (const c of good) it(c.desc, () => assert.equal(parseDuration(c.input), c.ms));

  const bad: { desc: string; input: string | number; match: RegExp }[] = [
    { desc: 'empty', input: '', match: /empty/ },
    { desc: 'unit only', input: 's', match: /expected a number/ },
    { desc: 'fraction without unit', input: '1.5', match: /whole seconds/ },
    { desc: 'fractional number', input: 1.5, match: /whole seconds/ },
    { desc: 'unknown unit', input: '10x', match: /unknown unit "x"/ },
    { desc: 'missing trailing unit', input: '3m2', match: /missing unit/ },
    { desc: 'negative', input: '-1s', match: /negative/ },
    { desc: 'negative seconds', input: '-1', match: /negative/ },
    { desc: 'sign alone', input: '-', match: /no value/ },
    { desc: 'overflow', input: '9999999999h', match: /out of range/ },
    { desc: 'words', input: 'ten seconds', match: /invalid duration/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.desc}`, () => {
      assert.throws(() => parseDuration(c.input), (err: unknown) => {
        assert.ok(err instanceof DurationError);
        assert.equal(err.code, 'TAGWAY_BAD_DURATION');
        assert.match(err.message, c.match);
        assert.ok(err.message.includes(JSON.stringify(String(c.input))), 'names the bad value');
        return true;
      });
    });
  }

  it('allows negatives on request', () => assert.equal(parseDuration('-1s', { allowNegative: true }), -1000));
});

describe('formatDuration', () => {
  const cases: { desc: string; ms: number; text: string }[] = [
    { desc: 'zero', ms: 0, text: '0s' },
    { desc: 'hours keep zero minutes and seconds', ms: 3_600_000, text: '1h0m0s' },
    { desc: 'hours and minutes', ms: 5_400_000, text: '1h30m0s' },
    { desc: 'minute and second', ms: 61_000, text: '1m1s' },
    { desc: 'fractional seconds', ms: 1500, text: '1.5s' },
    { desc: 'milliseconds', ms: 300, text: '300ms' },
    { desc: 'microseconds', ms: 0.5, text: '500µs' },
    { desc: 'nanoseconds', ms: 0.000001, text: '1ns' },
    { desc: 'negative', ms: -1500, text: '-1.5s' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(formatDuration(c.ms), c.text));

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 59_999, 60_000, 3_599_999, 86_400_000, 0.25]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});

describe('parseGoDuration (Go\'s time.ParseDuration: what Consul and the devcatalog read)', () => {
  const cases = [
    { desc: 'seconds', in: '10s', expect: 10_000 },
    { desc: 'compound', in: '1m30s', expect: 90_000 },
    { desc: 'fraction', in: '1.5h', expect: 5_400_000 },
    { desc: 'milliseconds', in: '250ms', expect: 250 },
    { desc: 'micro', in: '1500us', expect: 1.5 },
    { desc: 'bare zero', in: '0', expect: 0 },
    { desc: 'no unit', in: '10', expect: undefined },
    { desc: 'garbage', in: '5 minutes', expect: undefined },
    { desc: 'empty', in: '', expect: undefined },
    { desc: 'negative', in: '-1.5s', expect: -1500 },
    { desc: 'signed zero', in: '-0', expect: 0 },
    { desc: 'unknown unit', in: '3d', expect: undefined },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(parseGoDuration(c.in), c.expect));
});

describe('parseDuration properties', () => {
  const piece = fc.oneof(fc.constantFrom('1', '0', '.', '-', '+', 'h', 'm', 's', 'ms', 'us', 'µs', 'μs', 'ns', 'e', ' ', '9'.repeat(30)), fc.string({ maxLength: 3 }));
  const text = fc.array(piece, { maxLength: 10 }).map((p) => p.join(''));
  const options = fc.record({ allowNegative: fc.boolean(), bareNumbers: fc.constantFrom('seconds', 'refuse') as fc.Arbitrary<'seconds' | 'refuse'> }, { requiredKeys: [] });

  it('any text or number gives finite milliseconds or a DurationError', () => {
    fc.assert(fc.property(fc.oneof(text, fc.string({ maxLength: 12 }), fc.double(), fc.integer()), options, (input, opts) => {
      try {
        const ms = parseDuration(input, opts);
        assert.ok(Number.isFinite(ms));
        if (!opts.allowNegative) assert.ok(ms >= 0);
      } catch (error) {
        assert.ok(error instanceof DurationError, String(error));
        assert.ok(error.message.length < 300);
      }
    }), { numRuns: 3000, seed: 601 });
  });

  it('formatDuration output parses back to the same value (whole nanoseconds)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (ns) => {
      const ms = ns / 1e6;
      assert.ok(Math.abs(parseDuration(formatDuration(ms)) - ms) <= Math.max(1e-6, ms * 1e-12));
    }), { numRuns: 1000, seed: 602 });
  });
});
