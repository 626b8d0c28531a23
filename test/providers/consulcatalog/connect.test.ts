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
