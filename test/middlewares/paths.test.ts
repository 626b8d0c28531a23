import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { runCase, type Case } from '../support/terminal.ts';

function build(def: Middleware): BuiltMiddleware {
  const built = buildMiddleware('m@test', def, () => new Error('no references in this test'));
  if (built instanceof Error) throw built;
  return built;
}

const tables: Record<string, Array<Case & { def: Middleware }>> = {
  stripPrefix: [
    { desc: 'strips the first matching prefix and records it', def: { stripPrefix: { prefixes: ['/foo', '/bar'] } },
      request: { target: '/bar/baz' }, path: '/baz', strippedPrefix: '/bar' },
    { desc: 'leaves a path without a matching prefix alone', def: { stripPrefix: { prefixes: ['/foo'] } },
      request: { target: '/other' }, path: '/other', strippedPrefix: null },
    { desc: 'stripping the whole path leaves "/"', def: { stripPrefix: { prefixes: ['/foo'] } },
      request: { target: '/foo' }, path: '/', strippedPrefix: '/foo' },
    { desc: 'matches as a plain string prefix (/foo strips /foobar to /bar)', def: { stripPrefix: { prefixes: ['/foo'] } },
      request: { target: '/foobar' }, path: '/bar', strippedPrefix: '/foo' },
    { desc: 'keeps the query', def: { stripPrefix: { prefixes: ['/api'] } },
      request: { target: '/api/users?page=2' }, path: '/users', rawQuery: 'page=2' },
    { desc: 'forceSlash: true gives the same upstream path', def: { stripPrefix: { prefixes: ['/foo/'], forceSlash: true } },
      request: { target: '/foo/' }, path: '/', strippedPrefix: '/foo/' },
  ],
  stripPrefixRegex: [
    { desc: 'strips the regex match at the start of the path', def: { stripPrefixRegex: { regex: ['/a/[0-9]+/'] } },
      request: { target: '/a/12/b' }, path: '/b', strippedPrefix: '/a/12/' },
    { desc: 'a match that is not a prefix is ignored', def: { stripPrefixRegex: { regex: ['b/'] } },
      request: { target: '/a/b/c' }, path: '/a/b/c', strippedPrefix: null },
    { desc: 'the first expression that matches wins', def: { stripPrefixRegex: { regex: ['/x', '/api/v[0-9]+'] } },
      request: { target: '/api/v2/users' }, path: '/users', strippedPrefix: '/api/v2' },
    { desc: 'no match leaves the path alone', def: { stripPrefixRegex: { regex: ['/nope'] } },
      request: { target: '/api' }, path: '/api', strippedPrefix: null },
  ],
  addPrefix: [
    { desc: 'prepends the prefix', def: { addPrefix: { prefix: '/v1' } }, request: { target: '/users?x=1' }, path: '/v1/users', rawQuery: 'x=1' },
    { desc: 'adds a missing leading slash', def: { addPrefix: { prefix: 'v1' } }, request: { target: '/users' }, path: '/v1/users' },
  ],
  replacePath: [
    { desc: 'replaces the path, keeps the query, sends the original in X-Replaced-Path', def: { replacePath: { path: '/health' } },
      request: { target: '/anything/else?x=1' }, path: '/health', rawQuery: 'x=1', upstreamHeaders: { 'x-replaced-path': '/anything/else' } },
  ],
  replacePathRegex: [
    { desc: 'rewrites with a numbered group', def: { replacePathRegex: { regex: '^/foo/(.*)', replacement: '/bar/$1' } },
      request: { target: '/foo/x/y' }, path: '/bar/x/y', upstreamHeaders: { 'x-replaced-path': '/foo/x/y' } },
    { desc: 'rewrites with a Go named group and ${name}', def: { replacePathRegex: { regex: '^/u/(?P<id>[0-9]+)$', replacement: '/users/${id}/profile' } },
      request: { target: '/u/42' }, path: '/users/42/profile' },
    { desc: '$$ is a literal dollar and ${1}x is group 1 then x', def: { replacePathRegex: { regex: '^/(a)', replacement: '/$$${1}x' } },
      request: { target: '/a' }, path: '/$ax' },
    { desc: 'replaces every match', def: { replacePathRegex: { regex: 'o', replacement: '0' } },
      request: { target: '/foo/boo' }, path: '/f00/b00' },
    { desc: 'no match: path and headers untouched', def: { replacePathRegex: { regex: '^/foo', replacement: '/bar' } },
      request: { target: '/baz' }, path: '/baz', upstreamHeaders: { 'x-replaced-path': undefined } },
    { desc: '(?i) makes the match case-insensitive', def: { replacePathRegex: { regex: '(?i)^/API/(.*)', replacement: '/$1' } },
      request: { target: '/api/x' }, path: '/x' },
  ],
};

for (const [type, cases] of Object.entries(tables)) {
  describe(type, () => {
    for (const c of cases) test(c.desc, async (t) => { await runCase(t, (next) => build(c.def).wrap(next), c); });
  });
}

describe('path middlewares: build errors name the option', () => {
  const bad: Array<{ desc: string; def: Middleware; option: string }> = [
    { desc: 'addPrefix without prefix', def: { addPrefix: {} }, option: 'addPrefix.prefix' },
    { desc: 'stripPrefixRegex with an invalid regex', def: { stripPrefixRegex: { regex: ['/ok', '(unclosed'] } }, option: 'stripPrefixRegex.regex[1]' },
    { desc: 'replacePathRegex without regex', def: { replacePathRegex: { replacement: '/x' } }, option: 'replacePathRegex.regex' },
    { desc: 'replacePathRegex with a lookahead (not RE2)', def: { replacePathRegex: { regex: 'a(?=b)', replacement: '' } }, option: 'replacePathRegex.regex' },
  ];
  for (const c of bad) {
    test(c.desc, () => {
      const built = buildMiddleware('m@test', c.def, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.equal((built as Error & { code: string }).code, 'TAGWAY_MIDDLEWARE_CONFIG');
      assert.match(built.message, new RegExp('^' + c.option.replace(/[[\].]/g, '\\$&') + ':'));
    });
  }
});
