import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, request } from '../support/upstream.ts';
import { startCollector } from '../support/collector.ts';
import { startTestGateway } from '../support/gateway.ts';
import { serviceWithUpstream } from '../support/operate.ts';
import { SPAN_KIND, rawValues, service, startTraced, tracingFlags, type SpanRecord } from '../support/tracing.ts';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TRACESTATE = 'vendor=opaque,other=1';
const BAGGAGE = 'user=alice,tenant=t1';
const INCOMING = { traceparent: TRACEPARENT, tracestate: TRACESTATE, baggage: BAGGAGE };

/** Server spans the collector holds for a path (after the gateway closed, so every span is flushed). */
function serverSpans(spans: SpanRecord[], path: string): SpanRecord[] {
  return spans.filter((s) => s.kind === SPAN_KIND.SERVER && s.attributes['url.path'] === path);
}

describe('who is traced: the merged decision, through the running gateway', () => {
  const cases: Array<{ desc: string; tracing?: boolean; flags?: string[]; router?: Record<string, unknown>; traced: boolean }> = [
    { desc: 'entry point default, router unset: traced', router: {}, traced: true },
    { desc: 'router observability.tracing=false on a tracing entry point: no span', router: { observability: { tracing: false } }, traced: false },
    { desc: 'entry point observability.tracing=false, router unset: no span', flags: ['--entryPoints.web.observability.tracing=false'], router: {}, traced: false },
    { desc: 'entry point observability.tracing=false, router tracing=true: traced', flags: ['--entryPoints.web.observability.tracing=false'], router: { observability: { tracing: true } }, traced: true },
    { desc: 'no tracing section, router tracing=true: nothing', tracing: false, router: { observability: { tracing: true } }, traced: false },
    { desc: 'no tracing section, router unset: nothing', tracing: false, router: {}, traced: false },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const up = await startUpstream(t, 'app');
      const gw = await startTraced(t, {
        routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'], ...c.router } },
        services: { app: service(up.url) },
      }, { tracing: c.tracing, flags: c.flags });
      const res = await request(`${gw.web}/decide`, { headers: INCOMING });
      assert.equal(res.status, 200);
      await gw.gateway.close(); // drains, then flushes every span that ended: nothing can arrive later
      const spans = serverSpans(gw.collector.spans, '/decide');
      assert.equal(spans.length, c.traced ? 1 : 0, `server spans: ${JSON.stringify(gw.collector.spans.map((s) => s.name))}`);
      const seen = up.seen[0]!.rawHeaders;
      const traceparent = rawValues(seen, 'traceparent');
      assert.equal(traceparent.length, 1, 'exactly one traceparent reaches the upstream');
      if (c.traced) {
        assert.equal(spans[0]!.traceId, '0af7651916cd43dd8448eb211c80319c');
        assert.notEqual(traceparent[0], TRACEPARENT, 'replaced by the ReverseProxy span');
        assert.equal(gw.collector.spans.filter((s) => s.kind === SPAN_KIND.CLIENT).length, 1);
      } else {
        assert.equal(gw.collector.spans.length, 0, 'no span at all');
        assert.equal(gw.collector.requests, 0, 'not even an empty export');
        assert.deepEqual(traceparent, [TRACEPARENT], 'incoming traceparent passes untouched');
      }
      // tracestate and baggage pass through in both cases (W3C: an unchanged tracestate is propagated)
      assert.deepEqual(rawValues(seen, 'tracestate'), [TRACESTATE]);
      assert.deepEqual(rawValues(seen, 'baggage'), [BAGGAGE]);
      if (c.tracing === false) assert.equal(gw.gateway.tracing, undefined);
    });
  }

  const internals = [
    { desc: 'internal routers (/api, /ping on the traefik entry point) are untraced by default', addInternals: false },
    { desc: 'tracing.addInternals=true traces them', addInternals: true },
  ];
  for (const c of internals) {
    it(c.desc, async (t) => {
      const gw = await startTraced(t, {}, { flags: c.addInternals ? ['--tracing.addInternals=true'] : [] });
      assert.equal((await request(`${gw.admin}/api/overview`)).status, 200);
      assert.equal((await request(`${gw.admin}/ping`)).status, 200);
      await gw.gateway.close();
      const api = serverSpans(gw.collector.spans, '/api/overview');
      const ping = serverSpans(gw.collector.spans, '/ping');
      assert.equal(api.length, c.addInternals ? 1 : 0);
      assert.equal(ping.length, c.addInternals ? 1 : 0);
      if (!c.addInternals) { assert.equal(gw.collector.spans.length, 0); return; }
      assert.equal(api[0]!.attributes['entry_point'], 'traefik');
      assert.equal(api[0]!.attributes['http.response.status_code'], 200);
      // internal handlers do not forward: the server span is the whole trace
      assert.equal(gw.collector.spans.filter((s) => s.traceId === api[0]!.traceId).length, 1);
    });
  }

  const unmatched = [
    { desc: 'an unmatched request (404) on a tracing entry point is traced, and not an error', flags: [], traced: true },
    { desc: 'an unmatched request on an entry point with tracing=false is not', flags: ['--entryPoints.web.observability.tracing=false'], traced: false },
  ];
  for (const c of unmatched) {
    it(c.desc, async (t) => {
      const gw = await startTraced(t, {}, { flags: c.flags });
      assert.equal((await request(`${gw.web}/nowhere`)).status, 404);
      await gw.gateway.close();
      const spans = serverSpans(gw.collector.spans, '/nowhere');
      assert.equal(spans.length, c.traced ? 1 : 0);
      if (!c.traced) return;
      assert.equal(spans[0]!.name, 'GET');
      assert.equal(spans[0]!.attributes['http.response.status_code'], 404);
      assert.equal(spans[0]!.attributes['entry_point'], 'web');
      assert.equal(spans[0]!.status.code, 0, '4xx leaves a server span unset');
    });
  }

  it('routers from Consul tags: tracing=false and traceVerbosity=detailed per router, side by side', async (t) => {
    const collector = await startCollector();
    const { gateway, catalog, web } = await startTestGateway(t, { flags: tracingFlags(collector) });
    t.after(() => collector.close());
    const quiet = await serviceWithUpstream(t, gateway, catalog!, 'quiet', ['http.routers.quiet.rule=Host(`quiet.test`)', 'http.routers.quiet.observability.tracing=false']);
    await serviceWithUpstream(t, gateway, catalog!, 'deep', [
      'http.routers.deep.rule=Host(`deep.test`)', 'http.routers.deep.observability.traceVerbosity=detailed', 'http.routers.deep.middlewares=deep-strip',
      'http.middlewares.deep-strip.stripPrefix.prefixes=/v1',
    ]);
    assert.equal((await request(`${web}/q`, { headers: { host: 'quiet.test', ...INCOMING } })).status, 200);
    assert.equal((await request(`${web}/v1/d`, { headers: { host: 'deep.test' } })).status, 200);
    await gateway.close();
    assert.equal(serverSpans(collector.spans, '/q').length, 0);
    assert.deepEqual(rawValues(quiet.seen[0]!.rawHeaders, 'traceparent'), [TRACEPARENT]);
    const deep = serverSpans(collector.spans, '/v1/d');
    assert.equal(deep.length, 1);
    const names = collector.spans.filter((s) => s.traceId === deep[0]!.traceId).map((s) => s.name).sort();
    assert.deepEqual(names, ['GET', 'ReverseProxy', 'Router', 'Service', 'StripPrefix']);
    const router = collector.spans.find((s) => s.name === 'Router')!;
    assert.equal(router.attributes['traefik.router.name'], 'deep@consulcatalog');
    assert.equal(collector.spans.find((s) => s.name === 'StripPrefix')!.attributes['traefik.middleware.name'], 'deep-strip@consulcatalog');
  });
});
