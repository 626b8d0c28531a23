import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { RecentTraces, SPANS_PER_TRACE } from '../../src/observability/recent.ts';

/** A real SDK tracer feeding RecentTraces, as the gateway's tracer provider does. */
function setup(size?: number): { recent: RecentTraces; tracer: ReturnType<BasicTracerProvider['getTracer']> } {
  const recent = new RecentTraces(size);
  const provider = new BasicTracerProvider({ spanProcessors: [recent] });
  return { recent, tracer: provider.getTracer('test') };
}

describe('RecentTraces: the dashboard\'s traces with their spans', () => {
  it('gives each server span its children, offsets relative to the server span, parents kept', () => {
    const { recent, tracer } = setup();
    // Dates, not numbers: the SDK reads small numbers as performance.now() times and shifts them.
    const base = Date.UTC(2026, 0, 1);
    const at = (ms: number): Date => new Date(base + ms);
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER, startTime: at(0), attributes: { 'url.path': '/x', 'http.response.status_code': 502 } });
    const inServer = trace.setSpan(context.active(), server);
    const client = tracer.startSpan('ReverseProxy', { kind: SpanKind.CLIENT, startTime: at(2) }, inServer);
    client.setStatus({ code: SpanStatusCode.ERROR });
    client.end(at(7));
    server.setStatus({ code: SpanStatusCode.ERROR });
    server.end(at(10));
    const late = tracer.startSpan('late', { kind: SpanKind.INTERNAL, startTime: at(9) }, inServer);
    late.end(at(11)); // ends after its server span: still drawn
    const [t] = recent.list();
    assert.ok(t);
    assert.deepEqual({ path: t.path, status: t.httpStatus, error: t.error, durationMs: t.durationMs }, { path: '/x', status: 502, error: true, durationMs: 10 });
    assert.deepEqual(t.spans?.map((s) => ({ name: s.name, parent: s.parentSpanId === '' ? '' : s.parentSpanId === t.spanId ? 'server' : s.parentSpanId, start: s.startOffsetMs, duration: s.durationMs, error: s.error })), [
      { name: 'GET', parent: '', start: 0, duration: 10, error: true },
      { name: 'ReverseProxy', parent: 'server', start: 2, duration: 5, error: true },
      { name: 'late', parent: 'server', start: 9, duration: 2, error: false },
    ]);
  });

  it('is bounded: the ring size, and SPANS_PER_TRACE spans per trace', () => {
    const { recent, tracer } = setup(3);
    for (let i = 0; i < 5; i++) {
      const server = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'url.path': `/${i}` } });
      const inServer = trace.setSpan(context.active(), server);
      for (let j = 0; j < SPANS_PER_TRACE * 2; j++) tracer.startSpan(`step${j}`, {}, inServer).end();
      server.end();
      for (let j = 0; j < 5; j++) tracer.startSpan('late', {}, inServer).end();
    }
    const list = recent.list();
    assert.deepEqual(list.map((t) => t.path), ['/4', '/3', '/2'], 'newest first, three kept');
    for (const t of list) assert.equal(t.spans?.length, SPANS_PER_TRACE);
  });

  it('keeps no spans of traces whose server span never ends past its pending bound', () => {
    const { recent, tracer } = setup();
    // 300 traces with a child each and no server span end: pending is bounded, the oldest go first.
    const servers = Array.from({ length: 300 }, () => tracer.startSpan('GET', { kind: SpanKind.SERVER }));
    for (const s of servers) tracer.startSpan('ReverseProxy', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), s)).end();
    servers[0]!.end(); // its child was evicted
    servers[299]!.end(); // its child is still pending
    const [newest, oldest] = recent.list();
    assert.deepEqual(newest?.spans?.map((s) => s.name), ['GET', 'ReverseProxy']);
    assert.deepEqual(oldest?.spans?.map((s) => s.name), ['GET']);
  });
});
