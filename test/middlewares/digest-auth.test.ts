import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { startFileGateway, send, lb, type Reply } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/auth/digest_auth_test.go`);
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** A digest client as Traefik's test helper (newDigestRequest) and browsers do: challenge, then answer with nc=1. */
async function digestGet(base: string, user: string, password: string, headers: Record<string, string> = {}, path = '/'): Promise<Reply> {
  const first = await send(base, path, { headers });
  if (first.status !== 401) return first;
  const challenge = String(first.headers['www-authenticate']);
  const p = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const nc = '00000001', cnonce = 'abcdef0123';
  const ha1 = md5(`${user}:${p.realm}:${password}`);
  const response = md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${md5(`GET:${path}`)}`);
  const auth = `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${path}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${p.opaque}", algorithm="MD5"`;
  return send(base, path, { headers: { ...headers, authorization: auth } });
}

describe('digestAuth through the running gateway', () => {
  it('Traefik TestDigestAuthUsersFromFile, TestDigestAuthFail, TestDigestAuthUserHeaderCanonical', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tagway-digest-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const up = await startUpstream(t, 'up', (req, res) => { req.resume(); res.end(`traefik\n${req.headers['x-user'] ?? ''}`); });
    const fileCases = [
      { desc: 'Finds the users in the file', file: 'test:traefik:a2688e031edb4be6a3797f3882655c05\ntest2:traefik:518845800f9e2bfb1f1f740ec24f074e\n', users: [], expected: { test: 'test', test2: 'test2' } },
      { desc: 'Merges given users with users from the file', file: 'test:traefik:a2688e031edb4be6a3797f3882655c05\n', users: ['test2:traefik:518845800f9e2bfb1f1f740ec24f074e', 'test3:traefik:c8e9f57ce58ecb4424407f665a91646c'], expected: { test: 'test', test2: 'test2', test3: 'test3' } },
      { desc: 'Given users have priority over users in the file', file: 'test:traefik:a2688e031edb4be6a3797f3882655c05\ntest2:traefik:518845800f9e2bfb1f1f740ec24f074e\n', users: ['test2:traefik:8de60a1c52da68ccf41f0c0ffb7c51a0'], expected: { test: 'test', test2: 'overridden' } },
      { desc: 'Should authenticate the correct user based on the realm', file: 'test:traefik:a2688e031edb4be6a3797f3882655c05\ntest:traefiker:a3d334dff2645b914918de78bec50bf4\n', users: [], expected: { test: 'test2' }, realm: 'traefiker' },
    ];
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    for (const [i, c] of fileCases.entries()) {
      const usersFile = join(dir, `users${i}`);
      await writeFile(usersFile, c.file);
      middlewares[`d${i}`] = { digestAuth: { users: c.users, usersFile, ...(c.realm ? { realm: c.realm } : {}) } };
      routers[`r${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: 'up', middlewares: [`d${i}`] };
    }
    middlewares.canon = { digestAuth: { users: ['test:traefik:a2688e031edb4be6a3797f3882655c05'], headerField: 'x-user' } };
    routers.canon = { rule: 'Header(`X-Case`, `canon`)', service: 'up', middlewares: ['canon'] };
    const gw = await startFileGateway(t, { routers, middlewares, services: { up: lb(up.url) } });

    for (const [i, c] of fileCases.entries()) {
      await tally.runAsync(c.desc, undefined, async () => {
        for (const [user, password] of Object.entries(c.expected)) {
          const r = await digestGet(gw.web, user, password, { 'x-case': String(i) });
          assert.equal(r.status, 200, `Cannot authenticate user ${user}`);
          assert.equal(r.body.split('\n')[0], 'traefik');
        }
        const foo = await digestGet(gw.web, 'foo', 'foo', { 'x-case': String(i) });
        assert.equal(foo.status, 401);
        assert.ok(!foo.body.includes('traefik'));
      });
    }
    await tally.runAsync('TestDigestAuthFail', undefined, async () => {
      const r = await send(gw.web, '/', { headers: { 'x-case': '0', authorization: `Basic ${Buffer.from('test:test').toString('base64')}` } });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^Digest realm="traefik", nonce="[^"]+", opaque="[^"]+", algorithm="MD5", qop="auth"$/);
    });
    await tally.runAsync('TestDigestAuthUserHeaderCanonical', undefined, async () => {
      const r = await digestGet(gw.web, 'test', 'test', { 'x-case': 'canon', 'X-User': 'admin' });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'traefik\ntest', 'the user name replaces the client\'s X-User');
    });
    await tally.runAsync('TestDigestAuthError', undefined, async () => {
      const built = buildMiddleware('d@file', { digestAuth: { users: ['test'] } }, () => new Error('none'));
      assert.ok(built instanceof Error && /digestAuth.users\[0\]/.test(built.message));
    });
    tally.report(t);
  });

  it('refuses a replayed nonce count as stale and an answer to a nonce it never issued', async (t) => {
    const up = await startUpstream(t, 'up');
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['d'] } },
      middlewares: { d: { digestAuth: { users: ['test:traefik:a2688e031edb4be6a3797f3882655c05'], removeHeader: true } } },
      services: { up: lb(up.url) },
    });
    const first = await send(gw.web, '/p');
    const p = Object.fromEntries([...String(first.headers['www-authenticate']).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const answer = (nonce: string, nc: string): string => {
      const ha1 = md5('test:traefik:test');
      const response = md5(`${ha1}:${nonce}:${nc}:c:auth:${md5('GET:/p')}`);
      return `Digest username="test", realm="traefik", nonce="${nonce}", uri="/p", qop=auth, nc=${nc}, cnonce="c", response="${response}", opaque="${p.opaque}"`;
    };
    const ok = await send(gw.web, '/p', { headers: { authorization: answer(p.nonce!, '00000001') } });
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers.authorization, undefined, 'removeHeader');
    const replay = await send(gw.web, '/p', { headers: { authorization: answer(p.nonce!, '00000001') } });
    assert.equal(replay.status, 401);
    assert.match(String(replay.headers['www-authenticate']), /stale=true/);
    assert.equal((await send(gw.web, '/p', { headers: { authorization: answer(p.nonce!, '00000002') } })).status, 200);
    assert.equal((await send(gw.web, '/p', { headers: { authorization: answer('made-up', '00000001') } })).status, 401);
  });
});
