import { describe, test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { BasicAuth } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { md5Crypt } from '../../src/middlewares/basic-auth/htpasswd.ts';
import { runCase, send, serve, terminal, type Case } from '../support/terminal.ts';

function build(cfg: BasicAuth): BuiltMiddleware {
  const built = buildMiddleware('auth@test', { basicAuth: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}
const basic = (user: string, password: string): Record<string, string> => ({ authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') });

// Cost 4 keeps the suite fast; the verifier does not care about the cost.
const bcrypt2b = bcrypt.hashSync('secret', 4);
const bcrypt2y = bcrypt2b.replace(/^\$2b\$/, '$2y$');
const bcrypt2a = bcrypt2b.replace(/^\$2b\$/, '$2a$');
const APR1 = '$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/'; // openssl passwd -apr1 -salt saltsalt password
const MD5 = '$1$abc$BXBqpb9BZcZhXLgbee.0s/'; // openssl passwd -1 -salt abc password
const SHA = '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='; // base64(sha1("password"))

const dir = mkdtempSync(join(tmpdir(), 'tagway-basicauth-'));
const usersFile = join(dir, 'users');
writeFileSync(usersFile, `# comment\n\nfileuser:${APR1}\nboth:${SHA}\n`);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const unauthorized = { status: 401, body: '401 Unauthorized\n', responseHeaders: { 'www-authenticate': 'Basic realm="traefik"' } };

const cases: Array<Case & { cfg: BasicAuth }> = [
  { desc: 'no credentials: 401 with the default realm', cfg: { users: [`u:${APR1}`] }, ...unauthorized },
  { desc: 'bcrypt $2y$ accepts the right password', cfg: { users: [`u:${bcrypt2y}`] }, request: { headers: basic('u', 'secret') } },
  { desc: 'bcrypt $2y$ refuses a wrong password', cfg: { users: [`u:${bcrypt2y}`] }, request: { headers: basic('u', 'nope') }, ...unauthorized },
  { desc: 'bcrypt $2a$ accepts', cfg: { users: [`u:${bcrypt2a}`] }, request: { headers: basic('u', 'secret') } },
  { desc: 'bcrypt $2b$ accepts', cfg: { users: [`u:${bcrypt2b}`] }, request: { headers: basic('u', 'secret') } },
  { desc: 'apr1 accepts', cfg: { users: [`u:${APR1}`] }, request: { headers: basic('u', 'password') } },
  { desc: 'apr1 refuses a wrong password', cfg: { users: [`u:${APR1}`] }, request: { headers: basic('u', 'Password') }, ...unauthorized },
  { desc: 'MD5-crypt $1$ accepts', cfg: { users: [`u:${MD5}`] }, request: { headers: basic('u', 'password') } },
  { desc: '{SHA} accepts', cfg: { users: [`u:${SHA}`] }, request: { headers: basic('u', 'password') } },
  { desc: 'an unknown user is refused', cfg: { users: [`u:${SHA}`] }, request: { headers: basic('v', 'password') }, ...unauthorized },
  { desc: 'a lower-case "basic" scheme is accepted', cfg: { users: [`u:${SHA}`] },
    request: { headers: { authorization: 'basic ' + Buffer.from('u:password').toString('base64') } } },
  { desc: 'a password containing ":" is split at the first colon', cfg: { users: [`u:{SHA}${Buffer.from(await sha1('a:b')).toString('base64')}`] },
    request: { headers: basic('u', 'a:b') } },
  { desc: 'realm is used in the challenge', cfg: { users: [`u:${SHA}`], realm: 'admin area' }, status: 401,
    responseHeaders: { 'www-authenticate': 'Basic realm="admin area"' } },
  { desc: 'the Authorization header is forwarded by default', cfg: { users: [`u:${SHA}`] }, request: { headers: basic('u', 'password') },
    upstreamHeaders: { authorization: basic('u', 'password').authorization } },
  { desc: 'removeHeader drops Authorization', cfg: { users: [`u:${SHA}`], removeHeader: true }, request: { headers: basic('u', 'password') },
    upstreamHeaders: { authorization: undefined } },
  { desc: 'headerField forwards the user name', cfg: { users: [`u:${SHA}`], headerField: 'X-WebAuth-User' }, request: { headers: basic('u', 'password') },
    upstreamHeaders: { 'x-webauth-user': 'u' } },
  { desc: 'usersFile users are accepted (comments and blank lines skipped)', cfg: { usersFile }, request: { headers: basic('fileuser', 'password') } },
  { desc: 'an inline user overrides the same user in usersFile', cfg: { usersFile, users: [`both:${APR1}`] },
    request: { headers: basic('both', 'password') } },
  { desc: 'a malformed Authorization is refused', cfg: { users: [`u:${SHA}`] }, request: { headers: { authorization: 'Basic !!!' } }, ...unauthorized },
];

async function sha1(s: string): Promise<Buffer> {
  const { createHash } = await import('node:crypto');
  return createHash('sha1').update(s).digest();
}

describe('basicAuth', () => {
  for (const c of cases) test(c.desc, async (t) => { await runCase(t, (next) => build(c.cfg).wrap(next), c); });

  test('md5Crypt matches openssl for both magics', () => {
    assert.equal(md5Crypt('password', 'saltsalt', '$apr1$'), APR1);
    assert.equal(md5Crypt('password', 'abc', '$1$'), MD5);
  });

  test('a verified bcrypt login is cached; failures are not', async (t) => {
    const compare = mock.method(bcrypt, 'compare');
    t.after(() => compare.mock.restore());
    const up = terminal();
    const url = await serve(t, build({ users: [`u:${bcrypt2y}`] }).wrap(up.handler));
    assert.equal((await send(url, '/', { headers: basic('u', 'secret') })).status, 200);
    assert.equal((await send(url, '/', { headers: basic('u', 'secret') })).status, 200);
    assert.equal(compare.mock.callCount(), 1);
    assert.equal((await send(url, '/', { headers: basic('u', 'bad') })).status, 401);
    assert.equal((await send(url, '/', { headers: basic('u', 'bad') })).status, 401);
    assert.equal(compare.mock.callCount(), 3);
  });

  test('a refusal is reported to the trace', async (t) => {
    const reasons: string[] = [];
    const trace = { verbosity: 'minimal' as const, startAttempt: () => { throw new Error('unused'); }, refuse: (r: string) => { reasons.push(r); } };
    await runCase(t, (next) => build({ users: [`u:${SHA}`] }).wrap(next), { desc: '', status: 401, serve: { trace } });
    assert.deepEqual(reasons, ['Authentication failed']);
  });

  const bad: Array<{ desc: string; cfg: BasicAuth; message: RegExp }> = [
    { desc: 'an entry without a colon', cfg: { users: [`u:${SHA}`, 'nocolon'] }, message: /^basicAuth\.users\[1\]: expected "user:hash"/ },
    { desc: 'a plain-text password can never match', cfg: { users: ['u:plain'] }, message: /^basicAuth\.users\[0\]: unsupported hash/ },
    { desc: 'no users at all', cfg: {}, message: /^basicAuth\.users: no user defined/ },
    { desc: 'an unreadable usersFile', cfg: { usersFile: join(dir, 'missing') }, message: /^basicAuth\.usersFile: cannot read/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('auth@test', { basicAuth: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});
