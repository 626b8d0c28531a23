import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { DEFAULT_WAIT_MS, MAX_WAIT_MS, blockingQuery, effectiveWaitMs } from '../../../src/dev/devcatalog/blocking.ts';
import { CatalogState } from '../../../src/dev/devcatalog/state.ts';

describe('effectiveWaitMs', () => {
  const cases = [
    { desc: 'default 5 min, no jitter', wait: undefined, random: 0, expect: DEFAULT_WAIT_MS },
    { desc: 'requested wait kept', wait: 60_000, random: 0, expect: 60_000 },
    { desc: 'capped at 10 min', wait: 3_600_000, random: 0, expect: MAX_WAIT_MS },
    { desc: 'jitter stays below wait/16', wait: 16_000, random: 0.999999, expect: 16_999 },
    { desc: 'zero means default', wait: 0, random: 0.5, expect: DEFAULT_WAIT_MS + DEFAULT_WAIT_MS / 32 },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(effectiveWaitMs(c.wait, () => c.random), c.expect));
});

describe('blockingQuery', () => {
  it('answers with the unchanged index when the wait ends, and on change before that', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const s = new CatalogState('dc1', 'agent', '127.0.0.1');
    const idx = s.catalogServices().index();
    const never = new AbortController().signal;

    const timedOut = blockingQuery(s, s.catalogServices(), idx, 1_000, never);
    mock.timers.tick(1_000);
    assert.equal((await timedOut).index, idx);

    const changed = blockingQuery(s, s.catalogServices(), idx, 1_000, never);
    s.registerService({ Name: 'web', Port: 80 });
    const r = await changed;
    assert.ok(r.index > idx);
    assert.deepEqual(r.value, { web: [] });
  });

  it('a snapshot restore (resetIndex) answers waiting queries at once with the lower index', async () => {
    const s = new CatalogState('dc1', 'agent', '127.0.0.1');
    for (let i = 0; i < 3; i++) s.registerService({ Name: `s${i}`, Port: 1 });
    const idx = s.catalogServices().index();
    const p = blockingQuery(s, s.catalogServices(), idx, 600_000, new AbortController().signal);
    s.resetIndex();
    assert.equal((await p).index, 1);
  });

  it('a query arriving with an index ahead of the catalog waits for the timeout', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const s = new CatalogState('dc1', 'agent', '127.0.0.1');
    let done = false;
    const p = blockingQuery(s, s.catalogServices(), 50, 5_000, new AbortController().signal).then((r) => { done = true; return r; });
    await Promise.resolve();
    assert.equal(done, false);
    mock.timers.tick(5_000);
    assert.equal((await p).index, 1);
  });

  it('the release signal answers at once', async () => {
    const s = new CatalogState('dc1', 'agent', '127.0.0.1');
    const ac = new AbortController();
    const p = blockingQuery(s, s.healthState('any'), s.healthState('any').index(), 600_000, ac.signal);
    ac.abort();
    assert.equal((await p).value.length, 1);
  });
});
