import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentTraces, SPANS_PER_TRACE, type RecentRequest, type TraceSummary } from '../../src/observability/recent.ts';
import { KIND_CLIENT, KIND_INTERNAL, KIND_SERVER, RecordedSpan, newSpanId, newTraceId, type SpanSink } from '../../src/observability/spans/span.ts';

/** Collects ended spans: the spans are the input here, RecentTraces is what is tested. */
function collectingSink(): SpanSink & { ended: RecordedSpan[] } {
  const ended: RecordedSpan[] = [];
  return { ended, attributeCountLimit: 128, onEnd: function collect(span) { ended.push(span); } };
}

/**
 * Waits (a few microseconds of spinning, no sleep) until performance.now() moves, so that the next span
 * starts strictly later than the previous one and the order by start is unambiguous.
 */
function tick(): void {
  const t = performance.now();
  while (performance.now() === t) { /* spin */ }
}

function serverSpan(sink: SpanSink, parentSpanId = ''): RecordedSpan {
  tick();
  return RecordedSpan.withHexIds(sink, newTraceId(), newSpanId(), parentSpanId, '', parentSpanId !== '', 'GET', KIND_SERVER);
}

function child(sink: SpanSink, parent: RecordedSpan, name: string, kind: typeof KIND_INTERNAL | typeof KIND_CLIENT = KIND_INTERNAL): RecordedSpan {
  tick();
  return RecordedSpan.withHexIds(sink, parent.traceId, newSpanId(), parent.spanId, '', false, name, kind);
}

function request(server: RecordedSpan, fields: Partial<RecentRequest> = {}): RecentRequest {
  return { server, httpStatus: 200, path: '/', entryPoint: 'web', ...fields };
}

