import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffCatalog, diffChecks, nextIndex, type CatalogDiff, type ChecksDiff, type IndexStep, type Seen } from '../../../src/providers/consulcatalog/diff.ts';
import type { HealthCheckEntry } from '../../../src/providers/consulcatalog/instance.ts';

const map = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));

describe('diffCatalog', () => {
  const cases: Array<{ desc: string; seen: Record<string, string>; answer: Record<string, string[] | null> | null; expected: CatalogDiff }> = [
    {
      desc: 'first answer: every service is new',
      seen: {},
      answer: { web: ['b', 'a'], api: null },
      expected: { services: map({ web: 'a\nb', api: '' }), tags: new Map<string, readonly string[]>([['web', ['b', 'a']], ['api', []]]), changed: ['api', 'web'], removed: [] },
    },
    {
      desc: 'same tags in another order, duplicated: no change',
      seen: { web: 'a\nb' },
      answer: { web: ['b', 'a', 'b'] },
      expected: { services: map({ web: 'a\nb' }), tags: new Map([['web', ['b', 'a', 'b']]]), changed: [], removed: [] },
    },
    {
      desc: 'a tag added to one service: only that one changed',
      seen: { web: 'a', api: 'x' },
      answer: { web: ['a', 'c'], api: ['x'] },
      expected: { services: map({ web: 'a\nc', api: 'x' }), tags: new Map([['web', ['a', 'c']], ['api', ['x']]]), changed: ['web'], removed: [] },
    },
    {
      desc: 'a service left the catalog',
      seen: { web: 'a', old: 'z' },
      answer: { web: ['a'] },
      expected: { services: map({ web: 'a' }), tags: new Map([['web', ['a']]]), changed: [], removed: ['old'] },
    },
    {
      desc: 'a null answer (empty catalog) removes everything',
      seen: { web: 'a' },
      answer: null,
      expected: { services: map({}), tags: new Map(), changed: [], removed: ['web'] },
    },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(diffCatalog(map(c.seen), c.answer), c.expected));
});

describe('diffChecks', () => {
  const check = (node: string, id: string, status: string, service = '', modify = 1): HealthCheckEntry =>
    ({ Node: node, CheckID: id, Status: status, ServiceName: service || undefined, ModifyIndex: modify });
  const sig = (...c: HealthCheckEntry[]): string => c.map((x) => `${x.Node}\u0001${x.CheckID}\u0001${x.Status}\u0001${x.ModifyIndex}`).sort().join('\n');
  const webOk = check('n1', 'c-web', 'passing', 'web');
  const webBad = check('n1', 'c-web', 'critical', 'web', 2);
  const serfN1 = check('n1', 'serfHealth', 'passing');
  const serfN1Bad = check('n1', 'serfHealth', 'critical', '', 3);
  const before: Pick<Seen, 'serviceChecks' | 'nodeChecks'> = { serviceChecks: map({ web: sig(webOk) }), nodeChecks: map({ n1: sig(serfN1) }) };
  const context = { first: false, services: new Set(['web', 'api']), nodesOf: new Map([['web', ['n1']], ['api', ['n2']]]) };

  const cases: Array<{ desc: string; seen: typeof before; checks: HealthCheckEntry[] | null; context: typeof context; expected: ChecksDiff }> = [
    {
      desc: 'nothing changed',
      seen: before, checks: [webOk, serfN1], context,
      expected: { serviceChecks: map({ web: sig(webOk) }), nodeChecks: map({ n1: sig(serfN1) }), changed: [] },
    },
    {
      desc: 'a service check changed status: that service',
      seen: before, checks: [webBad, serfN1], context,
      expected: { serviceChecks: map({ web: sig(webBad) }), nodeChecks: map({ n1: sig(serfN1) }), changed: ['web'] },
    },
    {
      desc: 'a node check changed: every service with an instance on the node',
      seen: before, checks: [webOk, serfN1Bad], context,
      expected: { serviceChecks: map({ web: sig(webOk) }), nodeChecks: map({ n1: sig(serfN1Bad) }), changed: ['web'] },
    },
    {
      desc: 'a service\'s checks all went away: that service',
      seen: before, checks: [serfN1], context,
      expected: { serviceChecks: map({}), nodeChecks: map({ n1: sig(serfN1) }), changed: ['web'] },
    },
    {
      desc: 'checks of a service outside the catalog are recorded, never fetched',
      seen: before, checks: [webOk, serfN1, check('n3', 'c-ghost', 'passing', 'ghost')], context,
      expected: { serviceChecks: map({ web: sig(webOk), ghost: sig(check('n3', 'c-ghost', 'passing', 'ghost')) }), nodeChecks: map({ n1: sig(serfN1) }), changed: [] },
    },
    {
      desc: 'the first answer only records',
      seen: { serviceChecks: map({}), nodeChecks: map({}) }, checks: [webBad, serfN1Bad], context: { ...context, first: true },
      expected: { serviceChecks: map({ web: sig(webBad) }), nodeChecks: map({ n1: sig(serfN1Bad) }), changed: [] },
    },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(diffChecks(c.seen, c.checks, c.context), c.expected));
});

describe('nextIndex (Consul\'s blocking-index rules)', () => {
  const cases: Array<{ desc: string; previous: number; answered: number; expected: IndexStep }> = [
    { desc: 'first answer', previous: 0, answered: 42, expected: { index: 42 } },
    { desc: 'moved forward', previous: 42, answered: 50, expected: { index: 50 } },
    { desc: 'wait ended without change', previous: 42, answered: 42, expected: { index: 42 } },
    { desc: 'went backwards: start over from 0', previous: 42, answered: 7, expected: { index: 0, fault: 'X-Consul-Index went backwards (42 → 7); starting over from 0' } },
    { desc: '0 after the first query: block on 1', previous: 0, answered: 0, expected: { index: 1, fault: 'X-Consul-Index was 0; blocking on 1' } },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(nextIndex(c.previous, c.answered), c.expected));
});
