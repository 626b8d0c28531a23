import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Headers } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { runCase, type Case } from '../support/terminal.ts';

function build(cfg: Headers): BuiltMiddleware {
  const built = buildMiddleware('hdr@test', { headers: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}

const preflight = { method: 'OPTIONS', headers: { origin: 'https://a.test', 'access-control-request-method': 'PUT' } };
const cors: Headers = {
  accessControlAllowMethods: ['GET', 'PUT'], accessControlAllowHeaders: ['X-A', 'X-B'], accessControlAllowOriginList: ['https://a.test'],
  accessControlMaxAge: 100, accessControlAllowCredentials: true,
};

const cases: Array<Case & { cfg: Headers }> = [
  // custom request headers
  { desc: 'customRequestHeaders sets a header for the upstream', cfg: { customRequestHeaders: { 'X-Script-Name': 'test' } },
    upstreamHeaders: { 'x-script-name': 'test' } },
  { desc: 'customRequestHeaders with an empty value removes the header', cfg: { customRequestHeaders: { 'X-Remove': '' } },
    request: { headers: { 'x-remove': '1' } }, upstreamHeaders: { 'x-remove': undefined } },
  { desc: 'customRequestHeaders Host replaces the host', cfg: { customRequestHeaders: { Host: 'other.test' } },
    upstreamHeaders: { host: 'other.test' } },
  // custom response headers
  { desc: 'customResponseHeaders sets over the upstream value and an empty value removes',
    cfg: { customResponseHeaders: { 'X-Powered-By': '', 'X-Custom': 'v', Server: 'tagway' } },
    upstream: { headers: { 'x-powered-by': 'php', server: 'upstream' } },
    responseHeaders: { 'x-powered-by': undefined, 'x-custom': 'v', server: 'tagway' } },
  // CORS
  { desc: 'a preflight is answered here with the Allow-* headers and Max-Age', cfg: cors, request: preflight, reached: false,
    body: '', responseHeaders: {
      'access-control-allow-methods': 'GET,PUT', 'access-control-allow-headers': 'X-A,X-B', 'access-control-allow-origin': 'https://a.test',
      'access-control-max-age': '100', 'access-control-allow-credentials': 'true', 'content-type': undefined,
    } },
  { desc: 'a preflight from an origin not in the list gets no Allow-Origin', cfg: cors, reached: false,
    request: { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'GET' } },
    responseHeaders: { 'access-control-allow-origin': undefined, 'access-control-max-age': '100' } },
  { desc: 'an OPTIONS without Access-Control-Request-Method is not a preflight', cfg: cors,
    request: { method: 'OPTIONS', headers: { origin: 'https://a.test' } }, reached: true },
  { desc: 'preflight without any CORS option is passed through', cfg: { customRequestHeaders: { 'X-A': '1' } }, request: preflight, reached: true },
  { desc: 'an allowed origin gets Allow-Origin and Allow-Credentials on the response', cfg: cors,
    request: { headers: { origin: 'https://a.test' } },
    responseHeaders: { 'access-control-allow-origin': 'https://a.test', 'access-control-allow-credentials': 'true' } },
  { desc: '"*" in the origin list answers "*"', cfg: { accessControlAllowOriginList: ['*'] },
    request: { headers: { origin: 'https://any.test' } }, responseHeaders: { 'access-control-allow-origin': '*' } },
  { desc: 'an origin matching a regex is echoed', cfg: { accessControlAllowOriginListRegex: ['^https://([a-z]+)\\.example\\.com$'] },
    request: { headers: { origin: 'https://app.example.com' } }, responseHeaders: { 'access-control-allow-origin': 'https://app.example.com' } },
  { desc: 'an origin matching nothing gets no Allow-Origin', cfg: { accessControlAllowOriginListRegex: ['^https://a\\.test$'] },
    request: { headers: { origin: 'https://b.test' } }, responseHeaders: { 'access-control-allow-origin': undefined } },
  { desc: 'accessControlExposeHeaders is joined with commas', cfg: { accessControlExposeHeaders: ['X-1', 'X-2'] },
    responseHeaders: { 'access-control-expose-headers': 'X-1,X-2' } },
  { desc: 'addVaryHeader appends Origin to an upstream Vary', cfg: { accessControlAllowOriginList: ['*'], addVaryHeader: true },
    upstream: { headers: { vary: 'Accept-Encoding' } }, responseHeaders: { vary: 'Accept-Encoding,Origin' } },
  { desc: 'addVaryHeader sets Vary: Origin when there is none', cfg: { addVaryHeader: true }, responseHeaders: { vary: 'Origin' } },
  // security headers
  { desc: 'frameDeny, nosniff, XSS filter, CSP, Referrer-Policy and Permissions-Policy',
    cfg: { frameDeny: true, contentTypeNosniff: true, browserXssFilter: true, contentSecurityPolicy: "default-src 'self'",
      referrerPolicy: 'no-referrer', permissionsPolicy: 'camera=()' },
    upstream: { headers: { 'x-frame-options': 'ALLOW' } },
    responseHeaders: { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'x-xss-protection': '1; mode=block',
      'content-security-policy': "default-src 'self'", 'referrer-policy': 'no-referrer', 'permissions-policy': 'camera=()' } },
  { desc: 'custom frame and XSS values win over frameDeny/browserXssFilter',
    cfg: { frameDeny: true, customFrameOptionsValue: 'SAMEORIGIN', browserXssFilter: true, customBrowserXSSValue: '0' },
    responseHeaders: { 'x-frame-options': 'SAMEORIGIN', 'x-xss-protection': '0' } },
  { desc: 'customResponseHeaders run after the security headers (an empty value removes one)',
    cfg: { frameDeny: true, customResponseHeaders: { 'X-Frame-Options': '' } }, responseHeaders: { 'x-frame-options': undefined } },
  { desc: 'HSTS is not sent over plain http', cfg: { stsSeconds: 60 }, responseHeaders: { 'strict-transport-security': undefined } },
  { desc: 'forceSTSHeader sends HSTS over http, with includeSubDomains and preload',
    cfg: { stsSeconds: 31536000, stsIncludeSubdomains: true, stsPreload: true, forceSTSHeader: true },
    responseHeaders: { 'strict-transport-security': 'max-age=31536000; includeSubDomains; preload' } },
  { desc: 'HSTS is sent on an https entry point', cfg: { stsSeconds: 60 }, serve: { scheme: 'https' },
    responseHeaders: { 'strict-transport-security': 'max-age=60' } },
  { desc: 'isDevelopment disables HSTS', cfg: { stsSeconds: 60, forceSTSHeader: true, isDevelopment: true },
    responseHeaders: { 'strict-transport-security': undefined } },
  { desc: 'allowedHosts refuses another host with 500 Bad Host', cfg: { allowedHosts: ['good.test'] },
    request: { headers: { host: 'bad.test' } }, status: 500, body: 'Bad Host\n' },
  { desc: 'allowedHosts compares the Host header case-insensitively', cfg: { allowedHosts: ['good.test'] },
    request: { headers: { host: 'GOOD.test' } } },
  { desc: 'hostsProxyHeaders: the first present header carries the host', cfg: { allowedHosts: ['good.test'], hostsProxyHeaders: ['X-Forwarded-Host'] },
    request: { headers: { host: 'internal', 'x-forwarded-host': 'good.test' } } },
  { desc: 'isDevelopment disables the host check', cfg: { allowedHosts: ['good.test'], isDevelopment: true },
    request: { headers: { host: 'bad.test' } } },
  { desc: 'sslRedirect redirects plain http to https', cfg: { sslRedirect: true },
    request: { target: '/a?b=1', headers: { host: 'site.test' } }, status: 301, responseHeaders: { location: 'https://site.test/a?b=1' } },
  { desc: 'sslRedirect lets https through', cfg: { sslRedirect: true }, serve: { scheme: 'https' } },
];

describe('headers', () => {
  for (const c of cases) test(c.desc, async (t) => { await runCase(t, (next) => build(c.cfg).wrap(next), c); });

  test('a refused host is reported to the trace', async (t) => {
    const reasons: string[] = [];
    const trace = { verbosity: 'minimal' as const, startAttempt: () => { throw new Error('unused'); }, refuse: (r: string) => { reasons.push(r); } };
    await runCase(t, (next) => build({ allowedHosts: ['good.test'] }).wrap(next),
      { desc: '', request: { headers: { host: 'bad.test' } }, status: 500, serve: { trace } });
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /bad\.test/);
  });

  const bad: Array<{ desc: string; cfg: Headers; message: RegExp }> = [
    { desc: 'no option at all is a build error', cfg: {}, message: /^headers: headers configuration not valid/ },
    { desc: 'an invalid origin regex names its index', cfg: { accessControlAllowOriginListRegex: ['ok', '[bad'] }, message: /^headers\.accessControlAllowOriginListRegex\[1\]:/ },
    { desc: 'a negative stsSeconds is refused', cfg: { stsSeconds: -1 }, message: /^headers\.stsSeconds:/ },
  ];
  for (const c of bad) {
    test(c.desc, () => {
      const built = buildMiddleware('hdr@test', { headers: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});
