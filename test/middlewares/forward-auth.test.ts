/**
 * forwardAuth through the running gateway: a real auth server and a real upstream (node:http on 127.0.0.1:0),
 * a real client on a real socket. Cases from Traefik v3.7.9's pkg/middlewares/auth/forward_test.go that are
 * observable over HTTP are ported as tables (their `desc` kept).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { createLogger } from '../../src/util/log.ts';
import { testPki } from '../tls/harness.ts';
import { send, type Reply } from '../support/file-gateway.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { Lines, serviceWithUpstream } from '../support/operate.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { parseTraceparent, service, SPAN_KIND, STATUS, startTraced, traceWhere } from '../support/tracing.ts';

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }
type AuthHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface AuthServer { url: string; port: number; seen: Seen[]; connections(): number; on(name: string, handler: AuthHandler): void; seenBy(name: string): Seen[] }

/** The auth server: records every request (with its body); `/<case>` runs that case's handler, default 200 "ok". */
async function startAuth(t: TestContext): Promise<AuthServer> {
  const seen: Seen[] = [];
  const handlers = new Map<string, AuthHandler>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const name = (req.url ?? '/').slice(1).split('?')[0]!;
      const handler = handlers.get(name);
      if (handler) { handler(req, res, body); return; }
      res.end('ok');
    });
  });
  let connections = 0;
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return {
    url: `http://127.0.0.1:${port}`, port, seen, connections: () => connections,
    on(name, handler) { handlers.set(name, handler); },
    seenBy(name) { return seen.filter((s) => s.url.slice(1).split('?')[0] === name); },
  };
}

/** The app behind the middleware: answers JSON of what it received; `/cookies` also sets two cookies. */
async function startApp(t: TestContext): Promise<Upstream & { bodies: Seen[] }> {
  const bodies: Seen[] = [];
  const up = await startUpstream(t, 'app', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const head: Record<string, string | string[]> = { 'content-type': 'application/json', 'other-header': 'BackendHeaderValue' };
      if (req.url?.startsWith('/cookies')) head['set-cookie'] = ['authCookie=Backend', 'backendCookie=Backend'];
      res.writeHead(200, head);
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  return Object.assign(up, { bodies });
}

interface Gw { web: string; log: Lines; send(caseName: string, path: string, init?: { method?: string; headers?: Record<string, string | string[]>; body?: string }): Promise<Reply> }

/**
 * A gateway fed by the file provider: one router per case (`Header(X-Case, <case>)`), each with its own
 * forwardAuth middleware whose address is `<auth>/<case>` unless the case sets `address`.
 * `trusted`: the entry point trusts 127.0.0.1 (client X-Forwarded-* reach the middleware, as in Traefik's unit tests).
 */
async function startGw(t: TestContext, auth: AuthServer, app: Upstream, cases: Record<string, Record<string, unknown>>, trusted = true): Promise<Gw> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-fa-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const routers: Record<string, unknown> = {};
  const middlewares: Record<string, unknown> = {};
  for (const [name, cfg] of Object.entries(cases)) {
    routers[name] = { rule: `Header(\`X-Case\`, \`${name}\`)`, service: 'app', middlewares: [`fa-${name}`] };
    middlewares[`fa-${name}`] = { forwardAuth: { address: `${auth.url}/${name}`, ...cfg } };
  }
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http: { routers, middlewares, services: { app: { loadBalancer: { servers: [{ url: app.url }] } } } } }));
  const log = new Lines();
  const flags = [`--providers.file.filename=${file}`, ...(trusted ? ['--entryPoints.web.forwardedHeaders.trustedIPs=127.0.0.1/32'] : [])];
  const { gateway, web } = await startTestGateway(t, { consul: false, flags, logger: createLogger({ level: 'DEBUG', write: log.write }) });
  await waitForState(gateway, (s) => Object.keys(cases).every((n) => s.routers[`${n}@file`]?.status === 'enabled'));
  return {
    web, log,
    send(caseName, path, init = {}) {
      return send(web, path, { ...init, headers: { 'x-case': caseName, ...init.headers } });
    },
  };
}

const appSaw = (r: Reply): { headers: IncomingHttpHeaders; body: string; method: string } => JSON.parse(r.body) as { headers: IncomingHttpHeaders; body: string; method: string };

