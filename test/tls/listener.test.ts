import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.ts';
import { send } from '../support/file-gateway.ts';
import { DEFAULT_CERT_CN } from '../../src/tls/default-certificate.ts';
import { h2Get, h2Session, handshakeSubject, httpsGet, startTlsGateway, testPki } from './harness.ts';

const pki = testPki(['shop.test', '*.wild.test']);

function doc(upstream: string, extra: Record<string, unknown> = {}, tls: Record<string, unknown> = {}): unknown {
  return {
    http: {
      routers: {
        shop: { rule: 'Host(`shop.test`)', service: 'app', tls: {} },
        wild: { rule: 'Host(`a.wild.test`)', service: 'app', tls: {} },
        plain: { rule: 'Host(`plain.test`)', service: 'app' },
        ...extra,
      },
      services: { app: { loadBalancer: { servers: [{ url: upstream }] } } },
    },
    tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }], ...tls },
  };
}

describe('one listener for cleartext and TLS', () => {
  it('routes TLS routers only on TLS connections and the others only on cleartext ones', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url));
    const base = `http://127.0.0.1:${gw.port}`;
    assert.equal((await send(base, '/', { headers: { host: 'plain.test' } })).status, 200);
    assert.equal((await send(base, '/', { headers: { host: 'shop.test' } })).status, 404, 'a cleartext request for a TLS-only host');
    const tls = await httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem });
    assert.equal(tls.status, 200);
    assert.equal(JSON.parse(tls.body).headers['x-forwarded-proto'], 'https');
    assert.equal((await httpsGet(gw.port, { servername: 'plain.test', rejectUnauthorized: false })).status, 404, 'a TLS request for a cleartext-only host');
  });

  it('serves h2 by ALPN and h2c by prior knowledge, routing on :authority', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url));
    const h2 = h2Session(t, `https://127.0.0.1:${gw.port}`, { ca: pki.ca.certPem, servername: 'shop.test' });
    const r = await h2Get(h2, 'shop.test');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body).headers;
    assert.equal(seen.host, 'shop.test', 'the upstream gets :authority as Host');
    assert.equal(Object.keys(seen).some((k) => k.startsWith(':')), false, 'no pseudo-header is forwarded');
    assert.equal((await h2Get(h2, 'plain.test')).status, 404);
    const h2c = h2Session(t, `http://127.0.0.1:${gw.port}`);
    assert.equal((await h2Get(h2c, 'plain.test')).status, 200);
    assert.equal((await h2Get(h2c, 'shop.test')).status, 404);
  });

  it('chooses the certificate by SNI: exact, one-label wildcard, else the generated default', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url));
    assert.equal(await handshakeSubject(gw.port, 'shop.test'), 'shop.test');
    assert.equal(await handshakeSubject(gw.port, 'a.wild.test'), 'shop.test', 'the certificate names *.wild.test');
    assert.equal(await handshakeSubject(gw.port, 'a.b.wild.test'), DEFAULT_CERT_CN, 'a wildcard covers one label');
    assert.equal(await handshakeSubject(gw.port, 'other.test'), DEFAULT_CERT_CN);
    assert.equal(await handshakeSubject(gw.port, undefined), DEFAULT_CERT_CN, 'no SNI');
  });

  it('refuses a name without certificate when sniStrict, and uses tls.stores.default.defaultCertificate', async (t) => {
    const up = await startUpstream(t, 'app');
    const other = testPki(['fallback.test']);
    const gw = await startTlsGateway(t, doc(up.url, {}, {
      options: { default: { sniStrict: true } },
      stores: { default: { defaultCertificate: { certFile: other.server.certPem, keyFile: other.server.keyPem } } },
    }));
    assert.equal(await handshakeSubject(gw.port, 'shop.test'), 'shop.test');
    await assert.rejects(handshakeSubject(gw.port, 'other.test'), /ECONNRESET|socket disconnected/);
    await gw.rewrite(doc(up.url, {}, { stores: { default: { defaultCertificate: { certFile: other.server.certPem, keyFile: other.server.keyPem } } } }));
    assert.equal(await handshakeSubject(gw.port, 'other.test'), 'fallback.test');
  });
});

