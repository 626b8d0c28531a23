import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureServer } from 'node:http2';
import { testPki, startTlsGateway } from '../tls/harness.ts';
import { send, startFileGateway } from '../support/file-gateway.ts';
import { echoClient, grpc, startEchoServer, unary } from '../support/grpc.ts';
import { closeH2AtEnd } from '../support/upstream.ts';

describe('gRPC over TLS on either side', () => {
  it('client on h2 over TLS → tagway → h2c upstream, and → TLS upstream (serversTransport: serverName, rootCAs, client certificate)', async (t) => {
    const front = testPki(['grpc.example.test']);
    const back = testPki(['backend.internal']);
    const plain = await startEchoServer(t, 'h2c');
    // The TLS upstream requires and verifies a client certificate from its own CA.
    const secure = await startEchoServer(t, 'tls', grpc.ServerCredentials.createSsl(Buffer.from(back.ca.certPem), [{ private_key: Buffer.from(back.server.keyPem), cert_chain: Buffer.from(back.server.certPem) }], true));
    const gw = await startTlsGateway(t, {
      http: {
        routers: {
          cleartext: { rule: 'Header(`x-backend`, `h2c`)', service: 'cleartext', tls: {} },
          secure: { rule: 'Header(`x-backend`, `tls`)', service: 'secure', tls: {} },
          secureFromH2c: { rule: 'Header(`x-backend`, `tls`)', service: 'secure' },
        },
        services: {
          cleartext: { loadBalancer: { servers: [{ url: `h2c://${plain.address}` }] } },
          secure: { loadBalancer: { servers: [{ url: `https://${secure.address}` }], serversTransport: 'backend' } },
        },
        serversTransports: {
          backend: { serverName: 'backend.internal', rootCAs: [back.ca.certPem], certificates: [{ certFile: back.client.certPem, keyFile: back.client.keyPem }] },
        },
      },
      tls: { certificates: [{ certFile: front.server.certPem, keyFile: front.server.keyPem }] },
    });
    const address = `127.0.0.1:${gw.port}`;
    const tlsClient = echoClient(t, address, grpc.credentials.createSsl(Buffer.from(front.ca.certPem)), { 'grpc.ssl_target_name_override': 'grpc.example.test', 'grpc.default_authority': 'grpc.example.test' });
    const to = (backend: string): grpc.Metadata => { const md = new grpc.Metadata(); md.set('x-backend', backend); return md; };

    const viaH2c = await unary(tlsClient, { n: 1 }, { metadata: to('h2c') });
    assert.equal(viaH2c.err, null);
    assert.deepEqual(viaH2c.res, { n: 1, from: 'h2c' });

    const viaTls = await unary(tlsClient, { n: 2 }, { metadata: to('tls') });
    assert.equal(viaTls.err, null, String(viaTls.err?.details));
    assert.deepEqual(viaTls.res, { n: 2, from: 'tls' });
    assert.deepEqual(viaTls.status.metadata.get('x-trailer'), ['t-2']);

    // A cleartext (h2c) client reaches the TLS upstream too.
    const h2cClient = echoClient(t, address);
    const cleartext = await unary(h2cClient, { n: 3, fail: true }, { metadata: to('tls') });
    assert.equal(cleartext.err?.code, grpc.status.NOT_FOUND);
    assert.deepEqual(cleartext.status.metadata.get('x-detail'), ['missing']);
  });

  it('https upstreams speak h2 when ALPN offers it, HTTP/1.1 with disableHTTP2', async (t) => {
    const pki = testPki(['backend.internal']);
    const versions: string[] = [];
    const upstream = createSecureServer({ cert: pki.server.certPem, key: pki.server.keyPem, allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.end(req.httpVersion);
    });
    closeH2AtEnd(t, upstream);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const gw = await startFileGateway(t, {
      routers: { h2: { rule: 'Path(`/h2`)', service: 'h2' }, h1: { rule: 'Path(`/h1`)', service: 'h1' } },
      services: {
        h2: { loadBalancer: { servers: [{ url }], serversTransport: 'verify' } },
        h1: { loadBalancer: { servers: [{ url }], serversTransport: 'noh2' } },
      },
      serversTransports: {
        verify: { serverName: 'backend.internal', rootCAs: [pki.ca.certPem] },
        noh2: { serverName: 'backend.internal', rootCAs: [pki.ca.certPem], disableHTTP2: true },
      },
    });
    assert.deepEqual([await send(gw.web, '/h2'), await send(gw.web, '/h2')].map((r) => [r.status, r.body]), [[200, '2.0'], [200, '2.0']]);
    assert.deepEqual([(await send(gw.web, '/h1')).body], ['1.1']);
    assert.deepEqual(versions, ['2.0', '2.0', '1.1']);
  });
});
