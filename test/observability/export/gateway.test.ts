import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, request } from '../../support/upstream.ts';
import { getJson } from '../../support/gateway.ts';
import { Lines } from '../../support/operate.ts';
import type { ExportStats } from '../../../src/observability/index.ts';
import { SPAN_KIND, service, startTraced, type DynamicHttp } from '../../support/tracing.ts';
import { waitFor } from '../../support/wait.ts';

/** `count` requests to `url(i)`, `concurrency` at a time; resolves with the statuses that were not 200. */
async function load(url: (i: number) => string, count: number, concurrency: number, after?: () => void): Promise<number[]> {
  const failures: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const status = await request(url(i)).then((r) => r.status, () => 0);
      if (status !== 200) failures.push(status);
      after?.();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

function app(url: string): DynamicHttp {
  return { routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } }, services: { app: service(url) } };
}

describe('span export through the running gateway', () => {
  it('batches: 1,000 requests (2,000 spans) reach the collector in a handful of export requests', async (t) => {
    const up = await startUpstream(t, 'app');
    // a timer that cannot fire during the test: only full batches (512) and the shutdown flush export
    const gw = await startTraced(t, app(up.url), { scheduledDelay: '10m', exportThread: true });
    assert.deepEqual(await load((i) => `${gw.web}/batch/${i}`, 1000, 10), []);
    await gw.gateway.close();
    const servers = gw.collector.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    assert.equal(servers.length, 1000);
    assert.equal(gw.collector.spans.length, 2000);
    assert.equal(new Set(servers.map((s) => s.attributes['url.path'])).size, 1000, 'one server span per request');
    // 512-span batches: 3 full ones while running, the rest at shutdown
    assert.equal(gw.collector.requests, Math.ceil(2000 / 512));
    assert.deepEqual(gw.gateway.tracing!.stats(), { exported: 2000, dropped: 0, failedExports: 0, queued: 0 });
  });

  it('collector down under load: requests keep succeeding, the queue stays bounded, drops are counted and shown, export resumes', async (t) => {
    const up = await startUpstream(t, 'app');
    const maxQueueSize = 64;
    const gw = await startTraced(t, app(up.url), {
      exportThread: true,
      flags: [`--tracing.batch.maxQueueSize=${maxQueueSize}`, '--tracing.batch.maxExportBatchSize=32', '--tracing.batch.exportTimeout=300ms'],
    });
    const tracing = gw.gateway.tracing!;
    assert.deepEqual(await load((i) => `${gw.web}/before/${i}`, 20, 4), []);
    await gw.collector.waitForSpans(40);

    await gw.collector.stop();
    let maxQueued = 0;
    const failures = await load((i) => `${gw.web}/outage/${i}`, 400, 8, () => { maxQueued = Math.max(maxQueued, tracing.stats().queued); });
    assert.deepEqual(failures, [], 'no request failed while the collector was away');
    assert.ok(maxQueued <= maxQueueSize, `queued ${maxQueued} > maxQueueSize ${maxQueueSize}`);
    // an export fails at its deadline (exportTimeout, 300 ms here), which a fast load may finish before:
    // wait (bounded) for the first failure to be counted, then read what the API shows
    await waitFor('a failed export counted after the outage', () => tracing.stats().failedExports > 0);
    const during = tracing.stats();
    // 800 spans ended with nowhere to go and room for 64: most were dropped, and said so
    assert.ok(during.dropped >= 800 - maxQueueSize - 32, JSON.stringify(during));
    assert.equal(gw.collector.spans.filter((s) => String(s.attributes['url.path']).startsWith('/outage')).length, 0);
    const overview = await getJson<{ tracing: ExportStats; features: { tracing: string } }>(`${gw.admin}/api/overview`);
    assert.equal(overview.body.features.tracing, 'OTLP');
    assert.ok(overview.body.tracing.dropped >= during.dropped, JSON.stringify(overview.body.tracing));
    assert.ok(overview.body.tracing.queued <= maxQueueSize);
    assert.match(String(overview.body.tracing.lastError), /ECONNREFUSED|abort|timeout/i);

    await gw.collector.restart();
    // The queue is still full of outage spans right after the restart (new ones are dropped until it drains):
    // keep sending until a new request's spans arrive. Each turn waits for the next export (bounded).
    const arrived = (): boolean => gw.collector.spans.some((s) => String(s.attributes['url.path']).startsWith('/after/'));
    for (let i = 0; i < 20 && !arrived(); i++) {
      assert.equal((await request(`${gw.web}/after/${i}`)).status, 200);
      await gw.collector.waitForSpans(gw.collector.spans.length + 1, 10_000);
    }
    assert.ok(arrived(), 'spans of new requests reach the collector again');
    assert.ok(tracing.stats().exported > 40);
  });

  it('gateway.close() flushes spans still queued (only the shutdown flush can deliver them)', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startTraced(t, app(up.url), { scheduledDelay: '10m', exportThread: true });
    assert.deepEqual(await load((i) => `${gw.web}/queued/${i}`, 3, 1), []);
    assert.equal(gw.collector.requests, 0, 'nothing exported before shutdown');
    assert.equal(gw.gateway.tracing!.stats().queued, 6);
    await gw.gateway.close();
    assert.equal(gw.collector.spans.length, 6);
    assert.equal(gw.collector.requests, 1);
    assert.equal(gw.gateway.tracing!.stats().queued, 0);
  });

  it('access-log JSON lines carry the server span\'s TraceId and SpanId', async (t) => {
    const lines = new Lines();
    const up = await startUpstream(t, 'app');
    const gw = await startTraced(t, app(up.url), { flags: ['--accessLog.format=json'], accessLogWrite: lines.write });
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await request(`${gw.web}/logged`, { headers: { traceparent: incoming } });
    await request(`${gw.web}/fresh`);
    const spans = await gw.collector.waitForSpans(4);
    for (const path of ['/logged', '/fresh']) {
      const line = JSON.parse(await lines.find((l) => (JSON.parse(l) as { RequestPath?: string }).RequestPath === path)) as Record<string, unknown>;
      const server = spans.find((s) => s.kind === SPAN_KIND.SERVER && s.attributes['url.path'] === path)!;
      assert.equal(line['TraceId'], server.traceId, path);
      assert.equal(line['SpanId'], server.spanId, path);
    }
    const logged = JSON.parse(await lines.find((l) => (JSON.parse(l) as { RequestPath?: string }).RequestPath === '/logged')) as Record<string, unknown>;
    assert.equal(logged['TraceId'], '0af7651916cd43dd8448eb211c80319c', 'a continued trace logs the caller\'s trace id');
  });
});
