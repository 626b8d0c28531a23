import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPath, normalizedPath } from '../../src/http/path.ts';
import { pathPolicy, type EncodedCharacters } from '../../src/http/sanitize.ts';

describe('canonicalPath: what an upstream that decodes once acts on', () => {
  const cases = [
    { desc: 'a plain path is itself', path: '/admin/x', want: '/admin/x' },
    { desc: 'an encoded slash is a slash', path: '/%2Fadmin', want: '/admin' },
    { desc: 'an encoded backslash is a slash', path: '/%5Cadmin', want: '/admin' },
    { desc: 'a raw backslash is a slash', path: '/\\admin', want: '/admin' },
    { desc: 'encoded dot segments are resolved', path: '/x/..%2Fadmin', want: '/admin' },
    { desc: 'a trailing slash is kept', path: '/a%2F', want: '/a/' },
    { desc: 'decoding happens once: %25 stays an escaped percent', path: '/a%252F', want: '/a%252F' },
    { desc: 'non-ASCII escapes decode as UTF-8', path: '/caf%C3%A9', want: '/café' },
    { desc: 'an encoded question mark is a character of the path', path: '/a%3Fb', want: '/a?b' },
    { desc: 'dot segments and repeated slashes (sanitizePath off)', path: '/a//b/../c', want: '/a/c' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(canonicalPath(c.path), c.want));
});

describe('normalizedPath (sanitizePath off)', () => {
  it('normalizes escapes and keeps dot segments and repeated slashes', () => {
    assert.equal(normalizedPath('/a//b/../%7e%2f'), '/a//b/../~%2F');
    assert.equal(normalizedPath('/bad%zz'), null);
  });
});

describe('pathPolicy', () => {
  const all: EncodedCharacters = {
    allowEncodedSlash: true, allowEncodedBackSlash: true, allowEncodedNullCharacter: true, allowEncodedSemicolon: true,
    allowEncodedPercent: true, allowEncodedQuestionMark: true, allowEncodedHash: true,
  };
  it('denies nothing by default (Traefik v3.6.7 on)', () => assert.equal(pathPolicy(true, all).denied, undefined));
  it('denies the escape of each character set to false', () => {
    const none = Object.fromEntries(Object.keys(all).map((k) => [k, false])) as unknown as EncodedCharacters;
    assert.deepEqual([...pathPolicy(true, none).denied!].sort(), ['%00', '%23', '%25', '%2F', '%3B', '%3F', '%5C']);
  });
});
