import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.ts';
import { lb, send, startFileGateway } from '../support/file-gateway.ts';

const spoofed = { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.10' };

/**
 * Go's net.IPNet does not match an IPv4 address against an IPv6 network, so Traefik does not trust an IPv4
 * client with `trustedIPs: ["::/0"]`; Node's BlockList did (it maps IPv4 into IPv6).
 */
describe('trusted IPs through the gateway', () => {
  it('forwardedHeaders.trustedIPs ["::/0"] does not trust an IPv4 client', async (t) => {
    const up = await startUpstream(t, 'echo');
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'echo' } }, services: { echo: lb(up.url) } },
      ['--entryPoints.web.forwardedHeaders.trustedIPs=::/0']);
    const reply = await send(gw.web, '/', { headers: spoofed });
    assert.equal(reply.status, 200);
    const h = up.seen[0]!.headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
  });

  it('forwardedHeaders.trustedIPs ["::/0"] trusts an IPv6 client (::1)', async (t) => {
    const up = await startUpstream(t, 'echo');
    const gw = await startFileGateway(t, { routers: { all: { rule: 'PathPrefix(`/`)', service: 'echo' } }, services: { echo: lb(up.url) } },
      ['--entryPoints.web.address=[::1]:0', '--entryPoints.web.forwardedHeaders.trustedIPs=::/0']);
    assert.match(gw.web, /^http:\/\/\[::1\]:/);
    const reply = await send(gw.web, '/', { headers: spoofed });
    assert.equal(reply.status, 200);
    assert.equal(up.seen[0]!.headers['x-forwarded-for'], '203.0.113.9, ::1');
  });

  it('ipAllowList sourceRange ["::/0"] refuses an IPv4 client; a mapped IPv4 range admits it', async (t) => {
    const up = await startUpstream(t, 'echo');
    const gw = await startFileGateway(t, {
      routers: {
        v6: { rule: 'PathPrefix(`/v6`)', service: 'echo', middlewares: ['v6'] },
        mapped: { rule: 'PathPrefix(`/mapped`)', service: 'echo', middlewares: ['mapped'] },
      },
      middlewares: { v6: { ipAllowList: { sourceRange: ['::/0'] } }, mapped: { ipAllowList: { sourceRange: ['::ffff:127.0.0.0/104'] } } },
      services: { echo: lb(up.url) },
    });
    assert.equal((await send(gw.web, '/v6')).status, 403);
    assert.equal((await send(gw.web, '/mapped')).status, 200);
  });
});
