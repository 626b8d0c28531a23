import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RequestContext } from '../../../src/http/context.ts';
import { startUpstream } from '../../support/upstream.ts';
import { SPAN_KIND, STATUS, rawValues, service, startTraced, traceWhere, type DynamicHttp } from '../../support/tracing.ts';
import { waitFor } from '../../support/wait.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Answers 200 with a repeated response header, after reading the body. */
function multiHeader(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain', 'x-multi': ['one', 'two'] }); res.end('ok'); });
}

/** POST with a body and a header sent twice (rawHeaders form), the way a client can and fetch cannot. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST', agent: false,
      headers: [['host', new URL(url).host], ['user-agent', 'probe/1.0'], ['x-multi', 'a'], ['x-multi', 'b'], ['content-type', 'text/plain'], ['content-length', String(Buffer.byteLength(body))]].flat() as unknown as Record<string, string>,
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(body);
  });
}

const CAPTURE = ['--tracing.capturedRequestHeaders=X-Multi', '--tracing.capturedResponseHeaders=X-Multi', '--tracing.safeQueryParams=page'];
const TARGET = '/api/items?token=s3cr3t&page=2&b=1&page=3';

describe('span tree and attributes through the running gateway', () => {
  const cases: Array<{ desc: string; router: Record<string, unknown>; flags: string[]; shape: string[] }> = [
    {
      desc: 'minimal (default): SERVER span named after the method, one ReverseProxy CLIENT span under it',
      router: {}, flags: [],
      shape: ['POST', '  ReverseProxy'],
    },
    {
      desc: 'detailed from the entry point (observability.traceVerbosity): Router → one span per middleware → Service → ReverseProxy',
      router: {}, flags: ['--entryPoints.web.observability.traceVerbosity=detailed'],
      shape: ['POST', '  Router', '    StripPrefix', '      Headers', '        Service', '          ReverseProxy'],
    },
    {
      desc: 'detailed from the router (observability.traceVerbosity=detailed) on a minimal entry point',
      router: { observability: { traceVerbosity: 'detailed' } }, flags: [],
      shape: ['POST', '  Router', '    StripPrefix', '      Headers', '        Service', '          ReverseProxy'],
    },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const up = await startUpstream(t, 'items', multiHeader);
      const http: DynamicHttp = {
        routers: { items: { rule: 'PathPrefix(`/api`)', service: 'items', middlewares: ['strip', 'hdr'], entryPoints: ['web'], ...c.router } },
        // userinfo in the server URL: it must never reach a span
        services: { items: service(`http://user:hunter2@127.0.0.1:${up.port}`) },
        middlewares: { strip: { stripPrefix: { prefixes: ['/api'] } }, hdr: { headers: { customRequestHeaders: { 'X-Added': 'yes' } } } },
      };
      const gw = await startTraced(t, http, { flags: [...CAPTURE, ...c.flags] });
      const webPort = Number(new URL(gw.web).port);
      assert.equal(await post(gw.web + TARGET, 'hello'), 200);
      const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, c.shape.length);
      assert.deepEqual(trace.shape(), c.shape, trace.describe());
      assert.equal(trace.spans.length, c.shape.length, 'no other span in the trace');

      const server = trace.one('POST');
      assert.equal(server.kind, SPAN_KIND.SERVER);
      assert.equal(server.parentSpanId, '', 'a root span (no incoming traceparent)');
      assert.equal(server.status.code, STATUS.UNSET);
      const clientPort = server.attributes['client.port'];
      assert.equal(typeof clientPort, 'number');
      assert.deepEqual(server.attributes, {
        entry_point: 'web',
        'http.request.method': 'POST',
        'network.protocol.version': '1.1',
        'url.path': '/api/items',
        'url.query': 'b=REDACTED&page=2&page=3&token=REDACTED', // keys sorted, only safeQueryParams kept
        'url.scheme': 'http',
        'server.address': `127.0.0.1:${webPort}`, // the Host header, as Traefik's ServerAddress(req.Host)
        'client.address': '127.0.0.1',
        'client.port': clientPort,
        'network.peer.address': '127.0.0.1',
        'network.peer.port': clientPort,
        'user_agent.original': 'probe/1.0',
        'http.request.body.size': 5,
        'http.request.header.x-multi': ['a', 'b'],
        'http.response.status_code': 200,
        'http.response.header.x-multi': ['one', 'two'],
      });
      assert.equal(server.resource['service.name'], 'tagway');

      const client = trace.one('ReverseProxy');
      assert.equal(client.kind, SPAN_KIND.CLIENT);
      assert.equal(client.status.code, STATUS.UNSET);
      const detailed = c.shape.length > 2;
      assert.equal(client.parentSpanId, detailed ? trace.one('Service').spanId : server.spanId);
      assert.deepEqual(client.attributes, {
        'http.request.method': 'POST',
        'network.protocol.version': '1.1',
        'url.full': `http://127.0.0.1:${up.port}/items?b=REDACTED&page=2&page=3&token=REDACTED`,
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
        'server.port': up.port,
        'network.peer.address': '127.0.0.1',
        'network.peer.port': up.port,
        'user_agent.original': 'probe/1.0',
        // what went on the wire to the upstream: the forwarder folds a repeated request header into one line
        'http.request.header.x-multi': rawValues(up.seen[0]!.rawHeaders, 'x-multi'),
        'http.response.status_code': 200,
        'http.response.header.x-multi': ['one', 'two'],
      });
      assert.deepEqual(rawValues(up.seen[0]!.rawHeaders, 'x-multi'), ['a, b']);
      assert.ok(!JSON.stringify(trace.spans).includes('hunter2'), 'server URL credentials never on a span');
      // the upstream got the stripped path and the middleware's header: the spans describe a real exchange
      assert.equal(up.seen[0]?.url, '/items?token=s3cr3t&page=2&b=1&page=3');
      assert.equal(up.seen[0]?.headers['x-added'], 'yes');

      if (!detailed) return;
      const router = trace.one('Router');
      const routerName = Object.keys(gw.gateway.state().routers).find((n) => n.endsWith('items@file'))!;
      assert.deepEqual(router.attributes, { 'traefik.router.name': routerName, 'traefik.service.name': 'items@file', 'http.route': 'PathPrefix(`/api`)' });
      assert.deepEqual(trace.one('StripPrefix').attributes, { 'traefik.middleware.name': 'strip@file' });
      assert.deepEqual(trace.one('Headers').attributes, { 'traefik.middleware.name': 'hdr@file' });
      assert.deepEqual(trace.one('Service').attributes, { 'traefik.service.name': 'items@file' });
      for (const name of ['Router', 'StripPrefix', 'Headers', 'Service']) {
        assert.equal(trace.one(name).kind, SPAN_KIND.INTERNAL, name);
        assert.equal(trace.one(name).status.code, STATUS.UNSET, name);
      }
    });
  }

  it('retry: one ReverseProxy attempt span each, http.request.resend_count on the resends', async (t) => {
    let n = 0;
    // the first two connections are cut before any answer: the forwarder reports a failed attempt, retry re-sends
    const up = await startUpstream(t, 'flaky', (req, res) => {
      n += 1;
      if (n <= 2) { req.socket.destroy(); return; }
      multiHeader(req, res);
    });
    const gw = await startTraced(t, {
      routers: { flaky: { rule: 'PathPrefix(`/`)', service: 'flaky', middlewares: ['again'], entryPoints: ['web'], observability: { traceVerbosity: 'detailed' } } },
      services: { flaky: service(`http://127.0.0.1:${up.port}`) },
      middlewares: { again: { retry: { attempts: 3, initialInterval: '1ms' } } },
    });
    const res = await fetch(`${gw.web}/x`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(up.seen.length, 3);
    const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, 7);
    const attempts = trace.all('ReverseProxy').sort((a, b) => Number(a.attributes['http.request.resend_count'] ?? 0) - Number(b.attributes['http.request.resend_count'] ?? 0));
    assert.equal(attempts.length, 3, trace.describe());
    assert.deepEqual(attempts.map((a) => a.attributes['http.request.resend_count']), [undefined, 1, 2]);
    assert.deepEqual(attempts.map((a) => a.status.code), [STATUS.ERROR, STATUS.ERROR, STATUS.UNSET]);
    assert.deepEqual(attempts.map((a) => a.attributes['http.response.status_code']), [502, 502, 200]);
    const retry = trace.one('Retry');
    assert.deepEqual(retry.attributes, { 'traefik.middleware.name': 'again@file' });
    const serviceSpans = trace.all('Service');
    for (const a of attempts) assert.ok(serviceSpans.some((s) => s.spanId === a.parentSpanId), 'each attempt under a Service span');
    assert.equal(trace.one('GET').status.code, STATUS.UNSET, 'the request succeeded in the end');
  });
});

describe('what a traced request leaves behind', () => {
  it('nothing of the request: the dashboard ring and the export queue keep its spans, not its context, headers or sockets', async (t) => {
    const up = await startUpstream(t, 'plain');
    const contexts: Array<WeakRef<RequestContext>> = [];
    // the common shape (minimal verbosity, nothing captured): the request is recorded as a compact trace, whose
    // attempts point back at the request's spans while it runs
    const gw = await startTraced(t, {
      routers: { plain: { rule: 'PathPrefix(`/`)', service: 'plain', entryPoints: ['web'] } },
      services: { plain: service(`http://127.0.0.1:${up.port}`) },
    }, { observers: [{ onRequest(ctx) { contexts.push(new WeakRef(ctx)); } }] });
    for (let i = 0; i < 8; i++) assert.equal(await post(`${gw.web}/r${i}`, 'x'.repeat(64)), 200);
    await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER && s.attributes['url.path'] === '/r7', 2);
    assert.equal(gw.gateway.tracing!.recent().length, 8, 'the ring lists the requests');
    assert.equal(contexts.length, 8);
    // the connections close after each answer (agent: false); a full collection then frees every context
    await waitFor('every request context collected', () => { gc(); return contexts.every((r) => r.deref() === undefined); }, { timeoutMs: 5000 });
    assert.equal(gw.gateway.tracing!.recent()[0]!.path, '/r7', 'the ring still lists them');
  });
});