describe('TLS options by SNI', () => {
  it('refuses TLS 1.2 on a host whose router wants TLS 1.3 only, and answers 421 to a request whose router wants other options', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url, { shop: { rule: 'Host(`shop.test`)', service: 'app', tls: { options: 'modern' } } }, {
      options: { modern: { minVersion: 'VersionTLS13' } },
    }));
    await assert.rejects(httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' }), /version|alert|ECONNRESET/i);
    const ok = await httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem });
    assert.equal(ok.status, 200);
    assert.equal(ok.protocol, 'TLSv1.3');
    // Handshake for a.wild.test (default options), then a request for shop.test (modern): Traefik's 421.
    const mis = await httpsGet(gw.port, { servername: 'a.wild.test', host: 'shop.test', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
    assert.equal(mis.status, 421);
  });

  it('asks for client certificates (RequireAndVerifyClientCert) and refuses clients without one', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url, { shop: { rule: 'Host(`shop.test`)', service: 'app', tls: { options: 'mtls' } } }, {
      options: { mtls: { clientAuth: { caFiles: [pki.ca.certPem], clientAuthType: 'RequireAndVerifyClientCert' } } },
    }));
    const ok = await httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem });
    assert.equal(ok.status, 200);
    await assert.rejects(httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem }), /ECONNRESET|socket hang up|certificate/i);
    const stranger = testPki(['x.test']);
    await assert.rejects(httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem, cert: stranger.client.certPem, key: stranger.client.keyPem }), /ECONNRESET|socket hang up|certificate/i);
  });

  it('gives a host claimed with different options the default options and both routers an error', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url, {
      shop: { rule: 'Host(`shop.test`)', service: 'app', tls: { options: 'modern' } },
      shop2: { rule: 'Host(`shop.test`) && Path(`/two`)', service: 'app', tls: {} },
    }, { options: { modern: { minVersion: 'VersionTLS13' } } }));
    const state = gw.gateway.state();
    for (const r of ['shop@file', 'shop2@file']) assert.match(state.routers[r]!.error?.join() ?? '', /conflicting/);
    assert.equal((await httpsGet(gw.port, { servername: 'shop.test', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' })).status, 200);
  });

  it('disables a router whose options do not exist', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url, { shop: { rule: 'Host(`shop.test`)', service: 'app', tls: { options: 'nope' } } }));
    const r = gw.gateway.state().routers['shop@file']!;
    assert.equal(r.status, 'disabled');
    assert.match(r.error!.join(), /unknown TLS options: nope@file/);
  });
});

describe('explain', () => {
  it('tells which certificate and options a host would get, and which TLS router answers', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTlsGateway(t, doc(up.url, { shop: { rule: 'Host(`shop.test`)', service: 'app', tls: { options: 'modern' } } }, {
      options: { modern: { minVersion: 'VersionTLS13', sniStrict: true } },
    }));
    const ask = async (url: string): Promise<{ matched: string | null; tls?: { options: string; refused?: string; certificate?: { commonName: string; by: string } } }> =>
      await (await fetch(`${gw.admin}/api/explain?entryPoint=web&url=${encodeURIComponent(url)}`)).json() as never;
    const shop = await ask('https://shop.test/');
    assert.equal(shop.matched, 'shop@file');
    assert.deepEqual({ options: shop.tls?.options, cn: shop.tls?.certificate?.commonName, by: shop.tls?.certificate?.by }, { options: 'modern@file', cn: 'shop.test', by: 'exact' });
    const wild = await ask('https://a.wild.test/');
    assert.deepEqual({ options: wild.tls?.options, by: wild.tls?.certificate?.by }, { options: 'default', by: 'wildcard' });
    assert.equal((await ask('https://other.test/')).tls?.certificate?.commonName, DEFAULT_CERT_CN);
    assert.equal((await ask('http://shop.test/')).matched, null, 'cleartext: the TLS router does not answer');
    assert.equal((await ask('http://shop.test/')).tls, undefined);
  });
});
