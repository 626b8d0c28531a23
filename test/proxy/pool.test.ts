import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PoolRegistry } from '../../src/proxy/pool.ts';
import { defaultTransport } from '../../src/proxy/transport.ts';

describe('PoolRegistry', () => {
  it('shares one pool per origin and settings, and closes it when the last lease is released', async () => {
    const pools = new PoolRegistry();
    const a1 = pools.acquire('http://127.0.0.1:8081');
    const a2 = pools.acquire('http://127.0.0.1:8081');
    const b = pools.acquire('http://127.0.0.1:8082');
    const slow = pools.acquire('http://127.0.0.1:8081', defaultTransport({ dialTimeout: 1_000 }));
    assert.equal(a1.pool, a2.pool);
    assert.notEqual(a1.pool, b.pool);
    assert.notEqual(a1.pool, slow.pool, 'different connection settings, different pool');
    assert.equal(pools.size, 3);
    a1.release();
    a1.release(); // idempotent: must not drop a2's reference
    assert.equal(pools.size, 3);
    assert.equal(a2.pool.closed, false);
    a2.release();
    assert.equal(pools.size, 2);
    assert.equal(a2.pool.closed, true);
    await pools.close();
    await pools.close();
    assert.equal(pools.size, 0);
    assert.equal(b.pool.closed, true);
    b.release(); // after close: harmless
    assert.throws(() => pools.acquire('http://127.0.0.1:8081'), /closed/);
  });

  it('hands out one keep-alive agent per protocol', async () => {
    const pools = new PoolRegistry();
    assert.equal(pools.agent('http:'), pools.agent('http:'));
    assert.notEqual(pools.agent('http:'), pools.agent('https:'));
    assert.equal((pools.agent('http:') as unknown as { keepAlive: boolean }).keepAlive, true);
    await pools.close();
  });
});
