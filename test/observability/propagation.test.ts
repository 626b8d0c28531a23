import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startUpstream, request } from '../support/upstream.ts';
import { SPAN_KIND, parseTraceparent, rawValues, service, startTraced } from '../support/tracing.ts';

/** A GET whose headers go out exactly as listed (repeats included). */
function rawGet(url: string, headers: Array<[string, string]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: [['host', new URL(url).host], ...headers].flat() as unknown as Record<string, string> }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('W3C propagation and sampling through the running gateway', () => {
  it('continues an incoming traceparent: one traceparent upstream, same trace id, parent = ReverseProxy span', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTraced(t, {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'], observability: { traceVerbosity: 'detailed' } } },
      services: { app: service(up.url) },
    });
    const res = await request(`${gw.web}/continue`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'k=v' } });
    assert.equal(res.status, 200);
    const spans = await gw.collector.waitForSpans(4);
    const raw = up.seen[0]!.rawHeaders;
    const sent = rawValues(raw, 'traceparent');
    assert.equal(sent.length, 1, `exactly one traceparent line: ${JSON.stringify(raw)}`);
    const tp = parseTraceparent(sent[0]);
    assert.ok(tp, sent[0]);
    assert.equal(tp.traceId, TRACE_ID);
    assert.equal(tp.flags, '01');
    const client = spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    assert.equal(tp.parentId, client.spanId, 'the upstream is a child of the ReverseProxy span');
    assert.equal(server.traceId, TRACE_ID);
    assert.equal(server.parentSpanId, PARENT_ID, 'the server span continues the caller');
    assert.ok(spans.every((s) => s.traceId === TRACE_ID));
    assert.deepEqual(rawValues(raw, 'tracestate'), ['k=v']);
  });

  it('an incoming traceparent sent twice is replaced, not appended to: still one line upstream', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTraced(t, {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
      services: { app: service(up.url) },
    });
    const first = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const res = await rawGet(`${gw.web}/twice`, [['traceparent', first], ['traceparent', `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`]]);
    assert.equal(res, 200);
    const spans = await gw.collector.waitForSpans(2);
    const sent = rawValues(up.seen[0]!.rawHeaders, 'traceparent');
    assert.equal(sent.length, 1, JSON.stringify(up.seen[0]!.rawHeaders));
    const client = spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    assert.equal(parseTraceparent(sent[0])!.parentId, client.spanId);
    assert.equal(parseTraceparent(sent[0])!.traceId, client.traceId);
  });

  const cases = [
    { desc: 'sampleRate 1, no parent: sampled, exported', rate: '1', parent: undefined, sampled: true },
    { desc: 'sampleRate 0, no parent: not sampled, still propagates -00 upstream', rate: '0', parent: undefined, sampled: false },
    { desc: 'sampleRate 0, sampled parent (-01): parent-based, sampled', rate: '0', parent: '01', sampled: true },
    { desc: 'sampleRate 1, sampled-out parent (-00): not sampled, propagates -00 with the same trace id', rate: '1', parent: '00', sampled: false },
    { desc: 'sampleRate 0, sampled-out parent (-00): not sampled', rate: '0', parent: '00', sampled: false },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const up = await startUpstream(t, 'app');
      const gw = await startTraced(t, {
        routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
        services: { app: service(up.url) },
      }, { flags: [`--tracing.sampleRate=${c.rate}`] });
      const headers: Record<string, string> = c.parent ? { traceparent: `00-${TRACE_ID}-${PARENT_ID}-${c.parent}` } : {};
      assert.equal((await request(`${gw.web}/sample`, { headers })).status, 200);
      await gw.gateway.close(); // flushes: whatever was sampled has arrived
      const sent = rawValues(up.seen[0]!.rawHeaders, 'traceparent');
      assert.equal(sent.length, 1, 'the upstream always gets one traceparent');
      const tp = parseTraceparent(sent[0])!;
      assert.equal(tp.flags, c.sampled ? '01' : '00');
      if (c.parent) assert.equal(tp.traceId, TRACE_ID, 'the trace id is continued, sampled or not');
      if (c.parent) assert.notEqual(tp.parentId, PARENT_ID, 'a new span id: the gateway is a hop even when sampled out');
      const spans = gw.collector.spans;
      assert.equal(spans.length, c.sampled ? 2 : 0, JSON.stringify(spans.map((s) => s.name)));
      if (c.sampled) assert.equal(spans.find((s) => s.kind === SPAN_KIND.CLIENT)!.spanId, tp.parentId);
      assert.equal(gw.gateway.tracing!.stats().dropped, 0, 'sampled-out spans are not "dropped"');
    });
  }
});
