import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { VERSION_INFO } from '../../src/server/admin/version.ts';
import { send } from '../support/client.ts';
import { SPAN_KIND, STATUS, type SpanRecord } from '../support/collector.ts';
import { startTracedApi, type ApiOptions } from '../support/tracing.ts';
import { waitFor } from '../support/wait.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

/** A real gateway (router api@file → api-svc@file), its upstream and a real OTLP receiver; `flags` after the tracing ones. */
async function setup(t: TestContext, options: ApiOptions & { flags?: string[] } = {}) {
  const gw = await startTracedApi(t, { ...options, flags: ['--tracing.serviceName=tagway-test', ...(options.flags ?? [])] });
  return { ...gw, url: gw.web };
}

function byName(spans: SpanRecord[], name: string): SpanRecord {
  const found = spans.find((s) => s.name === name);
  assert.ok(found, `span ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return found;
}

/** The spans of one trace, as "parent name > name" edges, for comparing whole trees. */
function edges(spans: SpanRecord[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans.map((s) => `${byId.get(s.parentSpanId)?.name ?? '(root)'} > ${s.name}`).sort();
}

function traceparents(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'traceparent') out.push(raw[i + 1]!);
  return out;
}

describe('span model', () => {
  it('minimal: one SERVER span named after the method and one CLIENT ReverseProxy under it', async (t) => {
    const { collector, url, upstream } = await setup(t);
    const reply = await send(url, '/api/items?id=7&token=abc', { 'user-agent': 'test-agent/1.0', 'content-length': '0' });
    assert.equal(reply.status, 200);
    const spans = await collector.waitForSpans(2);
    assert.deepEqual(edges(spans), ['(root) > GET', 'GET > ReverseProxy']);
    const server = byName(spans, 'GET');
    const client = byName(spans, 'ReverseProxy');
    assert.equal(server.kind, SPAN_KIND.SERVER);
    assert.equal(client.kind, SPAN_KIND.CLIENT);
    assert.equal(server.traceId, client.traceId);
    const port = Number(new URL(url).port);
    assert.deepEqual(server.attributes, {
      entry_point: 'web',
      'http.request.method': 'GET',
      'network.protocol.version': '1.1',
      'url.path': '/api/items',
      'url.query': 'id=REDACTED&token=REDACTED',
      'url.scheme': 'http',
      'server.address': `127.0.0.1:${port}`,
      'client.address': '127.0.0.1',
      'client.port': server.attributes['network.peer.port'],
      'network.peer.address': '127.0.0.1',
      'network.peer.port': server.attributes['client.port'],
      'user_agent.original': 'test-agent/1.0',
      'http.request.body.size': 0,
      'http.response.status_code': 200,
    });
    assert.equal(typeof server.attributes['client.port'], 'number');
    const upPort = upstream.port;
    assert.deepEqual(client.attributes, {
      'http.request.method': 'GET',
      'network.protocol.version': '1.1',
      'url.full': `http://127.0.0.1:${upPort}/api/items?id=REDACTED&token=REDACTED`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': upPort,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': upPort,
      'user_agent.original': 'test-agent/1.0',
      'http.response.status_code': 200,
    });
    assert.equal(server.status.code, STATUS.UNSET);
    assert.equal(server.resource['service.name'], 'tagway-test');
    assert.equal(server.resource['service.version'], VERSION_INFO.Version);
  });

  it('detailed: Router > middlewares > Service > ReverseProxy, nested in that order', async (t) => {
    const { collector, url } = await setup(t, { router: { observability: { traceVerbosity: 'detailed' } }, middlewares: { stripprefix: { stripPrefix: { prefixes: ['/strip'] } }, headers: { headers: { customRequestHeaders: { 'X-Added': 'yes' } } } } });
    await send(url, '/x');
    const spans = await collector.waitForSpans(6);
    assert.deepEqual(edges(spans), ['(root) > GET', 'GET > Router', 'Headers > Service', 'Router > StripPrefix', 'Service > ReverseProxy', 'StripPrefix > Headers']);
    assert.deepEqual(byName(spans, 'Router').attributes, { 'traefik.router.name': 'api@file', 'traefik.service.name': 'api-svc@file', 'http.route': 'PathPrefix(`/`)' });
    assert.deepEqual(byName(spans, 'Service').attributes, { 'traefik.service.name': 'api-svc@file' });
    assert.deepEqual(byName(spans, 'Headers').attributes, { 'traefik.middleware.name': 'headers@file' });
    for (const name of ['Router', 'StripPrefix', 'Headers', 'Service']) assert.equal(byName(spans, name).kind, SPAN_KIND.INTERNAL);
  });

  it('detailed: Router opens at startRequest, Service at the first attempt (the gateway opens neither explicitly)', async (t) => {
    const { collector, url } = await setup(t, { router: { observability: { traceVerbosity: 'detailed' } }, middlewares: { retry: { retry: { attempts: 2 } } } });
    await send(url, '/x');
    const spans = await collector.waitForSpans(5);
    assert.deepEqual(edges(spans), ['(root) > GET', 'GET > Router', 'Retry > Service', 'Router > Retry', 'Service > ReverseProxy']);
  });

  it('entry point verbosity applies when the router leaves it unset', async (t) => {
    const { collector, url } = await setup(t, { flags: ['--entryPoints.web.observability.traceVerbosity=detailed'] });
    await send(url, '/x');
    const spans = await collector.waitForSpans(4);
    assert.deepEqual(edges(spans), ['(root) > GET', 'GET > Router', 'Router > Service', 'Service > ReverseProxy']);
  });

  it('url.full never shows the server URL\'s userinfo and keeps only safe query params', async (t) => {
    const { collector, url, upstream } = await setup(t, { serverUrl: (up) => up.url.replace('http://', 'http://alice:s3cret@'), flags: ['--tracing.safeQueryParams=page'] });
    await send(url, '/list?page=2&page=3&session=xyz');
    const spans = await collector.waitForSpans(2);
    assert.equal(byName(spans, 'GET').attributes['url.query'], 'page=2&page=3&session=REDACTED');
    const full = String(byName(spans, 'ReverseProxy').attributes['url.full']);
    assert.equal(full, `http://127.0.0.1:${upstream.port}/list?page=2&page=3&session=REDACTED`);
    assert.ok(!JSON.stringify(spans).includes('s3cret'));
    // the gateway sends no userinfo at all (Traefik's director drops it; the test harness this replaced sent it as Basic auth)
    assert.equal(upstream.seen[0]!.headers.authorization, undefined);
  });

  it('captures configured headers as string arrays, repeated values kept apart', async (t) => {
    const { collector, url } = await setup(t, { flags: ['--tracing.capturedRequestHeaders=X-Multi,User-Agent,X-Absent', '--tracing.capturedResponseHeaders=X-Multi,Content-Type'] });
    await send(url, '/h', { 'x-multi': ['a', 'b'], 'user-agent': 'ua' });
    const spans = await collector.waitForSpans(2);
    const server = byName(spans, 'GET');
    const client = byName(spans, 'ReverseProxy');
    assert.deepEqual(server.attributes['http.request.header.x-multi'], ['a', 'b']);
    assert.equal(server.attributes['http.request.header.user-agent'], undefined);
    assert.equal('http.request.header.x-absent' in server.attributes, false);
    assert.deepEqual(server.attributes['http.response.header.x-multi'], ['one', 'two']);
    assert.deepEqual(server.attributes['http.response.header.content-type'], ['text/plain']);
    // the forwarded header set is what node joined ("a, b"): the client span shows what went out
    assert.deepEqual(client.attributes['http.request.header.x-multi'], ['a, b']);
    assert.deepEqual(client.attributes['http.response.header.x-multi'], ['one', 'two']);
  });
});

