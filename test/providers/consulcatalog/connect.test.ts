import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { startSidecar, type Sidecar, type SidecarOptions } from '../../../src/dev/sidecar/index.ts';
import type { DevCatalog } from '../../../src/dev/devcatalog/index.ts';
import type { Gateway } from '../../../src/server/gateway.ts';
import { createCertificate } from '../../../src/tls/x509.ts';
import { send } from '../../support/client.ts';
import { getJson, startTestGateway, waitForState, type TestGateway } from '../../support/gateway.ts';
import { startUpstream, type Upstream } from '../../support/upstream.ts';
import { waitFor } from '../../support/wait.ts';
import http from 'node:http';
import { SPAN_KIND, startTraced, traceWhere } from '../../support/tracing.ts';

/**
 * Consul Connect through the running gateway: devcatalog's CA and health/connect, a stand-in sidecar (mTLS,
 * intentions) in front of a real upstream, the real Consul client.
 */

interface Mesh extends TestGateway { catalog: DevCatalog }

async function startMesh(t: TestContext, flags: string[] = []): Promise<Mesh> {
  const gw = await startTestGateway(t, { flags: ['--providers.consulCatalog.connectAware=true', ...flags] });
  return gw as Mesh;
}

/** A Connect service `name`: an upstream, a sidecar in front of it, both registered as Nomad does. */
async function connectService(t: TestContext, m: Mesh, name: string, o: { tags?: string[]; sidecar?: Partial<SidecarOptions>; sidecarTags?: string[] } = {}): Promise<{ app: Upstream; sidecar: Sidecar }> {
  const app = await startUpstream(t, name);
  const sidecar = await startSidecar({ ca: m.catalog.connect, service: name, upstream: app.url, ...o.sidecar });
  t.after(() => sidecar.close());
  m.catalog.register({
    ID: `${name}-1`, Name: name, Address: '127.0.0.1', Port: app.port, Tags: o.tags ?? ['traefik.consulcatalog.connect=true'],
    Check: { CheckID: `${name}-1-ttl`, TTL: '600s', Status: 'passing' },
    Connect: { SidecarService: { Port: sidecar.port, ...(o.sidecarTags ? { Tags: o.sidecarTags } : {}) } },
  });
  return { app, sidecar };
}

function routed(gw: Gateway, router: string, service: string): Promise<void> {
  return waitForState(gw, (s) => s.routers[router] !== undefined && (s.services[service]?.loadBalancer?.servers?.length ?? 0) > 0);
}

interface ServiceView { status: string; error?: string[]; loadBalancer?: { servers?: Array<{ url: string }>; serversTransport?: string } }

