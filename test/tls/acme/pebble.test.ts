import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pebbleTrust, startPebble } from '../../support/pebble.ts';
import { startUpstream } from '../../support/upstream.ts';
import { waitFor, waitForValue } from '../../support/wait.ts';
import { httpsGet } from '../harness.ts';
import { peerCertificate, resolverStatus, startAcmeGateway, tempDir } from './harness.ts';

/** Orders against Pebble take a few seconds on a loaded machine (an RSA 4096 account key, then the order). */
const ISSUANCE_MS = Number(process.env["ACME_TEST_ISSUANCE_MS"] ?? 60_000);

function resolverFlags(name: string, o: { directory: string; storage: string; http?: boolean; tls?: boolean; duration?: number; keyType?: string }): string[] {
  const at = `--certificatesResolvers.${name}.acme`;
  return [
    `${at}.email=ops@example.test`, `${at}.caServer=${o.directory}`, `${at}.storage=${o.storage}`, `${at}.keyType=${o.keyType ?? 'EC256'}`,
    ...(o.http ? [`${at}.httpChallenge.entryPoint=web`] : []), ...(o.tls ? [`${at}.tlsChallenge=true`] : []),
    ...(o.duration ? [`${at}.certificatesDuration=${o.duration}`] : []),
  ];
}

/** The names a served certificate carries (its subjectAltName DNS entries). */
function dnsNames(cert: { subjectaltname?: string }): string[] {
  return (cert.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)).sort();
}

async function issued(port: number, servername: string, want: string[]): Promise<X509Certificate> {
  const got = await waitForValue(`a certificate for ${want.join(', ')} on ${servername}`, async () => {
    const { cert } = await peerCertificate(port, servername);
    return JSON.stringify(dnsNames(cert)) === JSON.stringify([...want].sort()) ? cert : undefined;
  }, { timeoutMs: ISSUANCE_MS, intervalMs: 100 });
  return new X509Certificate(got.raw);
}

