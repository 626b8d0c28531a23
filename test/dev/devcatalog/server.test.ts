import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { startDevCatalog } from '../../../src/dev/devcatalog/index.ts';
import type { DevCatalog, DevCatalogOptions } from '../../../src/dev/devcatalog/index.ts';
import { collectReply } from '../../support/upstream.ts';
import { waitFor as waitUntil } from '../../support/wait.ts';

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

async function start(t: TestContext, o: DevCatalogOptions = {}): Promise<DevCatalog> {
  const dc = await startDevCatalog(o);
  t.after(() => dc.close());
  return dc;
}

/** One request on a fresh connection (no pooling, so connection counts are exact). */
function call(dc: DevCatalog, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? '' : JSON.stringify(opts.body);
    const req = http.request({ host: '127.0.0.1', port: dc.port, method, path, agent: false, headers: { ...opts.headers, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      collectReply(res, resolve, reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls a condition (bounded, see test/support/wait.ts). */
function waitFor(cond: () => boolean): Promise<void> {
  return waitUntil('the condition', cond, { intervalMs: 1 });
}

describe('devcatalog reads', () => {
  it('send Consul\'s headers for each consistency mode', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'web', Port: 80 });
    const cases = [
      { desc: 'default mode', q: '', consistency: 'leader' },
      { desc: 'stale', q: '?stale', consistency: 'stale' },
      { desc: 'consistent', q: '?consistent=', consistency: 'consistent' },
    ];
    for (const c of cases) {
      const r = await call(dc, 'GET', `/v1/health/service/web${c.q}`);
      assert.equal(r.status, 200, c.desc);
      assert.equal(r.headers['content-type'], 'application/json', c.desc);
      assert.equal(r.headers['x-consul-index'], '2', c.desc);
      assert.equal(r.headers['x-consul-knownleader'], 'true', c.desc);
      assert.equal(r.headers['x-consul-lastcontact'], '0', c.desc);
      assert.equal(r.headers['x-consul-effective-consistency'], c.consistency, c.desc);
    }
  });

  it('answer bad requests as Consul does', async (t) => {
    const dc = await start(t);
    const cases = [
      { desc: 'stale with consistent', m: 'GET', path: '/v1/catalog/services?stale&consistent', status: 400, body: 'Cannot specify ?stale with ?consistent, conflicting semantics.' },
      { desc: 'index not a number', m: 'GET', path: '/v1/catalog/services?index=abc', status: 400, body: 'Invalid index' },
      { desc: 'wait without unit', m: 'GET', path: '/v1/catalog/services?index=1&wait=10', status: 400, body: 'Invalid wait time' },
      { desc: 'other datacenter', m: 'GET', path: '/v1/catalog/services?dc=elsewhere', status: 500, body: 'No path to datacenter' },
      { desc: 'unknown health state', m: 'GET', path: '/v1/health/state/bogus', status: 400, body: 'Invalid check state: bogus' },
      { desc: 'wrong method', m: 'POST', path: '/v1/catalog/services', status: 405, body: 'method POST not allowed' },
      { desc: 'unknown path', m: 'GET', path: '/v1/nope', status: 404, body: '404 page not found\n' },
      { desc: 'unknown check', m: 'PUT', path: '/v1/agent/check/pass/nope', status: 404, body: 'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.' },
      { desc: 'register without name', m: 'PUT', path: '/v1/agent/service/register', status: 400, body: 'Missing service name' },
    ];
    for (const c of cases) {
      const r = await call(dc, c.m, c.path, c.m === 'PUT' ? { body: {} } : {});
      assert.deepEqual([r.status, r.body], [c.status, c.body], c.desc);
      assert.match(String(r.headers['content-type']), /^text\/plain/, c.desc);
    }
  });

  it('serve health state, catalog service and agent self', async (t) => {
    const dc = await start(t, { nodeName: 'agent-1', datacenter: 'dc7' });
    dc.register({ Name: 'web', ID: 'w', Port: 80, Address: '::1', Tags: ['t'], Meta: { k: 'v' } });
    const state = JSON.parse((await call(dc, 'GET', '/v1/health/state/passing')).body) as { CheckID: string; Node: string }[];
    assert.deepEqual(state.map((c) => [c.Node, c.CheckID]), [['agent-1', 'serfHealth']]);
    const rows = JSON.parse((await call(dc, 'GET', '/v1/catalog/service/web?tag=t')).body) as Record<string, unknown>[];
    assert.deepEqual([rows[0]!.ServiceAddress, rows[0]!.ServiceMeta, rows[0]!.Datacenter], ['::1', { k: 'v' }, 'dc7']);
    const self = JSON.parse((await call(dc, 'GET', '/v1/agent/self')).body) as { Config: { NodeName: string; Datacenter: string } };
    assert.deepEqual([self.Config.NodeName, self.Config.Datacenter], ['agent-1', 'dc7']);
  });
});

describe('devcatalog writes over HTTP', () => {
  it('agent service and check endpoints change what reads return', async (t) => {
    const dc = await start(t);
    const put = async (path: string, body?: unknown): Promise<Answer> => call(dc, 'PUT', path, { body });
    assert.equal((await put('/v1/agent/service/register', { Name: 'web', ID: 'w', Port: 80, Check: { CheckID: 'wc', TTL: '30s' } })).status, 200);
    const check = async (): Promise<[string, string]> => {
      const [e] = JSON.parse((await call(dc, 'GET', '/v1/health/service/web')).body) as { Checks: { CheckID: string; Status: string; Output: string }[] }[];
      const c = e!.Checks.find((x) => x.CheckID === 'wc')!;
      return [c.Status, c.Output];
    };
    const cases = [
      { desc: 'pass with note', path: '/v1/agent/check/pass/wc?note=ok', body: undefined, expect: ['passing', 'ok'] },
      { desc: 'warn', path: '/v1/agent/check/warn/wc?note=slow', body: undefined, expect: ['warning', 'slow'] },
      { desc: 'fail', path: '/v1/agent/check/fail/wc', body: undefined, expect: ['critical', ''] },
      { desc: 'update with body', path: '/v1/agent/check/update/wc', body: { Status: 'passing', Output: 'fine' }, expect: ['passing', 'fine'] },
    ];
    for (const c of cases) {
      assert.equal((await put(c.path, c.body)).status, 200, c.desc);
      assert.deepEqual(await check(), c.expect, c.desc);
    }
    assert.equal((await put('/v1/agent/service/deregister/w')).status, 200);
    assert.equal((await call(dc, 'GET', '/v1/health/service/web')).body, '[]');
    assert.equal((await put('/v1/agent/service/deregister/w')).status, 404);
  });

  it('catalog register and deregister answer true and handle external nodes', async (t) => {
    const dc = await start(t);
    const reg = await call(dc, 'PUT', '/v1/catalog/register', { body: { Node: 'ext', Address: '127.0.0.5', Service: { Service: 'db', Port: 5432 } } });
    assert.deepEqual([reg.status, reg.body], [200, 'true']);
    const [e] = JSON.parse((await call(dc, 'GET', '/v1/health/service/db')).body) as { Node: { Address: string }; Service: { ID: string; Address: string } }[];
    assert.deepEqual([e!.Node.Address, e!.Service.ID, e!.Service.Address], ['127.0.0.5', 'db', '']);
    const dereg = await call(dc, 'PUT', '/v1/catalog/deregister', { body: { Node: 'ext', ServiceID: 'db' } });
    assert.deepEqual([dereg.status, dereg.body], [200, 'true']);
    assert.equal((await call(dc, 'GET', '/v1/health/service/db')).body, '[]');
  });
});

describe('devcatalog ACL', () => {
  it('accepts the token from X-Consul-Token, ?token= or Bearer, and refuses others with 403 ACL not found', async (t) => {
    const dc = await start(t, { aclTokens: ['s3cret'] });
    const cases = [
      { desc: 'header', path: '/v1/catalog/services', headers: { 'x-consul-token': 's3cret' }, status: 200 },
      { desc: 'query', path: '/v1/catalog/services?token=s3cret', headers: {}, status: 200 },
      { desc: 'bearer', path: '/v1/catalog/services', headers: { authorization: 'Bearer s3cret' }, status: 200 },
      { desc: 'none', path: '/v1/catalog/services', headers: {}, status: 403 },
      { desc: 'wrong', path: '/v1/catalog/services', headers: { 'x-consul-token': 'nope' }, status: 403 },
      { desc: 'write without token', path: '/v1/agent/service/register', headers: {}, status: 403, m: 'PUT' },
      { desc: 'status/leader needs none', path: '/v1/status/leader', headers: {}, status: 200 },
    ];
    for (const c of cases) {
      const r = await call(dc, c.m ?? 'GET', c.path, { headers: c.headers as Record<string, string>, body: c.m ? { Name: 'x' } : undefined });
      assert.equal(r.status, c.status, c.desc);
      if (c.status === 403) assert.equal(r.body, 'ACL not found', c.desc);
    }
  });
});

describe('devcatalog faults', () => {
  it('no leader: default reads and writes fail, stale reads answer with KnownLeader false, status/leader is empty', async (t) => {
    const dc = await start(t);
    dc.faults.noLeader = true;
    const cases = [
      { desc: 'default read', m: 'GET', path: '/v1/catalog/services', status: 500, body: 'No cluster leader' },
      { desc: 'consistent read', m: 'GET', path: '/v1/catalog/services?consistent', status: 500, body: 'No cluster leader' },
      { desc: 'write', m: 'PUT', path: '/v1/agent/service/register', status: 500, body: 'No cluster leader' },
      { desc: 'stale read', m: 'GET', path: '/v1/catalog/services?stale', status: 200, body: '{}' },
      { desc: 'leader', m: 'GET', path: '/v1/status/leader', status: 200, body: '""' },
    ];
    for (const c of cases) {
      const r = await call(dc, c.m, c.path, c.m === 'PUT' ? { body: { Name: 'x' } } : {});
      assert.deepEqual([r.status, r.body], [c.status, c.body], c.desc);
      if (c.desc === 'stale read') assert.equal(r.headers['x-consul-knownleader'], 'false');
    }
  });

  it('resetConnections destroys the socket without an answer', async (t) => {
    const dc = await start(t);
    dc.faults.resetConnections = true;
    await assert.rejects(call(dc, 'GET', '/v1/catalog/services'), /socket hang up|ECONNRESET/);
    dc.faults.resetConnections = false;
    assert.equal((await call(dc, 'GET', '/v1/catalog/services')).status, 200);
  });

  it('hang holds requests until cleared; delayMs still answers', async (t) => {
    const dc = await start(t);
    dc.faults.hang = true;
    let answered = false;
    const held = call(dc, 'GET', '/v1/catalog/services').then((r) => { answered = true; return r; });
    await waitFor(() => dc.stats().requests === 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false);
    dc.faults.hang = false;
    assert.equal((await held).status, 200);
    dc.faults.delayMs = 5;
    assert.equal((await call(dc, 'GET', '/v1/catalog/services')).status, 200);
  });

  it('index faults: missingIndex drops X-Consul-Index, indexBackwards answers a blocking read at once, lower', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'web', Port: 80 });
    const now = Number((await call(dc, 'GET', '/v1/catalog/services')).headers['x-consul-index']);
    dc.faults.missingIndex = true;
    const missing = await call(dc, 'GET', '/v1/catalog/services');
    assert.equal(missing.status, 200);
    assert.equal(missing.headers['x-consul-index'], undefined);
    dc.faults.missingIndex = false;
    dc.faults.indexBackwards = true;
    const back = await call(dc, 'GET', `/v1/catalog/services?index=${now}&wait=10m`);
    assert.equal(Number(back.headers['x-consul-index']), now - 1);
    assert.match(back.body, /"web"/);
    assert.equal(Number((await call(dc, 'GET', '/v1/catalog/services')).headers['x-consul-index']), now, 'a read without index is not affected');
  });

  it('truncateBody announces the whole length, sends half, and cuts the connection', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'web', Port: 80, Tags: ['x'.repeat(100)] });
    dc.faults.truncateBody = true;
    await assert.rejects(call(dc, 'GET', '/v1/catalog/services'), /aborted|ECONNRESET/);
    dc.faults.truncateBody = false;
    assert.match((await call(dc, 'GET', '/v1/catalog/services')).body, /"web"/);
  });

  it('stats().parked counts blocking queries waiting for a change', async (t) => {
    const dc = await start(t);
    const index = Number((await call(dc, 'GET', '/v1/catalog/services')).headers['x-consul-index']);
    const waiting = call(dc, 'GET', `/v1/catalog/services?index=${index}&wait=10m`);
    await waitFor(() => dc.stats().parked === 1);
    dc.register({ Name: 'web', Port: 80 });
    assert.match((await waiting).body, /"web"/);
    await waitFor(() => dc.stats().parked === 0);
  });

  it('past maxConnsPerClient a new connection gets a bare 429', async (t) => {
    const dc = await start(t, { maxConnsPerClient: 1 });
    const holder = net.connect(dc.port, '127.0.0.1');
    t.after(() => holder.destroy());
    await waitFor(() => dc.stats().openConnections === 1);
    const r = await call(dc, 'GET', '/v1/catalog/services');
    assert.equal(r.status, 429);
    assert.equal(r.body, 'Your IP is issuing too many concurrent connections, please rate limit your calls\n');
    holder.destroy();
    await waitFor(() => dc.stats().openConnections === 0);
    assert.equal((await call(dc, 'GET', '/v1/catalog/services')).status, 200);
  });
});

