import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import http from 'node:http';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { startDevCatalog } from '../../../src/dev/devcatalog/index.ts';
import type { CARootListJSON, DevCatalog, LeafCertJSON } from '../../../src/dev/devcatalog/index.ts';
import { collectReply } from '../../support/upstream.ts';
import { waitFor } from '../../support/wait.ts';

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

async function start(t: TestContext): Promise<DevCatalog> {
  const dc = await startDevCatalog();
  t.after(() => dc.close());
  return dc;
}

function get(dc: DevCatalog, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: dc.port, method: 'GET', path, agent: false }, (res) => collectReply(res, resolve, reject));
    req.on('error', reject);
    req.end();
  });
}

async function json<T>(dc: DevCatalog, path: string): Promise<{ index: number; body: T; status: number }> {
  const r = await get(dc, path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return { index: Number(r.headers['x-consul-index']), body: JSON.parse(r.body) as T, status: r.status };
}

function uriSans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
}

describe('devcatalog Connect CA', () => {
  it('lists an EC P-256 root with the trust domain, in Consul\'s JSON', async (t) => {
    const dc = await start(t);
    const { body, index } = await json<CARootListJSON>(dc, '/v1/agent/connect/ca/roots');
    assert.ok(index > 0);
    assert.equal(body.TrustDomain, dc.connect.trustDomain);
    assert.match(body.TrustDomain, /^[0-9a-f-]{36}\.consul$/);
    assert.equal(body.Roots.length, 1);
    const root = body.Roots[0]!;
    assert.equal(root.ID, body.ActiveRootID);
    assert.equal(root.Active, true);
    assert.equal(root.PrivateKeyType, 'ec');
    assert.equal(root.PrivateKeyBits, 256);
    assert.equal(root.IntermediateCerts, null);
    assert.equal(root.ExternalTrustDomain, body.TrustDomain.replace(/\.consul$/, ''));
    assert.match(root.SigningKeyID, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const x = new X509Certificate(root.RootCert);
    assert.equal(x.ca, true);
    assert.equal(root.ID, x.fingerprint.toLowerCase());
    assert.equal((x.publicKey.asymmetricKeyDetails as { namedCurve?: string }).namedCurve, 'prime256v1');
    assert.deepEqual(uriSans(root.RootCert), [`spiffe://${body.TrustDomain}`]);
    assert.equal(root.NotBefore, new Date(x.validFrom).toISOString().replace('.000Z', 'Z'));
    // The non-agent endpoint answers the same list.
    assert.deepEqual((await json<CARootListJSON>(dc, '/v1/connect/ca/roots')).body, body);
  });

  it('issues a leaf with the service\'s SPIFFE ID, signed by the active root', async (t) => {
    const dc = await start(t);
    const { body: leaf, index } = await json<LeafCertJSON>(dc, '/v1/agent/connect/ca/leaf/traefik');
    const { body: roots } = await json<CARootListJSON>(dc, '/v1/agent/connect/ca/roots');
    const expected = `spiffe://${roots.TrustDomain}/ns/default/dc/dc1/svc/traefik`;
    assert.equal(leaf.Service, 'traefik');
    assert.equal(leaf.ServiceURI, expected);
    assert.equal(leaf.ModifyIndex, index);
    assert.match(leaf.PrivateKeyPEM, /^-----BEGIN EC PRIVATE KEY-----/);
    const x = new X509Certificate(leaf.CertPEM);
    assert.deepEqual(uriSans(leaf.CertPEM), [expected]);
    assert.equal(x.ca, false);
    assert.ok(x.verify(new X509Certificate(roots.Roots[0]!.RootCert).publicKey), 'signed by the root');
    assert.ok(x.checkPrivateKey(createPrivateKey(leaf.PrivateKeyPEM)), 'the key is the certificate\'s');
    assert.equal(leaf.ValidAfter, new Date(x.validFrom).toISOString().replace('.000Z', 'Z'));
    assert.equal(leaf.ValidBefore, new Date(x.validTo).toISOString().replace('.000Z', 'Z'));
    assert.ok(Date.parse(leaf.ValidBefore) - Date.parse(leaf.ValidAfter) >= 72 * 3_600_000, 'Consul\'s 72 h TTL');
    assert.deepEqual(x.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'server and client auth');
    // Asked again: the same leaf (the agent caches it).
    const again = await json<LeafCertJSON>(dc, '/v1/agent/connect/ca/leaf/traefik');
    assert.equal(again.body.SerialNumber, leaf.SerialNumber);
    assert.equal(again.index, index);
  });

  it('wakes a blocking leaf query on leaf rotation, with a higher index and a new certificate', async (t) => {
    const dc = await start(t);
    const first = await json<LeafCertJSON>(dc, '/v1/agent/connect/ca/leaf/traefik');
    const parked = json<LeafCertJSON>(dc, `/v1/agent/connect/ca/leaf/traefik?index=${first.index}&wait=30s`);
    await waitParked(dc, 1);
    dc.connect.rotateLeaf('traefik');
    const next = await parked;
    assert.ok(next.index > first.index);
    assert.notEqual(next.body.SerialNumber, first.body.SerialNumber);
    assert.notEqual(next.body.CertPEM, first.body.CertPEM);
    assert.equal(next.body.CreateIndex, first.body.CreateIndex);
    assert.equal(dc.connect.issued('traefik'), 2);
  });

  it('rotates the root in Consul\'s steps: roots first (the old one listed until pruned), then the leaves', async (t) => {
    const dc = await start(t);
    const leaf0 = await json<LeafCertJSON>(dc, '/v1/agent/connect/ca/leaf/traefik');
    const roots0 = await json<CARootListJSON>(dc, '/v1/agent/connect/ca/roots');
    const parkedRoots = json<CARootListJSON>(dc, `/v1/agent/connect/ca/roots?index=${roots0.index}`);
    const parkedLeaf = json<LeafCertJSON>(dc, `/v1/agent/connect/ca/leaf/traefik?index=${leaf0.index}`);
    await waitParked(dc, 2);
    const seen: string[] = [];
    t.after(dc.connect.onChange((what) => seen.push(what)));
    dc.connect.rotateRoot();
    const roots1 = await parkedRoots;
    assert.equal(dc.connect.issued('traefik'), 1, 'the leaf is not renewed with the roots');
    dc.connect.rotateLeaf();
    const leaf1 = await parkedLeaf;
    assert.deepEqual(seen, ['roots', 'leaf']);
    assert.ok(roots1.index > roots0.index);
    assert.equal(roots1.body.Roots.length, 2);
    const active = roots1.body.Roots.find((r) => r.Active)!;
    assert.equal(roots1.body.ActiveRootID, active.ID);
    assert.notEqual(active.ID, roots0.body.ActiveRootID);
    const old = roots1.body.Roots.find((r) => !r.Active)!;
    assert.equal(old.ID, roots0.body.ActiveRootID);
    assert.notEqual(old.RotatedOutAt, '0001-01-01T00:00:00Z');
    assert.ok(new X509Certificate(leaf1.body.CertPEM).verify(new X509Certificate(active.RootCert).publicKey), 'the new leaf chains to the new root');
    assert.ok(!new X509Certificate(leaf1.body.CertPEM).verify(new X509Certificate(old.RootCert).publicKey));
    dc.connect.pruneRoots();
    const roots2 = await json<CARootListJSON>(dc, '/v1/agent/connect/ca/roots');
    assert.ok(roots2.index > roots1.index);
    assert.deepEqual(roots2.body.Roots.map((r) => r.ID), [active.ID]);
  });

  it('answers the switched-on CA fault at once and when a parked query wakes', async (t) => {
    const dc = await start(t);
    const leaf = await json<LeafCertJSON>(dc, '/v1/agent/connect/ca/leaf/traefik');
    const parked = get(dc, `/v1/agent/connect/ca/leaf/traefik?index=${leaf.index}`);
    await waitParked(dc, 1);
    dc.faults.connectCA = 500;
    assert.equal((await get(dc, '/v1/agent/connect/ca/roots')).status, 500);
    dc.connect.rotateLeaf();
    assert.equal((await parked).status, 500);
    assert.equal((await get(dc, '/v1/health/service/consul')).status, 200, 'other endpoints answer');
    dc.faults.connectCA = 0;
    assert.equal((await get(dc, '/v1/agent/connect/ca/leaf/traefik')).status, 200);
  });
});

describe('devcatalog connect-proxy registrations', () => {
  it('register the sidecar_service with Consul\'s defaults, parent tags inherited', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'web', Port: 8080, Address: '127.0.0.1', Tags: ['traefik.enable=true'], Check: { TTL: '60s', Status: 'passing' }, Connect: { SidecarService: {} } });
    const services = await json<Record<string, string[]>>(dc, '/v1/catalog/services');
    assert.deepEqual(services.body['web-sidecar-proxy'], ['traefik.enable=true'], 'the sidecar inherits the tags');
    type Entry = { Service: { ID: string; Service: string; Kind?: string; Port: number; Tags: string[]; Proxy: Record<string, unknown> }; Checks: { Name: string; Status: string }[] };
    const { body } = await json<Entry[]>(dc, '/v1/health/connect/web');
    assert.equal(body.length, 1);
    const svc = body[0]!.Service;
    assert.equal(svc.ID, 'web-sidecar-proxy');
    assert.equal(svc.Service, 'web-sidecar-proxy');
    assert.equal(svc.Kind, 'connect-proxy');
    assert.equal(svc.Port, 21000);
    assert.deepEqual(svc.Proxy['DestinationServiceName'], 'web');
    assert.deepEqual(svc.Proxy['DestinationServiceID'], 'web');
    assert.deepEqual(svc.Proxy['LocalServicePort'], 8080);
    assert.deepEqual(body[0]!.Checks.map((c) => c.Name).sort(), ['Connect Sidecar Aliasing web', 'Connect Sidecar Listening', 'Serf Health Status']);
    // Own tags on the sidecar replace the inherited ones; the port is kept.
    dc.register({ Name: 'web', Port: 8080, Address: '127.0.0.1', Tags: ['traefik.enable=true'], Check: { TTL: '60s', Status: 'passing' }, Connect: { SidecarService: { Tags: ['mesh'] } } });
    assert.deepEqual((await json<Record<string, string[]>>(dc, '/v1/catalog/services')).body['web-sidecar-proxy'], ['mesh']);
    assert.equal((await json<Entry[]>(dc, '/v1/health/connect/web')).body[0]!.Service.Port, 21000);
  });

  it('health/connect: the alias check follows the parent, ?passing filters, deregistering the parent removes the sidecar', async (t) => {
    const dc = await start(t);
    dc.register({ ID: 'web-1', Name: 'web', Port: 8080, Check: { CheckID: 'web-1-ttl', TTL: '60s', Status: 'passing' }, Connect: { SidecarService: {} } });
    const before = await json<unknown[]>(dc, '/v1/health/connect/web?passing');
    assert.equal(before.body.length, 1);
    const parked = json<unknown[]>(dc, `/v1/health/connect/web?passing&index=${before.index}`);
    await waitParked(dc, 1);
    dc.setCheck('web-1-ttl', 'critical');
    const after = await parked;
    assert.ok(after.index > before.index);
    assert.equal(after.body.length, 0, 'the sidecar aliases its critical parent');
    assert.equal((await json<unknown[]>(dc, '/v1/health/connect/web')).body.length, 1, 'without ?passing it is listed');
    dc.deregister('web-1');
    assert.equal((await json<unknown[]>(dc, '/v1/health/connect/web')).body.length, 0);
    assert.equal((await json<Record<string, string[]>>(dc, '/v1/catalog/services')).body['web-1-sidecar-proxy'], undefined);
  });

  it('health/connect lists Connect-native instances and refuses a proxy without a destination', async (t) => {
    const dc = await start(t);
    dc.register({ Name: 'api', Port: 9000, Connect: { Native: true } });
    dc.register({ Name: 'plain', Port: 9001 });
    const { body } = await json<Array<{ Service: { Service: string; Connect: Record<string, unknown> } }>>(dc, '/v1/health/connect/api');
    assert.deepEqual(body.map((e) => [e.Service.Service, e.Service.Connect]), [['api', { Native: true }]]);
    assert.deepEqual((await json<unknown[]>(dc, '/v1/health/connect/plain')).body, []);
    assert.throws(() => dc.register({ Name: 'x-proxy', Kind: 'connect-proxy', Port: 1 }), /DestinationServiceName/);
  });
});

async function waitParked(dc: DevCatalog, n: number): Promise<void> {
  await waitFor(`${n} parked queries`, () => dc.stats().parked >= n, { intervalMs: 1 });
}
