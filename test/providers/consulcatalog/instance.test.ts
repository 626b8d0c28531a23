import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateStatus, keepUnchanged, tagsToLabels, toInstances, type HealthServiceEntry } from '../../../src/providers/consulcatalog/instance.ts';

describe('toInstances', () => {
  it('uses the service address, else the node address (Traefik itemData)', () => {
    const entries: HealthServiceEntry[] = [
      { Node: { Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1' }, Service: { ID: 'a', Service: 'api', Address: '10.9.9.9', Port: 80, Tags: ['x=1'] }, Checks: [] },
      { Node: { Node: 'n2', Address: '::1', Datacenter: 'dc1' }, Service: { ID: 'b', Service: 'api', Address: '', Port: 81, Tags: null }, Checks: [] },
      { Node: null, Service: { ID: 'c' }, Checks: [] },
    ];
    assert.deepEqual(toInstances('api', entries), [
      { id: 'a', node: 'n1', datacenter: 'dc1', name: 'api', namespace: 'default', address: '10.9.9.9', port: '80', tags: ['x=1'], status: 'passing', labels: { x: '1' } },
      { id: 'b', node: 'n2', datacenter: 'dc1', name: 'api', namespace: 'default', address: '::1', port: '81', tags: [], status: 'passing', labels: {} },
    ]);
  });
});

describe('aggregateStatus (Consul AggregatedStatus, node checks included)', () => {
  const cases: Array<{ desc: string; statuses: Array<[string, string]>; want: string }> = [
    { desc: 'no checks is passing', statuses: [], want: 'passing' },
    { desc: 'critical beats warning and passing', statuses: [['serfHealth', 'passing'], ['s1', 'warning'], ['s2', 'critical']], want: 'critical' },
    { desc: 'warning beats passing', statuses: [['serfHealth', 'passing'], ['s1', 'warning']], want: 'warning' },
    { desc: 'a node check going critical makes the instance critical', statuses: [['serfHealth', 'critical'], ['s1', 'passing']], want: 'critical' },
    { desc: 'node maintenance wins', statuses: [['_node_maintenance', 'critical'], ['s1', 'passing']], want: 'maintenance' },
    { desc: 'service maintenance wins', statuses: [['s1', 'passing'], ['_service_maintenance:api-1', 'critical']], want: 'maintenance' },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(aggregateStatus(c.statuses.map(([CheckID, Status]) => ({ CheckID, Status }))), c.want));
  }
});

describe('tagsToLabels', () => {
  it('splits on the first "=", skips plain tags, later tags win', () => {
    assert.deepEqual(tagsToLabels(['a=b=c', 'plain', 'k=1', 'k=2', '=v']), { a: 'b=c', k: '2' });
  });
});

describe('keepUnchanged', () => {
  const entry = (id: string, node: string, status: string, tags = ['a=1']): HealthServiceEntry => ({
    Node: { Node: node, Address: '10.0.0.1', Datacenter: 'dc1' }, Service: { ID: id, Service: 'api', Tags: tags, Port: 80 }, Checks: [{ CheckID: `c-${id}`, Status: status }],
  });
  const fetch = (...entries: HealthServiceEntry[]) => toInstances('api', entries);

  it('a flip: the changed instance is new, its siblings are the earlier objects', () => {
    const before = fetch(entry('a', 'n1', 'passing'), entry('b', 'n2', 'passing'), entry('c', 'n3', 'passing'));
    const after = keepUnchanged(before, fetch(entry('a', 'n1', 'passing'), entry('b', 'n2', 'critical'), entry('c', 'n3', 'passing')));
    assert.notEqual(after, before);
    assert.equal(after[0], before[0]);
    assert.notEqual(after[1], before[1]);
    assert.equal(after[1]!.status, 'critical');
    assert.equal(after[2], before[2]);
  });

  it('nothing changed: the earlier list itself (nothing to build)', () => {
    const before = fetch(entry('a', 'n1', 'passing'), entry('b', 'n2', 'passing'));
    assert.equal(keepUnchanged(before, fetch(entry('a', 'n1', 'passing'), entry('b', 'n2', 'passing'))), before);
  });

  it('other tags, another node with the same ID, a new order: new objects where they differ, never a wrong match', () => {
    const before = fetch(entry('a', 'n1', 'passing'), entry('b', 'n2', 'passing'));
    const retagged = keepUnchanged(before, fetch(entry('a', 'n1', 'passing', ['a=2']), entry('b', 'n2', 'passing')));
    assert.notEqual(retagged[0], before[0]);
    assert.deepEqual(retagged[0]!.labels, { a: '2' });
    const moved = keepUnchanged(before, fetch(entry('a', 'n9', 'passing')));
    assert.notEqual(moved[0], before[0], 'the same ID on another node is another instance');
    const reordered = keepUnchanged(before, fetch(entry('b', 'n2', 'passing'), entry('a', 'n1', 'passing')));
    assert.notEqual(reordered, before, 'a new order is a new list');
    assert.equal(reordered[0], before[1]);
    assert.equal(reordered[1], before[0]);
  });
});
