import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { runCase, type Case } from '../support/terminal.ts';

function build(def: Middleware): BuiltMiddleware {
  const built = buildMiddleware('redir@test', def, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}

const https: Middleware = { redirectScheme: { scheme: 'https' } };

const tables: Record<string, Array<Case & { def: Middleware }>> = {
  redirectScheme: [
    { desc: 'GET is redirected with 302 and the status text as body', def: https,
      request: { target: '/a?b=1', headers: { host: 'site.test' } }, status: 302, body: 'Found',
      responseHeaders: { location: 'https://site.test/a?b=1' } },
    { desc: 'permanent: GET gets 301', def: { redirectScheme: { scheme: 'https', permanent: true } },
      request: { headers: { host: 'site.test' } }, status: 301, responseHeaders: { location: 'https://site.test/' } },
    { desc: 'a POST gets 307 so the method and body are replayed', def: https,
      request: { method: 'POST', headers: { host: 'site.test' } }, status: 307 },
    { desc: 'permanent POST gets 308', def: { redirectScheme: { scheme: 'https', permanent: true } },
      request: { method: 'POST', headers: { host: 'site.test' } }, status: 308 },
    { desc: 'the client port is dropped when no port is configured', def: https,
      request: { target: '/x', headers: { host: 'site.test:8000' } }, status: 302, responseHeaders: { location: 'https://site.test/x' } },
    { desc: 'a configured port is used', def: { redirectScheme: { scheme: 'https', port: '8443' } },
      request: { target: '/x', headers: { host: 'site.test:8000' } }, status: 302, responseHeaders: { location: 'https://site.test:8443/x' } },
    { desc: 'the default port of the target scheme is omitted', def: { redirectScheme: { scheme: 'https', port: '443' } },
      request: { headers: { host: 'site.test' } }, status: 302, responseHeaders: { location: 'https://site.test/' } },
    { desc: 'X-Forwarded-Proto: https means the client is already on https: pass through', def: https,
      request: { headers: { host: 'site.test', 'x-forwarded-proto': 'https' } } },
    { desc: 'X-Forwarded-Proto: wss counts as https', def: https,
      request: { headers: { host: 'site.test', 'x-forwarded-proto': 'wss' } } },
    { desc: 'an https entry point passes through', def: https, serve: { scheme: 'https' }, request: { headers: { host: 'site.test' } } },
    { desc: 'https on a non-default port is still redirected to the bare host', def: https, serve: { scheme: 'https' },
      request: { target: '/p', headers: { host: 'site.test:8443' } }, status: 302, responseHeaders: { location: 'https://site.test/p' } },
    { desc: 'to http: an http request on port 80 passes through', def: { redirectScheme: { scheme: 'http', port: '80' } },
      request: { headers: { host: 'site.test:80' } } },
    { desc: 'an absolute-form target gives scheme, host and port', def: https,
      request: { target: 'http://abs.test:8080/z', headers: { host: 'ignored.test' } }, status: 302,
      responseHeaders: { location: 'https://abs.test/z' } },
  ],
  redirectRegex: [
    { desc: 'redirects with the expanded replacement', def: { redirectRegex: { regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}' } },
      request: { target: '/foo?x=1', headers: { host: 'localhost' } }, status: 302, responseHeaders: { location: 'http://mydomain/foo?x=1' } },
    { desc: 'the host keeps its port in the matched URL', def: { redirectRegex: { regex: '^http://([^/:]+):8000/(.*)', replacement: 'https://$1/$2', permanent: true } },
      request: { target: '/a', headers: { host: 'h.test:8000' } }, status: 301, responseHeaders: { location: 'https://h.test/a' } },
    { desc: 'no match passes through', def: { redirectRegex: { regex: '^https://', replacement: 'http://x/' } },
      request: { headers: { host: 'h.test' } } },
    { desc: 'a replacement equal to the URL passes through', def: { redirectRegex: { regex: '^(.*)$', replacement: '$1' } },
      request: { headers: { host: 'h.test' } } },
    { desc: 'the scheme is https on a TLS entry point (X-Forwarded-Proto is not read)', def: { redirectRegex: { regex: '^https://(.*)', replacement: 'http://$1' } },
      serve: { scheme: 'https' }, request: { target: '/s', headers: { host: 'h.test', 'x-forwarded-proto': 'http' } }, status: 302,
      responseHeaders: { location: 'http://h.test/s' } },
    { desc: 'a PUT gets 307', def: { redirectRegex: { regex: '.*', replacement: 'http://elsewhere/' } },
      request: { method: 'PUT', headers: { host: 'h.test' } }, status: 307, responseHeaders: { location: 'http://elsewhere/' } },
  ],
};

for (const [type, cases] of Object.entries(tables)) {
  describe(type, () => {
    for (const c of cases) test(c.desc, async (t) => { await runCase(t, (next) => build(c.def).wrap(next), c); });
  });
}

describe('redirect build errors', () => {
  const bad: Array<{ desc: string; def: Middleware; message: RegExp }> = [
    { desc: 'redirectScheme needs a scheme', def: { redirectScheme: { port: '443' } }, message: /^redirectScheme\.scheme: you must provide a target scheme/ },
    { desc: 'redirectScheme port must be numeric', def: { redirectScheme: { scheme: 'https', port: 'x' } }, message: /^redirectScheme\.port:/ },
    { desc: 'redirectRegex needs a valid regex', def: { redirectRegex: { regex: '(', replacement: '' } }, message: /^redirectRegex\.regex:/ },
  ];
  for (const c of bad) {
    test(c.desc, () => {
      const built = buildMiddleware('r@test', c.def, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});