/** What the auth server saw, without what the transport adds (Host, Connection) and the routing header. */
function authHeaders(s: Seen): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.headers)) {
    if (k === 'host' || k === 'connection' || k === 'x-case') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

describe('forwardAuth through the gateway', () => {
  test('allow, deny with its body and headers, redirects, hop-by-hop headers (TestForwardAuthFail/Success/Redirect/RemoveHopByHopHeaders/FailResponseHeaders)', async (t) => {
    const auth = await startAuth(t);
    const app = await startApp(t);
    auth.on('deny', (_req, res) => {
      res.setHeader('proxy-authenticate', 'test');
      res.setHeader('set-cookie', 'example=testing; Path=/');
      res.setHeader('x-foo', 'bar');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.statusCode = 403;
      res.end('Forbidden\n');
    });
    auth.on('redirect', (_req, res) => {
      for (const h of ['keep-alive', 'upgrade', 'trailer']) res.setHeader(h, 'test');
      res.writeHead(302, { location: 'http://example.com/redirect-test', 'content-type': 'text/html; charset=utf-8' });
      res.end('<a href="http://example.com/redirect-test">Found</a>.\n\n');
    });
    auth.on('relative', (_req, res) => { res.writeHead(401, { location: '/index.html' }); res.end('Unauthorized\n'); });
    auth.on('preserved', (_req, res) => { res.writeHead(401, { location: '/index.html' }); res.end('Unauthorized\n'); });
    auth.on('success', (_req, res) => {
      res.setHeader('x-auth-user', 'user@example.com');
      res.setHeader('x-auth-secret', 'secret');
      res.setHeader('x-auth-group', ['group1', 'group2']);
      res.setHeader('foo-bar', 'auth-value');
      res.setHeader('set-cookie', ['authCookie=Auth', 'authCookieNotAdded=Auth']);
      res.end('Success\n');
    });
    const gw = await startGw(t, auth, app, {
      allow: {},
      deny: {},
      redirect: {},
      relative: {},
      preserved: { preserveLocationHeader: true },
      success: { authResponseHeaders: ['X-Auth-User', 'X-Auth-Group'], authResponseHeadersRegex: '^Foo-', addAuthCookiesToResponse: ['authCookie'] },
    });

    const allowed = await gw.send('allow', '/hello?x=1');
    assert.equal(allowed.status, 200);
    assert.equal(appSaw(allowed).headers['x-case'], 'allow');
    assert.equal(app.bodies.length, 1, 'the app is reached once');

    const denied = await gw.send('deny', '/secret');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'Forbidden\n');
    assert.equal(denied.headers['proxy-authenticate'], 'test');
    assert.deepEqual(denied.headers['set-cookie'], ['example=testing; Path=/']);
    assert.equal(denied.headers['x-foo'], 'bar');
    assert.equal(denied.headers['x-content-type-options'], 'nosniff');
    assert.equal(denied.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(denied.headers['content-length'], '10');
    assert.equal(app.bodies.length, 1, 'a denied request never reaches the app');

    const redirected = await gw.send('redirect', '/');
    assert.equal(redirected.status, 302);
    assert.equal(redirected.headers.location, 'http://example.com/redirect-test');
    assert.notEqual(redirected.body, '');
    assert.equal(redirected.headers['keep-alive'], undefined, 'hop-by-hop headers of the auth answer are dropped');
    assert.equal(redirected.headers.upgrade, undefined);
    assert.equal(redirected.headers.trailer, undefined);

    const relative = await gw.send('relative', '/');
    assert.equal(relative.status, 401);
    assert.equal(relative.headers.location, `${auth.url}/index.html`, 'a relative Location is resolved against the auth address');
    const preserved = await gw.send('preserved', '/');
    assert.equal(preserved.status, 401);
    assert.equal(preserved.headers.location, '/index.html', 'preserveLocationHeader keeps it as the auth server wrote it');

    const ok = await gw.send('success', '/cookies', { headers: { 'x-auth-group': 'admin_group', 'foo-bar': 'client-value', 'foo-baz': 'client-value' } });
    assert.equal(ok.status, 200);
    const saw = appSaw(ok).headers;
    assert.equal(saw['x-auth-user'], 'user@example.com', 'copied by name');
    assert.equal(saw['x-auth-secret'], undefined, 'not listed: not copied');
    assert.equal(saw['x-auth-group'], 'group1, group2', 'every value, the client\'s replaced');
    assert.equal(saw['foo-bar'], 'auth-value', 'copied by regex');
    assert.equal(saw['foo-baz'], undefined, 'a client header matching the regex is removed');
    assert.deepEqual(ok.headers['set-cookie'], ['backendCookie=Backend', 'authCookie=Auth']);
    assert.equal(ok.headers['other-header'], 'BackendHeaderValue');
  });

  test('authSigninURL (TestForwardAuthAuthSigninURL)', async (t) => {
    const rows = [
      { desc: 'redirects to signin URL on 401', name: 's401', signin: 'https://auth.example.com/login', status: 401, expected: 302, location: 'https://auth.example.com/login', next: false },
      { desc: 'no redirect on 401 without signin URL', name: 'n401', signin: '', status: 401, expected: 401, location: undefined, next: false },
      { desc: 'no redirect on other error statuses with signin URL', name: 's403', signin: 'https://auth.example.com/login', status: 403, expected: 403, location: undefined, next: false },
      { desc: 'no redirect on OK status with signin URL', name: 's200', signin: 'https://auth.example.com/login', status: 200, expected: 200, location: undefined, next: true },
    ];
    const auth = await startAuth(t);
    const app = await startApp(t);
    for (const r of rows) auth.on(r.name, (_req, res) => { res.statusCode = r.status; res.end('x\n'); });
    const gw = await startGw(t, auth, app, Object.fromEntries(rows.map((r) => [r.name, r.signin ? { authSigninURL: r.signin } : {}])));
    for (const r of rows) {
      await t.test(r.desc, async () => {
        const before = app.bodies.length;
        const res = await gw.send(r.name, '/');
        assert.equal(res.status, r.expected);
        assert.equal(res.headers.location, r.location);
        assert.equal(app.bodies.length - before, r.next ? 1 : 0);
      });
    }
  });

  test('headers sent to the auth server (TestForwardAuth_writeHeader, TestForwardAuth_oldWriteHeader)', async (t) => {
    const me = hostname();
    // Present on every auth request through a gateway whose entry point set them (not in Traefik's unit test,
    // which has no entry point): X-Forwarded-For with the peer, X-Real-Ip, X-Forwarded-Server.
    const entry = { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', 'x-forwarded-server': me };
    const fwd = (port = true): Record<string, string> => ({
      'x-forwarded-proto': 'http', 'x-forwarded-host': 'foo.bar', 'x-forwarded-uri': '/path?q=1', 'x-forwarded-method': 'GET',
      ...(port ? { 'x-forwarded-port': '80' } : {}), 'x-forwarded-for': '127.0.0.1',
    });
    const hop = { connection: 'keep-alive, x-dropped', 'x-dropped': 'by Connection', 'keep-alive': 'KeepAlive', te: 'trailers',
      'proxy-authenticate': 'ProxyAuthenticate', 'proxy-authorization': 'ProxyAuthorization', 'x-customheader': 'CustomHeader' };
    type Row = { desc: string; trust?: boolean; authRequestHeaders?: string[]; headers: Record<string, string>; expected: Record<string, string>; exact?: boolean };
    const rows: Row[] = [
      { desc: 'trust forward header', trust: true, headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'fii.bir' } },
      { desc: 'not trust forward header', trust: false, headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'foo.bar' } },
      { desc: 'trust forward header with forwarded URI', trust: true, headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir', 'x-forwarded-uri': '/forward?q=1' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'fii.bir', 'x-forwarded-uri': '/forward?q=1' } },
      { desc: 'not trust forward header with forward requested URI', trust: false, headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir', 'x-forwarded-uri': '/forward?q=1' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'foo.bar', 'x-forwarded-uri': '/path?q=1' } },
      { desc: 'trust forward header with forwarded request Method', trust: true, headers: { 'x-forwarded-method': 'OPTIONS' }, expected: { 'x-forwarded-method': 'OPTIONS' } },
      { desc: 'not trust forward header with forward request Method', trust: false, headers: { 'x-forwarded-method': 'OPTIONS' }, expected: { 'x-forwarded-method': 'GET' } },
      { desc: 'remove hop-by-hop headers', trust: false, headers: hop, exact: true,
        expected: { 'x-customheader': 'CustomHeader', 'proxy-authenticate': 'ProxyAuthenticate', 'proxy-authorization': 'ProxyAuthorization', ...fwd() } },
      { desc: 'filter forward request headers', trust: false, authRequestHeaders: ['X-CustomHeader'], exact: true,
        headers: { 'x-customheader': 'CustomHeader', 'content-type': 'multipart/form-data; boundary=---123456' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd() } },
      { desc: "filter forward request headers doesn't add new headers", trust: false, authRequestHeaders: ['X-CustomHeader', 'X-Non-Exists-Header'], exact: true,
        headers: { 'x-customheader': 'CustomHeader', 'content-type': 'multipart/form-data; boundary=---123456' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd() } },
      { desc: 'ignore User-Agent header if header is not allowed and missing', trust: false, authRequestHeaders: ['X-CustomHeader', 'Accept'], exact: true,
        headers: { 'x-customheader': 'CustomHeader', accept: 'application/json' },
        expected: { 'x-customheader': 'CustomHeader', accept: 'application/json', ...fwd() } },
      { desc: 'set empty User-Agent header if header is missing (no User-Agent on the wire)', trust: false, exact: true,
        headers: { 'x-customheader': 'CustomHeader', accept: 'application/json' },
        expected: { 'x-customheader': 'CustomHeader', accept: 'application/json', ...fwd() } },
      { desc: 'a User-Agent the client sent is passed on', trust: false, headers: { 'user-agent': 'curl/8' }, expected: { 'user-agent': 'curl/8' } },
      { desc: 'authRequestHeaders and XForwarded are kept if trusted', trust: true, authRequestHeaders: ['X-CustomHeader'], exact: true,
        headers: { 'x-customheader': 'CustomHeader', 'x-forwarded-uri': '/path?q=2' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd(), 'x-forwarded-uri': '/path?q=2', ...entry } },
      { desc: 'X-Forwarded and X_forwarded headers are removed when not trusted', trust: false, exact: true,
        headers: { 'x-customheader': 'CustomHeader', 'x_forwarded_for': '10.9.9.9', 'x-forwarded-proto': 'xxx' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd() } },
      { desc: 'X-Forwarded-Proto is not used to calculate X-Forwarded-Port if trustForwardHeader=false', trust: false,
        headers: { 'x-customheader': 'CustomHeader', 'x-forwarded-proto': 'https' }, expected: fwd() },
      { desc: 'trusted: X-Forwarded-For gets the peer appended', trust: true, headers: { 'x-forwarded-for': '10.1.1.1' }, expected: { 'x-forwarded-for': '10.1.1.1, 127.0.0.1' } },
      // trustForwardHeader unset: Traefik v3.7's oldWriteHeader
      { desc: 'old: not trust forward header', headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'foo.bar' } },
      { desc: 'old: not trust forward header with forward requested URI', headers: { accept: 'application/json', 'x-forwarded-host': 'fii.bir', 'x-forwarded-uri': '/forward?q=1' },
        expected: { accept: 'application/json', 'x-forwarded-host': 'foo.bar', 'x-forwarded-uri': '/path?q=1' } },
      { desc: 'old: not trust forward header with forward request Method', headers: { 'x-forwarded-method': 'OPTIONS' }, expected: { 'x-forwarded-method': 'GET' } },
      { desc: 'old: remove hop-by-hop headers', headers: hop, exact: true,
        expected: { 'x-customheader': 'CustomHeader', 'proxy-authenticate': 'ProxyAuthenticate', 'proxy-authorization': 'ProxyAuthorization', ...fwd(), ...entry, 'x-forwarded-port': '80' } },
      { desc: 'old: filter forward request headers', authRequestHeaders: ['X-CustomHeader'], exact: true,
        headers: { 'x-customheader': 'CustomHeader', 'content-type': 'multipart/form-data; boundary=---123456' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd(false) } },
      { desc: 'old: X-Forwarded-Prefix is kept for non-breaking behavior', headers: { 'x-customheader': 'CustomHeader', 'x-forwarded-prefix': 'foo.bar' },
        expected: { 'x-customheader': 'CustomHeader', ...fwd(false), 'x-forwarded-prefix': 'foo.bar' } },
    ];
    const auth = await startAuth(t);
    const app = await startApp(t);
    const name = (i: number): string => `w${i}`;
    const gw = await startGw(t, auth, app, Object.fromEntries(rows.map((r, i) => [name(i), {
      ...(r.trust !== undefined ? { trustForwardHeader: r.trust } : {}), ...(r.authRequestHeaders ? { authRequestHeaders: r.authRequestHeaders } : {}),
    }])));
    for (const [i, r] of rows.entries()) {
      await t.test(r.desc, async () => {
        const res = await gw.send(name(i), '/path?q=1', { headers: { host: 'foo.bar', ...r.headers } });
        assert.equal(res.status, 200);
        const seen = auth.seenBy(name(i));
        assert.equal(seen.length, 1);
        const got = authHeaders(seen[0]!);
        if (r.exact) assert.deepEqual(got, r.expected);
        else for (const [k, v] of Object.entries(r.expected)) assert.equal(got[k], v, k);
      });
    }
  });

  test('the entry point does not trust the client: its X-Forwarded-* never reach the auth server, trusted or not', async (t) => {
    const auth = await startAuth(t);
    const app = await startApp(t);
    const gw = await startGw(t, auth, app, { trusting: { trustForwardHeader: true }, legacy: {} }, false);
    const spoof = { host: 'app.example', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', 'x-forwarded-uri': '/admin', 'x-forwarded-method': 'DELETE' };
    for (const name of ['trusting', 'legacy']) {
      await gw.send(name, '/p', { method: 'POST', headers: spoof });
      const got = authHeaders(auth.seenBy(name)[0]!);
      assert.equal(got['x-forwarded-for'], '127.0.0.1', name);
      assert.equal(got['x-forwarded-host'], 'app.example', name);
      assert.equal(got['x-forwarded-uri'], '/p', name);
      assert.equal(got['x-forwarded-method'], 'POST', name);
      assert.equal(got['x-forwarded-proto'], 'http', name);
    }
  });

  test('request bodies (TestForwardAuthForwardBody/SizeLimit/NotForwardBody/ForwardBodyEmptyBody) and methods (TestForwardAuthPreserveRequestMethod)', async (t) => {
    const data = 'forwardBodyTest';
    const auth = await startAuth(t);
    const app = await startApp(t);
    const gw = await startGw(t, auth, app, {
      within: { forwardBody: true, maxBodySize: data.length },
      over: { forwardBody: true, maxBodySize: data.length - 1 },
      unlimited: { forwardBody: true },
      off: {},
      method: { preserveRequestMethod: true },
    });
    const within = await gw.send('within', '/', { method: 'POST', body: data });
    assert.equal(within.status, 200);
    assert.equal(auth.seenBy('within')[0]!.body, data, 'the auth server gets the body');
    assert.equal(auth.seenBy('within')[0]!.method, 'GET', 'with GET unless preserveRequestMethod');
    assert.equal(appSaw(within).body, data, 'and the app gets it too');
    assert.equal(appSaw(within).method, 'POST');

    const appBefore = app.bodies.length;
    const over = await gw.send('over', '/', { method: 'POST', body: data });
    assert.equal(over.status, 401);
    assert.equal(over.body, '');
    assert.equal(auth.seenBy('over').length, 0, 'the auth server is not called');
    assert.equal(app.bodies.length, appBefore, 'nor the app');

    const chunked = await gw.send('unlimited', '/', { method: 'PUT', body: 'x'.repeat(100_000), headers: { 'transfer-encoding': 'chunked' } });
    assert.equal(chunked.status, 200);
    assert.equal(auth.seenBy('unlimited')[0]!.body.length, 100_000);
    assert.equal(appSaw(chunked).body.length, 100_000);

    const empty = await gw.send('unlimited', '/', { method: 'POST' });
    assert.equal(empty.status, 200);
    assert.equal(auth.seenBy('unlimited')[1]!.body, '');

    const off = await gw.send('off', '/', { method: 'POST', body: data });
    assert.equal(off.status, 200);
    assert.equal(auth.seenBy('off')[0]!.body, '', 'forwardBody off: no body to the auth server');
    assert.equal(appSaw(off).body, data);

    for (const [method, expected] of [['POST', 'POST'], ['DELETE', 'DELETE']] as const) {
      const res = await gw.send('method', '/', { method });
      assert.equal(res.status, 200);
      assert.equal(auth.seenBy('method').at(-1)!.method, expected);
      assert.equal(appSaw(res).method, method);
    }
  });

  test('maxResponseBodySize (TestForwardAuthMaxResponseBodySize)', async (t) => {
    const rows = [
      { desc: 'auth failure, unlimited response body', max: -1, status: 403, body: 'Forbidden', expectedStatus: 403, expectedBody: 'Forbidden' },
      { desc: 'auth failure, response body exceeds the limit', max: 1, status: 403, body: 'Forbidden', expectedStatus: 401, expectedBody: '' },
      { desc: 'auth success within limit', max: 100, status: 200, body: 'ok', expectedStatus: 200, expectedBody: undefined },
      { desc: 'auth success body exceeds limit', max: 1, status: 200, body: 'large auth response', expectedStatus: 401, expectedBody: '' },
    ];
    const auth = await startAuth(t);
    const app = await startApp(t);
    rows.forEach((r, i) => auth.on(`m${i}`, (_req, res) => { res.statusCode = r.status; res.end(r.body); }));
    const gw = await startGw(t, auth, app, Object.fromEntries(rows.map((r, i) => [`m${i}`, { maxResponseBodySize: r.max }])));
    for (const [i, r] of rows.entries()) {
      await t.test(r.desc, async () => {
        const res = await gw.send(`m${i}`, '/');
        assert.equal(res.status, r.expectedStatus);
        if (r.expectedBody !== undefined) assert.equal(res.body, r.expectedBody);
        else assert.equal(appSaw(res).headers['x-case'], `m${i}`, 'the app answered');
      });
    }
  });

  test('auth server down: 500 with the reason in the log, never a pass-through (TestForwardAuthForwardError)', async (t) => {
    const auth = await startAuth(t);
    const app = await startApp(t);
    // a port that was just free: nothing listens on it
    const closed = await startUpstream(undefined, 'gone');
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const gw = await startGw(t, auth, app, { down: { address: `http://127.0.0.1:${closed.port}/verify` } });
    const res = await gw.send('down', '/');
    assert.equal(res.status, 500);
    assert.equal(res.body, '');
    assert.equal(app.bodies.length, 0);
    const line = await gw.log.find((l) => l.includes('Error calling') && l.includes(`127.0.0.1:${closed.port}`));
    assert.match(line, /ERROR/);
    assert.match(line, /ECONNREFUSED|connect/i);
  });

  test('auth server slow: the configured timeout answers 500 and the app is never reached', async (t) => {
    const auth = await startAuth(t);
    const app = await startApp(t);
    let held = 0;
    auth.on('slow', () => { held++; /* never answers; closed with the server */ });
    const gw = await startGw(t, auth, app, { slow: { timeout: '50ms' } });
    const started = performance.now();
    const res = await gw.send('slow', '/');
    const took = performance.now() - started;
    assert.equal(res.status, 500);
    assert.equal(held, 1);
    assert.equal(app.bodies.length, 0);
    assert.ok(took < 5000, `answered after ${took} ms: the 50 ms timeout, far from Traefik's 30 s default`);
    await gw.log.find((l) => l.includes('Error calling') && l.includes('did not answer within 50ms'));
  });

  test('the auth call reuses its keep-alive connections', async (t) => {
    const auth = await startAuth(t);
    const app = await startApp(t);
    const gw = await startGw(t, auth, app, { pool: {} });
    for (let i = 0; i < 5; i++) assert.equal((await gw.send('pool', '/')).status, 200);
    assert.equal(auth.seenBy('pool').length, 5);
    assert.equal(auth.connections(), 1, 'five auth calls, one connection');
  });
});

describe('forwardAuth from Consul tags', () => {
  test('two tags put an auth server in front of a Consul service', async (t) => {
    const auth = await startAuth(t);
    auth.on('verify', (req, res) => {
      if (req.headers.cookie === 'session=ok') { res.setHeader('remote-user', 'alice'); res.end(); return; }
      res.writeHead(302, { location: 'https://sso.example/login' });
      res.end();
    });
    const { gateway, catalog, web } = await startTestGateway(t);
    await serviceWithUpstream(t, gateway, catalog!, 'whoami', [
      'http.routers.whoami.rule=Host(`whoami.example`)',
      'http.routers.whoami.middlewares=sso',
      `http.middlewares.sso.forwardauth.address=${auth.url}/verify`,
      'http.middlewares.sso.forwardauth.trustForwardHeader=true',
      'http.middlewares.sso.forwardauth.authResponseHeaders=Remote-User',
    ]);
    const anonymous = await send(web, '/', { headers: { host: 'whoami.example' } });
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.location, 'https://sso.example/login');
    const signedIn = await send(web, '/', { headers: { host: 'whoami.example', cookie: 'session=ok' } });
    assert.equal(signedIn.status, 200);
    assert.equal((JSON.parse(signedIn.body) as { headers: IncomingHttpHeaders }).headers['remote-user'], 'alice');
  });
});

describe('forwardAuth tracing', () => {
  test('detailed: the auth call is a CLIENT span AuthRequest under ForwardAuth, its context sent to the auth server; minimal: no extra span', async (t) => {
    const auth = await startAuth(t);
    auth.on('deny', (_req, res) => { res.statusCode = 403; res.end('no'); });
    const app = await startUpstream(t, 'app');
    const mw = (path: string): Record<string, unknown> => ({ forwardAuth: { address: `${auth.url}/${path}`, trustForwardHeader: true } });
    const gw = await startTraced(t, {
      routers: {
        detailed: { rule: 'PathPrefix(`/d`)', service: 'app', middlewares: ['fa'], observability: { traceVerbosity: 'detailed' } },
        denied: { rule: 'PathPrefix(`/x`)', service: 'app', middlewares: ['no'], observability: { traceVerbosity: 'detailed' } },
        minimal: { rule: 'PathPrefix(`/m`)', service: 'app', middlewares: ['fa'] },
        body: { rule: 'PathPrefix(`/b`)', service: 'app', middlewares: ['small'], observability: { traceVerbosity: 'detailed' } },
      },
      middlewares: { fa: mw('ok'), no: mw('deny'), small: { forwardAuth: { address: `${auth.url}/ok`, forwardBody: true, maxBodySize: 1 } } },
      services: { app: service(app.url) },
    });
    assert.equal((await send(gw.web, '/d')).status, 200);
    const trace = await traceWhere(gw.collector, (s) => s.name === 'AuthRequest', 5);
    assert.deepEqual(trace.shape(), ['GET', '  Router', '    ForwardAuth', '      AuthRequest', '      Service', '        ReverseProxy']);
    const call = trace.one('AuthRequest');
    assert.equal(call.kind, SPAN_KIND.CLIENT);
    assert.equal(call.attributes['http.response.status_code'], 200);
    assert.equal(call.attributes['url.full'], `${auth.url}/ok`);
    assert.equal(parseTraceparent(auth.seenBy('ok')[0]!.headers.traceparent as string)?.parentId, call.spanId, 'the auth server continues the trace');

    assert.equal((await send(gw.web, '/x')).status, 403);
    const refused = await traceWhere(gw.collector, (s) => s.name === 'AuthRequest' && s.attributes['http.response.status_code'] === 403, 4);
    assert.equal(refused.one('ForwardAuth').status.code, STATUS.ERROR);
    assert.equal(refused.one('AuthRequest').status.code, STATUS.ERROR);

    assert.equal((await send(gw.web, '/b', { method: 'POST', body: 'too large' })).status, 401);
    const tooLarge = await traceWhere(gw.collector, (s) => s.name === 'POST' && s.attributes['url.path'] === '/b', 3);
    assert.deepEqual(tooLarge.shape(), ['POST', '  Router', '    ForwardAuth']);
    assert.equal(tooLarge.one('ForwardAuth').status.code, STATUS.ERROR, 'refused after reading the body: the step still ends in error');

    const before = gw.collector.spans.filter((s) => s.name === 'AuthRequest').length;
    assert.equal((await send(gw.web, '/m')).status, 200);
    await traceWhere(gw.collector, (s) => s.name === 'GET' && s.attributes['url.path'] === '/m', 2);
    assert.equal(gw.collector.spans.filter((s) => s.name === 'AuthRequest').length, before, 'minimal verbosity: no AuthRequest span');
  });
});

describe('forwardAuth to an https auth server (tls)', () => {
  test('ca (a file), cert and key (PEM contents), insecureSkipVerify; an unknown CA is a 500, never a pass-through', async (t) => {
    const pki = testPki(['127.0.0.1']);
    const dir = await mkdtemp(join(tmpdir(), 'tagway-fa-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, pki.ca.certPem);
    const clients: string[] = [];
    const server = createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as TLSSocket;
      clients.push(socket.authorized ? String(socket.getPeerCertificate().subject?.CN) : '-');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const address = `https://127.0.0.1:${(server.address() as { port: number }).port}/verify`;
    const app = await startApp(t);
    const auth = await startAuth(t);
    const gw = await startGw(t, auth, app, {
      mtls: { address, tls: { ca: caFile, cert: pki.client.certPem, key: pki.client.keyPem } },
      ca: { address, tls: { ca: caFile } },
      insecure: { address, tls: { insecureSkipVerify: true } },
      unknown: { address },
    });
    assert.equal((await gw.send('mtls', '/')).status, 200);
    assert.equal((await gw.send('ca', '/')).status, 200);
    assert.equal((await gw.send('insecure', '/')).status, 200);
    assert.deepEqual(clients, ['client', '-', '-'], 'the client certificate is presented only when configured');
    const unknown = await gw.send('unknown', '/');
    assert.equal(unknown.status, 500);
    assert.equal(clients.length, 3);
    assert.equal(app.bodies.length, 3);
    await gw.log.find((l) => l.includes('Error calling') && /certificate/i.test(l));
  });
});

describe('forwardAuth options refused at build time, on the middleware', () => {
  const rows: Array<{ desc: string; cfg: Record<string, unknown>; message: RegExp }> = [
    { desc: 'no address', cfg: {}, message: /^forwardAuth\.address: the authentication server address is required/ },
    { desc: 'an address that is not a URL', cfg: { address: 'auth:9091' }, message: /^forwardAuth\.address: must use http or https/ },
    { desc: 'a bad authResponseHeadersRegex', cfg: { address: 'http://a', authResponseHeadersRegex: '(' }, message: /^forwardAuth\.authResponseHeadersRegex: invalid regular expression/ },
    { desc: 'a Perl-only construct is refused as Go refuses it', cfg: { address: 'http://a', authResponseHeadersRegex: '(?=X)' }, message: /^forwardAuth\.authResponseHeadersRegex/ },
    { desc: 'cert without key', cfg: { address: 'https://a', tls: { cert: '-----BEGIN CERTIFICATE-----' } }, message: /^forwardAuth\.tls: cert and key go together/ },
    { desc: 'a CA file that does not exist', cfg: { address: 'https://a', tls: { ca: '/nonexistent/ca.pem' } }, message: /^forwardAuth\.tls\.ca: cannot read/ },
    { desc: 'a zero timeout', cfg: { address: 'http://a', timeout: '0s' }, message: /^forwardAuth\.timeout: must be positive/ },
  ];
  for (const r of rows) {
    test(r.desc, () => {
      const built = buildMiddleware('fa@file', { forwardAuth: r.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error, 'refused');
      assert.match(built.message, r.message);
    });
  }
});

describe('forwardAuth headerField and a client that leaves', () => {
  test('headerField names the user in the access log; a client gone during the auth call never reaches the app', async (t) => {
    const auth = await startAuth(t);
    auth.on('user', (_req, res) => { res.setHeader('x-webauth-user', 'alice'); res.end(); });
    let release: (() => void) | undefined;
    const arrived = new Promise<void>((resolve) => auth.on('hold', (_req, res) => { release = () => res.end(); resolve(); }));
    const app = await startApp(t);
    const dir = await mkdtemp(join(tmpdir(), 'tagway-fa-log-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, stringify({ http: {
      routers: { u: { rule: 'Path(`/u`)', service: 'app', middlewares: ['u'] }, h: { rule: 'Path(`/h`)', service: 'app', middlewares: ['h'] } },
      middlewares: { u: { forwardAuth: { address: `${auth.url}/user`, headerField: 'X-WebAuth-User' } }, h: { forwardAuth: { address: `${auth.url}/hold` } } },
      services: { app: { loadBalancer: { servers: [{ url: app.url }] } } },
    } }));
    const access = new Lines();
    const { gateway, web } = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`, '--accessLog=true'], accessLogWrite: access.write });
    await waitForState(gateway, (s) => s.routers['u@file'] !== undefined && s.routers['h@file'] !== undefined);
    assert.equal((await send(web, '/u')).status, 200);
    await access.find((l) => / - alice \[/.test(l) && l.includes('"GET /u HTTP/1.1" 200'));

    const url = new URL(web);
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/h', agent: false });
    req.on('error', () => {});
    req.end();
    await arrived;
    req.destroy();
    await access.find((l) => l.includes('"GET /h HTTP/1.1" - -')); // the gateway logs a request whose client left with no status
    release!();
    assert.equal(app.bodies.length, 1, 'only /u reached the app');
  });
});
