import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { CatalogRequestError, CatalogState } from '../../../src/dev/devcatalog/state.ts';

const fresh = (): CatalogState => new CatalogState('dc1', 'agent', '127.0.0.1');
const ids = (s: CatalogState, name: string, passing = false, tags: string[] = []): string[] =>
  s.healthService(name, tags, passing).value().map((e) => e.Service.ID);

describe('CatalogState indexes (as Consul computes them)', () => {
  it('an idempotent re-registration moves the raft index but no query index', () => {
    const s = fresh();
    const def = { Name: 'web', ID: 'web-1', Port: 80, Tags: ['a'], Check: { CheckID: 'c1', TTL: '30s', Status: 'passing' as const } };
    s.registerService(def);
    const raft = s.raftIndex;
    const before = [s.catalogServices().index(), s.healthService('web', [], false).index(), s.healthState('any').index()];
    s.registerService(def);
    assert.ok(s.raftIndex > raft);
    assert.deepEqual([s.catalogServices().index(), s.healthService('web', [], false).index(), s.healthState('any').index()], before);
    s.dispose();
  });

  it('a check change moves the service and checks indexes, not the services list or other services', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w', Port: 80, Check: { CheckID: 'wc', TTL: '30s', Status: 'passing' } });
    s.registerService({ Name: 'api', ID: 'a', Port: 81 });
    const list = s.catalogServices().index();
    const api = s.healthService('api', [], false).index();
    const web = s.healthService('web', [], false).index();
    const checks = s.healthState('any').index();
    assert.equal(s.updateCheck('wc', 'critical', 'down'), true);
    assert.equal(s.catalogServices().index(), list);
    assert.equal(s.healthService('api', [], false).index(), api);
    assert.ok(s.healthService('web', [], false).index() > web);
    assert.ok(s.healthState('any').index() > checks);
    assert.equal(s.catalogService('web', []).index(), s.healthService('web', [], false).index());
    s.dispose();
  });

  it('a node check change moves every service on that node and only those', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w1', Port: 80 });
    s.registerService({ Name: 'api', ID: 'a1', Port: 81 }, { name: 'n2', address: '127.0.0.2' });
    const web = s.healthService('web', [], false).index();
    const api = s.healthService('api', [], false).index();
    assert.equal(s.setNodeHealth('n2', 'critical'), true);
    assert.equal(s.healthService('web', [], false).index(), web);
    assert.ok(s.healthService('api', [], false).index() > api);
    assert.deepEqual(ids(s, 'api', true), []);
    assert.deepEqual(ids(s, 'api'), ['a1']);
    assert.equal(s.setNodeHealth('nowhere', 'critical'), false);
    s.dispose();
  });

  it('a service that does not exist reports the last extinction index, else the max of the tables', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w1', Port: 80 });
    const before = s.healthService('ghost', [], false).index();
    assert.equal(before, s.raftIndex, 'no extinction yet: max of nodes/services/checks');
    assert.equal(s.deregisterService('w1'), true);
    const gone = s.raftIndex;
    assert.equal(s.healthService('web', [], false).index(), gone);
    assert.equal(s.healthService('ghost', [], false).index(), gone);
    assert.equal(s.deregisterService('w1'), false);
    s.dispose();
  });

  it('renaming an instance moves it between services and records the old name\'s extinction', () => {
    const s = fresh();
    s.registerService({ Name: 'a', ID: 'x', Port: 1 });
    s.registerService({ Name: 'b', ID: 'x', Port: 1 });
    assert.deepEqual(s.catalogServices().value(), { b: [] });
    assert.deepEqual(ids(s, 'a'), []);
    assert.deepEqual(ids(s, 'b'), ['x']);
    assert.equal(s.healthService('a', [], false).index(), s.raftIndex);
    s.dispose();
  });

  it('resetIndex sends every index back to 1 and writes continue from there', () => {
    const s = fresh();
    for (let i = 0; i < 4; i++) s.registerService({ Name: `s${i}`, Port: i + 1 });
    s.resetIndex();
    assert.deepEqual([s.catalogServices().index(), s.healthService('s1', [], false).index(), s.healthState('any').index()], [1, 1, 1]);
    assert.equal(s.healthService('s1', [], false).value()[0]!.Service.ModifyIndex, 1);
    s.registerService({ Name: 'new', Port: 9 });
    assert.equal(s.catalogServices().index(), 2);
    s.dispose();
  });
});

