import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { createCertificate } from '../../src/tls/x509.ts';
import { startUpstream } from '../support/upstream.ts';
import { startTlsGateway, testPki } from './harness.ts';
import { waitFor } from '../support/wait.ts';

const pki = testPki(['shop.test']);

async function replace(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** One HTTPS request on a new connection (a new handshake each time): the status and the certificate's issuer. */
function freshRequest(port: number, ca: string[]): Promise<{ status: number; issuer: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 'shop.test', headers: { host: 'shop.test' }, ca, agent: false }, (res) => {
      const issuer = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().issuer?.CN ?? '');
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, issuer }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface CertificateStatus { source: string; domains: string[]; status: string; error?: string[] }

describe('certificate files are watched', () => {
  it('serves a replaced certificate to new handshakes with zero failed requests under load, keeps the last good one when the file breaks', async (t) => {
    const up = await startUpstream(t, 'app');
    const ca2 = createCertificate({ commonName: 'second CA', isCA: true });
    const renewed = createCertificate({ commonName: 'shop.test', altNames: ['shop.test'], issuer: ca2 });
    const gw = await startTlsGateway(t, (dir: string) => ({
      http: { routers: { shop: { rule: 'Host(`shop.test`)', service: 'app', tls: {} } }, services: { app: { loadBalancer: { servers: [{ url: up.url }] } } } },
      tls: { certificates: [{ certFile: join(dir, 'shop.pem'), keyFile: join(dir, 'shop.key') }] },
    }), [], async (dir) => {
      await writeFile(join(dir, 'shop.pem'), pki.server.certPem);
      await writeFile(join(dir, 'shop.key'), pki.server.keyPem);
    });
    const certificates = async (): Promise<CertificateStatus[]> => await (await fetch(`${gw.admin}/api/tls/certificates`)).json() as CertificateStatus[];

    // Load: 8 clients, each opening a new connection (a new handshake) per request.
    const results: Array<{ status: number; issuer: string } | Error> = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop) results.push(await freshRequest(gw.port, [pki.ca.certPem, ca2.certPem]).catch((e: Error) => e));
    });
    await waitFor('load running', () => results.length >= 20, { timeoutMs: 10_000 });
    // The key first, then the certificate: in between the pair does not match, and the last good one keeps serving.
    await replace(join(gw.dir, 'shop.key'), renewed.keyPem);
    await replace(join(gw.dir, 'shop.pem'), renewed.certPem);
    await waitFor('the renewed certificate served', () => results.some((r) => !(r instanceof Error) && r.issuer === 'second CA'), { timeoutMs: 10_000 });
    const seen = results.length;
    await waitFor('more requests after the swap', () => results.length >= seen + 20, { timeoutMs: 10_000 });
    stop = true;
    await Promise.all(clients);
    const failed = results.filter((r) => r instanceof Error || r.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${results.length} requests failed`);
    assert.equal((await certificates())[0]!.status, 'enabled');

    // A broken certificate file: the last good version keeps serving; the API and the log say so.
    await replace(join(gw.dir, 'shop.pem'), 'not a certificate\n');
    await waitFor('the broken file reported', async () => (await certificates()).some((c) => c.status === 'warning' && /last good version is kept/.test(c.error?.join() ?? '')), { timeoutMs: 10_000 });
    const after = await freshRequest(gw.port, [ca2.certPem]);
    assert.deepEqual(after, { status: 200, issuer: 'second CA' }, 'the renewed certificate still serves');
    assert.ok(gw.logs.some((l) => /TLS certificate problem/.test(l) && /last good version is kept/.test(l)), gw.logs.join('\n'));
  });
});