describe('devcatalog blocking queries and lifecycle', () => {
  it('a query whose index is behind answers at once; one at the current index waits for a change of its own result', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'web', ID: 'w1', Port: 80 });
    const first = await call(dc, 'GET', '/v1/health/service/web');
    const idx = Number(first.headers['x-consul-index']);
    const behind = await call(dc, 'GET', `/v1/health/service/web?index=${idx - 1}&wait=5m`);
    assert.equal(behind.headers['x-consul-index'], String(idx));
    const pending = call(dc, 'GET', `/v1/health/service/web?index=${idx}&wait=5m`);
    await waitFor(() => dc.stats().requests === 3);
    dc.register({ Name: 'other', Port: 1 });
    dc.setNodeCheck('devcatalog', 'warning');
    const r = await pending;
    assert.ok(Number(r.headers['x-consul-index']) > idx);
    const [e] = JSON.parse(r.body) as { Checks: { CheckID: string; Status: string }[] }[];
    assert.deepEqual(e!.Checks.map((c) => [c.CheckID, c.Status]), [['serfHealth', 'warning']]);
  });

  it('close releases blocking queries with the current answer, refuses held requests, and is idempotent', async (t) => {
    const dc = await startDevCatalog();
    const idx = Number((await call(dc, 'GET', '/v1/catalog/services')).headers['x-consul-index']);
    const blocked = call(dc, 'GET', `/v1/catalog/services?index=${idx}&wait=10m`);
    await waitFor(() => dc.stats().requests === 2);
    dc.faults.hang = true;
    const hung = call(dc, 'GET', '/v1/catalog/services');
    await waitFor(() => dc.stats().requests === 3);
    const [r, h] = await Promise.all([blocked, hung.then(() => 'answered', () => 'refused'), dc.close(), dc.close()]);
    assert.deepEqual([r.status, r.headers['x-consul-index']], [200, String(idx)]);
    assert.equal(h, 'refused');
    await assert.rejects(call(dc, 'GET', '/v1/catalog/services'));
    t.diagnostic('closed');
  });

  it('counts requests per path and connections; resetStats starts over', async (t) => {
    const dc = await start(t);
    await call(dc, 'GET', '/v1/catalog/services');
    await call(dc, 'GET', '/v1/catalog/services');
    await call(dc, 'GET', '/v1/health/state/any');
    const s = dc.stats();
    assert.equal(s.requests, 3);
    assert.deepEqual(s.byPath, { '/v1/catalog/services': 2, '/v1/health/state/any': 1 });
    assert.ok(s.maxOpenConnections >= 1);
    dc.resetStats();
    await waitFor(() => dc.stats().openConnections === 0);
    dc.resetStats();
    assert.deepEqual(dc.stats(), { requests: 0, byPath: {}, openConnections: 0, maxOpenConnections: 0, parked: 0 });
  });
});
