import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createPropagator, PropagatorConfigError } from '../../src/observability/propagation.ts';
import { headerNames, redactQuery, redactUrl } from '../../src/observability/redact.ts';
import { buildResource, parseResourceAttributes } from '../../src/observability/resource.ts';

describe('redactQuery', () => {
  const cases = [
    { desc: 'empty query stays empty', raw: '', safe: [], want: '' },
    { desc: 'every value redacted, keys sorted', raw: 'z=1&token=abc&a=2', safe: [], want: 'a=REDACTED&token=REDACTED&z=REDACTED' },
    { desc: 'safe keys keep all their values in order', raw: 'page=2&page=3&secret=x', safe: ['page'], want: 'page=2&page=3&secret=REDACTED' },
    { desc: 'a repeated unsafe key collapses to one REDACTED', raw: 'k=1&k=2', safe: [], want: 'k=REDACTED' },
    { desc: 'keys are decoded and re-encoded', raw: 'a%20b=1&c=d+e', safe: ['c'], want: 'a+b=REDACTED&c=d+e' },
    { desc: 'a key without value is still listed', raw: 'flag', safe: [], want: 'flag=REDACTED' },
    { desc: "escaped as Go's QueryEscape: '~' kept, '*' and '!' escaped", raw: 'a*b=1&t~=2&x=a!b', safe: ['x'], want: 'a%2Ab=REDACTED&t~=REDACTED&x=a%21b' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(redactQuery(c.raw, new Set(c.safe)), c.want));
  it('the fast path (no safe keys, plain characters) agrees with the general one', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._~-]{0,4}(=[A-Za-z0-9._~-]{0,4})?$/);
    fc.assert(fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
      const raw = parts.join('&');
      assert.equal(redactQuery(raw, new Set()), redactQuery(raw, new Set(['\u0000not-a-key'])));
    }));
  });
});

describe('redactUrl', () => {
  const cases = [
    { desc: 'plain URL untouched', server: 'http://127.0.0.1:8080', path: '/a/b', want: 'http://127.0.0.1:8080/a/b' },
    { desc: 'userinfo of the server URL never shown', server: 'http://alice:s3cret@127.0.0.1:8080', path: '/x', want: 'http://127.0.0.1:8080/x' },
    { desc: 'IPv6 host kept in brackets, server path replaced by the path as sent', server: 'https://:s3cret@[::1]:8443/base', path: '/base/x', want: 'https://[::1]:8443/base/x' },
    { desc: 'default port left out, as the URL has it', server: 'http://127.0.0.1:80', path: '/', want: 'http://127.0.0.1/' },
    { desc: 'query redacted except safe', server: 'http://127.0.0.1', path: '/x?q=hi&key=k', want: 'http://127.0.0.1/x?key=REDACTED&q=hi' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(redactUrl(new URL(c.server).origin, c.path, new Set(['q'])), c.want));
});

describe('headerNames', () => {
  it('lower-cases, dedupes and skips user-agent (it has its own attribute)', () => {
    assert.deepEqual(headerNames(['X-Request-Id', 'x-request-id', 'User-Agent', 'Accept']), ['x-request-id', 'accept']);
  });
});

describe('createPropagator', () => {
  const cases = [
    { desc: 'default is tracecontext + baggage', env: {}, want: ['traceparent', 'tracestate', 'baggage'] },
    { desc: 'b3 single header', env: { OTEL_PROPAGATORS: 'b3' }, want: ['b3'] },
    { desc: 'b3multi and tracecontext', env: { OTEL_PROPAGATORS: ' b3multi , tracecontext' }, want: ['x-b3-traceid', 'x-b3-spanid', 'x-b3-flags', 'x-b3-sampled', 'x-b3-parentspanid', 'traceparent', 'tracestate'] },
    { desc: 'none disables propagation', env: { OTEL_PROPAGATORS: 'none' }, want: [] },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.deepEqual(createPropagator(c.env).fields().map((f) => f.toLowerCase()).sort(), [...c.want].sort()));
  }
  it('refuses an unknown propagator, naming it', () => {
    assert.throws(() => createPropagator({ OTEL_PROPAGATORS: 'tracecontext,jaeger' }), (e: unknown) => e instanceof PropagatorConfigError && e.code === 'TAGWAY_TRACING_PROPAGATORS' && /"jaeger"/.test(e.message));
  });
});

describe('resource', () => {
  it('parses OTEL_RESOURCE_ATTRIBUTES, percent-decoding values and skipping malformed entries', () => {
    assert.deepEqual(parseResourceAttributes('a=1, b = two%20words ,bad,=x,c=%zz,d=ok'), { a: '1', b: 'two words', d: 'ok' });
  });
  const cases = [
    { desc: 'config names the service', env: {}, want: { 'service.name': 'edge', 'deployment.environment': 'prod', team: 'x' } },
    { desc: 'OTEL_RESOURCE_ATTRIBUTES wins over resourceAttributes', env: { OTEL_RESOURCE_ATTRIBUTES: 'team=y' }, want: { 'service.name': 'edge', 'deployment.environment': 'prod', team: 'y' } },
    { desc: 'OTEL_SERVICE_NAME wins over everything', env: { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr' }, want: { 'service.name': 'from-env', 'deployment.environment': 'prod', team: 'x' } },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const attrs = buildResource({ serviceName: 'edge', resourceAttributes: { 'deployment.environment': 'prod', team: 'x' } }, '1.2.3', c.env).attributes;
      for (const [k, v] of Object.entries(c.want)) assert.equal(attrs[k], v, k);
      assert.equal(attrs['service.version'], '1.2.3');
      assert.equal(typeof attrs['host.name'], 'string');
      assert.equal(attrs['process.pid'], process.pid);
    });
  }
});