describe('propagation', () => {
  it('continues an incoming trace; the upstream gets exactly one traceparent, from ReverseProxy', async (t) => {
    const { collector, url, upstream } = await setup(t);
    await send(url, '/p', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc', baggage: 'user=42' });
    const spans = await collector.waitForSpans(2);
    const server = byName(spans, 'GET');
    const client = byName(spans, 'ReverseProxy');
    assert.equal(server.traceId, TRACE_ID);
    assert.equal(server.parentSpanId, PARENT_ID);
    const got = upstream.seen[0]!;
    assert.deepEqual(traceparents(got.rawHeaders), [`00-${TRACE_ID}-${client.spanId}-01`]);
    assert.equal(got.headers.tracestate, 'vendor=abc');
    assert.equal(got.headers.baggage, 'user=42');
  });

  it('starts a new trace when none comes in', async (t) => {
    const { collector, url, upstream } = await setup(t);
    await send(url, '/p');
    const spans = await collector.waitForSpans(2);
    const client = byName(spans, 'ReverseProxy');
    assert.equal(byName(spans, 'GET').parentSpanId, '');
    assert.deepEqual(traceparents(upstream.seen[0]!.rawHeaders), [`00-${client.traceId}-${client.spanId}-01`]);
  });

  it('b3multi from OTEL_PROPAGATORS replaces incoming b3 headers, lower-case and once', async (t) => {
    const { collector, url, upstream } = await setup(t, { env: { OTEL_PROPAGATORS: 'b3multi' } });
    await send(url, '/p', { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': PARENT_ID, 'X-B3-Sampled': '1' });
    const spans = await collector.waitForSpans(2);
    const client = byName(spans, 'ReverseProxy');
    assert.equal(client.traceId, TRACE_ID);
    const raw = upstream.seen[0]!.rawHeaders;
    const spanIds = raw.filter((_, i) => i % 2 === 0 && raw[i]!.toLowerCase() === 'x-b3-spanid').length;
    assert.equal(spanIds, 1);
    assert.equal(upstream.seen[0]!.headers['x-b3-spanid'], client.spanId);
    assert.equal(upstream.seen[0]!.headers.traceparent, undefined);
  });

  it('a router with tracing off makes no span and passes trace headers untouched', async (t) => {
    const { collector, url, upstream, tracing } = await setup(t, { router: { observability: { tracing: false } }, flags: ['--entryPoints.web.observability.tracing=true'] });
    const incoming = `00-${TRACE_ID}-${PARENT_ID}-01`;
    await send(url, '/off', { traceparent: incoming });
    await tracing.shutdown(1000);
    assert.equal(collector.spans.length, 0);
    assert.equal(collector.requests, 0);
    assert.deepEqual(traceparents(upstream.seen[0]!.rawHeaders), [incoming]);
  });
});

describe('sampling', () => {
  const cases = [
    { desc: 'rate 1, no parent: sampled', rate: 1, parent: undefined, exported: true },
    { desc: 'rate 0, no parent: not sampled, still propagates -00', rate: 0, parent: undefined, exported: false },
    { desc: 'rate 0, sampled parent: follows the parent', rate: 0, parent: '01', exported: true },
    { desc: 'rate 1, unsampled parent: follows the parent', rate: 1, parent: '00', exported: false },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const { collector, url, upstream, tracing, traces } = await setup(t, { flags: [`--tracing.sampleRate=${c.rate}`] });
      const headers = c.parent ? { traceparent: `00-${TRACE_ID}-${PARENT_ID}-${c.parent}` } : {};
      await send(url, '/s', headers);
      await tracing.shutdown(2000);
      assert.equal(collector.spans.length, c.exported ? 2 : 0);
      const sent = traceparents(upstream.seen[0]!.rawHeaders);
      assert.equal(sent.length, 1);
      const [, traceId, spanId, flags] = sent[0]!.split('-');
      assert.equal(flags, c.exported ? '01' : '00');
      assert.equal(traceId, c.parent ? TRACE_ID : traces[0]!.traceId);
      assert.match(spanId!, /^[0-9a-f]{16}$/);
      assert.notEqual(spanId, c.parent ? PARENT_ID : traces[0]!.spanId, 'the upstream parent is the ReverseProxy span, not the server span');
      if (c.exported) assert.equal(byName(collector.spans, 'ReverseProxy').spanId, spanId);
    });
  }
});

describe('errors', () => {
  const cases = [
    { desc: 'upstream 500: both spans Error', path: '/status/500', status: 500, server: STATUS.ERROR, client: STATUS.ERROR },
    { desc: 'upstream 404: client span Error, server span not', path: '/status/404', status: 404, server: STATUS.UNSET, client: STATUS.ERROR },
    { desc: 'upstream 302: neither', path: '/status/302', status: 302, server: STATUS.UNSET, client: STATUS.UNSET },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const { collector, url } = await setup(t);
      assert.equal((await send(url, c.path)).status, c.status);
      const spans = await collector.waitForSpans(2);
      assert.equal(byName(spans, 'GET').status.code, c.server);
      assert.equal(byName(spans, 'ReverseProxy').status.code, c.client);
      assert.equal(byName(spans, 'GET').attributes['http.response.status_code'], c.status);
    });
  }

  it('connection refused: 502, client span Error with the recorded exception', async (t) => {
    const { collector: c2, url: u2 } = await setupRefused(t);
    assert.equal((await send(u2, '/r')).status, 502);
    const spans = await c2.waitForSpans(2);
    const client = byName(spans, 'ReverseProxy');
    assert.equal(client.status.code, STATUS.ERROR);
    assert.match(client.status.message, /ECONNREFUSED/);
    assert.equal(client.attributes['http.response.status_code'], 502);
    assert.equal(client.attributes['error.type'], 'TAGWAY_UPSTREAM_REFUSED');
    assert.equal(client.events[0]?.name, 'exception');
    assert.equal(byName(spans, 'GET').status.code, STATUS.ERROR);
  });

  it('upstream timeout: 504 on both spans', async (t) => {
    const { collector, url } = await setup(t, { flags: ['--serversTransport.forwardingTimeouts.responseHeaderTimeout=50ms'] });
    assert.equal((await send(url, '/hang')).status, 504);
    const spans = await collector.waitForSpans(2);
    assert.equal(byName(spans, 'ReverseProxy').attributes['http.response.status_code'], 504);
    assert.equal(byName(spans, 'ReverseProxy').attributes['error.type'], 'TAGWAY_UPSTREAM_TIMEOUT');
    assert.equal(byName(spans, 'GET').attributes['http.response.status_code'], 504);
    assert.equal(byName(spans, 'GET').status.code, STATUS.ERROR);
  });

  it('client gone before the answer: server span 499', async (t) => {
    const { collector, url, upstream } = await setup(t);
    const { request } = await import('node:http');
    const req = request(url + '/hang', { agent: false });
    req.on('error', () => {});
    req.end();
    await waitFor('the request to reach the upstream', () => upstream.seen.length > 0);
    req.destroy();
    const spans = await collector.waitForSpans(2);
    assert.equal(byName(spans, 'GET').attributes['http.response.status_code'], 499);
    assert.equal(byName(spans, 'GET').status.code, STATUS.UNSET);
    assert.equal(byName(spans, 'ReverseProxy').attributes['http.response.status_code'], 499);
  });

  it('a refusing middleware (ipAllowList) marks the server span Error with its reason', async (t) => {
    const { collector, url } = await setup(t, { router: { observability: { traceVerbosity: 'detailed' } }, middlewares: { allow: { ipAllowList: { sourceRange: ['192.0.2.0/24'] } } } });
    assert.equal((await send(url, '/refuse')).status, 403);
    const spans = await collector.waitForSpans(3);
    const server = byName(spans, 'GET');
    assert.deepEqual(server.status, { code: STATUS.ERROR, message: 'Rejecting IP 127.0.0.1: "127.0.0.1" matched none of the trusted IPs' });
    assert.equal(server.attributes['http.response.status_code'], 403);
    // the middleware's own step span is there too, ended in error with the same reason; no Service, no ReverseProxy
    assert.deepEqual(edges(spans), ['(root) > GET', 'GET > Router', 'Router > IPAllowLister']);
    assert.equal(byName(spans, 'IPAllowLister').status.code, STATUS.ERROR);
  });
});

async function setupRefused(t: TestContext): ReturnType<typeof setup> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return setup(t, { serverUrl: () => `http://127.0.0.1:${port}` });
}
