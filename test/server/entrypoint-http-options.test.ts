import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.ts';
import { lb, send, servedBy, startFileGateway } from '../support/file-gateway.ts';

/** Traefik v3.7 entry-point HTTP options tagway implements, through the running gateway. */
describe('entryPoints.<ep>.http: query semicolons and underscore headers', () => {
  it('";" in the query is a separator by default (read and forwarded as "&"), or kept encoded with encodeQuerySemicolons', async (t) => {
    const up = await startUpstream(t, 'app');
    const http = { routers: { q: { rule: 'Query(`baz`, `bar`)', service: 'app' } }, services: { app: lb(up.url) } };
    const gw = await startFileGateway(t, http);
    const r = await send(gw.web, '/?foo=bar;baz=bar');
    assert.equal(servedBy(r), 'app', 'Query() sees the pair after ";"');
    assert.equal(up.seen.at(-1)!.url, '/?foo=bar&baz=bar');

    const encoded = await startFileGateway(t, http, ['--entryPoints.web.http.encodeQuerySemicolons=true']);
    assert.equal((await send(encoded.web, '/?foo=bar;baz=bar')).status, 404, 'no pair "baz=bar": it is inside the value of foo');
    const ok = await send(encoded.web, '/?foo=x;y&baz=bar');
    assert.equal(servedBy(ok), 'app');
    assert.equal(up.seen.at(-1)!.url, '/?foo=x%3By&baz=bar');
  });

  it('underscoreHeadersStrategy: keep (default) forwards, delete removes, reject answers 400', async (t) => {
    const up = await startUpstream(t, 'app');
    const http = { routers: { all: { rule: 'PathPrefix(`/`)', service: 'app' } }, services: { app: lb(up.url) } };
    const headers = { 'X_Auth_User': 'admin', 'X-Auth-User': 'bob' };
    const keep = await startFileGateway(t, http);
    assert.equal(servedBy(await send(keep.web, '/', { headers })), 'app');
    assert.equal(up.seen.at(-1)!.headers['x_auth_user'], 'admin');

    const del = await startFileGateway(t, http, ['--entryPoints.web.http.underscoreHeadersStrategy=delete']);
    assert.equal(servedBy(await send(del.web, '/', { headers })), 'app');
    assert.equal(up.seen.at(-1)!.headers['x_auth_user'], undefined);
    assert.equal(up.seen.at(-1)!.headers['x-auth-user'], 'bob');

    const reject = await startFileGateway(t, http, ['--entryPoints.web.http.underscoreHeadersStrategy=reject']);
    const before = up.seen.length;
    assert.equal((await send(reject.web, '/', { headers })).status, 400);
    assert.equal(up.seen.length, before, 'nothing reaches the upstream');
    assert.equal(servedBy(await send(reject.web, '/', { headers: { 'X-Auth-User': 'bob' } })), 'app');
  });
});
