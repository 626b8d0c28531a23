import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FORCE_SLASH_DEPRECATED } from '../../src/middlewares/strip-prefix/index.ts';
import { startFileGateway, send } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';

/**
 * stripPrefix's deprecated `forceSlash`, as Traefik v3 has it (pkg/middlewares/stripprefix/strip_prefix.go and the
 * reverse proxy's request-target): setting it (to any value) logs a deprecation warning — shown here on the
 * middleware — and the upstream receives the same request-target in all three modes, with a server path
 * (`preservePath`) too: a path that is exactly the prefix becomes "" (false) or "/" (true), and Go sends "/" for "".
 */
describe('stripPrefix.forceSlash through the running gateway', () => {
  it('the same upstream target whatever forceSlash says; a deprecation warning when it is set', async (t) => {
    const up = await startUpstream(t, 'up');
    const modes = { unset: {}, on: { forceSlash: true }, off: { forceSlash: false } } as const;
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    for (const [mode, extra] of Object.entries(modes)) {
      middlewares[mode] = { stripPrefix: { prefixes: ['/stat', '/api'], ...extra } };
      routers[mode] = { rule: `Header(\`X-Mode\`, \`${mode}\`)`, service: 'up', middlewares: [mode] };
      routers[`${mode}-base`] = { rule: `Header(\`X-Mode\`, \`${mode}-base\`)`, service: 'base', middlewares: [mode] };
    }
    const gw = await startFileGateway(t, {
      routers, middlewares,
      services: { up: { loadBalancer: { servers: [{ url: up.url }] } }, base: { loadBalancer: { servers: [{ url: `${up.url}/base` , preservePath: true }] } } },
    });
    const cases = [
      ['/stat', '/', '/base/'], ['/stat/', '/', '/base/'], ['/stat/us', '/us', '/base/us'], ['/status', '/us', '/base/us'],
      ['/api../foo', 400, 400], ['/other', '/other', '/base/other'],
    ] as Array<[string, string | number, string | number]>;
    for (const mode of Object.keys(modes)) {
      for (const [path, plain, based] of cases) {
        for (const [suffix, want] of [['', plain], ['-base', based]] as const) {
          const before = up.seen.length;
          const r = await send(gw.web, path, { headers: { 'x-mode': `${mode}${suffix}` } });
          if (String(want) === '400') { assert.equal(r.status, 400, `${mode}${suffix} ${path}`); continue; }
          assert.equal(r.status, 200, `${mode}${suffix} ${path}: ${r.body}`);
          assert.equal(up.seen.at(-1)!.url, String(want), `${mode}${suffix} ${path}`);
          assert.equal(up.seen.length, before + 1);
        }
      }
    }
    const state = gw.gateway.state().middlewares;
    assert.equal(state['unset@file']?.status, 'enabled');
    for (const m of ['on@file', 'off@file']) {
      assert.equal(state[m]?.status, 'warning', m);
      assert.deepEqual(state[m]?.error, [FORCE_SLASH_DEPRECATED]);
    }
  });
});
