import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyError } from '../../src/http/errors.ts';
import { statusForError, toProxyError } from '../../src/proxy/errors.ts';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('statusForError', () => {
  const cases: Array<{ desc: string; err: unknown; status: number; code: string }> = [
    { desc: 'connection refused → 502', err: coded('ECONNREFUSED'), status: 502, code: 'TAGWAY_UPSTREAM_REFUSED' },
    { desc: 'connection reset → 502', err: coded('ECONNRESET'), status: 502, code: 'TAGWAY_UPSTREAM_RESET' },
    { desc: 'undici "other side closed" (EOF) → 502', err: coded('UND_ERR_SOCKET'), status: 502, code: 'TAGWAY_UPSTREAM_RESET' },
    { desc: 'unknown host → 502', err: coded('ENOTFOUND'), status: 502, code: 'TAGWAY_UPSTREAM_ERROR' },
    { desc: 'malformed response → 502', err: coded('HPE_INVALID_CONSTANT'), status: 502, code: 'TAGWAY_UPSTREAM_ERROR' },
    { desc: 'response head timeout → 504', err: coded('UND_ERR_HEADERS_TIMEOUT'), status: 504, code: 'TAGWAY_UPSTREAM_TIMEOUT' },
    { desc: 'dial timeout → 504', err: coded('UND_ERR_CONNECT_TIMEOUT'), status: 504, code: 'TAGWAY_UPSTREAM_TIMEOUT' },
    { desc: 'OS timeout → 504', err: coded('ETIMEDOUT'), status: 504, code: 'TAGWAY_UPSTREAM_TIMEOUT' },
    { desc: 'abort (client gone) → 499', err: coded('UND_ERR_ABORTED'), status: 499, code: 'TAGWAY_CLIENT_GONE' },
    { desc: 'AbortError by name → 499', err: Object.assign(new Error('x'), { name: 'AbortError' }), status: 499, code: 'TAGWAY_CLIENT_GONE' },
    { desc: 'cause chain is followed', err: new Error('wrapped', { cause: coded('ECONNREFUSED') }), status: 502, code: 'TAGWAY_UPSTREAM_REFUSED' },
    { desc: 'a ProxyError keeps its status', err: new ProxyError('TAGWAY_NO_SERVER', 503, 'x'), status: 503, code: 'TAGWAY_NO_SERVER' },
    { desc: 'anything else → 500', err: new Error('bug'), status: 500, code: 'TAGWAY_UPSTREAM_ERROR' },
    { desc: 'a non-error → 500', err: 'nope', status: 500, code: 'TAGWAY_UPSTREAM_ERROR' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(statusForError(c.err), c.status);
      const p = toProxyError(c.err);
      assert.equal(p.code, c.code);
      assert.equal(p.status, c.status);
      if (!(c.err instanceof ProxyError)) assert.equal(p.cause, c.err);
    });
  }
});
