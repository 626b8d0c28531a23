import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.ts';
import { getJson, startTestGateway, waitForState } from '../support/gateway.ts';
import { send, servedBy } from '../support/file-gateway.ts';
import { routerNameHash } from '../../src/runtime/recursion.ts';

/** Traefik's DenyRouterRecursion on routers made from the Consul provider's defaultRule, through the running gateway. */
describe('X-Traefik-Router on default-rule routers', () => {
  it('a default-rule router sends X-Traefik-Router upstream and refuses a request that carries its own (400)', async (t) => {
    const up = await startUpstream(t, 'whoami');
    const { gateway, catalog, web, admin } = await startTestGateway(t);
    catalog!.register({ Name: 'whoami', Address: '127.0.0.1', Port: up.port, Tags: ['traefik.http.routers.explicit.rule=Host(`explicit.test`)', 'traefik.http.routers.explicit.service=whoami'] });
    catalog!.register({ Name: 'plain', ID: 'plain-1', Address: '127.0.0.1', Port: up.port, Tags: [] });
    await waitForState(gateway, (s) => s.routers['plain@consulcatalog'] !== undefined && s.routers['explicit@consulcatalog'] !== undefined);
    const hash = routerNameHash('plain@consulcatalog');
    assert.equal(routerNameHash('a'), 'af63bd4c8601b7be', "Go's fnv.New64 (FNV-1), in hex");
    assert.equal(servedBy(await send(web, '/', { headers: { host: 'plain' } })), 'whoami');
    assert.equal(up.seen.at(-1)!.headers['x-traefik-router'], hash);
    const looped = await send(web, '/', { headers: { host: 'plain', 'X-Traefik-Router': hash } });
    assert.equal(looped.status, 400);
    assert.equal(looped.body, '');
    assert.equal(servedBy(await send(web, '/', { headers: { host: 'plain', 'X-Traefik-Router': 'another' } })), 'whoami', 'another router\'s hash passes');

    // A router with its own rule gets no header (Traefik adds the guard to default-rule routers only).
    assert.equal(servedBy(await send(web, '/', { headers: { host: 'explicit.test' } })), 'whoami');
    assert.equal(up.seen.at(-1)!.headers['x-traefik-router'], undefined);
    // The marker is Traefik's json:"-": not in the API.
    const { body } = await getJson<Record<string, unknown>>(`${admin}/api/http/routers/plain@consulcatalog`);
    assert.equal('defaultRule' in body, false);
  });
});
