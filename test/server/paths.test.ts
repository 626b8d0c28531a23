import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { portOf, rawRequest } from '../support/raw.ts';
import { lb, startFileGateway } from '../support/file-gateway.ts';

/**
 * A `PathPrefix(/admin)` router behind basicAuth, an `/api` router and a lower-priority catch-all: the
 * shape where an encoding that hides "/admin" from the router, but not from the upstream, skips the auth.
 */
async function adminGateway(t: TestContext, flags: string[] = []): Promise<{ port: number; admin: Upstream; api: Upstream; all: Upstream }> {
  const admin = await startUpstream(t, 'admin');
  const api = await startUpstream(t, 'api');
  const all = await startUpstream(t, 'all');
  const hash = bcrypt.hashSync('s3cret', 4);
  const gw = await startFileGateway(t, {
    routers: {
      admin: { rule: 'PathPrefix(`/admin`)', service: 'admin', middlewares: ['auth'] },
      api: { rule: 'PathPrefix(`/api`)', service: 'api' },
      all: { rule: 'PathPrefix(`/`)', service: 'all' },
    },
    middlewares: { auth: { basicAuth: { users: [`alice:${hash}`] } } },
    services: { admin: lb(admin.url), api: lb(api.url), all: lb(all.url) },
  }, flags);
  return { port: portOf(gw.web), admin, api, all };
}

const get = (path: string, headers = 'Host: app.test\r\n') => `GET ${path} HTTP/1.1\r\n${headers}\r\n`;

describe('paths: an encoding never moves a request to another router', () => {
  const refused = [
    { desc: 'an encoded slash', path: '/%2Fadmin' },
    { desc: 'an encoded slash, lower case', path: '/%2fadmin/users' },
    { desc: 'an encoded backslash', path: '/%5Cadmin' },
    { desc: 'a raw backslash', path: '/\\admin' },
    { desc: 'encoded dot segments', path: '/x/%2E%2E%2Fadmin' },
    { desc: 'an encoded slash leaving /admin', path: '/admin%2F..%2Fpublic' },
  ];
  for (const c of refused) {
    it(`${c.desc} (${c.path}) is refused with 400, never served by the catch-all`, async (t) => {
      const g = await adminGateway(t);
      const reply = await rawRequest(t, g.port, get(c.path));
      assert.equal(reply.status, 400, reply.head);
      assert.equal(g.all.seen.length + g.admin.seen.length, 0);
    });
  }

  it('the same request without the trick reaches the guarded router', async (t) => {
    const g = await adminGateway(t);
    assert.equal((await rawRequest(t, g.port, get('/admin'))).status, 401);
    assert.equal((await rawRequest(t, g.port, get('/%2e%2e/admin'))).status, 401, 'dot segments are cleaned before routing');
  });

  it('escapes that keep the router are served as before (Traefik routes them the same)', async (t) => {
    const g = await adminGateway(t);
    const api = await rawRequest(t, g.port, get('/api/projects/group%2Fproject'));
    assert.equal(api.status, 200);
    assert.equal(g.api.seen[0]!.url, '/api/projects/group%2Fproject', 'forwarded with the slash still encoded');
    const spaced = await rawRequest(t, g.port, get('/docs/a%20b'));
    assert.equal(spaced.status, 200);
    assert.equal(g.all.seen[0]!.url, '/docs/a%20b');
  });

  it('with sanitizePath off, dot segments and repeated slashes reach the upstream, but not another router', async (t) => {
    const g = await adminGateway(t, ['--entryPoints.web.http.sanitizePath=false']);
    assert.equal((await rawRequest(t, g.port, get('/public//x/./y'))).status, 200);
    assert.equal(g.all.seen[0]!.url, '/public//x/./y');
    assert.equal((await rawRequest(t, g.port, get('/public/../admin'))).status, 400);
    assert.equal((await rawRequest(t, g.port, get('//admin'))).status, 400);
    assert.equal(g.all.seen.length, 1);
  });

  it('with sanitizePath on (default), the upstream gets the cleaned path', async (t) => {
    const g = await adminGateway(t);
    assert.equal((await rawRequest(t, g.port, get('/public//x/./y/../z'))).status, 200);
    assert.equal(g.all.seen[0]!.url, '/public/x/z');
  });
});

describe('paths: encodedCharacters', () => {
  it('refuses a denied escape with 400 (either case), lets the others through', async (t) => {
    const g = await adminGateway(t, ['--entryPoints.web.http.encodedCharacters.allowEncodedSlash=false', '--entryPoints.web.http.encodedCharacters.allowEncodedHash=false']);
    assert.equal((await rawRequest(t, g.port, get('/api/a%2Fb'))).status, 400);
    assert.equal((await rawRequest(t, g.port, get('/api/a%2fb'))).status, 400);
    assert.equal((await rawRequest(t, g.port, get('/api/a%23b'))).status, 400);
    assert.equal((await rawRequest(t, g.port, get('/api/a%3Bb'))).status, 200);
    assert.equal((await rawRequest(t, g.port, get('/api/a%20b'))).status, 200);
    assert.equal(g.api.seen.length, 2);
  });

  it('allows every escape by default (Traefik v3.6.7)', async (t) => {
    const g = await adminGateway(t);
    for (const e of ['%2F', '%5C', '%00', '%3B', '%25', '%3F', '%23']) assert.equal((await rawRequest(t, g.port, get(`/api/a${e}b`))).status, 200, e);
  });
});

describe('request heads Go refuses or reads differently', () => {
  async function hostGateway(t: TestContext) {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const gw = await startFileGateway(t, {
      routers: { a: { rule: 'Host(`a.test`)', service: 'a' }, b: { rule: 'Host(`b.test`)', service: 'b' } },
      services: { a: lb(a.url), b: lb(b.url) },
    });
    return { port: portOf(gw.web), a, b };
  }

  it('an absolute-form target routes on its own host, not the Host header (RFC 9112 §3.2.2)', async (t) => {
    const g = await hostGateway(t);
    const reply = await rawRequest(t, g.port, 'GET http://a.test/x?q=1 HTTP/1.1\r\nHost: b.test\r\n\r\n');
    assert.equal(reply.status, 200);
    assert.equal(g.b.seen.length, 0);
    assert.equal(g.a.seen[0]!.url, '/x?q=1', 'origin-form upstream');
    assert.equal(g.a.seen[0]!.headers.host, 'a.test');
    assert.equal(g.a.seen[0]!.headers['x-forwarded-host'], 'a.test');
  });

  it('two Host headers get 400', async (t) => {
    const g = await hostGateway(t);
    const reply = await rawRequest(t, g.port, 'GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n');
    assert.equal(reply.status, 400);
    assert.equal(g.a.seen.length + g.b.seen.length, 0);
    await reply.client.closed;
  });

  it('Transfer-Encoding other than exactly "chunked" gets 501, like Go', async (t) => {
    const g = await hostGateway(t);
    for (const te of ['identity, chunked', 'gzip, chunked']) {
      const reply = await rawRequest(t, g.port, `POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
      assert.equal(reply.status, 501, te);
    }
    const ok = await rawRequest(t, g.port, 'POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.equal(ok.status, 200);
    assert.equal(g.a.seen.length, 1);
  });

  it('a raw "#" in the target gets 400 (Traefik denies fragments)', async (t) => {
    const g = await hostGateway(t);
    assert.equal((await rawRequest(t, g.port, 'GET /a#b HTTP/1.1\r\nHost: a.test\r\n\r\n')).status, 400);
  });
});
