import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { Headers, Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { send } from '../support/file-gateway.ts';
import { Tally, TRAEFIK_VERSION, comparableHeaders, goHeader, startCaseGateway, type CaseGateway } from '../support/traefik-tables.ts';

/**
 * Traefik's headers tables (pkg/middlewares/headers/{header,headers,secure}_test.go), ported as data and run
 * through the running gateway: Traefik's request in, and what its test reads (the request the next handler gets:
 * here the upstream; the response headers: here the client) out. Header sets compare whole, without what the
 * transport adds on either side (Date, Connection, Content-Length unless the case names it, X-Forwarded-*).
 * A configuration Traefik refuses at construction is refused by the production `buildMiddleware`.
 *
 * Not ported (not observable through HTTP): `Test_headers_getTracingInformation` (the span's name and type,
 * covered by the tracing tests).
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/headers/{header,headers,secure}_test.go`);

type Next = (req: IncomingMessage, res: ServerResponse) => void;
interface HeadersCase {
  desc: string;
  cfg: Headers;
  method?: string;
  /** Request headers (a list sends repeated lines). */
  request?: Record<string, string | string[]>;
  next?: Next;
  status?: number;
  /** The request headers the upstream receives (whole set, transport left out). */
  upstream?: Record<string, string[]>;
  /** Headers expected absent at the upstream (the transport's, e.g. X-Forwarded-For). */
  upstreamAbsent?: string[];
  /** The Host the upstream receives. */
  upstreamHost?: string;
  /** The response headers (whole set, transport left out; `keep` lists transport names the case compares). */
  response?: Record<string, string[]>;
  keep?: string[];
  body?: string;
  differs?: string;
}

const h = (cfg: Headers): Headers => cfg;
const setHeaders = (headers: Record<string, string | string[]>, status = 200, body = ''): Next => function next(req, res) {
  req.resume();
  req.on('end', () => { res.writeHead(status, headers); res.end(body); });
};

// header_test.go TestNewHeader_customRequestHeader: Traefik's request carries `Foo: bar`.
const customRequestHeader: HeadersCase[] = [
  { desc: 'adds a header', cfg: h({ customRequestHeaders: { 'X-Custom-Request-Header': 'test_request' } }),
    upstream: goHeader({ Foo: ['bar'], 'X-Custom-Request-Header': ['test_request'] }) },
  // Go's `X-Forwarded-For: nil` means "the proxy adds none": the upstream sees no X-Forwarded-For at all.
  { desc: 'delete a header', cfg: h({ customRequestHeaders: { 'X-Forwarded-For': '', 'X-Custom-Request-Header': '', Foo: '' } }),
    upstream: {}, upstreamAbsent: ['x-forwarded-for'] },
  { desc: 'override a header', cfg: h({ customRequestHeaders: { Foo: 'test' } }), upstream: goHeader({ Foo: ['test'] }) },
].map((c) => ({ ...c, request: { Foo: 'bar' }, desc: `TestNewHeader_customRequestHeader: ${c.desc}` }));

// TestNewHeader_customRequestHeader_Host: the request is for http://example.org/foo. Its `expectedURLHost` (Go's
// req.URL.Host) never leaves Traefik: an origin-form request carries no URL host to the upstream.
const customRequestHost: HeadersCase[] = [
  // An empty configuration is refused by New (TestNew_withoutOptions); an unrelated header keeps this one buildable.
  { desc: 'standard Host header', cfg: h({ customRequestHeaders: { 'X-Unrelated': 'x' } }), upstreamHost: 'example.org' },
  { desc: 'custom Host header', cfg: h({ customRequestHeaders: { Host: 'example.com' } }), upstreamHost: 'example.com' },
].map((c) => ({ ...c, request: { host: 'example.org' }, desc: `TestNewHeader_customRequestHeader_Host: ${c.desc}` }));

