import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeightedRoundRobin } from '../../src/proxy/balancer/wrr.ts';

function sequence(wrr: WeightedRoundRobin<string>, n: number): Array<string | undefined> {
  return Array.from({ length: n }, () => wrr.next());
}

describe('WeightedRoundRobin', () => {
  const cases: Array<{ desc: string; servers: Array<[string, number | undefined]>; n: number; want: Array<string | undefined> }> = [
    {
      desc: 'spreads a heavy server evenly from the start (Traefik TestBalancerBias vector)',
      servers: [['A', 11], ['B', 3]], n: 14,
      want: ['A', 'A', 'A', 'B', 'A', 'A', 'A', 'A', 'B', 'A', 'A', 'A', 'B', 'A'],
    },
    // 1/3 added three times from 1 is 1.9999999999999998 < 2 in IEEE doubles (Go's float64 too): A wins the 7th pick.
    { desc: 'weights 3:1, with float64 deadlines as in Go', servers: [['A', 3], ['B', 1]], n: 8, want: ['A', 'A', 'B', 'A', 'A', 'A', 'A', 'B'] },
    { desc: 'equal weights break ties like Go container/heap', servers: [['a', undefined], ['b', undefined], ['c', undefined]], n: 6, want: ['a', 'c', 'b', 'c', 'b', 'a'] },
    { desc: 'the heavier server goes first', servers: [['first', 1], ['second', 2]], n: 3, want: ['second', 'first', 'second'] },
    { desc: 'weight 0 is never picked', servers: [['A', 1], ['Z', 0]], n: 3, want: ['A', 'A', 'A'] },
    { desc: 'only zero weights: nothing to pick', servers: [['A', 0], ['B', -1]], n: 2, want: [undefined, undefined] },
    { desc: 'no servers: nothing to pick', servers: [], n: 1, want: [undefined] },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const wrr = new WeightedRoundRobin<string>();
      for (const [name, weight] of c.servers) wrr.add(name, name, weight);
      assert.deepEqual(sequence(wrr, c.n), c.want);
    });
  }

  it('skips a server marked down and takes it back when up', () => {
    const wrr = new WeightedRoundRobin<string>();
    wrr.add('a', 'a'); wrr.add('b', 'b');
    assert.equal(wrr.setStatus('a', false), false, 'balancer still has a healthy server');
    assert.deepEqual(sequence(wrr, 3), ['b', 'b', 'b']);
    assert.equal(wrr.setStatus('b', false), true, 'balancer went down');
    assert.equal(wrr.next(), undefined);
    assert.equal(wrr.healthy, 0);
    assert.equal(wrr.setStatus('a', true), true, 'balancer came back up');
    assert.deepEqual(sequence(wrr, 2), ['a', 'a']);
    assert.equal(wrr.isUp('a'), true);
    assert.equal(wrr.isUp('b'), false);
  });

  it('ignores status changes for unknown servers and a second add of a name', () => {
    const wrr = new WeightedRoundRobin<string>();
    wrr.add('a', 'first');
    wrr.add('a', 'second', 5);
    assert.equal(wrr.setStatus('nope', false), false);
    assert.deepEqual(sequence(wrr, 2), ['first', 'first']);
  });

  it('keeps the 2:1 ratio over a long run', () => {
    const wrr = new WeightedRoundRobin<string>();
    wrr.add('x', 'x', 2); wrr.add('y', 'y', 1);
    const counts = { x: 0, y: 0 };
    for (const s of sequence(wrr, 300)) counts[s as 'x' | 'y']++;
    assert.deepEqual(counts, { x: 200, y: 100 });
  });
});
