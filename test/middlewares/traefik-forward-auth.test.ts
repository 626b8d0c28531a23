import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { ForwardAuth, Middleware } from '../../src/dynamic/types.ts';
import { send } from '../support/file-gateway.ts';
import { Tally, TRAEFIK_VERSION, startCaseGateway, type CaseGateway } from '../support/traefik-tables.ts';

/**
 * Traefik's forwardAuth tables (pkg/middlewares/auth/forward_test.go), ported as data and run through the running
 * gateway, with a real auth server recording what it receives.
 *
 * TestForwardAuth_writeHeader / _oldWriteHeader call Traefik's header writer on a bare request for
 * `http://foo.bar/path?q=1` carrying the case's headers. Here that request comes from a client through an entry point
 * that trusts its X-Forwarded-* headers (`forwardedHeaders.insecure`), so the case's X-Forwarded-* reach the
 * middleware as Traefik's unit test hands them over. What an entry point adds before any middleware runs (X-Forwarded-For
 * with the peer, X-Forwarded-Port, X-Forwarded-Server, X-Real-Ip; the unit test's request has none) is allowed
 * beside the expected headers where the case checks for unexpected ones, as are the transport's Host, Connection and
 * Content-Length (Go keeps those outside `Header`). "remove hop-by-hop headers" sends every hop-by-hop header but
 * `Transfer-Encoding: TransferEncoding`: a request with a transfer coding the server does not know is refused before
 * any middleware (Go and tagway: 501).
 *
 * Not ported here (forward-auth.test.ts covers them through the gateway): the body-forwarding, CONNECT, client-close,
 * tracing and redirect tests, which drive Go's handler and span APIs.
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/auth/forward_test.go`);

/** What Traefik's entry point sets before the middleware (absent from the unit test's bare request). */
const ENTRY_POINT_ADDS = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-server', 'x-real-ip']);
const TRANSPORT = new Set(['host', 'connection', 'content-length', 'x-traefik-case']);

interface HeaderCase {
  desc: string;
  headers: Record<string, string>;
  authRequestHeaders?: string[];
  /** undefined: trustForwardHeader unset (oldWriteHeader). */
  trust?: boolean;
  emptyHost?: boolean;
  expected: Record<string, string>;
  checkForUnexpected?: boolean;
}

const HOP = {
  Connection: 'Connection', 'Keep-Alive': 'KeepAlive', 'Proxy-Authenticate': 'ProxyAuthenticate', 'Proxy-Authorization': 'ProxyAuthorization',
  Te: 'Te', Trailers: 'Trailers', Upgrade: 'Upgrade', 'X-CustomHeader': 'CustomHeader',
};
const XF = { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'foo.bar', 'X-Forwarded-Uri': '/path?q=1', 'X-Forwarded-Method': 'GET' };