const PREFLIGHT = { 'Access-Control-Request-Headers': 'origin', 'Access-Control-Request-Method': ['GET', 'OPTIONS'], Origin: 'https://foo.bar.org' };
const PREFLIGHT_NO_HEADERS = { 'Access-Control-Request-Method': ['GET', 'OPTIONS'], Origin: 'https://foo.bar.org' };
const methods = ['GET', 'OPTIONS', 'PUT'];
// TestNewHeader_CORSPreflights: an OPTIONS answered by the middleware (Content-Length 0, the upstream never asked).
const corsPreflights: HeadersCase[] = [
  { desc: 'Test Simple Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['https://foo.bar.org'], accessControlMaxAge: 600 }),
    request: PREFLIGHT, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['https://foo.bar.org'], 'Access-Control-Max-Age': ['600'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'] }) },
  { desc: 'Wildcard origin Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['*'], accessControlMaxAge: 600 }),
    request: PREFLIGHT, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['*'], 'Access-Control-Max-Age': ['600'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'] }) },
  { desc: 'Allow Credentials Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['*'], accessControlAllowCredentials: true, accessControlMaxAge: 600 }),
    request: PREFLIGHT, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['https://foo.bar.org'], 'Access-Control-Max-Age': ['600'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'], 'Access-Control-Allow-Credentials': ['true'] }) },
  { desc: 'Allow Headers Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['*'], accessControlAllowHeaders: ['origin', 'X-Forwarded-For'], accessControlMaxAge: 600 }),
    request: PREFLIGHT, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['*'], 'Access-Control-Max-Age': ['600'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'], 'Access-Control-Allow-Headers': ['origin,X-Forwarded-For'] }) },
  { desc: 'No Request Headers Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['*'], accessControlAllowHeaders: ['origin', 'X-Forwarded-For'], accessControlMaxAge: 600 }),
    request: PREFLIGHT_NO_HEADERS, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['*'], 'Access-Control-Max-Age': ['600'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'], 'Access-Control-Allow-Headers': ['origin,X-Forwarded-For'] }) },
  { desc: 'Nil MaxAge Preflight', cfg: h({ accessControlAllowMethods: methods, accessControlAllowOriginList: ['*'] }),
    request: PREFLIGHT_NO_HEADERS, response: goHeader({ 'Content-Length': ['0'], 'Access-Control-Allow-Origin': ['*'], 'Access-Control-Allow-Methods': ['GET,OPTIONS,PUT'] }) },
].map((c) => ({ ...c, method: 'OPTIONS', keep: ['content-length'], desc: `TestNewHeader_CORSPreflights: ${c.desc}` }));

const ORIGIN = { Origin: 'https://foo.bar.org' };
// TestNewHeader_CORSResponses ("Regexp Malformed Origin Request" and "Not Defined origin Request" are in `constructed`).
const corsResponses: HeadersCase[] = [
  { desc: 'Test Simple Request', cfg: h({ accessControlAllowOriginList: ['https://foo.bar.org'] }), request: ORIGIN, response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'] }) },
  { desc: 'Wildcard origin Request', cfg: h({ accessControlAllowOriginList: ['*'] }), request: ORIGIN, response: goHeader({ 'Access-Control-Allow-Origin': ['*'] }) },
  { desc: 'Regexp Origin Request', cfg: h({ accessControlAllowOriginListRegex: ['^https?://([a-z]+)\\.bar\\.org$'] }), request: ORIGIN, response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'] }) },
  { desc: 'Partial Regexp Origin Request', cfg: h({ accessControlAllowOriginListRegex: ['([a-z]+)\\.bar'] }), request: ORIGIN, response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'] }) },
  { desc: 'Regexp Origin Request without matching', cfg: h({ accessControlAllowOriginListRegex: ['([a-z]+)\\.bar\\.org'] }), request: { Origin: 'https://bar.org' }, response: {} },
  { desc: 'Empty origin Request', cfg: h({ accessControlAllowOriginList: ['https://foo.bar.org'] }), request: {}, response: {} },
  { desc: 'Allow Credentials Request', cfg: h({ accessControlAllowOriginList: ['*'], accessControlAllowCredentials: true }), request: ORIGIN,
    response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'], 'Access-Control-Allow-Credentials': ['true'] }) },
  { desc: 'Expose Headers Request', cfg: h({ accessControlAllowOriginList: ['*'], accessControlExposeHeaders: ['origin', 'X-Forwarded-For'] }), request: ORIGIN,
    response: goHeader({ 'Access-Control-Allow-Origin': ['*'], 'Access-Control-Expose-Headers': ['origin,X-Forwarded-For'] }) },
  { desc: 'Test Simple Request with Vary Headers', cfg: h({ accessControlAllowOriginList: ['https://foo.bar.org'], addVaryHeader: true }), request: ORIGIN,
    response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'], Vary: ['Origin'] }) },
  { desc: 'Test Simple Request with Vary Headers and non-empty response', cfg: h({ accessControlAllowOriginList: ['https://foo.bar.org'], addVaryHeader: true }), request: ORIGIN,
    next: setHeaders({ Vary: 'Testing' }), response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'], Vary: ['Testing,Origin'] }) },
  { desc: 'Test Simple Request with Vary Headers and existing vary:origin response', cfg: h({ accessControlAllowOriginList: ['https://foo.bar.org'], addVaryHeader: true }), request: ORIGIN,
    next: setHeaders({ Vary: 'Origin' }), response: goHeader({ 'Access-Control-Allow-Origin': ['https://foo.bar.org'], Vary: ['Origin'] }) },
  { desc: 'Test Simple Request with non-empty response: set ACAO', cfg: h({ accessControlAllowOriginList: ['*'] }), request: ORIGIN,
    next: setHeaders({ 'Access-Control-Allow-Origin': 'http://foo.bar.org' }), response: goHeader({ 'Access-Control-Allow-Origin': ['*'] }) },
  // Go's Header.Add on an empty header is one value, as Set is: the same answer on the wire.
  { desc: 'Test Simple Request with non-empty response: add ACAO', cfg: h({ accessControlAllowOriginList: ['*'] }), request: ORIGIN,
    next: setHeaders({ 'Access-Control-Allow-Origin': ['http://foo.bar.org'] }), response: goHeader({ 'Access-Control-Allow-Origin': ['*'] }) },
  { desc: 'Test Simple CustomRequestHeaders Not Hijacked by CORS', cfg: h({ customRequestHeaders: { foo: 'bar' } }), request: PREFLIGHT, response: {} },
].map((c) => ({ ...c, desc: `TestNewHeader_CORSResponses: ${c.desc}` }));

// TestNewHeader_customResponseHeaders: the next handler sets `Foo: bar`.
const customResponseHeaders: HeadersCase[] = [
  { desc: 'Test Simple Response', cfg: h({ customResponseHeaders: { Testing: 'foo', Testing2: 'bar' } }), response: goHeader({ Foo: ['bar'], Testing: ['foo'], Testing2: ['bar'] }) },
  { desc: 'empty Custom Header', cfg: h({ customResponseHeaders: { Testing: 'foo', Testing2: '' } }), response: goHeader({ Foo: ['bar'], Testing: ['foo'] }) },
  { desc: 'Deleting Custom Header', cfg: h({ customResponseHeaders: { Testing: 'foo', Foo: '' } }), response: goHeader({ Testing: ['foo'] }) },
].map((c) => ({ ...c, next: setHeaders({ Foo: 'bar' }), desc: `TestNewHeader_customResponseHeaders: ${c.desc}` }));

const NO_1XX = 'tagway does not relay 1xx informational answers (103 Early Hints, 102 Processing): the client gets the final answer '
  + 'only (its Link headers, body and custom headers as Traefik\'s); Traefik relays each 1xx';
// headers_test.go (TestNew_withoutOptions and TestNew_withSTSSecondsZero are in `constructed`).
const newCases: HeadersCase[] = [
  { desc: 'TestNew_allowedHosts: Should accept the request when given a host that is in the list', cfg: h({ allowedHosts: ['foo.com', 'bar.com'] }), request: { host: 'foo.com' }, status: 200 },
  { desc: 'TestNew_allowedHosts: Should refuse the request when no host is given', cfg: h({ allowedHosts: ['foo.com', 'bar.com'] }), request: { host: '' }, status: 500 },
  { desc: 'TestNew_allowedHosts: Should refuse the request when no matching host is given', cfg: h({ allowedHosts: ['foo.com', 'bar.com'] }), request: { host: 'boo.com' }, status: 500 },
  { desc: 'TestNew_customHeaders', cfg: h({ customRequestHeaders: { 'X-Custom-Request-Header': 'test_request' }, customResponseHeaders: { 'X-Custom-Response-Header': 'test_response' } }),
    upstream: goHeader({ 'X-Custom-Request-Header': ['test_request'] }), response: goHeader({ 'X-Custom-Response-Header': ['test_response'] }) },
  { desc: 'Test1xxResponses', cfg: h({ customResponseHeaders: { 'X-Custom-Response-Header': 'test_response' } }), differs: NO_1XX,
    next(_req, res) {
      res.writeEarlyHints({ link: ['</style.css>; rel=preload; as=style', '</script.js>; rel=preload; as=script'] });
      res.writeProcessing();
      res.writeHead(200, { link: ['</style.css>; rel=preload; as=style', '</script.js>; rel=preload; as=script', '</foo.js>; rel=preload; as=script'] });
      res.end('Hello');
    },
    response: { link: ['</style.css>; rel=preload; as=style, </script.js>; rel=preload; as=script, </foo.js>; rel=preload; as=script'], 'x-custom-response-header': ['test_response'] },
    body: 'Hello' },
];

// secure_test.go Test_newSecure_modifyResponse (plain HTTP: STS only with forceSTSHeader, as in Traefik's cases).
const secure: HeadersCase[] = [
  { desc: 'PermissionsPolicy', cfg: h({ permissionsPolicy: 'microphone=(),' }), response: goHeader({ 'Permissions-Policy': ['microphone=(),'] }) },
  { desc: 'STSSeconds', cfg: h({ stsSeconds: 1, forceSTSHeader: true }), response: goHeader({ 'Strict-Transport-Security': ['max-age=1'] }) },
  { desc: 'STSSeconds and STSPreload', cfg: h({ stsSeconds: 1, forceSTSHeader: true, stsPreload: true }), response: goHeader({ 'Strict-Transport-Security': ['max-age=1; preload'] }) },
  { desc: 'CustomFrameOptionsValue', cfg: h({ customFrameOptionsValue: 'foo' }), response: goHeader({ 'X-Frame-Options': ['foo'] }) },
  { desc: 'FrameDeny', cfg: h({ frameDeny: true }), response: goHeader({ 'X-Frame-Options': ['DENY'] }) },
  { desc: 'ContentTypeNosniff', cfg: h({ contentTypeNosniff: true }), response: goHeader({ 'X-Content-Type-Options': ['nosniff'] }) },
].map((c) => ({ ...c, desc: `Test_newSecure_modifyResponse: ${c.desc}` }));

const cases: HeadersCase[] = [...customRequestHeader, ...customRequestHost, ...corsPreflights, ...corsResponses, ...customResponseHeaders, ...newCases, ...secure];

/** Configurations Traefik's constructors refuse or accept. */
const constructed: Array<{ desc: string; mw: Middleware; refused: boolean }> = [
  { desc: 'TestNewHeader_CORSResponses: Regexp Malformed Origin Request', mw: { headers: { accessControlAllowOriginListRegex: ['a(b'] } }, refused: true },
  // NewHeader alone takes an empty configuration; New, which a router runs, refuses it (TestNew_withoutOptions).
  { desc: 'TestNewHeader_CORSResponses: Not Defined origin Request', mw: { headers: {} }, refused: true },
  { desc: 'TestNew_withoutOptions', mw: { headers: {} }, refused: true },
  { desc: 'TestNew_withSTSSecondsZero', mw: { headers: { stsSeconds: 0 } }, refused: false },
];

describe('Traefik headers tables through the running gateway', () => {
  let gw: CaseGateway;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    gw = await startCaseGateway(t, cases.map((c) => ({ middlewares: [{ headers: c.cfg }], next: c.next })));
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  cases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, c.differs, async () => {
      const r = await send(gw.web, '/foo', { method: c.method, headers: { ...c.request, ...gw.caseHeader(i) } });
      assert.equal(r.status, c.status ?? 200, r.body);
      const seen = gw.seenBy(i);
      if (c.method === 'OPTIONS' || (c.status ?? 200) !== 200) assert.equal(seen.length, 0, 'answered by the middleware');
      else assert.equal(seen.length, 1, 'the upstream got the request');
      if (c.upstream) assert.deepEqual(comparableHeaders(seen[0]!.headers), c.upstream, 'request headers at the upstream');
      for (const name of c.upstreamAbsent ?? []) assert.equal(seen[0]!.headers[name], undefined, `${name} at the upstream`);
      if (c.upstreamHost !== undefined) assert.equal(seen[0]!.headers.host, c.upstreamHost);
      if (c.response) assert.deepEqual(comparableHeaders(r.headers, c.keep), c.response, 'response headers');
      if (c.body !== undefined) assert.equal(r.body, c.body);
    }));
  });

  constructed.forEach((c) => {
    it(c.desc, () => tally.run(c.desc, undefined, () => {
      const built = buildMiddleware('m@test', c.mw, () => new Error('no references'));
      assert.equal(built instanceof Error, c.refused, built instanceof Error ? built.message : 'built');
    }));
  });

  it('count', (t) => tally.report(t));
});