describe('Consul Connect: routing through sidecars', () => {
  it('routes with mTLS presenting the gateway\'s leaf; the sidecar sees spiffe://…/svc/traefik', async (t) => {
    const m = await startMesh(t);
    const { app, sidecar } = await connectService(t, m, 'web');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const r = await send(m.web, '/hello', { host: 'web' });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).name, 'web');
    const td = m.catalog.connect.trustDomain;
    assert.deepEqual(sidecar.stats().clients, [`spiffe://${td}/ns/default/dc/dc1/svc/traefik`]);
    assert.match(String(app.seen[0]!.headers['x-forwarded-client-cert']), new RegExp(`URI=spiffe://${td}/ns/default/dc/dc1/svc/traefik$`));
    // The server is the sidecar, over https, through the Connect transport.
    const svc = (await getJson<ServiceView>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    assert.deepEqual(svc.loadBalancer?.servers?.map((s) => s.url), [`https://${sidecar.address}`]);
    assert.equal(svc.loadBalancer?.serversTransport, 'tls-default-dc1-web');
    // The sidecar's own catalog entry (tags inherited, Connect too) builds nothing.
    assert.equal(m.gateway.state().routers['web-sidecar-proxy@consulcatalog'], undefined);
  });

  it('uses providers.consulCatalog.serviceName as the gateway\'s identity', async (t) => {
    const m = await startMesh(t, ['--providers.consulCatalog.serviceName=edge']);
    const { sidecar } = await connectService(t, m, 'web');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200);
    assert.deepEqual(sidecar.stats().clients, [m.catalog.connect.spiffeId('edge')]);
  });

  it('refuses a sidecar presenting another service\'s identity (502, the reason in the API)', async (t) => {
    const m = await startMesh(t);
    const other = m.catalog.connect.issue('api');
    const { app } = await connectService(t, m, 'web', { sidecar: { present: other } });
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const r = await send(m.web, '/', { host: 'web' });
    assert.equal(r.status, 502, r.body);
    assert.equal(app.seen.length, 0);
    const svc = (await getJson<ServiceView & { connect?: { lastRefusal?: { reason: string } } }>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    const reason = JSON.stringify(svc);
    assert.match(reason, new RegExp(m.catalog.connect.spiffeId('web').replaceAll('.', '\\.')), 'the expected identity');
    assert.match(reason, /svc\/api/, 'the identity presented');
  });

  it('refuses a sidecar whose certificate comes from an unrelated CA', async (t) => {
    const m = await startMesh(t);
    const foreignCa = createCertificate({ commonName: 'foreign CA', isCA: true });
    const foreign = createCertificate({ commonName: 'web', uris: [m.catalog.connect.spiffeId('web')], usage: 'both', issuer: foreignCa });
    const { app } = await connectService(t, m, 'web', { sidecar: { present: foreign } });
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const r = await send(m.web, '/', { host: 'web' });
    assert.equal(r.status, 502, r.body);
    assert.equal(app.seen.length, 0);
  });

  it('connectByDefault and the tag, both ways', async (t) => {
    const cases = [
      { desc: 'connectByDefault=false, no tag: plain service to the app', flags: [], tags: ['traefik.enable=true'], via: 'app' },
      { desc: 'connectByDefault=false, connect=true: through the sidecar', flags: [], tags: ['traefik.consulcatalog.connect=true'], via: 'sidecar' },
      { desc: 'connectByDefault=true, no tag: through the sidecar', flags: ['--providers.consulCatalog.connectByDefault=true'], tags: ['traefik.enable=true'], via: 'sidecar' },
      { desc: 'connectByDefault=true, connect=false: plain service to the app', flags: ['--providers.consulCatalog.connectByDefault=true'], tags: ['traefik.consulcatalog.connect=false'], via: 'app' },
    ];
    for (const c of cases) {
      await t.test(c.desc, async (tt) => {
        const m = await startMesh(tt, c.flags);
        // The sidecar inherits the parent's tags: a plain "web" also gets a plain "web-sidecar-proxy" (reported).
        const { app, sidecar } = await connectService(tt, m, 'web', { tags: c.tags });
        await waitForState(m.gateway, (s) => (s.services['web@consulcatalog']?.loadBalancer?.servers?.length ?? 0) > 0);
        const url = m.gateway.state().services['web@consulcatalog']!.loadBalancer!.servers![0]!.url;
        assert.equal(url, c.via === 'sidecar' ? `https://${sidecar.address}` : `http://127.0.0.1:${app.port}`, c.desc);
        const r = await send(m.web, '/', { host: 'web' });
        assert.equal(r.status, 200, `${c.desc}: ${r.body}`);
        assert.equal(sidecar.stats().handshakes > 0, c.via === 'sidecar', c.desc);
      });
    }
  });

  it('filters sidecars by health like the catalog (strictChecks)', async (t) => {
    const m = await startMesh(t);
    await connectService(t, m, 'web');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    // The sidecar's alias check follows the app: critical drops the only server.
    m.catalog.setCheck('web-1-ttl', 'critical');
    await waitForState(m.gateway, (s) => s.services['web@consulcatalog'] === undefined || (s.services['web@consulcatalog']!.loadBalancer?.servers?.length ?? 0) === 0);
    m.catalog.setCheck('web-1-ttl', 'passing');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200);
  });
});

describe('Consul Connect: certificates', () => {
  it('reports Connect services as waiting until the leaf arrives, while other services route', async (t) => {
    const m = await startMesh(t);
    m.catalog.faults.connectCA = 500;
    await connectService(t, m, 'web');
    const plain = await startUpstream(t, 'plain');
    m.catalog.register({ ID: 'plain-1', Name: 'plain', Address: '127.0.0.1', Port: plain.port });
    await waitForState(m.gateway, (s) => s.routers['plain@consulcatalog'] !== undefined && s.services['web@consulcatalog'] !== undefined);
    assert.equal((await send(m.web, '/', { host: 'plain' })).status, 200);
    const waiting = await send(m.web, '/', { host: 'web' });
    assert.equal(waiting.status, 503, 'never in the clear');
    const svc = (await getJson<ServiceView>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    assert.equal(svc.status, 'warning');
    assert.match(String(svc.error), /waiting for this gateway's Connect certificates/);
    const overview = (await getJson<{ providerStatus: Array<{ name: string; connect?: { state: string }; error?: string }> }>(`${m.admin}/api/overview`)).body;
    const consul = overview.providerStatus.find((p) => p.name === 'consulcatalog')!;
    assert.equal(consul.connect?.state, 'waiting');
    assert.match(String(consul.error), /leaf|roots/);
    m.catalog.faults.connectCA = 0;
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200);
  });

  it('keeps the last good certificates while the CA endpoints fail', async (t) => {
    const m = await startMesh(t);
    await connectService(t, m, 'web');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const serial = await connectStatus(m, (c) => c.leafSerial);
    m.catalog.faults.connectCA = 500;
    m.catalog.connect.rotateLeaf('traefik'); // wakes the parked leaf query into the fault
    await waitFor('the CA failure reported', async () => /leaf/.test(String((await providerStatus(m)).error)));
    assert.equal((await connectStatus(m, (c) => c.leafSerial)), serial, 'the last good leaf stays');
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200, 'still routed with it');
    m.catalog.faults.connectCA = 0;
    await waitFor('the new leaf', async () => (await connectStatus(m, (c) => c.leafSerial)) !== serial);
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200);
  });
});

