import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../support/pebble.ts';
import { startUpstream } from '../../support/upstream.ts';
import { waitFor } from '../../support/wait.ts';
import { send } from '../../support/file-gateway.ts';
import { httpsGet } from '../harness.ts';
import { peerCertificate, resolverStatus, startAcmeGateway, tempDir } from './harness.ts';

interface ApiRouter { name: string; status: string; error?: string[] }

async function routers(admin: string): Promise<ApiRouter[]> {
  return await (await fetch(`${admin}/api/http/routers`)).json() as ApiRouter[];
}

describe('ACME failures', () => {
  it('a CA that does not answer leaves every other router served; the failing router is served with the default certificate and says why, as does /api/overview', async (t: TestContext) => {
    const dir = await tempDir(t);
    const deadCa = `https://127.0.0.1:${await freePort()}/dir`; // nothing listens there
    const upstream = await startUpstream(t, 'app');
    const service = { loadBalancer: { servers: [{ url: upstream.url }] } };
    const gw = await startAcmeGateway(t, dir, [
      `--certificatesResolvers.le.acme.caServer=${deadCa}`, `--certificatesResolvers.le.acme.storage=${join(dir, 'acme.json')}`,
      '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web', '--certificatesResolvers.le.acme.keyType=EC256',
    ], {}, {
      routers: {
        wants: { rule: 'Host(`wants.example.test`)', entryPoints: ['websecure'], service: 'app', tls: { certResolver: 'le' } },
        plain: { rule: 'Host(`plain.example.test`)', entryPoints: ['web'], service: 'app' },
        other: { rule: 'Host(`other.example.test`)', entryPoints: ['websecure'], service: 'app', tls: {} },
      },
      services: { app: service },
    });
    await waitFor('the failed order on the router', async () => (await routers(gw.admin)).find((r) => r.name === 'wants@file')?.status === 'warning', { timeoutMs: 30_000, intervalMs: 20 });
    const wants = (await routers(gw.admin)).find((r) => r.name === 'wants@file')!;
    assert.match(wants.error!.join(), /ACME resolver "le": unable to obtain a certificate for wants\.example\.test \(attempt 1, next in \d+s\): .*ECONNREFUSED.*the default certificate is served meanwhile/);
    const overview = await (await fetch(`${gw.admin}/api/overview`)).json() as { http: { routers: { warnings: number } }; providers: string[]; providerStatus: Array<{ name: string; error?: string; counters?: Record<string, number> }> };
    assert.equal(overview.http.routers.warnings, 1);
    assert.ok(overview.providers.includes('le.acme'));
    const le = overview.providerStatus.find((p) => p.name === 'le.acme')!;
    assert.match(le.error ?? '', /unable to obtain 1 certificate\(s\), e\.g\. wants\.example\.test: .*ECONNREFUSED/);
    assert.equal(le.counters?.['failures'], 1);

    // Everything else is served; the failing router too, with the default certificate.
    assert.equal((await send(`http://127.0.0.1:${gw.web}`, '/', { headers: { host: 'plain.example.test' } })).status, 200);
    assert.equal((await httpsGet(gw.websecure, { servername: 'other.example.test' })).status, 200);
    const served = await httpsGet(gw.websecure, { servername: 'wants.example.test' });
    assert.deepEqual([served.status, served.subject], [200, 'TRAEFIK DEFAULT CERT']);
    // Backoff: no second attempt right away.
    assert.equal(resolverStatus(gw.gateway, 'le.acme')?.counters?.['failures'], 1);
  });

  it('refuses an acme.json readable by others, as Traefik does, on the routers naming the resolver; a resolver with only dnsChallenge says DNS-01 is not supported', async (t: TestContext) => {
    const dir = await tempDir(t);
    const storage = join(dir, 'acme.json');
    await writeFile(storage, '{}');
    await chmod(storage, 0o644);
    const gw = await startAcmeGateway(t, dir, [
      '--certificatesResolvers.le.acme.caServer=https://127.0.0.1:1/dir', `--certificatesResolvers.le.acme.storage=${storage}`, '--certificatesResolvers.le.acme.tlsChallenge=true',
      '--certificatesResolvers.dns.acme.caServer=https://127.0.0.1:1/dir', `--certificatesResolvers.dns.acme.storage=${join(dir, 'dns.json')}`, '--certificatesResolvers.dns.acme.dnsChallenge.provider=route53',
    ], {}, {
      routers: {
        a: { rule: 'Host(`a.example.test`)', entryPoints: ['websecure'], service: 'noop@internal', tls: { certResolver: 'le' } },
        b: { rule: 'Host(`b.example.test`)', entryPoints: ['websecure'], service: 'noop@internal', tls: { certResolver: 'dns' } },
      },
    });
    await waitFor('both errors on the routers', async () => {
      const list = await routers(gw.admin);
      return ['a@file', 'b@file'].every((n) => list.find((r) => r.name === n)?.error?.some((e) => e.startsWith('ACME resolver')));
    }, { timeoutMs: 10_000 });
    const list = await routers(gw.admin);
    assert.ok(list.find((r) => r.name === 'a@file')!.error!.some((e) => e.includes(`permissions 644 for ${storage} are too open, please use 600`)));
    assert.ok(list.find((r) => r.name === 'b@file')!.error!.some((e) => e.includes('dnsChallenge is not supported by tagway')));
    assert.equal((await stat(storage)).mode & 0o777, 0o644); // not rewritten
    const { cert } = await peerCertificate(gw.websecure, 'a.example.test');
    assert.equal(cert.subject.CN, 'TRAEFIK DEFAULT CERT');
  });
});
