import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, TokenBucket, Wake, forEachLimit, sleep } from '../../../src/providers/consulcatalog/pacing.ts';

describe('Backoff', () => {
  it('doubles from initial up to max and starts over after reset', () => {
    const b = new Backoff(1000, 30_000);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => b.next()), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    b.reset();
    assert.equal(b.next(), 1000);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces at the rate (fake clock)', async (t) => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    t.after(() => mock.timers.reset());
    const bucket = new TokenBucket(10, 3, () => Date.now());
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await bucket.take(signal);
    let taken = false;
    const p = bucket.take(signal).then(() => { taken = true; });
    await Promise.resolve();
    assert.equal(taken, false, 'the fourth take waits for a refill');
    mock.timers.tick(100);
    await p;
    assert.equal(taken, true);
  });

  it('take returns when aborted', async () => {
    const bucket = new TokenBucket(0.001, 1);
    const ac = new AbortController();
    await bucket.take(ac.signal);
    const p = bucket.take(ac.signal);
    ac.abort();
    await p;
  });
});

describe('Wake', () => {
  it('keeps one pending wake-up, however many notifications', async () => {
    const w = new Wake();
    const signal = new AbortController().signal;
    w.notify(); w.notify(); w.notify();
    await w.wait(signal);
    let woke = false;
    const p = w.wait(signal).then(() => { woke = true; });
    await Promise.resolve();
    assert.equal(woke, false, 'the burst was coalesced into one');
    w.notify();
    await p;
    assert.equal(woke, true);
  });
});

describe('sleep', () => {
  it('resolves on abort without waiting for the timer', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
  });
});

describe('forEachLimit', () => {
  it('never runs more than the limit at once', async () => {
    let running = 0, peak = 0;
    await forEachLimit(Array.from({ length: 20 }, (_, i) => i), 4, async () => {
      running++; peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
    });
    assert.equal(peak, 4);
  });
});
