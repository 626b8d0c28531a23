import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { decodeDynamicLabels } from '../../src/labels/index.ts';
import { startFileGateway, send, type FileGateway } from '../support/file-gateway.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';
import { request as httpsRequest } from 'node:https';
import { startTlsGateway, testPki } from '../tls/harness.ts';

/**
 * Traefik's path-middleware tables (pkg/middlewares/{stripprefix,stripprefixregex,replacepath,replacepathregex,
 * addprefix}/*_test.go), ported as data: Traefik's inputs and expected outputs, our code. Every case that Traefik
 * answers with a request to the next handler goes through the running gateway: one router per case (selected by
 * Host), the case's middleware on it, a real upstream recording the request-target and headers it receives.
 * Traefik's unit tests read Go's `URL.Path`/`URL.RawPath`; on the wire the upstream sees the request-target, which
 * is `RawPath` when Go keeps one, else `Path` ("/" when the path is empty). A case Traefik refuses at construction
 * (`expectsError`) is refused by the production constructor `buildMiddleware`.
 */

const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/{stripprefix,stripprefixregex,replacepath,replacepathregex,addprefix}/*_test.go`);

interface PathCase {
  /** `<package>: <Traefik desc>` */
  desc: string;
  mw: Middleware;
  /** The request path sent (verbatim on the wire). */
  path: string;
  /** Traefik's status; 200 when absent. */
  status?: number;
  /** What the upstream receives: Go's RawPath if set, else Path, "/" for an empty Path. */
  upstream?: string;
  /** X-Forwarded-Prefix (strip*) or X-Replaced-Path (replace*); absent when undefined. */
  header?: string;
  differs?: string;
}

const sp = (prefixes: string[]): Middleware => ({ stripPrefix: { prefixes, forceSlash: false } });
const spr = (regex: string[]): Middleware => ({ stripPrefixRegex: { regex } });
const rp = (path: string): Middleware => ({ replacePath: { path } });
const rpr = (regex: string, replacement: string): Middleware => ({ replacePathRegex: { regex, replacement } });
const ap = (prefix: string): Middleware => ({ addPrefix: { prefix } });

// strip_prefix_test.go TestStripPrefix (Traefik runs every case with forceSlash false).
const stripPrefix: PathCase[] = [
  { desc: 'no prefixes configured', mw: sp([]), path: '/noprefixes', upstream: '/noprefixes' },
  { desc: 'wildcard (.*) requests', mw: sp(['/']), path: '/', upstream: '/', header: '/' },
  { desc: 'prefix and path matching', mw: sp(['/stat']), path: '/stat', upstream: '/', header: '/stat' },
  { desc: 'path prefix on exactly matching path', mw: sp(['/stat/']), path: '/stat/', upstream: '/', header: '/stat/' },
  { desc: 'path prefix on matching longer path', mw: sp(['/stat/']), path: '/stat/us', upstream: '/us', header: '/stat/' },
  { desc: 'path prefix on mismatching path', mw: sp(['/stat/']), path: '/status', upstream: '/status' },
  { desc: 'general prefix on matching path', mw: sp(['/stat']), path: '/stat/', upstream: '/', header: '/stat' },
  { desc: 'earlier prefix matching', mw: sp(['/stat', '/stat/us']), path: '/stat/us', upstream: '/us', header: '/stat' },
  { desc: 'later prefix matching', mw: sp(['/mismatch', '/stat']), path: '/stat', upstream: '/', header: '/stat' },
  { desc: 'prefix matching within slash boundaries', mw: sp(['/stat']), path: '/status', upstream: '/us', header: '/stat' },
  { desc: 'raw path is also stripped', mw: sp(['/stat']), path: '/stat/a%2Fb', upstream: '/a%2Fb', header: '/stat' },
  { desc: 'encoded char in prefix segment of raw path', mw: sp(['/api/']), path: '/ap%69/a%2Fb', upstream: '/a%2Fb', header: '/api/' },
  { desc: 'dot in the path not stripped by the prefix', mw: sp(['/api']), path: '/api./foo', status: 400 },
  { desc: 'multiple dots in the path not stripped by the prefix', mw: sp(['/api']), path: '/api../foo', status: 400 },
  { desc: 'multiple dots in the path not stripped by the prefix with forceSlash', mw: sp(['/api']), path: '/api../foo', status: 400 },
].map((c) => ({ ...c, desc: `stripprefix: ${c.desc}` }));

