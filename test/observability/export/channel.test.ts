import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { send } from '../../support/client.ts';
import { startTracedApi } from '../../support/tracing.ts';

describe('encoded span queue', () => {
  const cases = [
    { desc: 'batches smaller than the request count: spans, resource and counters reach the collector', batch: 4, requests: 5 },
    { desc: 'one batch holds everything until the flush at shutdown', batch: 50, requests: 3 },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const h = await startTracedApi(t, { scheduledDelay: '1m', flags: ['--tracing.batch.maxQueueSize=100', `--tracing.batch.maxExportBatchSize=${c.batch}`, '--tracing.batch.exportTimeout=5s'] });
      const collector = h.collector;
      for (let i = 0; i < c.requests; i++) assert.equal((await send(h.web, `/w${i}?k=v`)).status, 200);
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
