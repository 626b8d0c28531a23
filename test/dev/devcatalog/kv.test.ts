import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Consul from 'consul';
import { startDevCatalog } from '../../../src/dev/devcatalog/index.ts';
import { waitFor } from '../../support/wait.ts';

async function start(t: TestContext): Promise<{ consul: Consul; url: string }> {
  const dc = await startDevCatalog({ sessionTtlMinMs: 1000 });
  t.after(() => dc.close());
  return { consul: new Consul({ host: '127.0.0.1', port: dc.port }), url: dc.url };
}

type Entry = { Key: string; Value: string | null; LockIndex: number; Session?: string; ModifyIndex: number; CreateIndex: number; Flags: number };

describe('devcatalog KV and sessions (Consul\'s HTTP API, through the real consul client)', () => {
  it('KV: put/get with base64 Value and Flags, recurse, keys with separator, cas, delete recurse, 404 for nothing', async (t) => {
    const { consul, url } = await start(t);
    assert.equal(await consul.kv.get('a/b'), undefined);
    assert.equal(await consul.kv.set({ key: 'a/b', value: 'one', flags: 42 }), true);
    const raw = await (await fetch(`${url}/v1/kv/a/b`)).json() as Entry[];
    assert.deepEqual([raw[0]!.Key, raw[0]!.Value, raw[0]!.Flags, raw[0]!.LockIndex, raw[0]!.CreateIndex === raw[0]!.ModifyIndex], ['a/b', Buffer.from('one').toString('base64'), 42, 0, true]);
    const e = await consul.kv.get('a/b') as Entry;
    assert.equal(e.Value, 'one');
    assert.equal(await consul.kv.set({ key: 'a/b', value: 'two', cas: e.ModifyIndex - 1 }) === true, false); // node-consul hands Consul's `false` as undefined
    assert.equal(await consul.kv.set({ key: 'a/b', value: 'two', cas: e.ModifyIndex }), true);
    assert.equal(await consul.kv.set({ key: 'a/b', value: 'x', cas: 0 }) === true, false); // node-consul hands Consul's `false` as undefined // cas=0: only if absent
    await consul.kv.set('a/c/d', 'three');
    assert.deepEqual((await consul.kv.get({ key: 'a/', recurse: true }) as Entry[]).map((x) => [x.Key, x.Value]), [['a/b', 'two'], ['a/c/d', 'three']]);
    assert.deepEqual(await consul.kv.keys({ key: 'a/', separator: '/' }), ['a/b', 'a/c/']);
    await consul.kv.del({ key: 'a/', recurse: true });
    assert.equal(await consul.kv.get({ key: 'a/', recurse: true }), undefined);
  });

  it('KV blocking query: returns when a key under the prefix changes (deletions too), with a larger X-Consul-Index', async (t) => {
    const { url } = await start(t);
    await fetch(`${url}/v1/kv/p/x`, { method: 'PUT', body: '1' });
    const first = await fetch(`${url}/v1/kv/p/?recurse`);
    const index = Number(first.headers.get('x-consul-index'));
    const started = performance.now();
    const blocked = fetch(`${url}/v1/kv/p/?recurse&index=${index}&wait=30s`);
    await fetch(`${url}/v1/kv/other`, { method: 'PUT', body: 'not under p/' });
    await fetch(`${url}/v1/kv/p/x`, { method: 'DELETE' });
    const res = await blocked;
    assert.equal(res.status, 404);
    assert.ok(Number(res.headers.get('x-consul-index')) > index);
    assert.ok(performance.now() - started < 10_000);
  });

  it('sessions: acquire/release with LockIndex and Session, a second holder refused, TTL expiry (2 × TTL) releases the lock, lock-delay, behavior delete, renew of a gone session is 404', async (t) => {
    const { consul, url } = await start(t);
    const s1 = (await consul.session.create({ name: 'one', ttl: '1s', lockdelay: '300ms', behavior: 'release' }) as { ID: string }).ID;
    const s2 = (await consul.session.create({ name: 'two', ttl: '60s', lockdelay: '0s' }) as { ID: string }).ID;
    assert.equal(await consul.kv.set({ key: 'lock', value: 'n1', acquire: s1 }), true);
    assert.equal(await consul.kv.set({ key: 'lock', value: 'n2', acquire: s2 }) === true, false); // node-consul hands Consul's `false` as undefined
    let lock = await consul.kv.get('lock') as Entry;
    assert.deepEqual([lock.Session, lock.LockIndex, lock.Value], [s1, 1, 'n1']);
    assert.equal(await consul.kv.set({ key: 'lock', value: 'n2', release: s2 }) === true, false); // node-consul hands Consul's `false` as undefined
    const info = await (await fetch(`${url}/v1/session/info/${s1}`)).json() as Array<{ ID: string; TTL: string; Behavior: string; LockDelay: number }>;
    assert.deepEqual([info[0]!.ID, info[0]!.TTL, info[0]!.Behavior, info[0]!.LockDelay], [s1, '1s', 'release', 300e6]);
    // s1 is never renewed: invalidated within 2 s, its lock released (LockIndex kept), then lock-delay.
    await waitFor('the expired session to release the lock', async () => !(await consul.kv.get('lock') as Entry).Session, { timeoutMs: 5000, intervalMs: 20 });
    assert.deepEqual(await (await fetch(`${url}/v1/session/info/${s1}`)).json(), []);
    lock = await consul.kv.get('lock') as Entry;
    assert.equal(lock.LockIndex, 1);
    await waitFor('the lock after its lock-delay', async () => (await consul.kv.set({ key: 'lock', value: 'n2', acquire: s2 })) === true, { timeoutMs: 3000, intervalMs: 20 });
    assert.equal((await consul.kv.get('lock') as Entry).LockIndex, 2);
    assert.equal(await consul.kv.set({ key: 'lock', value: 'bye', release: s2 }), true);
    const s3 = (await consul.session.create({ ttl: '60s', behavior: 'delete' }) as { ID: string }).ID;
    await consul.kv.set({ key: 'eph', value: 'x', acquire: s3 });
    await consul.session.destroy(s3);
    assert.equal(await consul.kv.get('eph'), undefined);
    const renew = await fetch(`${url}/v1/session/renew/${s1}`, { method: 'PUT' });
    assert.deepEqual([renew.status, await renew.text()], [404, `Session id '${s1}' not found`]);
    const bad = await fetch(`${url}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '500ms' }) });
    assert.deepEqual([bad.status, await bad.text()], [400, "Invalid Session TTL '500ms', must be between [1s=24h0m0s]"]);
  });
});
