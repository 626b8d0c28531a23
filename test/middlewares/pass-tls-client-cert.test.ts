import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassTLSClientCert } from '../../src/dynamic/types.ts';
import { clientCertHeaders } from '../../src/middlewares/pass-tls-client-cert/index.ts';
import { startTlsGateway, testPki, type TlsGateway } from '../tls/harness.ts';
import { startUpstream } from '../support/upstream.ts';
import { send } from '../support/file-gateway.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

/**
 * pkg/middlewares/passtlsclientcert/pass_tls_client_cert_test.go, ported through the running gateway over mutual
 * TLS. Traefik's certificates are not copied: OpenSSL (Debian's `openssl`, installed by .ci/run) makes certificates
 * with the same distinguished names and SANs here — "Simple Signing CA" (multi-valued DC, O, OU, CN, C, L, ST),
 * the "minimal" one (C=FR, ST=Some-State, O=Cheese) and the "complete" one (every field, 7 SANs) it signs — and
 * the expected headers are Traefik's strings, with the dates and serial numbers of these certificates as OpenSSL
 * prints them (an oracle independent of Node's parser).
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/passtlsclientcert/pass_tls_client_cert_test.go`);

const SIGNING = '/DC=org/DC=cheese/O=Cheese/O=Cheese 2/OU=Simple Signing Section/OU=Simple Signing Section 2/CN=Simple Signing CA/CN=Simple Signing CA 2/C=FR/C=US/L=TOULOUSE/L=LYON/ST=Signing State/ST=Signing State 2/emailAddress=simple@signing.com';
const COMPLETE = '/DC=org/DC=cheese/O=Cheese/O=Cheese 2/OU=Simple Signing Section/OU=Simple Signing Section 2/CN=*.cheese.org/CN=*.cheese.com/C=FR/C=US/L=TOULOUSE/L=LYON/ST=Cheese org state/ST=Cheese com state/emailAddress=cert@cheese.org';
const SANS = 'DNS:*.cheese.org,DNS:*.cheese.net,DNS:*.cheese.com,email:test@cheese.org,email:test@cheese.net,IP:10.0.1.0,IP:10.0.1.2';

interface Made { pem: string; key: string; nb: number; na: number; serial: string; body: string }
interface Pki { signing: Made; minimal: Made; complete: Made; root: Made; intermediate: Made; chained: Made }

function makePki(dir: string): Pki {
  const run = (args: string[]): string => {
    try { return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString(); } catch (err) {
      throw new Error(`openssl failed (Debian package "openssl" is needed): ${(err as Error).message}`, { cause: err });
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const made = (name: string): Made => {
    const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
    const out = run(['x509', '-in', `${name}.pem`, '-noout', '-startdate', '-enddate', '-serial']);
    const field = (k: string): string => new RegExp(`^${k}=(.*)$`, 'm').exec(out)![1]!;
    return {
      pem, key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      nb: Date.parse(field('notBefore')) / 1000, na: Date.parse(field('notAfter')) / 1000, serial: BigInt(`0x${field('serial')}`).toString(),
      body: pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\n/g, ''),
    };
  };
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  writeFileSync(join(dir, 'complete.ext'), `extendedKeyUsage=clientAuth\nsubjectAltName=${SANS}\n`);
  // A self-signed "Simple Signing CA": certificates it signs reach the server alone (the root is not sent).
  run(['req', '-x509', ...ec, '-keyout', 'signing.key', '-out', 'signing.pem', '-subj', SIGNING, '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  const leaf = (name: string, subj: string, ca: string, serial: string, ext: string): void => {
    run(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '10', '-out', `${name}.pem`, '-extfile', ext]);
  };
  leaf('minimal', '/C=FR/ST=Some-State/O=Cheese', 'signing', '0x5458f86a5d0c2c9e0b02e4f8d6f1b1a2', 'client.ext');
  leaf('complete', COMPLETE, 'signing', '1', 'complete.ext');
  // For two certificates on the wire: a root, an intermediate with the signing CA's name, a complete leaf under it.
  run(['req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/CN=Test Root', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  leaf('intermediate', SIGNING, 'root', '2', 'ca.ext');
  leaf('chained', COMPLETE, 'intermediate', '1', 'complete.ext');
  return { signing: made('signing'), minimal: made('minimal'), complete: made('complete'), root: made('root'), intermediate: made('intermediate'), chained: made('chained') };
}

const SIGNING_ISSUER = 'Issuer="DC=org,DC=cheese,C=FR,C=US,ST=Signing State,ST=Signing State 2,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,CN=Simple Signing CA 2"';
const ALL_INFO: PassTLSClientCert = {
  info: {
    notAfter: true, notBefore: true, sans: true, serialNumber: true,
    subject: { commonName: true, country: true, domainComponent: true, locality: true, organization: true, organizationalUnit: true, province: true, serialNumber: true },
    issuer: { commonName: true, country: true, domainComponent: true, locality: true, organization: true, province: true, serialNumber: true },
  },
};
const minimalAllInfo = (p: Pki): string => ['Subject="C=FR,ST=Some-State,O=Cheese"', SIGNING_ISSUER, `SerialNumber="${p.minimal.serial}"`, `NB="${p.minimal.nb}"`, `NA="${p.minimal.na}"`].join(';');
const completeAllInfo = (c: Made): string => [
  'Subject="DC=org,DC=cheese,C=FR,C=US,ST=Cheese org state,ST=Cheese com state,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,OU=Simple Signing Section,OU=Simple Signing Section 2,CN=*.cheese.com"',
  SIGNING_ISSUER, `SerialNumber="${c.serial}"`, `NB="${c.nb}"`, `NA="${c.na}"`,
  'SAN="*.cheese.org,*.cheese.net,*.cheese.com,test@cheese.org,test@cheese.net,10.0.1.0,10.0.1.2"',
].join(';');

interface Case { desc: string; client?: keyof Pki | 'chain'; config: PassTLSClientCert; pem?: (p: Pki) => string; info?: (p: Pki) => string; differs?: string }
const TWO = 'Traefik hands two unrelated certificates to the handler; on the wire a client sends a chain, so the second certificate is '
  + 'the first one\'s issuer: the case runs with the complete certificate and the intermediate "Simple Signing CA" that signed it';
const cases: Case[] = [
  // TestPassTLSClientCert_PEM
  { desc: 'PEM: No TLS, no option', config: {} },
  { desc: 'PEM: TLS, no option', client: 'minimal', config: {} },
  { desc: 'PEM: No TLS, with pem option true', config: { pem: true } },
  { desc: 'PEM: TLS with simple certificate, with pem option true', client: 'minimal', config: { pem: true }, pem: (p) => p.minimal.body },
  { desc: 'PEM: TLS with complete certificate, with pem option true', client: 'complete', config: { pem: true }, pem: (p) => p.complete.body },
  { desc: 'PEM: TLS with two certificate, with pem option true', client: 'chain', config: { pem: true }, pem: (p) => `${p.chained.body},${p.intermediate.body}`, differs: TWO },
  // TestPassTLSClientCert_certInfo
  { desc: 'certInfo: No TLS, no option', config: {} },
  { desc: 'certInfo: TLS, no option', client: 'minimal', config: {} },
  { desc: 'certInfo: No TLS, with subject info', config: { info: { subject: { commonName: true, organization: true, organizationalUnit: true, locality: true, province: true, country: true, serialNumber: true } } } },
  { desc: 'certInfo: No TLS, with pem option false with empty subject info', config: { pem: false, info: { subject: {} } } },
  { desc: 'certInfo: TLS with simple certificate, with all info', client: 'minimal', config: ALL_INFO, info: minimalAllInfo },
  { desc: 'certInfo: TLS with simple certificate, with some info', client: 'minimal', config: { info: { notAfter: true, sans: true, subject: { organization: true }, issuer: { country: true } } }, info: (p) => `Subject="O=Cheese";Issuer="C=FR,C=US";NA="${p.minimal.na}"` },
  { desc: 'certInfo: TLS with simple certificate, requesting non-existent info', client: 'minimal', config: { info: { notAfter: true, sans: true, subject: { organization: true, organizationalUnit: true }, issuer: { country: true } } }, info: (p) => `Subject="O=Cheese";Issuer="C=FR,C=US";NA="${p.minimal.na}"` },
  { desc: 'certInfo: TLS with complete certificate, with all info', client: 'complete', config: ALL_INFO, info: (p) => completeAllInfo(p.complete) },
  {
    desc: 'certInfo: TLS with 2 certificates, with all info', client: 'chain', config: ALL_INFO, differs: TWO,
    info: (p) => `${completeAllInfo(p.chained)},${['Subject="DC=org,DC=cheese,C=FR,C=US,ST=Signing State,ST=Signing State 2,L=TOULOUSE,L=LYON,O=Cheese,O=Cheese 2,OU=Simple Signing Section,OU=Simple Signing Section 2,CN=Simple Signing CA 2"', 'Issuer="CN=Test Root"', 'SerialNumber="2"', `NB="${p.intermediate.nb}"`, `NA="${p.intermediate.na}"`].join(';')}`,
  },
];

describe('passTLSClientCert through the running gateway (mutual TLS)', () => {
  let dir: string;
  let pki: Pki;
  let gw: TlsGateway;
  const server = testPki(['cert.test']);
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagway-ptcc-'));
    pki = makePki(dir);
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    const up = await startUpstream(t, 'up');
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    cases.forEach((c, i) => {
      middlewares[`m${i}`] = { passTLSClientCert: c.config };
      routers[`r${i}`] = { rule: `Host(\`cert.test\`) && Header(\`X-Case\`, \`${i}\`)`, service: 'up', middlewares: [`m${i}`], tls: { options: 'mtls' } };
      routers[`p${i}`] = { rule: `Host(\`cert.test\`) && Header(\`X-Case\`, \`${i}\`)`, service: 'up', middlewares: [`m${i}`] };
    });
    gw = await startTlsGateway(t, {
      http: { routers, middlewares, services: { up: { loadBalancer: { servers: [{ url: up.url }] } } } },
      tls: {
        certificates: [{ certFile: server.server.certPem, keyFile: server.server.keyPem }],
        options: { mtls: { clientAuth: { caFiles: [pki.signing.pem, pki.root.pem], clientAuthType: 'VerifyClientCertIfGiven' } } },
      },
    });
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); rmSync(dir, { recursive: true, force: true }); });

  cases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, c.differs, async () => {
      let headers: Record<string, string>;
      if (c.client === undefined) {
        // "No TLS": the same middleware on a cleartext router.
        const r = await send(`http://127.0.0.1:${gw.port}`, '/', { headers: { host: 'cert.test', 'x-case': String(i) } });
        headers = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
      } else {
        const cert = c.client === 'chain' ? pki.chained.pem + pki.intermediate.pem : pki[c.client].pem;
        const key = c.client === 'chain' ? pki.chained.key : pki[c.client].key;
        const r = await httpsGetWith(gw.port, i, server.ca.certPem, cert, key);
        headers = r;
      }
      assert.equal(headers['x-forwarded-tls-client-cert'], c.pem?.(pki));
      const info = headers['x-forwarded-tls-client-cert-info'];
      assert.equal(info === undefined ? undefined : decodeURIComponent(info.replace(/\+/g, ' ')), c.info?.(pki));
    }));
  });

  it('count', (t) => tally.report(t));

  it('escapes the info header as Go\'s url.QueryEscape does', () => {
    const h = clientCertHeaders([new X509Certificate(pki.minimal.pem)], { info: { subject: { province: true } } });
    assert.equal(h['x-forwarded-tls-client-cert-info'], 'Subject%3D%22ST%3DSome-State%22');
  });
});

async function httpsGetWith(port: number, i: number, ca: string, cert: string, key: string): Promise<Record<string, string>> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: 'cert.test', agent: false, ca, cert, key, headers: { host: 'cert.test', 'x-case': String(i) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { try { resolve((JSON.parse(body) as { headers: Record<string, string> }).headers); } catch (err) { reject(new Error(`${res.statusCode} ${body}`, { cause: err })); } });
    });
    req.on('error', reject);
    req.end();
  });
}
