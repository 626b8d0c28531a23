import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, routingPath } from '../../src/http/path.ts';

describe('cleanPath', () => {
  const cases: Array<{ desc: string; raw: string; want: string | null }> = [
    { desc: 'root stays root', raw: '/', want: '/' },
    { desc: 'plain path is returned as is', raw: '/api/v1/users', want: '/api/v1/users' },
    { desc: 'empty path becomes root', raw: '', want: '/' },
    { desc: 'asterisk-form target is kept', raw: '*', want: '*' },
    { desc: 'unrooted path gets a leading slash', raw: 'a/b', want: '/a/b' },
    { desc: 'trailing slash is kept', raw: '/a/b/', want: '/a/b/' },
    { desc: 'double slashes collapse', raw: '//a///b', want: '/a/b' },
    { desc: 'double slashes collapse and trailing slash is kept', raw: '/a//b//', want: '/a/b/' },
    { desc: 'single dot segments are removed', raw: '/a/./b/.', want: '/a/b' },
    { desc: 'dot segment before trailing slash keeps the slash', raw: '/a/./', want: '/a/' },
    { desc: 'dot-dot removes the previous segment', raw: '/a/b/../c', want: '/a/c' },
    { desc: 'dot-dot at the end without slash', raw: '/a/b/..', want: '/a' },
    { desc: 'dot-dot with trailing slash', raw: '/a/b/../', want: '/a/' },
    { desc: 'dot-dot cannot climb above root', raw: '/../../etc/passwd', want: '/etc/passwd' },
    { desc: 'only dot-dots collapse to root', raw: '/../..', want: '/' },
    { desc: 'dot-dot to root with trailing slash stays root', raw: '/a/../', want: '/' },
    { desc: 'dotted names are not dot segments', raw: '/.well-known/..a/...', want: '/.well-known/..a/...' },
    { desc: 'escaped unreserved letters are decoded', raw: '/%61%62%63', want: '/abc' },
    { desc: 'escaped unreserved marks are decoded', raw: '/%7Euser/%2D%2E%5F', want: '/~user/-._' },
    { desc: 'lower-case hex of unreserved is decoded', raw: '/%7euser', want: '/~user' },
    { desc: 'escaped slash stays encoded', raw: '/a%2Fb', want: '/a%2Fb' },
    { desc: 'escaped slash hex case is normalized', raw: '/a%2fb', want: '/a%2Fb' },
    { desc: 'escaped space stays encoded', raw: '/a%20b', want: '/a%20b' },
    { desc: 'escaped percent stays encoded', raw: '/100%25', want: '/100%25' },
    { desc: 'non-ASCII escapes stay encoded with upper-case hex', raw: '/caf%c3%a9', want: '/caf%C3%A9' },
    { desc: 'encoded dots are decoded before dot segments are removed', raw: '/a/%2E%2E/b', want: '/b' },
    { desc: 'mixed-case encoded dot-dot is removed', raw: '/a/b/%2e./c', want: '/a/c' },
    { desc: 'encoded slash does not split segments for dot-dot', raw: '/a%2F../b', want: '/a%2F../b' },
    { desc: 'percent at the end is malformed', raw: '/a%', want: null },
    { desc: 'percent with one hex digit is malformed', raw: '/a%4', want: null },
    { desc: 'percent with non-hex digits is malformed', raw: '/a%zz/b', want: null },
    { desc: 'percent with one bad digit is malformed', raw: '/a%4g', want: null },
    { desc: 'malformed escape after a good one is malformed', raw: '/%41%', want: null },
    { desc: 'raw reserved characters are kept', raw: "/a:b@c!$&'()*+,;=", want: "/a:b@c!$&'()*+,;=" },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(cleanPath(c.raw), c.want));
  }

  it('returns the same string object on the fast path', () => {
    const raw = '/api/v1/users/42';
    assert.equal(cleanPath(raw), raw);
  });

  it('is idempotent', () => {
    for (const c of cases) {
      if (c.want === null || c.want === '*') continue;
      assert.equal(cleanPath(c.want), c.want, c.desc);
    }
  });
});

describe('routingPath', () => {
  const cases: Array<{ desc: string; path: string; want: string }> = [
    { desc: 'path without escapes is unchanged', path: '/a/b', want: '/a/b' },
    { desc: 'escaped space is decoded', path: '/foo%20bar', want: '/foo bar' },
    { desc: 'UTF-8 escapes are decoded', path: '/caf%C3%A9', want: '/café' },
    { desc: 'escaped slash stays encoded', path: '/a%2Fb', want: '/a%2Fb' },
    { desc: 'escaped question mark and percent stay encoded', path: '/q%3F%25', want: '/q%3F%25' },
    { desc: 'reserved sub-delims stay encoded', path: '/%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40', want: '/%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A%40' },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(routingPath(c.path), c.want));
  }
});