describe('CatalogState registrations', () => {
  it('re-registering keeps a check status, as Consul\'s agent restores it', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w', Port: 80, Check: { CheckID: 'wc', TTL: '30s' } });
    s.updateCheck('wc', 'passing');
    s.registerService({ Name: 'web', ID: 'w', Port: 81, Check: { CheckID: 'wc', TTL: '30s' } });
    const e = s.healthService('web', [], false).value()[0]!;
    assert.equal(e.Service.Port, 81);
    assert.equal(e.Checks.find((c) => c.CheckID === 'wc')!.Status, 'passing');
    s.dispose();
  });

  it('names checks as Consul does: service:<id> for one, service:<id>:<n> for several, critical by default', () => {
    const s = fresh();
    s.registerService({ Name: 'one', ID: 'o', Port: 1, Check: { TTL: '1m' } });
    s.registerService({ Name: 'two', ID: 't', Port: 2, Checks: [{ TTL: '1m' }, { TTL: '1m', Status: 'passing' }] });
    const checks = s.healthState('any').value().filter((c) => c.ServiceID !== '');
    assert.deepEqual(checks.map((c) => [c.CheckID, c.Name, c.Status, c.Type]), [
      ['service:o', "Service 'one' check", 'critical', 'ttl'],
      ['service:t:1', "Service 'two' check", 'critical', 'ttl'],
      ['service:t:2', "Service 'two' check", 'passing', 'ttl'],
    ]);
    s.dispose();
  });

  it('external nodes from catalog register keep their address, have no serfHealth, and go away whole', () => {
    const s = fresh();
    s.catalogRegister({
      Node: 'ext', Address: '127.0.0.9', Service: { Service: 'db', ID: 'db1', Port: 5432, Tags: ['x'] },
      Checks: [{ CheckID: 'db-ok', ServiceID: 'db1', Status: 'passing' }],
    });
    const [e] = s.healthService('db', [], false).value();
    assert.equal(e!.Node.Address, '127.0.0.9');
    assert.equal(e!.Service.Address, '');
    assert.deepEqual(e!.Checks.map((c) => c.CheckID), ['db-ok']);
    const row = s.catalogService('db', ['x']).value()[0]!;
    assert.deepEqual([row.Node, row.Address, row.ServiceAddress, row.ServicePort], ['ext', '127.0.0.9', '', 5432]);
    s.catalogDeregister({ Node: 'ext' });
    assert.deepEqual(s.healthService('db', [], false).value(), []);
    assert.deepEqual(s.catalogServices().value(), {});
    s.dispose();
  });

  it('filters by every requested tag and by ?passing', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'a', Port: 1, Tags: ['x', 'y'], Check: { CheckID: 'ca', TTL: '1m', Status: 'passing' } });
    s.registerService({ Name: 'web', ID: 'b', Port: 2, Tags: ['x'], Check: { CheckID: 'cb', TTL: '1m', Status: 'warning' } });
    const cases = [
      { desc: 'no filter', tags: [], passing: false, expect: ['a', 'b'] },
      { desc: 'one tag', tags: ['x'], passing: false, expect: ['a', 'b'] },
      { desc: 'all tags must match', tags: ['x', 'y'], passing: false, expect: ['a'] },
      { desc: 'passing drops warning', tags: [], passing: true, expect: ['a'] },
    ];
    for (const c of cases) assert.deepEqual(ids(s, 'web', c.passing, c.tags), c.expect, c.desc);
    assert.deepEqual(s.catalogServices().value(), { web: ['x', 'y'] });
    s.dispose();
  });

  it('refuses what Consul refuses', () => {
    const s = fresh();
    const cases = [
      { desc: 'missing name', run: () => s.registerService({ Name: '' }), status: 400 },
      { desc: 'bad status', run: () => s.registerService({ Name: 'x', Check: { TTL: '1s', Status: 'ok' as never } }), status: 400 },
      { desc: 'bad TTL', run: () => s.registerService({ Name: 'x', Check: { TTL: '10' } }), status: 400 },
      { desc: 'catalog register without address', run: () => s.catalogRegister({ Node: 'n' }), status: 400 },
      { desc: 'check for unknown service', run: () => s.catalogRegister({ Node: 'n', Address: '127.0.0.3', Check: { CheckID: 'c', ServiceID: 'nope' } }), status: 500 },
    ];
    for (const c of cases) {
      assert.throws(c.run, (e: unknown) => e instanceof CatalogRequestError && e.status === c.status, c.desc);
    }
    s.dispose();
  });
});