describe('RecentTraces: the dashboard\'s recent traces with their spans', () => {
  it('lists the server span first, then steps and attempts by start, offsets relative to the server start, parents kept', () => {
    const sink = collectingSink();
    const remoteParent = newSpanId();
    const server = serverSpan(sink, remoteParent);
    const router = child(sink, server, 'Router');
    const firstAttempt = child(sink, server, 'ReverseProxy', KIND_CLIENT);
    const service = child(sink, server, 'Service');
    const retry = child(sink, service, 'ReverseProxy', KIND_CLIENT);
    firstAttempt.end('connection refused');
    retry.end();
    service.end();
    router.end();
    server.end();
    const recent = new RecentTraces();
    // steps before attempts in the input, as RequestSpans hands them over: the summary interleaves them by start
    recent.add(request(server, { steps: [router, service], attempts: [{ span: firstAttempt }, { span: retry }] }));

    const [t] = recent.list();
    assert.ok(t);
    assert.equal(t.traceId, server.traceId);
    assert.equal(t.spanId, server.spanId);
    assert.equal(t.durationMs, server.endTime - server.startTime);
    const expected = [server, router, firstAttempt, service, retry].map((s) => ({
      spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name,
      startOffsetMs: s.startTime - server.startTime, durationMs: s.endTime - s.startTime, error: s === firstAttempt,
    }));
    assert.deepEqual(t.spans, expected);
    assert.equal(t.spans?.[0]?.startOffsetMs, 0);
    assert.equal(t.spans?.[0]?.parentSpanId, remoteParent, 'the server span keeps its remote parent');
    assert.equal(t.spans?.[4]?.parentSpanId, service.spanId, 'an attempt under the Service step keeps it as parent');
    for (const s of t.spans?.slice(1) ?? []) assert.ok(s.startOffsetMs > 0, `${s.name} starts after the server span`);
  });

  it('leaves out children still open when the server span ended', () => {
    const sink = collectingSink();
    const server = serverSpan(sink);
    const step = child(sink, server, 'StripPrefix');
    const open = child(sink, server, 'Headers');
    const attempt = child(sink, server, 'ReverseProxy', KIND_CLIENT);
    step.end();
    server.end();
    const recent = new RecentTraces();
    recent.add(request(server, { steps: [step, open], attempts: [{ span: attempt }] }));
    assert.deepEqual(recent.list()[0]?.spans?.map((s) => s.name), ['GET', 'StripPrefix']);
  });

  it('carries the request fields and the server span status', () => {
    const cases: Array<{ desc: string; message: string | undefined; fields: Partial<RecentRequest>; want: Partial<TraceSummary> }> = [
      { desc: 'failed request with router and service', message: 'bad gateway',
        fields: { httpStatus: 502, path: '/api/x', entryPoint: 'websecure', routerName: 'api@consulcatalog', serviceName: 'api@consulcatalog' },
        want: { error: true, statusMessage: 'bad gateway', httpStatus: 502, path: '/api/x', entryPoint: 'websecure', routerName: 'api@consulcatalog', serviceName: 'api@consulcatalog' } },
      { desc: 'unrouted request, no status message', message: undefined,
        fields: { httpStatus: 404, path: '/nowhere', entryPoint: 'web' },
        want: { error: false, httpStatus: 404, path: '/nowhere', entryPoint: 'web' } },
    ];
    for (const c of cases) {
      const sink = collectingSink();
      const server = serverSpan(sink);
      server.end(c.message);
      const recent = new RecentTraces();
      recent.add(request(server, c.fields));
      const t = recent.list()[0];
      assert.ok(t, c.desc);
      const { error, statusMessage, httpStatus, path, entryPoint, routerName, serviceName } = t;
      const got = Object.fromEntries(Object.entries({ error, statusMessage, httpStatus, path, entryPoint, routerName, serviceName }).filter(([, v]) => v !== undefined));
      assert.deepEqual(got, c.want, c.desc);
      assert.equal('statusMessage' in t, c.message !== undefined, `${c.desc}: statusMessage only when set`);
    }
  });

  it('gives the start as epoch milliseconds', () => {
    const sink = collectingSink();
    const server = serverSpan(sink);
    server.end();
    const recent = new RecentTraces();
    recent.add(request(server));
    const t = recent.list()[0];
    assert.ok(t);
    assert.ok(Math.abs(t.startTime - Date.now()) < 60_000, `startTime ${t.startTime} is close to now (${Date.now()})`);
  });

  it('lists newest first and keeps only as many requests as its ring holds', () => {
    const sink = collectingSink();
    const recent = new RecentTraces(3);
    assert.deepEqual(recent.list(), []);
    const paths = (): string[] => recent.list().map((t) => t.path ?? '');
    for (let i = 0; i < 5; i++) {
      const server = serverSpan(sink);
      server.end();
      recent.add(request(server, { path: `/${i}` }));
      if (i === 1) assert.deepEqual(paths(), ['/1', '/0'], 'not yet full');
    }
    assert.deepEqual(paths(), ['/4', '/3', '/2'], 'newest first, three kept');
  });

  it('lists at most SPANS_PER_TRACE spans per trace: the server span and the earliest children', () => {
    const sink = collectingSink();
    const server = serverSpan(sink);
    const steps = Array.from({ length: SPANS_PER_TRACE * 2 }, (_, i) => child(sink, server, `step${i}`));
    for (const s of steps) s.end();
    server.end();
    const recent = new RecentTraces();
    recent.add(request(server, { steps }));
    const names = recent.list()[0]?.spans?.map((s) => s.name);
    assert.equal(names?.length, SPANS_PER_TRACE);
    assert.deepEqual(names, ['GET', ...steps.slice(0, SPANS_PER_TRACE - 1).map((s) => s.name)]);
  });

  it('builds fresh summaries on every list(): changing one does not change the next', () => {
    const sink = collectingSink();
    const server = serverSpan(sink);
    const attempt = child(sink, server, 'ReverseProxy', KIND_CLIENT);
    attempt.end();
    server.end();
    const recent = new RecentTraces();
    recent.add(request(server, { path: '/kept', attempts: [{ span: attempt }] }));
    const first = recent.list();
    const before = structuredClone(first);
    first[0]!.path = '/changed';
    first[0]!.spans!.pop();
    first[0]!.spans![0]!.name = 'changed';
    first.pop();
    assert.deepEqual(recent.list(), before);
  });
});