async function providerStatus(m: Mesh): Promise<{ error?: string; connect?: Record<string, unknown> }> {
  const overview = (await getJson<{ providerStatus: Array<{ name: string; error?: string; connect?: Record<string, unknown> }> }>(`${m.admin}/api/overview`)).body;
  return overview.providerStatus.find((p) => p.name === 'consulcatalog')!;
}

async function connectStatus(m: Mesh, pick: (c: Record<string, unknown>) => unknown): Promise<unknown> {
  return pick((await providerStatus(m)).connect ?? {});
}

/** Keep-alive clients sending GETs until stopped; every answer that is not 200 (or an error) is a failure. */
function loadUntilStopped(base: string, host: string, concurrency: number): { stop(): Promise<{ ok: number; failed: string[] }>; ok(): number } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let stopped = false;
  let ok = 0;
  const failed: string[] = [];
  const one = (): Promise<void> => new Promise((resolve) => {
    const req = http.request(`${base}/load`, { agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) ok++; else failed.push(String(res.statusCode)); resolve(); });
    });
    req.on('error', (err) => { failed.push(err.message); resolve(); });
    req.end();
  });
  const workers = Array.from({ length: concurrency }, async () => { while (!stopped) await one(); });
  return {
    ok: () => ok,
    async stop() { stopped = true; await Promise.all(workers); agent.destroy(); return { ok, failed }; },
  };
}

describe('Consul Connect: rotation under load', () => {
  it('leaf rotation, then root rotation (roots, leaves, prune): new connections use the new certificates, no request fails', async (t) => {
    const m = await startMesh(t);
    const { sidecar } = await connectService(t, m, 'web');
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const load = loadUntilStopped(m.web, 'web', 8);
    const progress = async (what: string): Promise<void> => { const at = load.ok(); await waitFor(`requests after ${what}`, () => load.ok() > at + 50); };
    try {
      await progress('start');
      // Leaf rotation: the gateway's new leaf reaches the sidecar on new connections.
      const serial0 = String(await connectStatus(m, (c) => c.leafSerial));
      m.catalog.connect.rotateLeaf();
      await waitFor('the new leaf in use', async () => String(await connectStatus(m, (c) => c.leafSerial)) !== serial0);
      const serial1 = String(await connectStatus(m, (c) => c.leafSerial)).replaceAll(':', '').replace(/^0+/, '').toUpperCase();
      await waitFor('a handshake with the new leaf', () => sidecar.stats().clientSerials.some((s) => s.replace(/^0+/, '') === serial1));
      await progress('leaf rotation');
      // Root rotation, in Consul's steps.
      const root0 = await connectStatus(m, (c) => c.activeRootId);
      m.catalog.connect.rotateRoot();
      await waitFor('the new roots', async () => (await connectStatus(m, (c) => c.activeRootId)) !== root0 && (await connectStatus(m, (c) => c.roots)) === 2);
      await progress('new roots');
      const serial2 = await connectStatus(m, (c) => c.leafSerial);
      m.catalog.connect.rotateLeaf();
      await waitFor('the leaf under the new root', async () => (await connectStatus(m, (c) => c.leafSerial)) !== serial2);
      await progress('leaves under the new root');
      m.catalog.connect.pruneRoots();
      await waitFor('the old root pruned', async () => (await connectStatus(m, (c) => c.roots)) === 1);
      await progress('prune');
    } finally {
      const { ok, failed } = await load.stop();
      assert.deepEqual(failed, [], `${failed.length} failed of ${ok + failed.length}`);
      assert.ok(ok > 250, `${ok} requests`);
    }
    assert.ok(sidecar.stats().clientSerials.length >= 3, 'three leaves were presented');
  });
});