// TestForwardAuth_writeHeader (trustForwardHeader set).
const writeHeader: HeaderCase[] = ([
  { desc: 'trust forward header', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, trust: true,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' } },
  { desc: 'not trust forward header', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, trust: false,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'foo.bar' } },
  { desc: 'trust forward header with empty Host', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, trust: true, emptyHost: true,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' } },
  { desc: 'not trust forward header with empty Host', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, trust: false, emptyHost: true,
    expected: { Accept: 'application/json' } },
  { desc: 'trust forward header with forwarded URI', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir', 'X-Forwarded-Uri': '/forward?q=1' }, trust: true,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir', 'X-Forwarded-Uri': '/forward?q=1' } },
  { desc: 'not trust forward header with forward requested URI', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir', 'X-Forwarded-Uri': '/forward?q=1' }, trust: false,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'foo.bar', 'X-Forwarded-Uri': '/path?q=1' } },
  { desc: 'trust forward header with forwarded request Method', headers: { 'X-Forwarded-Method': 'OPTIONS' }, trust: true, expected: { 'X-Forwarded-Method': 'OPTIONS' } },
  { desc: 'not trust forward header with forward request Method', headers: { 'X-Forwarded-Method': 'OPTIONS' }, trust: false, expected: { 'X-Forwarded-Method': 'GET' } },
  { desc: 'remove hop-by-hop headers', headers: HOP, trust: false, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', ...XF, 'X-Forwarded-Port': '80', 'Proxy-Authenticate': 'ProxyAuthenticate', 'Proxy-Authorization': 'ProxyAuthorization', 'User-Agent': '' } },
  { desc: 'filter forward request headers', headers: { 'X-CustomHeader': 'CustomHeader', 'Content-Type': 'multipart/form-data; boundary=---123456' },
    authRequestHeaders: ['X-CustomHeader'], trust: false, checkForUnexpected: true, expected: { 'x-customHeader': 'CustomHeader', ...XF, 'X-Forwarded-Port': '80' } },
  { desc: 'filter forward request headers doesn\'t add new headers', headers: { 'X-CustomHeader': 'CustomHeader', 'Content-Type': 'multipart/form-data; boundary=---123456' },
    authRequestHeaders: ['X-CustomHeader', 'X-Non-Exists-Header'], trust: false, checkForUnexpected: true, expected: { 'X-CustomHeader': 'CustomHeader', ...XF, 'X-Forwarded-Port': '80' } },
  { desc: 'set empty User-Agent header if header is allowed but missing', headers: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json' },
    authRequestHeaders: ['X-CustomHeader', 'Accept', 'User-Agent'], trust: false, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json', ...XF, 'X-Forwarded-Port': '80', 'User-Agent': '' } },
  { desc: 'ignore User-Agent header if header is not allowed and missing', headers: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json' },
    authRequestHeaders: ['X-CustomHeader', 'Accept'], trust: false, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json', ...XF, 'X-Forwarded-Port': '80' } },
  { desc: 'set empty User-Agent header if header is missing', headers: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json' }, trust: false, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', Accept: 'application/json', ...XF, 'X-Forwarded-Port': '80', 'User-Agent': '' } },
  { desc: 'authRequestHeaders and XForwarded are kept if trusted', headers: { 'X-CustomHeader': 'CustomHeader', 'X-Forwarded-Uri': '/path?q=2' },
    authRequestHeaders: ['X-CustomHeader'], trust: true, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'foo.bar', 'X-Forwarded-Uri': '/path?q=2', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Port': '80' } },
  { desc: 'X-Forwarded and X_forwarded headers are removed when not trusted', headers: { 'X-CustomHeader': 'CustomHeader', X_forwarded_for: '127.0.0.1', 'X-Forwarded-Proto': 'xxx' },
    trust: false, expected: { 'X-CustomHeader': 'CustomHeader', ...XF, 'X-Forwarded-Port': '80' } },
  { desc: 'X-Forwarded-Proto is not used to calculate X-Forwarded-Port if trustForwardHeader=false', headers: { 'X-CustomHeader': 'CustomHeader', 'X-Forwarded-Proto': 'https' },
    trust: false, expected: { ...XF, 'X-Forwarded-Port': '80' } },
] as HeaderCase[]).map((c) => ({ ...c, desc: `TestForwardAuth_writeHeader: ${c.desc}` }));

// TestForwardAuth_oldWriteHeader (trustForwardHeader unset).
const oldWriteHeader: HeaderCase[] = ([
  { desc: 'not trust forward header', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, expected: { Accept: 'application/json', 'X-Forwarded-Host': 'foo.bar' } },
  { desc: 'not trust forward header with empty Host', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir' }, emptyHost: true,
    expected: { Accept: 'application/json', 'X-Forwarded-Host': '' } },
  { desc: 'not trust forward header with forward requested URI', headers: { Accept: 'application/json', 'X-Forwarded-Host': 'fii.bir', 'X-Forwarded-Uri': '/forward?q=1' },
    expected: { Accept: 'application/json', 'X-Forwarded-Host': 'foo.bar', 'X-Forwarded-Uri': '/path?q=1' } },
  { desc: 'not trust forward header with forward request Method', headers: { 'X-Forwarded-Method': 'OPTIONS' }, expected: { 'X-Forwarded-Method': 'GET' } },
  { desc: 'remove hop-by-hop headers', headers: HOP, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', ...XF, 'Proxy-Authenticate': 'ProxyAuthenticate', 'Proxy-Authorization': 'ProxyAuthorization' } },
  { desc: 'filter forward request headers', headers: { 'X-CustomHeader': 'CustomHeader', 'Content-Type': 'multipart/form-data; boundary=---123456' },
    authRequestHeaders: ['X-CustomHeader'], checkForUnexpected: true, expected: { 'x-customHeader': 'CustomHeader', ...XF } },
  { desc: 'filter forward request headers doesn\'t add new headers', headers: { 'X-CustomHeader': 'CustomHeader', 'Content-Type': 'multipart/form-data; boundary=---123456' },
    authRequestHeaders: ['X-CustomHeader', 'X-Non-Exists-Header'], checkForUnexpected: true, expected: { 'X-CustomHeader': 'CustomHeader', ...XF } },
  { desc: 'X-Forwarded-Prefix is kept for non-breaking behavior', headers: { 'X-CustomHeader': 'CustomHeader', 'X-Forwarded-Prefix': 'foo.bar' }, checkForUnexpected: true,
    expected: { 'X-CustomHeader': 'CustomHeader', ...XF, 'X-Forwarded-Prefix': 'foo.bar' } },
] as HeaderCase[]).map((c) => ({ ...c, desc: `TestForwardAuth_oldWriteHeader: ${c.desc}` }));

const headerCases = [...writeHeader, ...oldWriteHeader];

/** Behaviour cases: the auth server's answer, the config, what the client gets. */
interface FlowCase {
  desc: string;
  cfg: Partial<ForwardAuth>;
  method?: string;
  auth: (req: IncomingMessage, res: ServerResponse) => void;
  status: number;
  body?: string;
  location?: string;
  /** The method the auth server must see. */
  authMethod?: string;
  /** Whether the request reaches the upstream (Traefik's `next`). */
  next: boolean;
}
const answer = (status: number, body = '', headers: Record<string, string> = {}) => (req: IncomingMessage, res: ServerResponse): void => {
  req.resume();
  res.writeHead(status, headers);
  res.end(body);
};

const flows: FlowCase[] = [
  { desc: 'TestForwardAuthPreserveLocationHeader', cfg: { preserveLocationHeader: true }, auth: answer(401, 'Unauthorized\n', { Location: '/index.html' }), status: 401, location: '/index.html', next: false },
  { desc: 'TestForwardAuthPreserveRequestMethod: preserve request method', cfg: { preserveRequestMethod: true }, method: 'POST', auth: answer(200), status: 200, authMethod: 'POST', next: true },
  { desc: 'TestForwardAuthPreserveRequestMethod: do not preserve request method', cfg: { preserveRequestMethod: false }, method: 'POST', auth: answer(200), status: 200, authMethod: 'GET', next: true },
  { desc: 'TestForwardAuthMaxResponseBodySize: auth failure, unlimited response body', cfg: { maxResponseBodySize: -1 }, auth: answer(403, 'Forbidden'), status: 403, body: 'Forbidden', next: false },
  { desc: 'TestForwardAuthMaxResponseBodySize: auth failure, response body exceeds the limit', cfg: { maxResponseBodySize: 1 }, auth: answer(403, 'Forbidden'), status: 401, body: '', next: false },
  { desc: 'TestForwardAuthMaxResponseBodySize: auth success within limit', cfg: { maxResponseBodySize: 100 }, auth: answer(200, 'ok'), status: 200, body: 'traefik\n', next: true },
  { desc: 'TestForwardAuthMaxResponseBodySize: auth success body exceeds limit', cfg: { maxResponseBodySize: 1 }, auth: answer(200, 'large auth response'), status: 401, body: '', next: false },
  { desc: 'TestForwardAuthAuthSigninURL: redirects to signin URL on 401', cfg: { authSigninURL: 'https://auth.example.com/login' }, auth: answer(401), status: 302, location: 'https://auth.example.com/login', next: false },
  { desc: 'TestForwardAuthAuthSigninURL: no redirect on 401 without signin URL', cfg: {}, auth: answer(401), status: 401, next: false },
  { desc: 'TestForwardAuthAuthSigninURL: no redirect on other error statuses with signin URL', cfg: { authSigninURL: 'https://auth.example.com/login' }, auth: answer(403), status: 403, next: false },
  { desc: 'TestForwardAuthAuthSigninURL: no redirect on OK status with signin URL', cfg: { authSigninURL: 'https://auth.example.com/login' }, auth: answer(200), status: 200, next: true },
  { desc: 'TestForwardAuthFail', cfg: {}, auth: answer(403, 'Forbidden\n'), status: 403, body: 'Forbidden\n', next: false },
  { desc: 'TestForwardAuthSuccess', cfg: { authResponseHeaders: ['X-Auth-User', 'X-Auth-Group'] },
    auth: answer(200, 'Success', { 'X-Auth-User': 'user@example.com', 'X-Auth-Secret': 'secret', 'X-Auth-Group': 'group1' }), status: 200, body: 'traefik\n', next: true },
];

describe('Traefik forwardAuth tables through the running gateway', () => {
  let gw: CaseGateway;
  const authSeen = new Map<string, Array<{ method: string; headers: IncomingHttpHeaders; rawHeaders: string[] }>>();
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    const auth = createServer((req, res) => {
      const key = String(/\/auth\/(\w+)/.exec(req.url ?? '')?.[1]);
      authSeen.set(key, [...(authSeen.get(key) ?? []), { method: req.method ?? '', headers: req.headers, rawHeaders: req.rawHeaders }]);
      const flow = key.startsWith('f') ? flows[Number(key.slice(1))] : undefined;
      if (flow) { flow.auth(req, res); return; }
      req.resume();
      res.writeHead(200);
      res.end();
    });
    await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { auth.closeAllConnections(); auth.close(() => resolve()); }));
    const authBase = `http://127.0.0.1:${(auth.address() as { port: number }).port}/auth`;
    const fa = (key: string, cfg: Partial<ForwardAuth>): Middleware => ({ forwardAuth: { address: `${authBase}/${key}`, ...cfg } });
    gw = await startCaseGateway(t, [
      ...headerCases.map((c, i) => ({ middlewares: [fa(`h${i}`, { ...(c.trust !== undefined ? { trustForwardHeader: c.trust } : {}), ...(c.authRequestHeaders ? { authRequestHeaders: c.authRequestHeaders } : {}) })] })),
      ...flows.map((c, i) => ({
        middlewares: [fa(`f${i}`, c.cfg)],
        next: (req: IncomingMessage, res: ServerResponse) => { req.resume(); req.on('end', () => { res.writeHead(200); res.end('traefik\n'); }); },
      })),
    ], ['--entryPoints.web.forwardedHeaders.insecure=true']);
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  headerCases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, undefined, async () => {
      const r = await send(gw.web, '/path?q=1', { headers: { ...c.headers, host: c.emptyHost ? '' : 'foo.bar', ...gw.caseHeader(i) } });
      assert.equal(r.status, 200, r.body);
      const seen = authSeen.get(`h${i}`);
      assert.equal(seen?.length, 1, 'one auth request');
      const got = seen![0]!.headers;
      const expected = Object.fromEntries(Object.entries(c.expected).map(([k, v]) => [k.toLowerCase(), v]));
      for (const [k, v] of Object.entries(expected)) {
        // Go's empty value (`User-Agent: ""`, an empty X-Forwarded-Host) is no header line on the wire, or an empty one.
        if (v === '') assert.ok(got[k] === undefined || got[k] === '', `${k}: ${String(got[k])}`);
        else assert.equal(got[k], v, k);
      }
      if (c.checkForUnexpected) {
        const extra = Object.keys(got).filter((k) => !(k in expected) && !TRANSPORT.has(k) && !ENTRY_POINT_ADDS.has(k));
        assert.deepEqual(extra, [], 'unexpected headers at the auth server');
      }
    }));
  });

  flows.forEach((c, i) => {
    const idx = headerCases.length + i;
    it(c.desc, () => tally.runAsync(c.desc, undefined, async () => {
      const before = gw.seenBy(idx).length;
      const r = await send(gw.web, '/', { method: c.method, headers: gw.caseHeader(idx) });
      assert.equal(r.status, c.status, r.body);
      if (c.body !== undefined) assert.equal(r.body, c.body);
      if (c.location !== undefined) assert.equal(r.headers.location, c.location);
      if (c.authMethod) assert.equal(authSeen.get(`f${i}`)?.at(-1)?.method, c.authMethod);
      const reached = gw.seenBy(idx).slice(before);
      assert.equal(reached.length, c.next ? 1 : 0, 'the request reaches the upstream');
      if (c.next && c.method) assert.equal(reached[0]!.method, c.method, 'the upstream gets the original method');
      if (c.desc === 'TestForwardAuthSuccess') {
        const h = reached[0]!.headers;
        assert.equal(h['x-auth-user'], 'user@example.com');
        assert.equal(h['x-auth-group'], 'group1');
        assert.equal(h['x-auth-secret'], undefined);
      }
    }));
  });

  it('count', (t) => tally.report(t));
});
