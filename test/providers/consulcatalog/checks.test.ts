import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChecksState, commonPrefix, commonSuffix } from '../../../src/providers/consulcatalog/checks.ts';
import { checkSignatures } from '../../../src/providers/consulcatalog/diff.ts';
import type { HealthCheckEntry } from '../../../src/providers/consulcatalog/instance.ts';

interface Check extends HealthCheckEntry { Output: string; Definition: Record<string, unknown>; ServiceTags: string[] }

const check = (node: string, id: string, service: string, status = 'passing', modify = 1, output = ''): Check => ({
  Node: node, CheckID: id, Status: status, ServiceID: service ? `${service}-1` : '', ServiceName: service, ServiceTags: service ? ['a', 'b'] : [],
  ModifyIndex: modify, Output: output, Definition: { Interval: '10s', Nested: { Deep: [1, { x: '}' }] } },
});

const body = (checks: readonly Check[], indent?: number): Buffer => Buffer.from(JSON.stringify(checks, null, indent));

/** The whole-answer signatures, as the diff computed them before (the reference). */
function reference(checks: readonly Check[]): { services: Map<string, string>; nodes: Map<string, string> } {
  return checkSignatures(checks);
}

function signaturesOf(state: ChecksState): { services: Map<string, string>; nodes: Map<string, string> } {
  return {
    services: new Map([...state.services()].map((s) => [s, state.serviceSignature(s)])),
    nodes: new Map([...state.nodes()].map((n) => [n, state.nodeSignature(n)])),
  };
}

const sorted = (m: Map<string, string>): Array<[string, string]> => [...m].sort(([a], [b]) => a.localeCompare(b));

/** The names whose signature differs between two references. */
function differ(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => (a.get(k) ?? '') !== (b.get(k) ?? '')).sort();
}

