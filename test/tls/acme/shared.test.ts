import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import Consul from 'consul';
import { startDevCatalog } from '../../../src/dev/devcatalog/index.ts';
import { loadStaticConfig } from '../../../src/static/load.ts';
import { startGateway, type Gateway } from '../../../src/server/gateway.ts';
import { createLogger, silentLogger } from '../../../src/util/log.ts';
import { spawnCli } from '../../support/cli.ts';
import { pebbleTrust, startPebble } from '../../support/pebble.ts';
import { waitFor, waitForValue } from '../../support/wait.ts';
import { peerCertificate, resolverStatus, tempDir } from './harness.ts';

const ISSUANCE_MS = 60_000;

function sharedFlags(catalog: string, directory: string): string[] {
  return [
    '--entryPoints.web.address=127.0.0.1:0', '--entryPoints.websecure.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0',
    '--api.insecure=true', '--providers.providersThrottleDuration=0s', '--workers=1',
    `--providers.consulCatalog.endpoint.address=${catalog}`, '--providers.consulCatalog.exposedByDefault=true',
    `--certificatesResolvers.le.acme.caServer=${directory}`, '--certificatesResolvers.le.acme.storage=consul', '--certificatesResolvers.le.acme.keyType=EC256',
    '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web', '--certificatesResolvers.le.acme.email=ops@example.test',
    // A short session, so that a dead holder's lock is released within seconds (devcatalog's session_ttl_min is 1 s here).
    '--certificatesResolvers.le.acme.consul.sessionTTL=1s', '--certificatesResolvers.le.acme.consul.lockDelay=200ms',
  ];
}

async function startNode(t: TestContext, flags: string[], env: Record<string, string>): Promise<Gateway> {
  const config = loadStaticConfig({ argv: flags, env: {} });
  const gw = await startGateway({ config, logger: process.env['TAGWAY_TEST_LOG'] ? createLogger({ level: 'DEBUG' }) : silentLogger, env, accessLogWrite: () => {} });
  t.after(() => gw.close());
  return gw;
}

async function served(port: number, name: string): Promise<X509Certificate> {
  return waitForValue(`a certificate for ${name} on port ${port}`, async () => {
    const { cert } = await peerCertificate(port, name);
    return cert.subject?.CN === name ? new X509Certificate(cert.raw) : undefined;
  }, { timeoutMs: ISSUANCE_MS, intervalMs: 50 });
}

describe('ACME shared mode (storage: consul)', () => {
  it('two gateways on one Consul: one order, both serve the same certificate, the challenge answered by the node that did not order, the lock released when the ordering node dies', async (t: TestContext) => {
    const dir = await tempDir(t);
    const catalog = await startDevCatalog({ sessionTtlMinMs: 1000 });
    t.after(() => catalog.close());
    const trust = await pebbleTrust(dir);
    const env = { LEGO_CA_CERTIFICATES: trust.caFile };
    const flags = sharedFlags(catalog.address, trust.directory);
    const consul = new Consul({ host: '127.0.0.1', port: catalog.port });

    // Node A is a separate process, so that it can die: it starts first and takes the ordering lock.
    const a = spawnCli([...flags, '--log.level=INFO', '--log.format=json'], env);
    const aExited = new Promise<void>((resolve) => a.once('exit', () => resolve()));
    t.after(async () => { if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL'); await aExited; });
    let aLog = '';
    a.stdout!.on('data', (b: Buffer) => { aLog += b.toString(); });
    a.stderr!.on('data', (b: Buffer) => { aLog += b.toString(); });
    const aPort = await waitForValue('node A listening', () => /"entryPoint":"websecure","address":"127\.0\.0\.1:(\d+)"/.exec(aLog)?.[1], { timeoutMs: 30_000, describe: () => aLog });
    await waitFor('node A holding the lock', () => aLog.includes('this node holds the ordering lock'), { timeoutMs: 30_000, describe: () => aLog });
    const lockA = await consul.kv.get('tagway/acme/le/lock') as { Session?: string; Value: string };
    assert.ok(lockA.Session);

    // Node B, in this process; Pebble validates HTTP-01 on B's port only: B answers for A's order from KV.
    const b = await startNode(t, flags, env);
    await startPebble(t, { acmePort: trust.acmePort, httpPort: b.entryPoints.get('web')!.port, tlsPort: b.entryPoints.get('websecure')!.port });
    catalog.register({ Name: 'shop', Port: 9, Tags: ['traefik.http.routers.shop.rule=Host(`shop.example.test`)', 'traefik.http.routers.shop.tls.certresolver=le', 'traefik.http.routers.shop.entrypoints=websecure'] });

    const onA = await served(Number(aPort), 'shop.example.test');
    const onB = await served(b.entryPoints.get('websecure')!.port, 'shop.example.test');
    assert.equal(onA.fingerprint256, onB.fingerprint256);
    assert.equal(resolverStatus(b, 'le.acme')?.counters?.['orders'], 0); // B ordered nothing
    assert.equal(resolverStatus(b, 'le.acme')?.counters?.['leader'], 0);
    assert.match(aLog, /ACME: certificate obtained/);
    assert.equal((aLog.match(/ACME: ordering certificate/g) ?? []).length, 1, aLog.split('\n').filter((l) => l.includes('ACME')).join('\n'));
    // The key is in KV (the ACL protects it), not in B's API.
    const certs = await consul.kv.get({ key: 'tagway/acme/le/certificates/', recurse: true }) as Array<{ Key: string }>;
    assert.deepEqual(certs.map((c) => c.Key), ['tagway/acme/le/certificates/shop.example.test']);
    const rawdata = await (await fetch(`${b.url('traefik')}/api/rawdata`)).text();
    assert.doesNotMatch(rawdata, /PRIVATE KEY/);

    // A dies (no clean shutdown): Consul expires its session, releases the lock, and B takes it and orders from then on.
    a.kill('SIGKILL');
    await aExited;
    await waitFor('B holding the lock', () => resolverStatus(b, 'le.acme')?.counters?.['leader'] === 1, { timeoutMs: 15_000, intervalMs: 20 });
    const lockB = await consul.kv.get('tagway/acme/le/lock') as { Session?: string };
    assert.ok(lockB.Session && lockB.Session !== lockA.Session);
    catalog.register({ Name: 'blog', Port: 9, Tags: ['traefik.http.routers.blog.rule=Host(`blog.example.test`)', 'traefik.http.routers.blog.tls.certresolver=le', 'traefik.http.routers.blog.entrypoints=websecure'] });
    await served(b.entryPoints.get('websecure')!.port, 'blog.example.test');
    assert.equal(resolverStatus(b, 'le.acme')?.counters?.['orders'], 1);
  });
});
