import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startUpstream } from '../support/upstream.ts';
import { getJson, startTestGateway, waitForState } from '../support/gateway.ts';
import { httpsGet, testPki } from './harness.ts';

const pki = testPki(['shop.example.com']);

describe('TLS from Consul tags', () => {
  it('reports the tag trap on the router: tls.options=modern means modern@consulcatalog, did you mean modern@file', async (t) => {
    const up = await startUpstream(t, 'shop');
    const dir = await mkdtemp(join(tmpdir(), 'tagway-tags-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'tls.yml');
    await writeFile(file, stringify({ tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }], options: { modern: { minVersion: 'VersionTLS13' } } } }));
    const { gateway, catalog, admin } = await startTestGateway(t, { flags: [`--providers.file.filename=${file}`] });
    const port = gateway.entryPoints.get('web')!.port;
    const tags = (options: string): string[] => [
      'traefik.http.routers.shop.rule=Host(`shop.example.com`)',
      'traefik.http.routers.shop.tls=true',
      `traefik.http.routers.shop.tls.options=${options}`,
      'traefik.http.routers.shop.tls.domains[0].main=example.com',
      'traefik.http.routers.shop.tls.domains[0].sans=*.example.com',
    ];
    catalog!.register({ ID: 'shop-1', Name: 'shop', Address: '127.0.0.1', Port: up.port, Tags: tags('modern') });
    await waitForState(gateway, (s) => s.routers['shop@consulcatalog'] !== undefined);
    const { body } = await getJson<{ status: string; error: string[]; tls: unknown }>(`${admin}/api/http/routers/shop@consulcatalog`);
    assert.equal(body.status, 'disabled');
    assert.match(body.error.join(), /unknown TLS options: modern@consulcatalog: did you mean "modern@file"\?/);
    assert.deepEqual(body.tls, { options: 'modern', domains: [{ main: 'example.com', sans: ['*.example.com'] }] });
    await assert.rejects(httpsGet(port, { servername: 'shop.example.com', ca: pki.ca.certPem }).then((r) => { if (r.status === 404) throw new Error('404'); }));

    // Written with the provider, the same tags work: a TLS 1.3 handshake, served.
    catalog!.register({ ID: 'shop-1', Name: 'shop', Address: '127.0.0.1', Port: up.port, Tags: tags('modern@file') });
    await waitForState(gateway, (s) => s.routers['shop@consulcatalog']?.status === 'enabled');
    const ok = await httpsGet(port, { servername: 'shop.example.com', ca: pki.ca.certPem });
    assert.equal(ok.status, 200);
    assert.equal(ok.protocol, 'TLSv1.3');
  });
});