describe('ChecksState', () => {
  const fleet = Array.from({ length: 300 }, (_, i) => check(`node-${i % 7}`, `check-svc-${i}`, `svc-${i % 100}`));
  fleet.push(check('node-1', 'serfHealth', ''), check('node-2', 'serfHealth', ''));

  const cases: Array<{ desc: string; next: (c: Check[]) => Check[]; services: string[]; nodes: string[]; parsedAtMost: number }> = [
    { desc: 'the same answer: nothing parsed, nothing changed', next: (c) => c, services: [], nodes: [], parsedAtMost: 0 },
    { desc: 'one check flips: that check parsed, its service changed', next: (c) => c.map((x, i) => (i === 150 ? { ...x, Status: 'critical', ModifyIndex: 9 } : x)), services: ['svc-50'], nodes: [], parsedAtMost: 1 },
    { desc: 'a check\'s output changes (a longer answer): parsed, but no signature moves', next: (c) => c.map((x, i) => (i === 10 ? { ...x, Output: 'HTTP GET: 200 OK {"quoted\\"}' } : x)), services: [], nodes: [], parsedAtMost: 1 },
    { desc: 'a node check fails', next: (c) => c.map((x) => (x.CheckID === 'serfHealth' && x.Node === 'node-2' ? { ...x, Status: 'critical', ModifyIndex: 5 } : x)), services: [], nodes: ['node-2'], parsedAtMost: 1 },
    { desc: 'a check removed from the middle', next: (c) => c.filter((_, i) => i !== 42), services: ['svc-42'], nodes: [], parsedAtMost: 1 },
    { desc: 'a check added at the end', next: (c) => [...c, check('node-9', 'check-new', 'svc-new')], services: ['svc-new'], nodes: [], parsedAtMost: 1 },
    { desc: 'first and last flip in one answer: the span between is parsed, two services changed', next: (c) => c.map((x, i) => (i === 0 || i === c.length - 1 ? { ...x, ModifyIndex: 7 } : x)), services: ['svc-0'], nodes: ['node-2'], parsedAtMost: Infinity },
    { desc: 'an empty answer', next: () => [], services: [...new Set(fleet.filter((c) => c.ServiceName).map((c) => c.ServiceName!))].sort(), nodes: ['node-1', 'node-2'], parsedAtMost: 0 },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const state = new ChecksState();
      const first = state.update(body(fleet));
      assert.equal(first.whole, true);
      assert.equal(state.size, fleet.length);
      const next = c.next(fleet);
      const change = state.update(body(next));
      assert.deepEqual([...change.services].sort(), c.services);
      assert.deepEqual([...change.nodes].sort(), c.nodes);
      assert.ok(change.parsed <= c.parsedAtMost, `parsed ${change.parsed}`);
      const ref = reference(next);
      const got = signaturesOf(state);
      assert.deepEqual(sorted(got.services), sorted(ref.services));
      assert.deepEqual(sorted(got.nodes), sorted(ref.nodes));
    });
  }

  it('receives answers into its two buffers in turn, never into the one holding the last answer', () => {
    const state = new ChecksState();
    const receive = (checks: readonly Check[]): Buffer => {
      const into = state.nextBuffer();
      into.reset();
      const bytes = body(checks);
      for (let i = 0; i < bytes.length; i += 1000) into.append(bytes.subarray(i, i + 1000)); // as socket chunks
      return into.bytes();
    };
    const a = receive(fleet);
    state.update(a);
    const flipped = fleet.map((x, i) => (i === 150 ? { ...x, Status: 'critical', ModifyIndex: 9 } : x));
    const b = receive(flipped);
    assert.notEqual(b.buffer, a.buffer, 'the next answer is not received over the last one');
    assert.deepEqual([...state.update(b).services], ['svc-50']);
    const c = receive(fleet);
    assert.equal(c.buffer, a.buffer, 'the first buffer is free again and reused');
    const change = state.update(c);
    assert.deepEqual([...change.services], ['svc-50']);
    assert.equal(change.whole, false, 'compared with the previous answer, still intact in the other buffer');
    assert.deepEqual(sorted(signaturesOf(state).services), sorted(reference(fleet).services));
  });

  it('reads a pretty-printed answer, and one whose strings hold brackets, quotes and escapes', () => {
    const tricky = [check('n', 'c1', 's', 'passing', 1, '] }, {"CheckID": "x"} \\" \\\\'), check('n', 'c2', 's2')];
    const state = new ChecksState();
    state.update(body(tricky, 2));
    const flipped = [tricky[0]!, { ...tricky[1]!, Status: 'critical', ModifyIndex: 2 }];
    const change = state.update(body(flipped, 2));
    assert.deepEqual([...change.services], ['s2']);
    assert.equal(change.whole, false);
    assert.deepEqual(sorted(signaturesOf(state).services), sorted(reference(flipped).services));
  });

  it('refuses a body that is not JSON, naming the endpoint', () => {
    assert.throws(() => new ChecksState().update(Buffer.from('<html>')), /health\/state\/any.*not JSON/);
  });

  it('agrees with the whole-answer signatures over random answer sequences (property)', () => {
    const status = fc.constantFrom('passing', 'warning', 'critical');
    const checkArb = fc.record({ node: fc.constantFrom('n1', 'n2', 'n3'), id: fc.integer({ min: 0, max: 30 }), service: fc.constantFrom('', 'a', 'b', 'c', 'd'), status, modify: fc.integer({ min: 1, max: 3 }), output: fc.string({ maxLength: 6 }) });
    const answer = fc.array(checkArb, { maxLength: 25 }).map((xs) => {
      const seen = new Set<string>();
      return xs.filter((x) => { const k = `${x.node}/${x.id}`; if (seen.has(k)) return false; seen.add(k); return true; })
        .map((x) => check(x.node, `c${x.id}`, x.service, x.status, x.modify, x.output));
    });
    fc.assert(fc.property(fc.array(answer, { minLength: 1, maxLength: 6 }), fc.boolean(), (answers, pretty) => {
      const state = new ChecksState();
      let before = { services: new Map<string, string>(), nodes: new Map<string, string>() };
      for (const a of answers) {
        const change = state.update(body(a, pretty ? 1 : undefined));
        const ref = reference(a);
        assert.deepEqual(sorted(signaturesOf(state).services), sorted(ref.services));
        assert.deepEqual(sorted(signaturesOf(state).nodes), sorted(ref.nodes));
        assert.deepEqual([...change.services].sort(), differ(before.services, ref.services));
        assert.deepEqual([...change.nodes].sort(), differ(before.nodes, ref.nodes));
        before = ref;
      }
    }), { numRuns: 300 });
  });
});

describe('commonPrefix and commonSuffix', () => {
  it('find the shared bytes across chunk sizes', () => {
    const base = Buffer.alloc(200_000, 7);
    const other = Buffer.from(base);
    other[123_457] = 8;
    assert.equal(commonPrefix(base, other), 123_457);
    assert.equal(commonSuffix(base, other, 200_000), 200_000 - 123_458);
    assert.equal(commonPrefix(base, base.subarray(0, 10)), 10);
    assert.equal(commonSuffix(Buffer.from('xxabc'), Buffer.from('abc'), 3), 3);
    assert.equal(commonSuffix(Buffer.from('aaaa'), Buffer.from('aaaa'), 2), 2);
  });
});