describe('Consul Connect: intentions, spans, traps', () => {
  it('a deny intention on an HTTP service: the sidecar\'s 403 is passed on, with the intention to add in the API', async (t) => {
    const m = await startMesh(t);
    await connectService(t, m, 'web', { sidecar: { intentions: [{ source: 'traefik', action: 'deny' }] } });
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const r = await send(m.web, '/', { host: 'web' });
    assert.equal(r.status, 403);
    assert.equal(r.body, 'RBAC: access denied');
    const svc = (await getJson<{ connect?: { lastRefusal?: { reason: string; hint?: string } } }>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    assert.match(String(svc.connect?.lastRefusal?.hint), /consul intention create -allow traefik web/);
  });

  it('a deny intention on a TCP service: the closed connection is a 502 with the same hint', async (t) => {
    const m = await startMesh(t);
    const { sidecar } = await connectService(t, m, 'web', { sidecar: { protocol: 'tcp', intentions: [{ source: '*', action: 'deny' }] } });
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    const r = await send(m.web, '/', { host: 'web' });
    assert.equal(r.status, 502);
    assert.ok(sidecar.stats().denied > 0);
    const svc = (await getJson<{ connect?: { lastRefusal?: { reason: string; hint?: string } } }>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    assert.match(String(svc.connect?.lastRefusal?.hint), /consul intention create -allow traefik web/);
    // Allowed again: routed.
    sidecar.setIntentions([{ source: 'traefik', action: 'allow' }]);
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 200);
  });

  it('the client span: server.address is the sidecar, the peer\'s SPIFFE ID an attribute; a refusal names both identities', async (t) => {
    const gw = await startTraced(t, {}, { consul: true, flags: ['--providers.consulCatalog.connectAware=true'] });
    const m = gw as unknown as Mesh;
    const { sidecar } = await connectService(t, m, 'web');
    const other = await connectService(t, m, 'api', { sidecar: { present: m.catalog.connect.issue('db') } });
    void other;
    await routed(m.gateway, 'web@consulcatalog', 'web@consulcatalog');
    await routed(m.gateway, 'api@consulcatalog', 'api@consulcatalog');
    assert.equal((await send(m.web, '/ok', { host: 'web' })).status, 200);
    const ok = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.CLIENT && s.attributes['url.full'] === `https://${sidecar.address}/ok`, 2);
    const client = ok.one('ReverseProxy');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['server.port'], sidecar.port);
    assert.equal(client.attributes['tagway.connect.peer.spiffe_id'], m.catalog.connect.spiffeId('web'));
    assert.equal(client.attributes['tagway.connect.expected_spiffe_id'], m.catalog.connect.spiffeId('web'));
    assert.equal((await send(m.web, '/bad', { host: 'api' })).status, 502);
    const bad = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.CLIENT && String(s.attributes['url.full']).endsWith('/bad'), 2);
    const refused = bad.one('ReverseProxy');
    assert.match(refused.status.message, /spiffe:\/\/[^ ]+\/svc\/api/);
    assert.match(refused.status.message, /svc\/db/);
    assert.equal(refused.attributes['tagway.connect.peer.spiffe_id'], undefined, 'no verified peer');
  });

  it('reports a sidecar that inherited its parent\'s tags and redefines its router (Traefik drops it)', async (t) => {
    const m = await startMesh(t);
    // The operator forgot the connect tag: web and its sidecar both declare router "web".
    await connectService(t, m, 'web', { tags: ['traefik.http.routers.web.rule=Host(`web`)'] });
    await waitForState(m.gateway, (s) => s.routers['web@consulcatalog'] !== undefined && s.services['web-sidecar-proxy@consulcatalog'] !== undefined);
    const router = (await getJson<{ status: string; error?: string[] }>(`${m.admin}/api/http/routers/web@consulcatalog`)).body;
    const text = JSON.stringify(router);
    assert.match(text, /Connect sidecar of \\"web\\"/);
    assert.match(text, /traefik\.consulcatalog\.connect=true/);
  });

  it('reports a Connect service hidden by its sidecar\'s own tags with exposedByDefault=false', async (t) => {
    const m = await startMesh(t, ['--providers.consulCatalog.exposedByDefault=false']);
    // The usual fix for the duplicate router: the sidecar gets tags of its own, and loses traefik.enable=true.
    await connectService(t, m, 'web', { tags: ['traefik.enable=true', 'traefik.consulcatalog.connect=true'], sidecarTags: ['mesh'] });
    const plain = await startUpstream(t, 'seen');
    m.catalog.register({ ID: 'seen-1', Name: 'seen', Address: '127.0.0.1', Port: plain.port, Tags: ['traefik.enable=true'] });
    await waitForState(m.gateway, (s) => s.services['seen@consulcatalog'] !== undefined);
    await waitFor('the trap reported', async () => (await getJson(`${m.admin}/api/http/services/web@consulcatalog`)).status === 200);
    const svc = (await getJson<{ status: string; error?: string[] }>(`${m.admin}/api/http/services/web@consulcatalog`)).body;
    assert.match(String(svc.error), /reads the sidecar's tags/);
    assert.match(String(svc.error), /exposedByDefault=false the service is hidden/);
    assert.equal((await send(m.web, '/', { host: 'web' })).status, 404, 'hidden, as in Traefik');
  });
});