describe('CatalogState TTL checks', () => {
  it('go critical with "TTL expired" when not refreshed, and a refresh restarts the TTL', (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w', Port: 80, Check: { CheckID: 'wc', TTL: '10s', Status: 'passing' } });
    const status = (): [string, string] => {
      const c = s.healthState('any').value().find((x) => x.CheckID === 'wc')!;
      return [c.Status, c.Output];
    };
    mock.timers.tick(6_000);
    s.updateCheck('wc', 'passing', 'still here');
    mock.timers.tick(6_000);
    assert.deepEqual(status(), ['passing', 'still here']);
    const before = s.healthService('web', [], false).index();
    mock.timers.tick(4_001);
    assert.deepEqual(status(), ['critical', 'TTL expired']);
    assert.ok(s.healthService('web', [], false).index() > before);
    s.dispose();
  });
});

describe('CatalogState health/state answers as kept JSON bytes', () => {
  it('encoded() is JSON.stringify(value()) after every kind of write, for every state filter', () => {
    const s = fresh();
    const same = (why: string): void => {
      for (const state of ['any', 'passing', 'warning', 'critical'] as const) {
        const q = s.healthState(state);
        assert.equal(q.encoded!().toString('utf8'), JSON.stringify(q.value()), `${why} (${state})`);
      }
    };
    same('only the agent node');
    for (let i = 0; i < 20; i++) {
      s.registerService({ Name: `svc-${i % 5}`, ID: `i-${i}`, Port: 80 + i, Tags: [`t${i}`], Check: { CheckID: `c-${i}`, TTL: '1h', Status: 'passing' } }, { name: `node-${i % 3}`, address: '10.0.0.1' });
    }
    same('twenty instances on three nodes');
    s.updateCheck('c-7', 'critical', 'down');
    same('a check flips');
    s.updateCheck('c-7', 'warning', 'slow "quoted" output\n');
    same('its output changes');
    s.registerService({ Name: 'svc-2', ID: 'i-7', Port: 87, Tags: ['retagged'], Check: { CheckID: 'c-7', TTL: '1h', Status: 'passing' } }, { name: 'node-1', address: '10.0.0.1' });
    same('its service re-registered with other tags (ServiceTags of the check)');
    s.deregisterService('i-3');
    same('an instance and its check gone');
    s.setNodeHealth('node-2', 'critical');
    same('a node check');
    s.resetIndex();
    same('every index rewritten to 1');
    s.dispose();
  });

  it('patched answers (no check came or went) stay JSON.stringify(value()) over a long random sequence of writes', () => {
    const s = fresh();
    for (let i = 0; i < 60; i++) {
      s.registerService({ Name: `svc-${i % 12}`, ID: `i-${i}`, Port: 80 + i, Tags: [`t${i}`], Check: { CheckID: `c-${i}`, TTL: '1h', Status: 'passing' } }, { name: `node-${i % 5}`, address: '10.0.0.1' });
    }
    let seed = 2026;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const statuses = ['passing', 'warning', 'critical'] as const;
    for (let step = 0; step < 300; step++) {
      const what = rnd(10);
      const i = rnd(60);
      if (what < 6) s.updateCheck(`c-${i}`, statuses[rnd(3)]!, rnd(2) ? '' : `out ${step} "q" \\ é`);
      else if (what < 8) s.registerService({ Name: `svc-${i % 12}`, ID: `i-${i}`, Port: 80 + i, Tags: [`t${rnd(4)}`], Check: { CheckID: `c-${i}`, TTL: '1h', Status: 'passing' } }, { name: `node-${i % 5}`, address: '10.0.0.1' });
      else if (what < 9) s.setNodeHealth(`node-${rnd(5)}`, statuses[rnd(3)]!);
      if (rnd(3) === 0) continue; // several writes between two answers, too
      const q = s.healthState('any');
      assert.equal(q.encoded!().toString('utf8'), JSON.stringify(q.value()), `step ${step}`);
    }
    s.dispose();
  });

  it('answers one raft index with the same bytes, and a change with new ones', () => {
    const s = fresh();
    s.registerService({ Name: 'web', ID: 'w', Port: 80, Check: { CheckID: 'wc', TTL: '1h', Status: 'passing' } });
    const a = s.healthState('any').encoded!();
    assert.equal(s.healthState('any').encoded!(), a, 'kept for the same raft index');
    s.updateCheck('wc', 'critical');
    const b = s.healthState('any').encoded!();
    assert.notEqual(b, a);
    assert.match(b.toString('utf8'), /"Status":"critical"/);
    s.dispose();
  });
});
