import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { serializeSpans } from '../../src/observability/export/otlp-json.ts';
import { decodeExport } from '../support/collector.ts';

/** Spans covering every value shape we emit, made by the SDK (the serializer's input, not what is under test). */
function sampleSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', 'process.pid': 42, ratio: 0.5 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('tagway', '1.0.0');
  const parentCtx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true,
    traceState: new TraceState('vendor=abc,other=x'),
  });
  const server = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'url.path': '/a "quoted" \\ path\n', 'http.response.status_code': 503, ratio: 1.25, ok: true, 'http.request.header.x-multi': ['a', 'b'], empty: [] } }, parentCtx);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom ☃' });
  const client = tracer.startSpan('ReverseProxy', { kind: SpanKind.CLIENT }, trace.setSpan(parentCtx, server));
  client.recordException(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  client.end();
  server.end();
  const internal = tracer.startSpan('Router', { kind: SpanKind.INTERNAL, attributes: { n: [1, 2, 3], flags: [true, false] } });
  internal.end();
  return memory.getFinishedSpans();
}

describe('serializeSpans', () => {
  it('decodes to the same spans as the OTel JsonTraceSerializer output', async () => {
    const spans = sampleSpans();
    const ours = JSON.parse((await serializeSpans(spans)).toString('utf8'));
    const theirs = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    assert.deepEqual(decodeExport(ours), decodeExport(theirs));
    assert.equal(decodeExport(ours).length, 3);
  });

  const slicing = [
    { desc: 'yields to the event loop between slices, keeping every span in order', perSlice: 2, yielded: true },
    { desc: 'a batch within one slice is written without yielding', perSlice: 1000, yielded: false },
  ];
  for (const c of slicing) {
    it(c.desc, async () => {
      const spans = Array.from({ length: 5 }, () => sampleSpans()).flat();
      let other = false;
      setImmediate(() => { other = true; }); // stands for a request waiting on the loop
      const body = await serializeSpans(spans, c.perSlice);
      assert.equal(other, c.yielded);
      assert.deepEqual(decodeExport(JSON.parse(body.toString('utf8'))).map((s) => s.name), spans.map((s) => s.name));
    });
  }

  it('writes trace state and status message as OTLP fields', async () => {
    const body = JSON.parse((await serializeSpans(sampleSpans())).toString('utf8'));
    const server = body.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'GET');
    assert.equal(server.traceState, 'vendor=abc,other=x');
    assert.deepEqual(server.status, { code: 2, message: 'boom ☃' });
    assert.equal(server.parentSpanId, 'b7ad6b7169203331');
    assert.deepEqual(body.resourceSpans[0].scopeSpans[0].scope, { name: 'tagway', version: '1.0.0' });
  });
});
