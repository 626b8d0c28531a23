import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../../src/util/duration.ts';
import { maskIPv6 } from '../../src/middlewares/shared/ipstrategy.ts';

describe('formatDuration in nanoseconds (time.Duration.String, as X-Retry-In uses it)', () => {
  const rows: Array<[number, string]> = [
    [0, '0s'], [999, '999ns'], [1_500, '1.5µs'], [700_000_000, '700ms'], [1_000_000_000, '1s'], [1_499_999_999, '1.499999999s'],
    [90e9, '1m30s'], [3_600e9, '1h0m0s'], [3_661_500_000_000, '1h1m1.5s'], [-2e9, '-2s'],
  ];
  for (const [ns, text] of rows) test(`${ns}ns → ${text}`, () => { assert.equal(formatDuration(ns / 1e6), text); });
});

describe('maskIPv6', () => {
  const rows: Array<[string, number, string]> = [
    ['2001:db8::abcd', 64, '2001:db8:0:0:0:0:0:0'],
    ['2001:db8:1:2:3:4:5:6', 48, '2001:db8:1:0:0:0:0:0'],
    ['2001:db8:1:2:3:4:5:6', 56, '2001:db8:1:0:0:0:0:0'],
    ['2001:db8:1:2ff:3:4:5:6', 56, '2001:db8:1:200:0:0:0:0'],
    ['::ffff:10.1.2.3', 120, '0:0:0:0:0:ffff:a01:200'],
    ['10.1.2.3', 64, '10.1.2.3'],
  ];
  for (const [ip, bits, out] of rows) test(`${ip}/${bits}`, () => { assert.equal(maskIPv6(ip, bits), out); });
});
