import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { startUpstream } from '../support/upstream.ts';
import { getJson, startTestGateway, waitForState } from '../support/gateway.ts';
import { lb, send, startFileGateway } from '../support/file-gateway.ts';

interface Echo { name: string; method: string; url: string; headers: Record<string, string> }

/** A loopback port nothing listens on (bound, then released). */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('middlewares through the gateway (file provider)', () => {
  it('applies one representative case of each middleware', async (t) => {
    const echo = await startUpstream(t, 'echo');
    let failures = 0;
    const failing = await startUpstream(t, 'failing', (req, res) => { req.resume(); failures++; res.writeHead(500); res.end('boom'); });
    const text = 'tagway '.repeat(2000);
    const big = await startUpstream(t, 'big', (req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain' }); res.end(text); });
    const dead = await refusedPort();
    const hash = bcrypt.hashSync('s3cret', 4);
    const route = (rule: string, middlewares: string[], service = 'echo') => ({ rule, middlewares, service });
    const gw = await startFileGateway(t, {
      routers: {
        strip: route('PathPrefix(`/strip`)', ['strip']),
        stripre: route('PathPrefix(`/sre`)', ['stripre']),
        add: route('PathPrefix(`/add`)', ['add']),
        replace: route('PathPrefix(`/rp`)', ['replace']),
        replacere: route('PathPrefix(`/rpr`)', ['replacere']),
        headers: route('PathPrefix(`/hdr`)', ['hdr']),
        cors: route('PathPrefix(`/cors`)', ['cors']),
        scheme: route('PathPrefix(`/scheme`)', ['scheme']),
        regex: route('PathPrefix(`/rr`)', ['regex']),
        auth: route('PathPrefix(`/auth`)', ['auth']),
        allow: route('PathPrefix(`/allow`)', ['allow']),
        deny: route('PathPrefix(`/deny`)', ['deny']),
        limit: route('PathPrefix(`/limit`)', ['limit']),
        retry: route('PathPrefix(`/retry`)', ['retry'], 'halfdead'),
        noretry: route('PathPrefix(`/noretry`)', [], 'halfdead'),
        breaker: route('PathPrefix(`/breaker`)', ['breaker'], 'failing'),
        compress: route('PathPrefix(`/gz`)', ['gz'], 'big'),
        chain: route('PathPrefix(`/chain`)', ['chained']),
        missing: route('PathPrefix(`/missing`)', ['nope']),
      },
      services: {
        echo: lb(echo.url),
        failing: lb(failing.url),
        big: lb(big.url),
        halfdead: lb(`http://127.0.0.1:${dead}`, echo.url),
      },
      middlewares: {
        strip: { stripPrefix: { prefixes: ['/strip'] } },
        stripre: { stripPrefixRegex: { regex: ['/sre/[0-9]+'] } },
        add: { addPrefix: { prefix: '/api' } },
        replace: { replacePath: { path: '/replaced' } },
        replacere: { replacePathRegex: { regex: '^/rpr/(.*)', replacement: '/new/$1' } },
        hdr: { headers: { customRequestHeaders: { 'X-Req': 'added', 'User-Agent': '' }, customResponseHeaders: { 'X-Resp': 'yes' } } },
        cors: { headers: { accessControlAllowMethods: ['GET', 'PUT'], accessControlAllowOriginList: ['https://app.test'], accessControlMaxAge: 60 } },
        scheme: { redirectScheme: { scheme: 'https', permanent: true } },
        regex: { redirectRegex: { regex: '^http://([^/]+)/rr/(.*)', replacement: 'http://${1}/moved/${2}' } },
        auth: { basicAuth: { users: [`alice:${hash}`], removeHeader: true } },
        allow: { ipAllowList: { sourceRange: ['127.0.0.1/32'] } },
        deny: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } },
        limit: { rateLimit: { average: 1, period: '1m', burst: 2 } },
        retry: { retry: { attempts: 2 } },
        breaker: { circuitBreaker: { expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5' } },
        gz: { compress: {} },
        chained: { chain: { middlewares: ['hdr', 'add'] } },
      },
    });
    const json = async (path: string, init?: Parameters<typeof send>[2]) => {
      const r = await send(gw.web, path, init);
      assert.equal(r.status, 200, `${path}: ${r.body}`);
      return { ...r, echo: JSON.parse(r.body) as Echo };
    };

    // Paths
    let r = await json('/strip/x?q=1');
    assert.equal(r.echo.url, '/x?q=1', 'stripPrefix');
    assert.equal(r.echo.headers['x-forwarded-prefix'], '/strip');
    r = await json('/sre/42/y');
    assert.equal(r.echo.url, '/y', 'stripPrefixRegex');
    assert.equal(r.echo.headers['x-forwarded-prefix'], '/sre/42');
    assert.equal((await json('/add/z')).echo.url, '/api/add/z', 'addPrefix');
    r = await json('/rp/a');
    assert.equal(r.echo.url, '/replaced', 'replacePath');
    assert.equal(r.echo.headers['x-replaced-path'], '/rp/a');
    assert.equal((await json('/rpr/a/b')).echo.url, '/new/a/b', 'replacePathRegex');

    // headers, incl. a CORS preflight answered by the gateway itself
    r = await json('/hdr', { headers: { 'user-agent': 'ua' } });
    assert.equal(r.echo.headers['x-req'], 'added');
    assert.equal(r.echo.headers['user-agent'], undefined, 'an empty value removes the header');
    assert.equal(r.headers['x-resp'], 'yes');
    const before = echo.seen.length;
    const pre = await send(gw.web, '/cors', { method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,PUT');
    assert.equal(pre.headers['access-control-max-age'], '60');
    assert.equal(echo.seen.length, before, 'the preflight never reaches the upstream');

    // Redirects
    const rs = await send(gw.web, '/scheme/p?x=1', { headers: { host: 'app.test' } });
    assert.equal(rs.status, 301);
    assert.equal(rs.headers.location, 'https://app.test/scheme/p?x=1');
    const rr = await send(gw.web, '/rr/a/b', { headers: { host: 'app.test' } });
    assert.equal(rr.status, 302);
    assert.equal(rr.headers.location, 'http://app.test/moved/a/b');

    // basicAuth
    const denied = await send(gw.web, '/auth');
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /^Basic realm=/);
    assert.equal((await send(gw.web, '/auth', { headers: { authorization: 'Basic ' + Buffer.from('alice:wrong').toString('base64') } })).status, 401);
    r = await json('/auth', { headers: { authorization: 'Basic ' + Buffer.from('alice:s3cret').toString('base64') } });
    assert.equal(r.echo.headers.authorization, undefined, 'removeHeader');

    // ipAllowList
    await json('/allow');
    assert.equal((await send(gw.web, '/deny')).status, 403);

    // rateLimit: burst 2, then 429 (1 token a minute: no refill during the test)
    assert.deepEqual([(await send(gw.web, '/limit')).status, (await send(gw.web, '/limit')).status, (await send(gw.web, '/limit')).status], [200, 200, 429]);

    // retry: the refused server is retried on the live one; without retry, one of two requests fails
    assert.deepEqual([(await send(gw.web, '/retry')).status, (await send(gw.web, '/retry')).status], [200, 200]);
    assert.deepEqual([(await send(gw.web, '/noretry')).status, (await send(gw.web, '/noretry')).status].sort(), [200, 502]);

    // circuitBreaker: the first 500 trips it (checked on the first response); then 503 without reaching the upstream
    assert.equal((await send(gw.web, '/breaker')).status, 500);
    assert.equal((await send(gw.web, '/breaker')).status, 503);
    assert.equal(failures, 1);

    // compress
    const gz = await new Promise<{ headers: import('node:http').IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) => get(`${gw.web}/gz`, { headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject), reject);
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), text);
    assert.ok(gz.body.length < text.length / 10);

    // chain: headers then addPrefix
    r = await json('/chain/c');
    assert.equal(r.echo.url, '/api/chain/c');
    assert.equal(r.echo.headers['x-req'], 'added');
    assert.equal(r.headers['x-resp'], 'yes');

    // A missing middleware disables the router, with an error
    assert.equal((await send(gw.web, '/missing')).status, 404);
    const { body } = await getJson<{ status: string; error: string[] }>(`${gw.admin}/api/http/routers/missing@file`);
    assert.equal(body.status, 'disabled');
    assert.match(body.error.join(), /middleware "nope@file" does not exist/);
  });
});

describe('middlewares through the gateway (Consul tags)', () => {
  it('wires middlewares declared in tags, qualified by provider', async (t) => {
    const up = await startUpstream(t, 'tagged');
    const { gateway, catalog, web, admin } = await startTestGateway(t, {});
    catalog!.register({
      Name: 'shop', Address: '127.0.0.1', Port: up.port,
      Tags: [
        'traefik.http.routers.shop.rule=PathPrefix(`/shop`)',
        'traefik.http.routers.shop.middlewares=shop-strip,shop-hdr',
        'traefik.http.middlewares.shop-strip.stripPrefix.prefixes=/shop',
        'traefik.http.middlewares.shop-hdr.headers.customResponseHeaders.X-Shop=1',
        'traefik.http.routers.broken.rule=PathPrefix(`/broken`)',
        'traefik.http.routers.broken.service=shop',
        'traefik.http.routers.broken.middlewares=missing-one',
      ],
    });
    await waitForState(gateway, (s) => s.routers['shop@consulcatalog'] !== undefined && s.routers['broken@consulcatalog'] !== undefined);
    const r = await send(web, '/shop/cart');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Echo).url, '/cart');
    assert.equal(r.headers['x-shop'], '1');
    assert.equal((await send(web, '/broken')).status, 404);
    const { body } = await getJson<{ status: string; error: string[] }>(`${admin}/api/http/routers/broken@consulcatalog`);
    assert.equal(body.status, 'disabled');
    assert.match(body.error.join(), /missing-one@consulcatalog/);
  });
});
