import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StickyCookie, defaultCookieName, readCookie, sanitizeCookieName } from '../../src/proxy/balancer/sticky.ts';

const sha16 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

describe('sticky cookie', () => {
  it('derives the default name like Traefik ("_" + 5 hex digits of SHA-1)', () => {
    const want = '_' + createHash('sha1').update('_TRAEFIK_BACKEND_whoami@docker').digest('hex').slice(0, 5);
    assert.equal(defaultCookieName('whoami@docker'), want);
    assert.equal(new StickyCookie({}, 'whoami@docker').name, want);
  });

  it('sanitizes a configured name', () => {
    assert.equal(sanitizeCookieName('my cookie;x=1'), 'my_cookie_x_1');
    assert.equal(new StickyCookie({ name: 'a.b-c' }, 's').name, 'a.b-c');
  });

  const attrs: Array<{ desc: string; cookie: ConstructorParameters<typeof StickyCookie>[0]; want: string }> = [
    { desc: 'defaults: Path=/ only', cookie: { name: 'c' }, want: 'c=V; Path=/' },
    { desc: 'every attribute, in Go order', cookie: { name: 'c', path: '/app', domain: '.example.com', maxAge: 60, httpOnly: true, secure: true, sameSite: 'Lax' }, want: 'c=V; Path=/app; Domain=example.com; Max-Age=60; HttpOnly; Secure; SameSite=Lax' },
    { desc: 'negative maxAge expires now', cookie: { name: 'c', maxAge: -1 }, want: 'c=V; Path=/; Max-Age=0' },
    { desc: 'sameSite none and strict, unknown omitted', cookie: { name: 'c', sameSite: 'none' }, want: 'c=V; Path=/; SameSite=None' },
    { desc: 'unknown sameSite is omitted', cookie: { name: 'c', sameSite: 'whatever' }, want: 'c=V; Path=/' },
    { desc: 'empty path means no Path attribute', cookie: { name: 'c', path: '' }, want: 'c=V' },
  ];
  for (const c of attrs) {
    it(`Set-Cookie: ${c.desc}`, () => {
      const sticky = new StickyCookie(c.cookie, 'svc');
      sticky.add('http://10.0.0.1:80');
      assert.equal(sticky.setCookieFor('http://10.0.0.1:80'), c.want.replace('V', sha16('http://10.0.0.1:80')));
    });
  }

  it('resolves current and legacy cookie values', () => {
    const sticky = new StickyCookie({ name: 'lb' }, 'svc');
    sticky.add('a');
    sticky.add('http://b:80');
    assert.deepEqual(sticky.lookup(`x=1; lb=${sha16('a')}`), { server: 'a', rewrite: false });
    assert.deepEqual(sticky.lookup('lb=http://b:80'), { server: 'http://b:80', rewrite: true }, 'raw URL (Traefik v2)');
    // FNV-1 64-bit of "a" is 0xaf63bd4c8601b7be (published test vector).
    assert.deepEqual(sticky.lookup('lb=af63bd4c8601b7be'), { server: 'a', rewrite: true }, 'FNV hash (Traefik ≤ 3.0)');
    assert.equal(sticky.lookup('lb=unknown'), undefined);
    assert.equal(sticky.lookup('other=1'), undefined);
    assert.equal(sticky.lookup(undefined), undefined);
    assert.deepEqual(sticky.lookup(['x=1', `lb=${sha16('a')}`]), { server: 'a', rewrite: false });
  });

  const reads: Array<{ desc: string; header: string; want: string | undefined }> = [
    { desc: 'plain', header: 'a=1; b=2', want: '2' },
    { desc: 'quoted value', header: 'b="x y"', want: 'x y' },
    { desc: 'first of duplicates', header: 'b=1;b=2', want: '1' },
    { desc: 'spaces around', header: ' a=1 ;  b = 3 ', want: '3' },
    { desc: 'prefix of another name does not match', header: 'bb=1', want: undefined },
    { desc: 'absent', header: '', want: undefined },
  ];
  for (const c of reads) it(`readCookie: ${c.desc}`, () => assert.equal(readCookie(c.header, 'b'), c.want));
});
