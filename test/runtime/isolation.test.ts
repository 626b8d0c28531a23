/**
 * Issue 10, "one tag freezes all configuration": no input from Consul may fail the whole build. Through the
 * running gateway on real sockets (devcatalog + the real Consul client): a poisoned tag disables only its
 * router, with its error in /api/http/routers, and a service registered afterwards is routed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouterInfo } from '../../src/dynamic/runtime.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { api, instance, via } from '../server/admin/support.ts';

/** Rules that broke the whole build once (a RangeError out of the rule compiler), and stay hostile. */
const POISON = [
  { desc: '5,000 nested parentheses', rule: '('.repeat(5000) + 'Host(`poison.test`)' + ')'.repeat(5000) },
  { desc: '2,000 nested parentheses', rule: '('.repeat(2000) + 'Host(`poison.test`)' + ')'.repeat(2000) },
  { desc: 'a 4 KB rule', rule: 'Host(`poison.test`) && (' + 'PathPrefix(`/a`) || '.repeat(205) + 'PathPrefix(`/b`))' },
];

describe('a poisoned tag disables only its router', () => {
  for (const poison of POISON) {
    it(`${poison.desc}: the router is disabled with its error, the others route, a later service is routed`, async (t) => {
      const { gateway, catalog, web, admin } = await startTestGateway(t);
      const a = await startUpstream(t, 'a');
      const b = await startUpstream(t, 'b');
      catalog!.register(instance('good-1', 'good', a.port));
      await waitForState(gateway, (s) => s.routers['good@consulcatalog']?.status === 'enabled');
      assert.equal((await via(web, 'good')).upstream, 'a');

      catalog!.register(instance('poison-1', 'poison', a.port, [`traefik.http.routers.poison.rule=${poison.rule}`]));
      await waitForState(gateway, (s) => s.routers['poison@consulcatalog'] !== undefined);
      catalog!.register(instance('later-1', 'later', b.port));
      await waitForState(gateway, (s) => s.routers['later@consulcatalog'] !== undefined);

      const routers = (await api<RouterInfo[]>(admin, '/api/http/routers')).body;
      const byName = new Map(routers.map((r) => [r.name, r]));
      const bad = byName.get('poison@consulcatalog');
      assert.ok(bad, 'the poisoned router is listed');
      if (bad.status === 'disabled') assert.ok(bad.error && bad.error.length > 0 && bad.error.every((e) => e.length > 0), 'a disabled router says why');
      else assert.equal(bad.status, 'enabled', 'a rule the compiler accepts routes normally');
      assert.equal(byName.get('good@consulcatalog')?.status, 'enabled');
      assert.equal(byName.get('later@consulcatalog')?.status, 'enabled');
      assert.equal((await via(web, 'later')).upstream, 'b', 'a service registered after the poison is routed');
      assert.equal((await via(web, 'good')).upstream, 'a', 'the services before it still route');
    });
  }
});
