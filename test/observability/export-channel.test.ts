import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportWorkerWanted } from '../../src/observability/tracing.ts';
import { startCollector } from '../support/collector.ts';
import { send, startHarness, tracingConfig } from './harness.ts';

describe('exportWorkerWanted', () => {
  const cases = [
    { desc: 'one CPU (or pinned to one): in-thread, the worker would only compete for it', cpus: 1, clusterWorker: false, want: false },
    { desc: 'two CPUs, a single process: worker', cpus: 2, clusterWorker: false, want: true },
    { desc: 'a --workers cluster process: in-thread, its siblings use the other CPUs', cpus: 8, clusterWorker: true, want: false },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(exportWorkerWanted(c.cpus, c.clusterWorker), c.want));
});

describe('export worker and in-thread export', () => {
  for (const exportWorker of [true, false]) {
    it(`${exportWorker ? 'worker' : 'in-thread'}: spans, resource and counters reach the collector alike`, async (t) => {
      const collector = await startCollector();
      t.after(() => collector.close());
      const h = await startHarness(t, { tracing: tracingConfig(collector.endpoint, { batch: { maxQueueSize: 100, maxExportBatchSize: 50, scheduledDelay: 10, exportTimeout: 5000 } }), tracingOptions: { exportWorker } });
      for (let i = 0; i < 3; i++) assert.equal((await send(h.url, `/w${i}?k=v`)).status, 200);
      const spans = await collector.waitForSpans(6);
      assert.deepEqual(spans.map((s) => s.attributes['url.path']).filter(Boolean).sort(), ['/w0', '/w1', '/w2']);
      assert.ok(spans.every((s) => typeof s.resource['service.name'] === 'string'));
      assert.deepEqual(spans.filter((s) => s.attributes['url.query'] !== undefined).map((s) => s.attributes['url.query']), ['k=REDACTED', 'k=REDACTED', 'k=REDACTED']);
      await h.tracing.shutdown(2000);
      assert.deepEqual(h.tracing.stats(), { exported: 6, dropped: 0, failedExports: 0, queued: 0 });
    });
  }
});
