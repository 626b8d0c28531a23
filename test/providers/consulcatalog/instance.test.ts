import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateStatus, tagsToLabels, toInstances, type HealthServiceEntry } from '../../../src/providers/consulcatalog/instance.ts';

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
