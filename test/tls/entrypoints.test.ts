import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadStaticConfig } from '../../src/static/load.ts';
import { startGateway, type Gateway } from '../../src/server/gateway.ts';
import { silentLogger } from '../../src/util/log.ts';
import { startUpstream } from '../support/upstream.ts';
import { send } from '../support/file-gateway.ts';
import { waitForState } from '../support/gateway.ts';
import { startCollector } from '../support/collector.ts';
import { traceWhere, SPAN_KIND } from '../support/tracing.ts';
import { h2Get, h2Session, httpsGet, testPki } from './harness.ts';

const pki = testPki(['shop.example.com', '*.example.com']);

/** The issue's static file, unchanged but for the addresses (port 0 on loopback) and the file provider's directory. */
async function startIssueGateway(t: TestContext, dynamic: unknown, extra = ''): Promise<{ gateway: Gateway; web: number; websecure: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-eps-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'dynamic.yml'), stringify(dynamic));
  const staticFile = join(dir, 'tagway.yml');
  await writeFile(staticFile, `entryPoints:
  web:
    address: "127.0.0.1:0"
    http:
      redirections:
        entryPoint: { to: websecure, scheme: https }     # permanent: true by default
  websecure:
    address: "127.0.0.1:0"
    asDefault: true
    http:
      tls: {}                                          # every router on websecure is a TLS router
    http2: { maxConcurrentStreams: 250 }
  traefik:
    address: "127.0.0.1:0"
providers:
  providersThrottleDuration: 0s
  file: { directory: ${JSON.stringify(dir)}, watch: true }
api: { insecure: true }
${extra}`);
  const config = loadStaticConfig({ argv: [`--configFile=${staticFile}`], env: {} });
  const gateway = await startGateway({ config, logger: silentLogger, accessLogWrite: () => {} });
  t.after(() => gateway.close());
  await waitForState(gateway, (s) => Object.keys(s.routers).some((r) => r.endsWith('@file')));
  return { gateway, web: gateway.entryPoints.get('web')!.port, websecure: gateway.entryPoints.get('websecure')!.port };
}

function dynamic(upstream: string): unknown {
  return {
    http: {
      routers: { shop: { rule: 'Host(`shop.example.com`)', service: 'shop' } },
      services: { shop: { loadBalancer: { servers: [{ url: upstream }] } } },
    },
    tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }] },
  };
}

describe('the issue\'s static file: web redirects to websecure, websecure is the default TLS entry point', () => {
  it('redirects every host on web to https on websecure\'s port, keeping path and query (308 by default)', async (t) => {
    const up = await startUpstream(t, 'shop');
    const gw = await startIssueGateway(t, dynamic(up.url));
    const r = await send(`http://127.0.0.1:${gw.web}`, '/cart/items?id=7&x=%2F', { headers: { host: 'shop.example.com' } });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, `https://shop.example.com:${gw.websecure}/cart/items?id=7&x=%2F`);
    const post = await send(`http://127.0.0.1:${gw.web}`, '/pay', { method: 'POST', headers: { host: 'shop.example.com' }, body: 'x' });
    assert.equal(post.status, 308, 'a permanent redirection of a POST keeps the method');
  });

  it('makes a router without entryPoints a TLS router of websecure (asDefault + http.tls), shown in the API with tls', async (t) => {
    const up = await startUpstream(t, 'shop');
    const gw = await startIssueGateway(t, dynamic(up.url));
    const ok = await httpsGet(gw.websecure, { servername: 'shop.example.com', ca: pki.ca.certPem });
    assert.equal(ok.status, 200);
    assert.equal((await send(`http://127.0.0.1:${gw.websecure}`, '/', { headers: { host: 'shop.example.com' } })).status, 404, 'cleartext on websecure');
    const admin = `http://127.0.0.1:${gw.gateway.entryPoints.get('traefik')!.port}`;
    const routers = await (await fetch(`${admin}/api/http/routers`)).json() as Array<{ name: string; tls?: unknown; entryPoints?: string[]; middlewares?: string[]; service?: string; priority?: number }>;
    const shop = routers.find((r) => r.name === 'shop@file')!;
    assert.deepEqual(shop.entryPoints, ['websecure']);
    assert.deepEqual(shop.tls, {});
    const redirect = routers.find((r) => r.name === 'web-to-websecure@internal')!;
    assert.deepEqual({ ...redirect, status: undefined }, {
      ...redirect, status: undefined,
      entryPoints: ['web'], middlewares: ['redirect-web-to-websecure@internal'], service: 'noop@internal', priority: Number.MAX_SAFE_INTEGER - 1,
    });
    const raw = await (await fetch(`${admin}/api/rawdata`)).json() as { routers: Record<string, { tls?: unknown }>; middlewares: Record<string, { redirectScheme?: unknown }> };
    assert.deepEqual(raw.routers['shop@file']!.tls, {});
    assert.deepEqual(raw.middlewares['redirect-web-to-websecure@internal']!.redirectScheme, { scheme: 'https', port: String(gw.websecure), permanent: true });
  });

  it('serves h2 with the same routing and spans as HTTP/1.1 (network.protocol.version 2, url.scheme https)', async (t) => {
    const up = await startUpstream(t, 'shop');
    const collector = await startCollector();
    t.after(() => collector.close());
    const gw = await startIssueGateway(t, dynamic(up.url), `tracing:\n  otlp: { http: { endpoint: "${collector.endpoint}" } }\n  batch: { scheduledDelay: 20ms }\n`);
    const session = h2Session(t, `https://127.0.0.1:${gw.websecure}`, { ca: pki.ca.certPem, servername: 'shop.example.com' });
    const r = await h2Get(session, 'shop.example.com', '/h2?q=1');
    assert.equal(r.status, 200);
    const trace = await traceWhere(collector, (s) => s.kind === SPAN_KIND.SERVER && s.attributes['url.path'] === '/h2', 2);
    const server = trace.one('GET');
    assert.equal(server.attributes['network.protocol.version'], '2');
    assert.equal(server.attributes['url.scheme'], 'https');
    assert.equal(server.attributes['server.address'], 'shop.example.com');
    assert.equal(server.attributes['entry_point'], 'websecure');
  });
});