// strip_prefix_regex_test.go TestStripPrefixRegex. Not ported: "/t /test/a2Fb" sends a raw space in the path,
// which no HTTP/1.1 request line can carry (its %20 form is the "/t20/test/a2Fb" case).
const stripPrefixRegex: PathCase[] = [
  { desc: '/a/test', mw: spr(['/a/api/']), path: '/a/test', upstream: '/a/test' },
  { desc: '/a/test/', mw: spr(['/a/api/']), path: '/a/test/', upstream: '/a/test/' },
  { desc: '/a/api/', mw: spr(['/a/api/']), path: '/a/api/', upstream: '/', header: '/a/api/' },
  { desc: '/a/api/test', mw: spr(['/a/api/']), path: '/a/api/test', upstream: '/test', header: '/a/api/' },
  { desc: '/a/api/test/', mw: spr(['/a/api/']), path: '/a/api/test/', upstream: '/test/', header: '/a/api/' },
  { desc: '/b/api/', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/api/', upstream: '/', header: '/b/api/' },
  { desc: '/b/api', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/api', upstream: '/b/api' },
  { desc: '/b/api/test1', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/api/test1', upstream: '/test1', header: '/b/api/' },
  { desc: '/b/api2/test2', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/api2/test2', upstream: '/test2', header: '/b/api2/' },
  { desc: '/c/api/123/', mw: spr(['/c/[a-z0-9]+/[0-9]+/']), path: '/c/api/123/', upstream: '/', header: '/c/api/123/' },
  { desc: '/c/api/123', mw: spr(['/c/[a-z0-9]+/[0-9]+/']), path: '/c/api/123', upstream: '/c/api/123' },
  { desc: '/c/api/123/test3', mw: spr(['/c/[a-z0-9]+/[0-9]+/']), path: '/c/api/123/test3', upstream: '/test3', header: '/c/api/123/' },
  { desc: '/c/api/abc/test4', mw: spr(['/c/[a-z0-9]+/[0-9]+/']), path: '/c/api/abc/test4', upstream: '/c/api/abc/test4' },
  { desc: '/a/api/a2Fb', mw: spr(['/a/api/']), path: '/a/api/a%2Fb', upstream: '/a%2Fb', header: '/a/api/' },
  { desc: '/b/ap69/test', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/ap%69/test', upstream: '/test', header: '/b/api/' },
  { desc: '/b/ap69/a2Fb', mw: spr(['/b/([a-z0-9]+)/']), path: '/b/ap%69/a%2Fb', upstream: '/a%2Fb', header: '/b/api/' },
  { desc: '/t2F/test/foo', mw: spr(['/t /test']), path: '/t%2F/test/foo', upstream: '/t%2F/test/foo' },
  { desc: '/t20/test/a2Fb', mw: spr(['/t /test']), path: '/t%20/test/a%2Fb', upstream: '/a%2Fb', header: '/t /test' },
  { desc: '/api./foo', mw: spr(['/api']), path: '/api./foo', status: 400 },
  { desc: '/api../foo', mw: spr(['/api']), path: '/api../foo', status: 400 },
].map((c) => ({ ...c, desc: `stripprefixregex: ${c.desc}` }));

// add_prefix_test.go TestAddPrefix.
const addPrefix: PathCase[] = [
  { desc: 'Works with a regular path', mw: ap('/a'), path: '/b', upstream: '/a/b' },
  { desc: 'Works with missing leading slash', mw: ap('a'), path: '/', upstream: '/a/' },
  { desc: 'Works with a raw path', mw: ap('/a'), path: '/b%2Fc', upstream: '/a/b%2Fc' },
].map((c) => ({ ...c, desc: `addprefix: ${c.desc}` }));

// replace_path_test.go TestReplacePath.
const replacePath: PathCase[] = [
  { desc: 'simple path', mw: rp('/replacement-path'), path: '/example', upstream: '/replacement-path', header: '/example' },
  { desc: 'long path', mw: rp('/replacement-path'), path: '/some/really/long/path', upstream: '/replacement-path', header: '/some/really/long/path' },
  { desc: 'path with escaped value', mw: rp('/replacement-path'), path: '/foo%2Fbar', upstream: '/replacement-path', header: '/foo%2Fbar' },
  { desc: 'replacement with escaped value', mw: rp('/foo%2Fbar'), path: '/path', upstream: '/foo%2Fbar', header: '/path' },
  { desc: 'replacement with percent encoded backspace char', mw: rp('/path/%08bar'), path: '/path/%08bar', upstream: '/path/%08bar', header: '/path/%08bar' },
].map((c) => ({ ...c, desc: `replacepath: ${c.desc}` }));

// replace_path_regex_test.go TestReplacePathRegex ("invalid regular expression" is in `refused` below).
// Traefik checks X-Replaced-Path only where the case names one; so does this table (header: undefined → unchecked).
const replacePathRegex: Array<PathCase & { headerUnchecked?: boolean }> = [
  { desc: 'simple regex', mw: rpr('^/whoami/(.*)', '/who-am-i/$1'), path: '/whoami/and/whoami', upstream: '/who-am-i/and/whoami', header: '/whoami/and/whoami' },
  { desc: 'simple replace (no regex)', mw: rpr('/whoami', '/who-am-i'), path: '/whoami/and/whoami', upstream: '/who-am-i/and/who-am-i', header: '/whoami/and/whoami' },
  { desc: 'empty replacement', mw: rpr('/whoami', ''), path: '/whoami/and/whoami', upstream: '/and', header: '/whoami/and/whoami' },
  { desc: 'empty trimmed replacement', mw: rpr('/whoami', ' '), path: '/whoami/and/whoami', upstream: '/and', header: '/whoami/and/whoami' },
  { desc: 'no match', mw: rpr('/no-match', '/whoami'), path: '/whoami/and/whoami', upstream: '/whoami/and/whoami', headerUnchecked: true },
  { desc: 'multiple replacement', mw: rpr('^(?i)/downloads/([^/]+)/([^/]+)$', '/downloads/$1-$2'), path: '/downloads/src/source.go', upstream: '/downloads/src-source.go', header: '/downloads/src/source.go' },
  { desc: 'replacement with escaped char', mw: rpr('/aaa/bbb', '/foo%2Fbar'), path: '/aaa/bbb', upstream: '/foo%2Fbar', header: '/aaa/bbb' },
  { desc: 'path and regex with escaped char', mw: rpr('/aaa%2Fbbb', '/foo/bar'), path: '/aaa%2Fbbb', upstream: '/foo/bar', header: '/aaa%2Fbbb' },
  { desc: 'path with escaped char (no match)', mw: rpr('/aaa/bbb', '/foo/bar'), path: '/aaa%2Fbbb', upstream: '/aaa%2Fbbb', headerUnchecked: true },
  { desc: 'path with percent encoded backspace char', mw: rpr('^/foo/(.*)', '/$1'), path: '/foo/%08bar', upstream: '/%08bar', headerUnchecked: true },
  { desc: 'path with ..', mw: rpr('^/foo(.*)', '/$1'), path: '/foo../bar', status: 400, headerUnchecked: true },
].map((c) => ({ ...c, desc: `replacepathregex: ${c.desc}` }));

/** Configurations Traefik's constructor refuses (`expectsError`) or accepts (TestNewAddPrefix). */
const constructed: Array<{ desc: string; mw: Middleware; refused: boolean }> = [
  { desc: 'addprefix: Works with a non empty prefix', mw: ap('/a'), refused: false },
  { desc: 'addprefix: Fails if prefix is empty', mw: ap(''), refused: true },
  { desc: 'replacepathregex: invalid regular expression', mw: rpr('^(?err)/invalid/regexp/([^/]+)$', '/valid/regexp/$1'), refused: true },
];

const cases: Array<PathCase & { headerUnchecked?: boolean }> = [...stripPrefix, ...stripPrefixRegex, ...addPrefix, ...replacePath, ...replacePathRegex];

function headerOf(c: PathCase): string {
  return 'stripPrefix' in c.mw || 'stripPrefixRegex' in c.mw ? 'x-forwarded-prefix' : 'x-replaced-path';
}

describe('Traefik path middleware tables through the running gateway', () => {
  let gw: FileGateway;
  let up: Upstream;
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    up = await startUpstream(t, 'up');
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    cases.forEach((c, i) => {
      middlewares[`m${i}`] = c.mw;
      routers[`r${i}`] = { rule: `Host(\`c${i}.test\`)`, service: 'up', middlewares: [`m${i}`] };
    });
    gw = await startFileGateway(t, { routers, middlewares, services: { up: { loadBalancer: { servers: [{ url: up.url }] } } } });
  });
  const cleanups: Array<() => unknown> = [];
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  cases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, c.differs, async () => {
      const before = up.seen.length;
      const r = await send(gw.web, c.path, { headers: { host: `c${i}.test` } });
      assert.equal(r.status, c.status ?? 200, r.body);
      if ((c.status ?? 200) !== 200) {
        assert.equal(up.seen.length, before, 'a refused request never reaches the upstream');
        return;
      }
      const seen = up.seen.at(-1)!;
      assert.equal(up.seen.length, before + 1);
      assert.equal(seen.url, c.upstream, 'request-target at the upstream');
      if (!c.headerUnchecked) assert.equal(seen.headers[headerOf(c)], c.header, headerOf(c));
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

/**
 * pkg/middlewares/redirect/redirect_{scheme,regex}_test.go. Each request goes to the running gateway as Traefik's
 * unit test builds it: the table's URL as an absolute-form target and its authority as Host; one router per case
 * chosen by an `X-Traefik-Case` header. The entry point trusts client X-Forwarded-* (`forwardedHeaders.insecure`),
 * as Traefik's unit tests see them. A case Traefik answers without redirecting reaches the upstream (200, no Location).
 */
const redirectTally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/redirect/redirect_{scheme,regex}_test.go`);

interface RedirectCase { desc: string; mw: Middleware; url: string; method?: string; headers?: Record<string, string>; status: number; location?: string; differs?: string }

const NO_FORCE_308 = 'ForcePermanentRedirect is internal to Traefik (`label:"-"`, set only by its ingress-nginx provider, which '
  + 'tagway lacks): as a tag it is refused by key (reported on the item), as Traefik\'s label parser refuses it; the 308 is unreachable';
const rs = (scheme: string, port?: string, permanent?: boolean): Middleware => ({ redirectScheme: { scheme, ...(port !== undefined ? { port } : {}), ...(permanent ? { permanent } : {}) } });
const rr = (regex: string, replacement: string, permanent?: boolean): Middleware => ({ redirectRegex: { regex, replacement, ...(permanent ? { permanent } : {}) } });
// Traefik's unit tests mark a TLS request `secured`; the scheme test's https:// URLs (which httptest marks TLS)
// arrive here as the same URL with X-Forwarded-Proto: https, which redirectScheme reads the same way.
// redirectRegex ignores X-Forwarded-Proto: its three `secured` cases go over TLS (`redirectRegexTls`).
const HTTPS = { 'X-Forwarded-Proto': 'https' };

// redirect_scheme_test.go TestRedirectSchemeHandler ("Without scheme" is in `redirectConstructed`).
const redirectScheme: RedirectCase[] = [
  { desc: 'HTTP to HTTPS', mw: rs('https'), url: 'http://foo', status: 302, location: 'https://foo' },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto', mw: rs('https'), url: 'http://foo', headers: { 'X-Forwarded-Proto': 'http' }, status: 302, location: 'https://foo' },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto to HTTPS', mw: rs('https'), url: 'http://foo', headers: { 'X-Forwarded-Proto': 'https' }, status: 200 },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto to unknown value', mw: rs('https'), url: 'http://foo', headers: { 'X-Forwarded-Proto': 'bar' }, status: 302, location: 'https://foo' },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto to ws', mw: rs('https'), url: 'http://foo', headers: { 'X-Forwarded-Proto': 'ws' }, status: 302, location: 'https://foo' },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto to wss', mw: rs('https'), url: 'http://foo', headers: { 'X-Forwarded-Proto': 'wss' }, status: 200 },
  { desc: 'HTTP with port to HTTPS without port', mw: rs('https'), url: 'http://foo:8080', status: 302, location: 'https://foo' },
  { desc: 'HTTP without port to HTTPS with port', mw: rs('https', '8443'), url: 'http://foo', status: 302, location: 'https://foo:8443' },
  { desc: 'HTTP with port to HTTPS with port', mw: rs('https', '8443'), url: 'http://foo:8000', status: 302, location: 'https://foo:8443' },
  { desc: 'HTTPS with port to HTTPS with port', mw: rs('https', '8443'), url: 'https://foo:8000', headers: HTTPS, status: 302, location: 'https://foo:8443' },
  { desc: 'HTTPS with port to HTTPS without port', mw: rs('https'), url: 'https://foo:8000', headers: HTTPS, status: 302, location: 'https://foo' },
  { desc: 'redirection to HTTPS without port from an URL already in https', mw: rs('https'), url: 'https://foo:8000/theother', headers: HTTPS, status: 302, location: 'https://foo/theother' },
  { desc: 'HTTP to HTTPS permanent', mw: rs('https', '8443', true), url: 'http://foo', status: 301, location: 'https://foo:8443' },
  { desc: 'HTTP to HTTPS with explicit 308 status code', mw: { redirectScheme: { scheme: 'https', forcePermanentRedirect: true } as never }, url: 'http://foo', status: 308, location: 'https://foo', differs: NO_FORCE_308 },
  { desc: 'HTTP to HTTPS with explicit 308 status code for GET request', mw: { redirectScheme: { scheme: 'https', forcePermanentRedirect: true } as never }, url: 'http://foo', status: 308, location: 'https://foo', differs: NO_FORCE_308 },
  { desc: 'to HTTP 80', mw: rs('http', '80'), url: 'http://foo:80', status: 200 },
  { desc: 'to HTTPS 443', mw: rs('https', '443'), url: 'https://foo:443', headers: HTTPS, status: 200 },
  { desc: 'HTTP to wss', mw: rs('wss', '9443'), url: 'http://foo', status: 302, location: 'wss://foo:9443' },
  { desc: 'HTTP to wss without port', mw: rs('wss'), url: 'http://foo', status: 302, location: 'wss://foo' },
  { desc: 'HTTP with port to wss without port', mw: rs('wss'), url: 'http://foo:5678', status: 302, location: 'wss://foo' },
  { desc: 'HTTP to HTTPS without port', mw: rs('https'), url: 'http://foo:443', status: 302, location: 'https://foo' },
  { desc: 'HTTP port redirection', mw: rs('http', '8181'), url: 'http://foo:8080', status: 302, location: 'http://foo:8181' },
  { desc: 'HTTPS with port 80 to HTTPS without port', mw: rs('https'), url: 'https://foo:80', headers: HTTPS, status: 302, location: 'https://foo' },
  { desc: 'IPV6 HTTP to HTTPS redirection without port', mw: rs('https'), url: 'http://[::1]', status: 302, location: 'https://[::1]' },
  { desc: 'IPV6 HTTP to HTTPS redirection with port', mw: rs('https', '8443'), url: 'http://[::1]', status: 302, location: 'https://[::1]:8443' },
  { desc: 'IPV6 HTTP with port 80 to HTTPS redirection without port', mw: rs('https'), url: 'http://[::1]:80', status: 302, location: 'https://[::1]' },
  { desc: 'IPV6 HTTP with port 80 to HTTPS redirection with port', mw: rs('https', '8443'), url: 'http://[::1]:80', status: 302, location: 'https://[::1]:8443' },
].map((c) => ({ ...c, desc: `redirectscheme: ${c.desc}` }));

// redirect_regex_test.go TestRedirectRegexHandler ("invalid regex" is in `redirectConstructed`; the `secured`
// cases are in `redirectRegexTls`).
const redirectRegex: RedirectCase[] = [
  { desc: 'simple redirection', mw: rr('^(?:http?:\\/\\/)(foo)(\\.com)(:\\d+)(.*)$', 'https://${1}bar$2:443$4'), url: 'http://foo.com:80', status: 302, location: 'https://foobar.com:443' },
  { desc: "URL doesn't match regex", mw: rr('^(?:http?:\\/\\/)(foo)(\\.com)(:\\d+)(.*)$', 'https://${1}bar$2:443$4'), url: 'http://bar.com:80', status: 200 },
  { desc: 'invalid rewritten URL', mw: rr('^(.*)$', 'http://192.168.0.%31/'), url: 'http://foo.com:80', status: 502 },
  { desc: 'HTTP to HTTPS permanent', mw: rr('^http://', 'https://$1', true), url: 'http://foo', status: 301, location: 'https://foo' },
  { desc: 'HTTP to HTTPS', mw: rr('http://foo:80', 'https://foo:443'), url: 'http://foo:80', status: 302, location: 'https://foo:443' },
  { desc: 'HTTP to HTTPS, with X-Forwarded-Proto', mw: rr('http://foo:80', 'https://foo:443'), url: 'http://foo:80', headers: { 'X-Forwarded-Proto': 'https' }, status: 302, location: 'https://foo:443' },
  { desc: 'HTTP to HTTP', mw: rr('http://foo:80', 'http://foo:88'), url: 'http://foo:80', status: 302, location: 'http://foo:88' },
  { desc: 'HTTP to HTTP POST', mw: rr('^http://', 'https://$1'), url: 'http://foo', method: 'POST', status: 307, location: 'https://foo' },
  { desc: 'www-redirect without port', mw: rr('(https?)://[^/:]+(:[0-9]+)?/(.*)', '$1://example.com$2/$3', true), url: 'http://www.example.com/path', status: 301, location: 'http://example.com/path' },
  { desc: 'www-redirect with port', mw: rr('(https?)://[^/:]+(:[0-9]+)?/(.*)', '$1://example.com$2/$3', true), url: 'http://www.example.com:8080/path', status: 301, location: 'http://example.com:8080/path' },
  { desc: 'www-redirect without port, root path', mw: rr('(https?)://[^/:]+(:[0-9]+)?/(.*)', '$1://example.com$2/$3', true), url: 'http://www.example.com/', status: 301, location: 'http://example.com/' },
  { desc: 'HTTP to HTTP POST permanent', mw: rr('^http://', 'https://$1', true), url: 'http://foo', method: 'POST', status: 308, location: 'https://foo' },
].map((c) => ({ ...c, desc: `redirectregex: ${c.desc}` }));

const redirectConstructed: Array<{ desc: string; mw: Middleware }> = [
  { desc: 'redirectscheme: Without scheme', mw: { redirectScheme: {} } },
  { desc: 'redirectregex: invalid regex', mw: rr('^(.*', '$1') },
];

const EMPTY_PATH = 'an absolute-form target with an empty path (`GET http://foo`): tagway\'s entry point turns it into origin-form '
  + '`/` before any middleware (RFC 9112 §3.2.2, RFC 9110 §4.2.3: an empty path is "/"), so the Location ends in "/"; Traefik '
  + 'keeps the target as sent and echoes the empty path. Same resource; an origin-form request gets "/" from both';
/** Traefik's unit tests build the request from a URL without a path; its Location then has none either. */
function withEmptyPath(c: RedirectCase): RedirectCase {
  if (/^[a-z]+:\/\/[^/]+\//.test(c.url) || c.location === undefined) return c;
  return { ...c, differs: c.differs ?? EMPTY_PATH, location: c.differs ? c.location : `${c.location}/` };
}

const redirects = [...redirectScheme, ...redirectRegex].map(withEmptyPath);

/** The authority as written (WHATWG `URL.host` drops a default port: `https://foo:443` would become `foo`). */
function authority(url: string): string {
  return /^[a-z]+:\/\/([^/?#]*)/.exec(url)![1]!;
}

describe('Traefik redirect tables through the running gateway', () => {
  let gw: FileGateway;
  let up: Upstream;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    up = await startUpstream(t, 'up');
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    redirects.forEach((c, i) => {
      if (c.differs === NO_FORCE_308) return;
      middlewares[`m${i}`] = c.mw;
      routers[`r${i}`] = { rule: `Header(\`X-Traefik-Case\`, \`${i}\`)`, service: 'up', middlewares: [`m${i}`] };
    });
    gw = await startFileGateway(t, { routers, middlewares, services: { up: { loadBalancer: { servers: [{ url: up.url }] } } } },
      ['--entryPoints.web.forwardedHeaders.insecure=true']);
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  redirects.forEach((c, i) => {
    it(c.desc, () => redirectTally.runAsync(c.desc, c.differs, async () => {
      if (c.differs === NO_FORCE_308) {
        // As a Consul tag (the production label decoder): refused by key, nothing of the middleware decoded.
        const key = 'traefik.http.middlewares.m.redirectscheme.forcepermanentredirect';
        const decoded = decodeDynamicLabels({ 'traefik.http.middlewares.m.redirectscheme.scheme': 'https', [key]: 'true' }, 'traefik');
        const refusals = [...decoded.errors, ...decoded.unsupported].map((e) => JSON.stringify(e));
        assert.ok(refusals.some((e) => e.toLowerCase().includes('forcepermanentredirect')), JSON.stringify(decoded));
        return;
      }
      const before = up.seen.length;
      const r = await send(gw.web, c.url, { method: c.method, headers: { host: authority(c.url), 'x-traefik-case': String(i), ...c.headers } });
      assert.equal(r.status, c.status, r.body);
      assert.equal(r.headers.location, c.location);
      assert.equal(up.seen.length, before + (c.status === 200 ? 1 : 0), 'only an unredirected request reaches the upstream');
    }));
  });

  redirectConstructed.forEach((c) => {
    it(c.desc, () => redirectTally.run(c.desc, undefined, () => {
      assert.ok(buildMiddleware('m@test', c.mw, () => new Error('no references')) instanceof Error);
    }));
  });

});

const TLS_EMPTY_PATH = 'the URL has no path: over HTTPS the client sends `/` (an origin-form target cannot be empty), so the '
  + 'Location ends in "/"; Traefik\'s unit test sets no path and gets none. Over the wire Traefik gives "/" too';
/** redirect_regex_test.go's `secured` cases, over TLS to the gateway's web entry point (a router with `tls: {}`). */
const redirectRegexTls: RedirectCase[] = [
  { desc: 'HTTPS to HTTP permanent', mw: rr('https://foo', 'http://foo', true), url: 'https://foo', status: 301, location: 'http://foo/', differs: TLS_EMPTY_PATH },
  { desc: 'HTTPS to HTTP', mw: rr('https://foo:443', 'http://foo:80'), url: 'https://foo:443', status: 302, location: 'http://foo:80/', differs: TLS_EMPTY_PATH },
  { desc: 'www-redirect HTTPS without port', mw: rr('(https?)://[^/:]+(:[0-9]+)?/(.*)', '$1://example.com$2/$3', true), url: 'https://www.example.com/path', status: 301, location: 'https://example.com/path' },
].map((c) => ({ ...c, desc: `redirectregex (TLS): ${c.desc}` }));

describe('Traefik redirectRegex `secured` cases over TLS', () => {
  it('runs', async (t) => {
    const pki = testPki(['foo', 'www.example.com']);
    const up = await startUpstream(t, 'up');
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    redirectRegexTls.forEach((c, i) => {
      middlewares[`m${i}`] = c.mw;
      routers[`r${i}`] = { rule: `Header(\`X-Traefik-Case\`, \`${i}\`)`, service: 'up', middlewares: [`m${i}`], tls: {} };
    });
    const gw = await startTlsGateway(t, {
      http: { routers, middlewares, services: { up: { loadBalancer: { servers: [{ url: up.url }] } } } },
      tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }] },
    });
    for (const [i, c] of redirectRegexTls.entries()) {
      await t.test(c.desc, () => redirectTally.runAsync(c.desc, c.differs, async () => {
        const u = new URL(c.url);
        const r = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
          const req = httpsRequest({
            host: '127.0.0.1', port: gw.port, path: u.pathname, agent: false, servername: u.hostname, ca: pki.ca.certPem,
            headers: { host: authority(c.url), 'x-traefik-case': String(i) },
          }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location })); });
          req.on('error', reject);
          req.end();
        });
        assert.equal(r.status, c.status);
        assert.equal(r.location, c.location);
        assert.equal(up.seen.length, 0);
      }));
    }
  });

  it('count', (t) => redirectTally.report(t));
});
