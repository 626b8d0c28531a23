import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { RequestContext } from '../../../src/http/context.ts';
import { UnsampledRoot } from '../../../src/observability/spans/request-trace.ts';
import { drawContinuedBlock, drawIdBlock, drawSpanIds, idPool, IdBlock, newSpanId, newTraceId, traceparentOf } from '../../../src/observability/spans/span.ts';
import { sampler } from '../../../src/observability/tracing.ts';

const HEX64 = /^[0-9a-f]{64}$/;

describe('id pool', () => {
  it('never hands out the same ids twice, across pool refills, and never an all-zero id', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    const n = 40_000; // 1.28 MB of ids: the 64 KB pool refills ~20 times
    for (let i = 0; i < n; i++) {
      const hex = IdBlock.hex(drawIdBlock());
      assert.match(hex, HEX64);
      const [trace, server, attempt] = [hex.slice(0, 32), hex.slice(32, 48), hex.slice(48)];
      assert.notEqual(trace, '0'.repeat(32));
      assert.notEqual(server, '0'.repeat(16));
      assert.notEqual(attempt, '0'.repeat(16));
      traces.add(trace);
      spans.add(server).add(attempt);
    }
    for (let i = 0; i < 1000; i++) { traces.add(newTraceId()); spans.add(newSpanId()); }
    assert.equal(traces.size, n + 1000);
    assert.equal(spans.size, 2 * n + 1000);
  });
});

describe('ids kept as bytes', () => {
  it('a span drawn after the pool was replaced copies its trace and parent ids; the old pool keeps its bytes', () => {
    const at = drawIdBlock();
    const old = idPool();
    const block = IdBlock.hex(at);
    for (let i = 0; i < 2100; i++) drawIdBlock(); // 2,048 blocks fill a pool: a new one serves the next draws
    const r = drawSpanIds(old, at, old, at + 16);
    const pool = idPool();
    assert.notEqual(pool, old);
    assert.equal(old.toString('hex', at, at + 32), block);
    assert.equal(pool.toString('hex', r, r + 16), block.slice(0, 32));
    assert.equal(pool.toString('hex', r + 24, r + 32), block.slice(32, 48));
    assert.notEqual(pool.toString('hex', r + 16, r + 24), '0'.repeat(16));
    assert.equal(traceparentOf(old, at, pool, r + 16, true), `00-${block.slice(0, 32)}-${pool.toString('hex', r + 16, r + 24)}-01`);
    assert.equal(traceparentOf(old, at, old, at + 24, false), `00-${block.slice(0, 32)}-${block.slice(48)}-00`);
  });

  it('a continued trace puts the incoming ids (any case of hex) beside two new span ids', () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const at = drawContinuedBlock(traceId.toUpperCase(), 'B7AD6B7169203331');
    const pool = idPool();
    assert.equal(pool.toString('hex', at, at + 16), traceId);
    assert.equal(pool.toString('hex', at + 32, at + 40), 'b7ad6b7169203331');
    assert.notEqual(pool.toString('hex', at + 16, at + 24), '0'.repeat(16));
    assert.notEqual(pool.toString('hex', at + 24, at + 32), '0'.repeat(16));
  });
});

describe('sampler', () => {
  for (const ratio of [0.01, 0.25, 0.5]) {
    it(`traceidratio ${ratio}: decides a new trace from its bytes exactly as the SDK's TraceIdRatioBased does from its hex id, at the right rate`, () => {
      const sdk = new TraceIdRatioBasedSampler(ratio);
      const s = sampler({ name: 'parentbased_traceidratio', ratio });
      const n = 100_000;
      let sampled = 0;
      for (let i = 0; i < n; i++) {
        const at = drawIdBlock();
        const ours = s.newTrace(at);
        const theirs = sdk.shouldSample(ROOT_CONTEXT, IdBlock.hex(at).slice(0, 32)).decision === SamplingDecision.RECORD_AND_SAMPLED;
        assert.equal(ours, theirs);
        if (ours) sampled++;
      }
      // binomial: 6 standard deviations either side
      const sd = Math.sqrt(n * ratio * (1 - ratio));
      assert.ok(Math.abs(sampled - n * ratio) < 6 * sd, `${sampled} sampled of ${n} at ${ratio}`);
    });
  }

  it('the ends are constants; parent-based samplers follow the parent, the others ask the trace id', () => {
    const at = drawIdBlock();
    assert.equal(sampler({ name: 'parentbased_traceidratio', ratio: 1 }).newTrace(at), true);
    assert.equal(sampler({ name: 'parentbased_traceidratio', ratio: 0 }).newTrace(at), false);
    assert.equal(sampler({ name: 'parentbased_traceidratio', ratio: 0 }).withParent(true, 'f'.repeat(32)), true);
    assert.equal(sampler({ name: 'parentbased_traceidratio', ratio: 1 }).withParent(false, 'f'.repeat(32)), false);
    // traceidratio ignores the parent: the trace id decides (accumulated words 0 → sampled, all ones → not)
    const plain = sampler({ name: 'traceidratio', ratio: 0.5 });
    assert.equal(plain.withParent(false, '0'.repeat(31) + '1'), true);
    assert.equal(plain.withParent(true, 'ffffffff' + '0'.repeat(24)), false);
  });
});

describe('a sampled-out new trace', () => {
  const ctx = { observability: { tracing: true, accessLogs: true, metrics: true, traceVerbosity: 'detailed' } } as unknown as RequestContext;

  it('propagates traceparent with flags 00: the trace id, the first attempt its drawn span id, a retry a new one', () => {
    const at = drawIdBlock();
    const ids = IdBlock.hex(at);
    const trace = new UnsampledRoot(ctx, at);
    for (let i = 0; i < 2100; i++) drawIdBlock(); // the pool (2,048 blocks) refills meanwhile: the trace kept its ids
    assert.equal(trace.sampled, false);
    assert.equal(trace.traceId, ids.slice(0, 32));
    assert.equal(trace.spanId, ids.slice(32, 48));
    assert.equal(trace.verbosity, 'detailed');
    const first: Record<string, string | undefined> = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'x=1', baggage: 'k=v', host: 'h' };
    assert.equal(trace.startAttempt(new URL('http://127.0.0.1:1'), '/', first, 0), undefined);
    assert.deepEqual(first, { host: 'h', traceparent: `00-${ids.slice(0, 32)}-${ids.slice(48)}-00` });
    const retry: Record<string, string | undefined> = {};
    trace.startAttempt(new URL('http://127.0.0.1:1'), '/', retry, 1);
    const [version, traceId, spanId, flags] = retry.traceparent!.split('-');
    assert.deepEqual([version, traceId, flags], ['00', ids.slice(0, 32), '00']);
    assert.match(spanId!, /^[0-9a-f]{16}$/);
    assert.notEqual(spanId, ids.slice(48));
    assert.equal(trace.enterStep(), undefined);
    assert.equal(trace.spanId, ids.slice(32, 48));
  });

  it('its server span id (converted from the drawn bytes when asked for) is the drawn one, leading zeros included', () => {
    for (let i = 0; i < 5000; i++) {
      const at = drawIdBlock();
      const ids = IdBlock.hex(at);
      const trace = new UnsampledRoot(ctx, at);
      assert.equal(trace.spanId, ids.slice(32, 48));
      assert.equal(trace.traceId, ids.slice(0, 32));
    }
  });
});