describe('ACME against Pebble (Let\'s Encrypt\'s test CA)', () => {
  it('issues through HTTP-01 (Host()) and TLS-ALPN-01 (tls.domains with SANs), chained to Pebble\'s root, kept in acme.json 0600 and reused on restart without a new order', async (t: TestContext) => {
    const dir = await tempDir(t);
    const trust = await pebbleTrust(dir);
    const storage = join(dir, 'acme.json');
    const flags = [
      ...resolverFlags('viahttp', { directory: trust.directory, storage, http: true }),
      ...resolverFlags('viatls', { directory: trust.directory, storage, tls: true, keyType: 'RSA2048' }),
    ];
    const env = { LEGO_CA_CERTIFICATES: trust.caFile };
    const gw = await startAcmeGateway(t, dir, flags, env);
    const pebble = await startPebble(t, { acmePort: trust.acmePort, httpPort: gw.web, tlsPort: gw.websecure });
    const upstream = await startUpstream(t, 'shop');
    const http = {
      routers: {
        shop: { rule: 'Host(`shop.example.test`)', entryPoints: ['websecure'], service: 'shop', tls: { certResolver: 'viahttp' } },
        multi: { rule: 'Host(`a.example.test`) || Host(`b.example.test`)', entryPoints: ['websecure'], service: 'shop', tls: { certResolver: 'viatls', domains: [{ main: 'a.example.test', sans: ['b.example.test', 'c.example.test'] }] } },
      },
      services: { shop: { loadBalancer: { servers: [{ url: upstream.url }] } } },
    };
    await gw.rewrite(http);

    // The HTTP-01 challenge router is internal, on the challenge entry point, and shown by the API.
    const acmeHttp = await (await fetch(`${gw.admin}/api/http/routers/acme-http@internal`)).json() as { entryPoints: string[]; service: string; status: string };
    assert.deepEqual([acmeHttp.entryPoints, acmeHttp.service, acmeHttp.status], [['web'], 'acme-http@internal', 'enabled']);

    const shop = await issued(gw.websecure, 'shop.example.test', ['shop.example.test']);
    const multi = await issued(gw.websecure, 'b.example.test', ['a.example.test', 'b.example.test', 'c.example.test']);
    assert.equal(shop.subject, 'CN=shop.example.test');
    assert.equal(multi.subject, 'CN=a.example.test');
    assert.equal(multi.publicKey.asymmetricKeyType, 'rsa'); // keyType RSA2048 on that resolver
    assert.equal(shop.publicKey.asymmetricKeyType, 'ec');

    // The chain the gateway sends verifies against the root Pebble made at this start.
    const root = await pebble.root();
    for (const name of ['shop.example.test', 'c.example.test']) {
      const { authorized, authorizationError } = await peerCertificate(gw.websecure, name, { ca: root });
      assert.equal(authorized, true, `${name}: ${authorizationError}`);
    }
    const reply = await httpsGet(gw.websecure, { servername: 'shop.example.test', ca: root });
    assert.equal(reply.status, 200);

    // acme.json: Traefik's shape, one entry per resolver, mode 0600.
    await waitFor('both resolvers saved', async () => {
      const j = JSON.parse(await readFile(storage, 'utf8')) as Record<string, { Certificates: unknown[] | null }>;
      return (j['viahttp']?.Certificates?.length ?? 0) === 1 && (j['viatls']?.Certificates?.length ?? 0) === 1;
    }, { timeoutMs: 5000 });
    assert.equal((await stat(storage)).mode & 0o777, 0o600);
    const json = JSON.parse(await readFile(storage, 'utf8')) as Record<string, { Account: { Email: string; Registration: { body: { status: string }; uri: string }; PrivateKey: string }; Certificates: Array<{ domain: { main: string; sans?: string[] }; certificate: string; key: string; Store: string }> }>;
    for (const name of ['viahttp', 'viatls']) {
      const { Account, Certificates } = json[name]!;
      assert.equal(Account.Email, 'ops@example.test');
      assert.equal(Account.Registration.body.status, 'valid');
      assert.match(Account.Registration.uri, /^https:\/\/127\.0\.0\.1:\d+\//);
      const accountKey = createPrivateKey({ key: Buffer.from(Account.PrivateKey, 'base64'), format: 'der', type: 'pkcs1' });
      assert.equal(accountKey.asymmetricKeyDetails?.modulusLength, 4096);
      assert.equal(Certificates[0]!.Store, 'default');
      assert.match(Buffer.from(Certificates[0]!.certificate, 'base64').toString(), /^-----BEGIN CERTIFICATE-----/);
      assert.match(Buffer.from(Certificates[0]!.key, 'base64').toString(), /^-----BEGIN (EC|RSA) PRIVATE KEY-----/);
    }
    assert.deepEqual(json['viatls']!.Certificates[0]!.domain, { main: 'a.example.test', sans: ['b.example.test', 'c.example.test'] });
    assert.deepEqual(json['viahttp']!.Certificates[0]!.domain, { main: 'shop.example.test' });
    assert.equal(resolverStatus(gw.gateway, 'viahttp.acme')?.counters?.['orders'], 1);

    // Restart with the CA gone: the same certificates are served from acme.json, no order is attempted.
    await gw.close();
    await pebble.stop();
    const again = await startAcmeGateway(t, dir, flags, env, http);
    const served = await issued(again.websecure, 'shop.example.test', ['shop.example.test']);
    assert.equal(served.fingerprint256, shop.fingerprint256);
    assert.equal((await issued(again.websecure, 'a.example.test', ['a.example.test', 'b.example.test', 'c.example.test'])).fingerprint256, multi.fingerprint256);
    for (const name of ['viahttp.acme', 'viatls.acme']) {
      const s = resolverStatus(again.gateway, name);
      assert.deepEqual([s?.counters?.['orders'], s?.counters?.['failures'], s?.error], [0, 0, undefined], name);
    }
    const routers = await (await fetch(`${again.admin}/api/http/routers`)).json() as Array<{ name: string; status: string }>;
    assert.deepEqual(routers.filter((r) => r.name.endsWith('@file')).map((r) => r.status), ['enabled', 'enabled']);
  });

  it('renews as Traefik times it: a certificate inside the renew period of a short certificatesDuration is ordered again at the check', async (t: TestContext) => {
    const dir = await tempDir(t);
    const trust = await pebbleTrust(dir);
    const storage = join(dir, 'acme.json');
    // certificatesDuration 1 h: renewed 20 min before the end, checked every minute (and at start). Pebble
    // issues 10-minute certificates here, so each one is due at the first check after it was obtained.
    const flags = resolverFlags('le', { directory: trust.directory, storage, http: true, duration: 1 });
    const env = { LEGO_CA_CERTIFICATES: trust.caFile };
    const upstream = await startUpstream(t, 'renew');
    const http = {
      routers: { shop: { rule: 'Host(`renew.example.test`)', entryPoints: ['websecure'], service: 'renew', tls: { certResolver: 'le' } } },
      services: { renew: { loadBalancer: { servers: [{ url: upstream.url }] } } },
    };
    const gw = await startAcmeGateway(t, dir, flags, env);
    await startPebble(t, { acmePort: trust.acmePort, httpPort: gw.web, tlsPort: gw.websecure, validitySeconds: 600 });
    await gw.rewrite(http);
    const first = await issued(gw.websecure, 'renew.example.test', ['renew.example.test']);
    assert.ok(new Date(first.validTo).getTime() - Date.now() < 11 * 60_000);
    // Obtained after the start check: not renewed in a loop.
    assert.equal(resolverStatus(gw.gateway, 'le.acme')?.counters?.['renewals'], 0);
    await gw.close();

    // The next check (here the one at start, the same code as the minute tick) renews it; the new one is served and
    // saved. The restarted gateway takes the ports just freed: Pebble validates there.
    const again = await startAcmeGateway(t, dir, flags, env, http, { file: join(dir, 'dynamic2.yml'), ports: { web: gw.web, websecure: gw.websecure } });
    await waitFor('the renewal', () => resolverStatus(again.gateway, 'le.acme')?.counters?.['renewals'] === 1, { timeoutMs: ISSUANCE_MS, intervalMs: 50 });
    const renewed = await waitForValue('the renewed certificate served', async () => {
      const { cert } = await peerCertificate(again.websecure, 'renew.example.test');
      const x = new X509Certificate(cert.raw);
      return x.fingerprint256 !== first.fingerprint256 && dnsNames(cert)[0] === 'renew.example.test' ? x : undefined;
    }, { timeoutMs: 5000, intervalMs: 20 });
    assert.ok(new Date(renewed.validFrom).getTime() >= new Date(first.validFrom).getTime());
    const json = JSON.parse(await readFile(storage, 'utf8')) as { le: { Certificates: Array<{ certificate: string }> } };
    assert.equal(json.le.Certificates.length, 1);
    assert.equal(new X509Certificate(Buffer.from(json.le.Certificates[0]!.certificate, 'base64')).fingerprint256, renewed.fingerprint256);
  });
});
