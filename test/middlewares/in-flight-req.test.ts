import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { startFileGateway, send, lb } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';

describe('inFlightReq through the running gateway', () => {
  it('admits `amount` requests per source at once, 429 beyond, and frees a slot when a response ends', async (t) => {
    const held: ServerResponse[] = [];
    const up = await startUpstream(t, 'up', (req, res) => {
      req.resume();
      if (req.url === '/hold') { held.push(res); return; }
      res.end('quick');
    });
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['limit'] } },
      middlewares: { limit: { inFlightReq: { amount: 2, sourceCriterion: { requestHeaderName: 'X-Tenant' } } } },
      services: { up: lb(up.url) },
    });
    const a1 = send(gw.web, '/hold', { headers: { 'x-tenant': 'a' } });
    const a2 = send(gw.web, '/hold', { headers: { 'x-tenant': 'a' } });
    await waitFor('two held requests', () => held.length === 2);
    const refused = await send(gw.web, '/quick', { headers: { 'x-tenant': 'a' } });
    assert.equal(refused.status, 429);
    assert.equal(refused.body, 'max connections reached: 2');
    const other = await send(gw.web, '/quick', { headers: { 'x-tenant': 'b' } });
    assert.equal(other.status, 200, 'another source has its own slots');
    held.shift()!.end('done');
    assert.equal((await a1).status, 200);
    const again = await send(gw.web, '/quick', { headers: { 'x-tenant': 'a' } });
    assert.equal(again.status, 200, 'a finished response frees its slot');
    held.shift()!.end('done');
    await a2;
  });

  it('counts by Host by default and frees the slot of a client that went away', async (t) => {
    const held: ServerResponse[] = [];
    const up = await startUpstream(t, 'up', (req, res) => { req.resume(); if (req.url === '/hold') held.push(res); else res.end('ok'); });
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['limit'] } },
      middlewares: { limit: { inFlightReq: { amount: 1 } } },
      services: { up: lb(up.url) },
    });
    const { request } = await import('node:http');
    const url = new URL(gw.web);
    const gone = request({ host: url.hostname, port: url.port, path: '/hold', headers: { host: 'one.test' }, agent: false });
    gone.on('error', () => {});
    gone.end();
    await waitFor('held', () => held.length === 1);
    assert.equal((await send(gw.web, '/x', { headers: { host: 'one.test' } })).status, 429);
    assert.equal((await send(gw.web, '/x', { headers: { host: 'two.test' } })).status, 200);
    gone.destroy();
    await waitFor('slot freed after the client left', async () => (await send(gw.web, '/x', { headers: { host: 'one.test' } })).status === 200);
    held[0]!.destroy();
  });

  it('refuses two source criteria at once (Traefik\'s messages) and a negative amount', () => {
    const cases: Array<[object, RegExp]> = [
      [{ amount: 1, sourceCriterion: { ipStrategy: { depth: 1 }, requestHeaderName: 'X' } }, /iPStrategy and RequestHeaderName are mutually exclusive/],
      [{ amount: 1, sourceCriterion: { ipStrategy: {}, requestHost: true } }, /iPStrategy and RequestHost are mutually exclusive/],
      [{ amount: 1, sourceCriterion: { requestHeaderName: 'X', requestHost: true } }, /requestHost and RequestHeaderName are mutually exclusive/],
      [{ amount: -1 }, /inFlightReq.amount/],
    ];
    for (const [cfg, re] of cases) {
      const built = buildMiddleware('l@file', { inFlightReq: cfg }, () => new Error('none'));
      assert.ok(built instanceof Error && re.test(built.message), String(built instanceof Error ? built.message : 'built'));
    }
  });
});
