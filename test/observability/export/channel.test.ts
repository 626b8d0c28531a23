import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCollector } from '../../support/collector.ts';
import { send, startHarness, tracingConfig } from '../harness.ts';

describe('encoded span queue', () => {
  const cases = [
    { desc: 'batches smaller than the request count: spans, resource and counters reach the collector', batch: 4, requests: 5 },
    { desc: 'one batch holds everything until the flush at shutdown', batch: 50, requests: 3 },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const collector = await startCollector();
      t.after(() => collector.close());
      const h = await startHarness(t, { tracing: tracingConfig(collector.endpoint, { batch: { maxQueueSize: 100, maxExportBatchSize: c.batch, scheduledDelay: 60_000, exportTimeout: 5000 } }) });
      for (let i = 0; i < c.requests; i++) assert.equal((await send(h.url, `/w${i}?k=v`)).status, 200);
      await h.tracing.shutdown(2000);
      const spans = collector.spans;
      assert.deepEqual(spans.map((s) => s.attributes['url.path']).filter(Boolean).sort(), Array.from({ length: c.requests }, (_, i) => `/w${i}`));
      assert.ok(spans.every((s) => typeof s.resource['service.name'] === 'string'));
      assert.ok(spans.filter((s) => s.attributes['url.query'] !== undefined).every((s) => s.attributes['url.query'] === 'k=REDACTED'));
      assert.equal(collector.requests, Math.ceil((2 * c.requests) / c.batch), 'one export per batch');
      assert.deepEqual(h.tracing.stats(), { exported: 2 * c.requests, dropped: 0, failedExports: 0, queued: 0 });
    });
  }
});
