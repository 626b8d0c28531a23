import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPki } from '../tls/harness.ts';
import { send, startFileGateway } from '../support/file-gateway.ts';
import { waitForState } from '../support/gateway.ts';
import { waitFor } from '../support/wait.ts';
import { createTransport, peerCertUriCheck, tlsConnectOptions } from '../../src/proxy/transport.ts';
import { createCertificate } from '../../src/tls/x509.ts';
import { startUpstream } from '../support/upstream.ts';

interface Seen { servername: string | false; clientCN: string | undefined }

/** A real HTTPS upstream on 127.0.0.1:0 answering 200 "ok", recording SNI and the client certificate's CN. */
async function startHttpsUpstream(t: TestContext, options: ServerOptions, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createHttpsServer(options, (req, res) => {
    const socket = req.socket as TLSSocket;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    seen.push({ servername: (socket as TLSSocket & { servername: string | false }).servername, clientCN: typeof cn === 'string' ? cn : undefined });
    if (handler) { handler(req, res); return; }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-transport-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function route(name: string, lb: Record<string, unknown>): { routers: Record<string, unknown>; services: Record<string, unknown> } {
  return { routers: { [name]: { rule: `PathPrefix(\`/${name}\`)`, service: name } }, services: { [name]: { loadBalancer: lb } } };
}

describe('serversTransports (file provider) and https upstreams', () => {
  it('verifies the upstream with rootCAs and serverName, and presents the client certificate (mTLS)', async (t) => {
    const pki = testPki(['backend.internal']);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'ca.pem'), pki.ca.certPem);
    await writeFile(join(dir, 'client.pem'), pki.client.certPem);
    await writeFile(join(dir, 'client-key.pem'), pki.client.keyPem);
    const up = await startHttpsUpstream(t, { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true });
    const mtls = route('mtls', { servers: [{ url: up.url }], serversTransport: 'mtls@file' });
    const plain = route('plain', { servers: [{ url: up.url }] });
    const gw = await startFileGateway(t, {
      routers: { ...mtls.routers, ...plain.routers },
      services: { ...mtls.services, ...plain.services },
      serversTransports: {
        mtls: { serverName: 'backend.internal', rootCAs: [join(dir, 'ca.pem')], certificates: [{ certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client-key.pem') }] },
      },
    });
    const ok = await send(gw.web, '/mtls');
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.body, 'ok');
    assert.deepEqual(up.seen.at(-1), { servername: 'backend.internal', clientCN: 'client' });
    // The default transport knows neither the test CA nor a client certificate: the handshake fails
    // (500, as Traefik answers a certificate it cannot verify).
    const refused = await send(gw.web, '/plain');
    assert.equal(refused.status, 500);
    assert.equal(up.seen.length, 1);
  });

  it('insecureSkipVerify accepts an unknown chain; peerCertURI refuses a certificate without that URI SAN', async (t) => {
    const pki = testPki(['backend.internal']);
    const up = await startHttpsUpstream(t, { cert: pki.server.certPem, key: pki.server.keyPem });
    const a = route('skip', { servers: [{ url: up.url }], serversTransport: 'skip' });
    const b = route('spiffe', { servers: [{ url: up.url }], serversTransport: 'spiffe' });
    const gw = await startFileGateway(t, {
      routers: { ...a.routers, ...b.routers },
      services: { ...a.services, ...b.services },
      serversTransports: {
        skip: { insecureSkipVerify: true },
        spiffe: { rootCAs: [pki.ca.certPem], serverName: 'backend.internal', peerCertURI: 'spiffe://dc1/ns/default/svc/web' },
      },
    });
    assert.equal((await send(gw.web, '/skip')).status, 200);
    assert.equal((await send(gw.web, '/spiffe')).status, 500);
    assert.equal(up.seen.length, 1);
  });

  it('applies forwardingTimeouts per service: only the service whose transport says so times out', async (t) => {
    const hung: ServerResponse[] = [];
    const pki = testPki(['backend.internal']);
    const up = await startHttpsUpstream(t, { cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      if (req.url === '/fast/hang') { hung.push(res); return; }
      res.end('late but fine');
    });
    const fast = route('fast', { servers: [{ url: up.url }], serversTransport: 'fast' });
    const gw = await startFileGateway(t, {
      ...fast,
      serversTransports: { fast: { insecureSkipVerify: true, forwardingTimeouts: { responseHeaderTimeout: '100ms' } } },
    });
    const started = Date.now();
    const r = await send(gw.web, '/fast/hang');
    assert.equal(r.status, 504);
    assert.ok(Date.now() - started < 5_000, 'the 100ms timeout answered, not a default one');
    assert.equal(hung.length, 1);
    for (const res of hung) res.end();
  });

  it('a service naming an unknown transport is disabled with an error that names it; the others still build', async (t) => {
    const a = route('missing', { servers: [{ url: 'https://127.0.0.1:1' }], serversTransport: 'nope@file' });
    const b = route('bad', { servers: [{ url: 'https://127.0.0.1:1' }], serversTransport: 'bad' });
    const gw = await startFileGateway(t, {
      routers: { ...a.routers, ...b.routers },
      services: { ...a.services, ...b.services },
      serversTransports: { bad: { rootCAs: ['/nonexistent/ca.pem'] } },
    });
    await waitForState(gw.gateway, (s) => s.routers['missing@file']?.status === 'disabled' && s.routers['bad@file']?.status === 'disabled');
    const state = gw.gateway.state();
    assert.match(state.routers['missing@file']!.error!.join(' '), /serversTransport "nope@file" not found/);
    assert.match(state.routers['bad@file']!.error!.join(' '), /serversTransport "bad@file": rootCAs\[0\]: cannot read \/nonexistent\/ca.pem/);
  });
});

describe('serversTransports: reloads, SPIFFE identity, connection reuse', () => {
  it('a changed transport applies on reload (the services using it are rebuilt with new pools)', async (t) => {
    const pki = testPki(['backend.internal']);
    const up = await startHttpsUpstream(t, { cert: pki.server.certPem, key: pki.server.keyPem });
    const svc = route('api', { servers: [{ url: up.url }], serversTransport: 'backend' });
    const gw = await startFileGateway(t, { ...svc, serversTransports: { backend: { serverName: 'backend.internal' } } });
    assert.equal((await send(gw.web, '/api')).status, 500);
    const reloaded = gw.gateway.nextReload();
    await gw.rewrite({ ...svc, serversTransports: { backend: { serverName: 'backend.internal', rootCAs: [pki.ca.certPem] } } });
    await reloaded;
    assert.equal((await send(gw.web, '/api')).status, 200);
  });

  it('peerCertURI accepts the certificate that carries the SPIFFE ID, without checking the host name', async (t) => {
    const ca = createCertificate({ commonName: 'mesh CA', isCA: true });
    const leaf = createCertificate({ commonName: 'web', uris: ['spiffe://11111111.consul/ns/default/dc/dc1/svc/web'], issuer: ca });
    const up = await startHttpsUpstream(t, { cert: leaf.certPem, key: leaf.keyPem });
    const good = route('good', { servers: [{ url: up.url }], serversTransport: 'good' });
    const bad = route('bad', { servers: [{ url: up.url }], serversTransport: 'bad' });
    const gw = await startFileGateway(t, {
      routers: { ...good.routers, ...bad.routers },
      services: { ...good.services, ...bad.services },
      serversTransports: {
        good: { rootCAs: [ca.certPem], peerCertURI: 'spiffe://11111111.consul/ns/default/dc/dc1/svc/web' },
        bad: { rootCAs: [ca.certPem], peerCertURI: 'spiffe://11111111.consul/ns/default/dc/dc1/svc/db' },
      },
    });
    assert.equal((await send(gw.web, '/good')).status, 200);
    assert.equal((await send(gw.web, '/bad')).status, 500);
    assert.equal(up.seen.length, 1);
  });

  it('health checks use the service\'s transport (rootCAs, serverName, client certificate)', async (t) => {
    const pki = testPki(['backend.internal']);
    const probes: string[] = [];
    const up = await startHttpsUpstream(t, { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      probes.push(req.url ?? '');
      res.end('ok');
    });
    const svc = route('api', { servers: [{ url: up.url }], serversTransport: 'backend', healthCheck: { path: '/health', interval: '50ms', timeout: '2s' } });
    const gw = await startFileGateway(t, {
      ...svc,
      serversTransports: { backend: { serverName: 'backend.internal', rootCAs: [pki.ca.certPem], certificates: [{ certFile: pki.client.certPem, keyFile: pki.client.keyPem }] } },
    });
    await waitFor('two health probes', () => probes.filter((p) => p === '/health').length >= 2);
    assert.deepEqual(gw.gateway.state().services['api@file']?.serverStatus, { [up.url]: 'UP' });
    assert.equal(up.seen.at(-1)?.clientCN, 'client');
  });

  it('maxIdleConnsPerHost < 0 opens a connection per request; the default reuses one', async (t) => {
    const connections: string[] = [];
    const up = await startUpstream(t, 'u', (req, res) => { res.end('ok'); });
    up.server.on('connection', () => connections.push('c'));
    const reuse = route('reuse', { servers: [{ url: up.url }] });
    const fresh = route('fresh', { servers: [{ url: `${up.url}/` }], serversTransport: 'noreuse' });
    const gw = await startFileGateway(t, {
      routers: { ...reuse.routers, ...fresh.routers },
      services: { ...reuse.services, ...fresh.services },
      serversTransports: { noreuse: { maxIdleConnsPerHost: -1 } },
    });
    for (let i = 0; i < 3; i++) assert.equal((await send(gw.web, '/reuse')).status, 200);
    assert.equal(connections.length, 1);
    for (let i = 0; i < 3; i++) assert.equal((await send(gw.web, '/fresh')).status, 200);
    assert.equal(connections.length, 4);
  });
});

describe('transport TLS options (the identity hook other transports plug into)', () => {
  it('peerCertURI accepts the URI SAN and refuses others, naming what the certificate has', () => {
    const check = peerCertUriCheck('spiffe://dc1/ns/default/dc/dc1/svc/web');
    assert.equal(check('x', { subjectaltname: 'DNS:web, URI:spiffe://dc1/ns/default/dc/dc1/svc/web' } as never), undefined);
    assert.match(String(check('x', { subjectaltname: 'URI:spiffe://dc1/ns/default/dc/dc1/svc/db' } as never)?.message), /no URI SAN "spiffe:\/\/dc1\/ns\/default\/dc\/dc1\/svc\/web" \(it has "spiffe:\/\/dc1\/ns\/default\/dc\/dc1\/svc\/db"\)/);
  });

  it('a hook given to createTransport runs on every handshake; its key separates pools', () => {
    const calls: string[] = [];
    const t = createTransport('mesh@consulcatalog', { serverName: 'web' }, { checkServerIdentity: (host) => { calls.push(host); return undefined; }, hookKey: 'mesh' });
    const opts = tlsConnectOptions(t, new URL('https://10.0.0.7:443'), ['h2', 'http/1.1']);
    assert.equal(opts.servername, 'web');
    assert.equal(opts.rejectUnauthorized, true);
    assert.equal(opts.checkServerIdentity!('web', {} as never), undefined);
    assert.deepEqual(calls, ['web']);
    assert.notEqual(t.key, createTransport('mesh@consulcatalog', { serverName: 'web' }).key);
  });
});
