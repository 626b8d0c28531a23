import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { VERSION_INFO } from '../../../src/server/admin/version.ts';
import type { TracingConfig } from '../../../src/static/types.ts';
import { createLogger } from '../../../src/util/log.ts';
import { load, send } from '../../support/client.ts';
import { SPAN_KIND, startTracedApi } from '../../support/tracing.ts';
import { waitFor } from '../../support/wait.ts';

type Batch = { maxQueueSize: number; maxExportBatchSize: number; scheduledDelay: string; exportTimeout: string };

/** tracing.batch.* flags (durations as a user writes them). */
function batchFlags(batch: Partial<Batch>): string[] {
  return Object.entries(batch).map(([k, v]) => `--tracing.batch.${k}=${v}`);
}

/** The gateway's dropped-span warnings (its log, JSON lines), fields only. */
function droppedWarnings(): { warnings: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'WARN', format: 'json', write: (line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (String(entry['msg'] ?? entry['message'] ?? '').startsWith('tracing: spans dropped')) warnings.push(entry);
  } });
  return { warnings, logger };
}

/** A real gateway with tracing toward a real receiver; `batch` as tracing.batch.* flags. */
async function setup(t: TestContext, batch: Partial<Batch> = {}, extra: { logger?: ReturnType<typeof createLogger>; detailed?: boolean; serviceName?: string; env?: Record<string, string> } = {}) {
  const { scheduledDelay = '20ms', ...rest } = batch;
  const gw = await startTracedApi(t, {
    scheduledDelay,
    flags: [`--tracing.serviceName=${extra.serviceName ?? 'tagway-test'}`, ...batchFlags(rest)],
    env: extra.env ?? {},
    logger: extra.logger,
    router: extra.detailed ? { observability: { traceVerbosity: 'detailed' } } : undefined,
  });
  return { ...gw, url: gw.web };
}

describe('export path', () => {
  const protocols: Array<{ desc: string; env: Record<string, string>; contentType: string }> = [
    { desc: 'protobuf by default (OTLP\'s default, what Traefik sends)', env: {}, contentType: 'application/x-protobuf' },
    { desc: 'JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, contentType: 'application/json' },
    { desc: 'protobuf with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf over a general http/json', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, contentType: 'application/x-protobuf' },
  ];
  for (const p of protocols) {
    it(`1,000 requests in far fewer export requests: ${p.desc}`, async (t) => {
      const { collector, url, tracing } = await setup(t, { scheduledDelay: '500ms' }, { env: p.env });
      await load(url, 1000, 16);
      await collector.waitForSpans(2000, 15_000);
      assert.equal(collector.spans.length, 2000);
      assert.equal(new Set(collector.spans.map((s) => s.spanId)).size, 2000);
      assert.equal(collector.spans.filter((s) => s.name === 'ReverseProxy').length, 1000);
      assert.ok(collector.requests <= 50, `${collector.requests} export requests`);
      assert.deepEqual([...collector.contentTypes], [p.contentType]);
      // the collector keeps spans before it answers; the exporter counts them once the answer is in
      await waitFor('the last answer', () => tracing.stats().exported === 2000);
      assert.deepEqual(tracing.stats(), { exported: 2000, dropped: 0, failedExports: 0, queued: 0 });
    });
  }

  it('collector down under load: queue stays bounded, drops are counted, export resumes when it is back', async (t) => {
    const { warnings, logger } = droppedWarnings();
    const { collector, url, tracing } = await setup(t, { maxQueueSize: 100, maxExportBatchSize: 50, scheduledDelay: '10ms', exportTimeout: '300ms' }, { logger });
    await collector.stop();
    let maxQueued = 0;
    const sampler = setInterval(() => { maxQueued = Math.max(maxQueued, tracing.stats().queued); }, 5);
    await load(url, 300, 8);
    clearInterval(sampler);
    await waitFor('a failed export', () => tracing.stats().failedExports > 0);
    const down = tracing.stats();
    assert.ok(maxQueued <= 100 && down.queued <= 100, `queued ${maxQueued}`);
    assert.ok(down.dropped > 0, 'drops counted');
    assert.match(down.lastError ?? '', /^TAGWAY_EXPORT_TIMEOUT: .*\(last attempt: ECONNREFUSED/, 'retried until the deadline, then cut');
    assert.ok(warnings.length >= 1 && warnings.length < down.dropped, `${warnings.length} warnings for ${down.dropped} drops: logged per interval, not per span`);
    assert.ok(Number(warnings[0]!.dropped) >= 1);

    await collector.restart();
    // the spans queued during the outage go first (the queue was full: newer spans had to be dropped)
    await waitFor('the outage queue to drain', () => tracing.stats().queued === 0 && tracing.stats().exported > 0);
    await load(url, 5, 1, '/after');
    await waitFor('spans of requests made after the restart', () => collector.spans.filter((s) => s.attributes['url.path'] === '/after').length === 5);
    await tracing.shutdown(2000);
    const end = tracing.stats();
    assert.equal(end.exported + end.dropped, 2 * 305, 'every span is either exported or counted as dropped');
    assert.equal(end.queued, 0);
  });

  const refusals = [
    { desc: '503 Service Unavailable', status: 503, retryAfter: undefined },
    { desc: '429 Too Many Requests with Retry-After: 0 (retried, then given up)', status: 429, retryAfter: 0 },
  ];
  for (const c of refusals) {
    it(`collector answering ${c.desc}: counted as failed exports, spans resume once it accepts`, async (t) => {
      const { collector, url, tracing } = await setup(t, { scheduledDelay: '10ms', exportTimeout: '400ms' });
      collector.failWith(c.status, c.retryAfter);
      await load(url, 10, 2);
      await waitFor('a failed export', () => tracing.stats().failedExports > 0);
      assert.ok(tracing.stats().dropped > 0);
      assert.equal(collector.spans.length, 0);
      await waitFor('the batch to settle', () => tracing.stats().queued === 0 && tracing.stats().exported + tracing.stats().dropped === 20);
      collector.failWith(undefined);
      await send(url, '/ok');
      await collector.waitForSpans(2);
      await waitFor('2 exported', () => tracing.stats().exported === 2);
    });
  }

  it('a slow collector is cut at exportTimeout with TAGWAY_EXPORT_TIMEOUT; requests are unaffected', async (t) => {
    const { collector, url, tracing } = await setup(t, { scheduledDelay: '10ms', exportTimeout: '100ms' });
    collector.delay(60_000);
    for (let i = 0; i < 3; i++) assert.equal((await send(url, '/slow-collector')).status, 200);
    await waitFor('a timed-out export', () => tracing.stats().failedExports > 0);
    assert.match(tracing.stats().lastError ?? '', /^TAGWAY_EXPORT_TIMEOUT: /);
    collector.delay(0);
    await send(url, '/fast-again');
    await waitFor('spans after the slow period', () => collector.spans.some((s) => s.attributes['url.path'] === '/fast-again'));
  });

  it('shutdown flushes what is queued, once, and later spans count as dropped', async (t) => {
    const { collector, url, tracing } = await setup(t, { scheduledDelay: '1m' });
    for (let i = 0; i < 5; i++) await send(url, `/q${i}`);
    assert.equal(collector.spans.length, 0, 'nothing exported before the scheduled delay');
    assert.equal(tracing.stats().queued, 10);
    const first = tracing.shutdown();
    assert.equal(tracing.shutdown(), first, 'idempotent: the same promise');
    await first;
    assert.equal(collector.spans.length, 10);
    assert.deepEqual(tracing.stats(), { exported: 10, dropped: 0, failedExports: 0, queued: 0 });
    await send(url, '/late');
    assert.equal(tracing.stats().dropped, 2);
  });

  it('shutdown with the collector gone ends within its deadline, counting the loss', async (t) => {
    const { collector, url, tracing } = await setup(t, { scheduledDelay: '1m', exportTimeout: '10s' });
    await collector.stop();
    for (let i = 0; i < 3; i++) await send(url, '/gone');
    await tracing.shutdown(300);
    assert.equal(tracing.stats().dropped, 6);
    assert.equal(tracing.stats().queued, 0);
  });
});

describe('collector endpoint', () => {
  it('an endpoint without a path posts to /v1/traces, with the configured headers', async (t) => {
    const h = await startTracedApi(t, { endpoint: (c) => `http://127.0.0.1:${c.port}`, flags: ['--tracing.otlp.http.headers.authorization=Bearer t0ken', '--tracing.otlp.http.headers.x-scope-orgid=team-a'] });
    const collector = h.collector;
    await send(h.web, '/e');
    await collector.waitForSpans(2);
    assert.equal(collector.lastHeaders.authorization, 'Bearer t0ken');
    assert.equal(collector.lastHeaders['x-scope-orgid'], 'team-a');
    assert.equal(collector.lastHeaders['user-agent'], `tagway/${VERSION_INFO.Version}`);
  });
});

describe('instances', () => {
  it('two gateways in one process keep their tracers, resources and collectors apart', async (t) => {
    const a = await setup(t, {}, { serviceName: 'gw-a' });
    const b = await setup(t, {}, { serviceName: 'gw-b' });
    await send(a.url, '/a');
    await send(b.url, '/b');
    const spansA = await a.collector.waitForSpans(2);
    const spansB = await b.collector.waitForSpans(2);
    assert.deepEqual(new Set(spansA.map((s) => s.resource['service.name'])), new Set(['gw-a']));
    assert.deepEqual(new Set(spansB.map((s) => s.resource['service.name'])), new Set(['gw-b']));
    assert.deepEqual(new Set(spansA.map((s) => s.attributes['url.path'] ?? '/a')), new Set(['/a']));
  });

  it('recent() lists the last requests, newest first, with router names from detailed traces', async (t) => {
    const { collector, url, tracing } = await setup(t, {}, { detailed: true });
    await send(url, '/one');
    await send(url, '/status/503');
    await collector.waitForSpans(8);
    const recent = tracing.recent();
    assert.deepEqual(recent.map((r) => [r.path, r.httpStatus, r.error, r.routerName, r.serviceName]), [
      ['/status/503', 503, true, 'api@file', 'api-svc@file'],
      ['/one', 200, false, 'api@file', 'api-svc@file'],
    ]);
    assert.equal(recent[0]!.traceId, collector.spans.find((s) => s.attributes['url.path'] === '/status/503')!.traceId);
  });

  it('recent() lists minimal requests too (recorded as compact traces): ids, status, the attempt under the server span', async (t) => {
    const { collector, url, tracing } = await setup(t);
    await send(url, '/one');
    await send(url, '/status/503');
    await collector.waitForSpans(4);
    const recent = tracing.recent();
    assert.deepEqual(recent.map((r) => [r.path, r.httpStatus, r.error, r.routerName, r.serviceName]), [
      ['/status/503', 503, true, 'api@file', 'api-svc@file'],
      ['/one', 200, false, 'api@file', 'api-svc@file'],
    ]);
    for (const r of recent) {
      const server = collector.spans.find((s) => s.kind === SPAN_KIND.SERVER && s.traceId === r.traceId);
      assert.ok(server !== undefined, `the collector has the server span of ${r.path}`);
      assert.equal(r.spanId, server.spanId);
      assert.equal(r.name, 'GET');
      assert.deepEqual(r.spans!.map((s) => [s.name, s.parentSpanId]), [['GET', ''], ['ReverseProxy', server.spanId]]);
      const attempt = r.spans![1]!;
      assert.ok(attempt.startOffsetMs >= 0 && attempt.durationMs >= 0 && attempt.startOffsetMs + attempt.durationMs <= r.durationMs, `attempt within the request: ${JSON.stringify(r)}`);
    }
  });
});

/** A static tracing section as the loader produces it, for createTracing's own checks. */
function tracingConfig(endpoint: string): TracingConfig {
  return {
    serviceName: 'tagway-test', sampleRate: 1, resourceAttributes: {}, capturedRequestHeaders: [], capturedResponseHeaders: [], safeQueryParams: [], addInternals: false,
    otlp: { http: { endpoint, headers: {} } },
    batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelay: 20, exportTimeout: 5000 },
    shutdownTimeout: 5000, exportThread: false,
  };
}

describe('createTracing validation', () => {
  const cases: Array<{ desc: string; patch: Record<string, unknown>; message: RegExp }> = [
    { desc: 'sampleRate above 1', patch: { sampleRate: 1.5 }, message: /tracing\.sampleRate/ },
    { desc: 'batch larger than the queue', patch: { batch: { maxQueueSize: 10, maxExportBatchSize: 20, scheduledDelay: 0, exportTimeout: 1 } }, message: /maxExportBatchSize \(20\) must not exceed maxQueueSize \(10\)/ },
    { desc: 'zero export timeout', patch: { batch: { maxQueueSize: 10, maxExportBatchSize: 5, scheduledDelay: 0, exportTimeout: 0 } }, message: /exportTimeout/ },
    { desc: 'endpoint that is not a URL', patch: { otlp: { http: { endpoint: 'collector:4318', headers: {} } } }, message: /tracing\.otlp\.http\.endpoint/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.desc}, naming the option`, async () => {
      const { createTracing, TracingConfigError } = await import('../../../src/observability/tracing.ts');
      assert.throws(() => createTracing({ ...tracingConfig('http://127.0.0.1:1'), ...c.patch } as never), (e: unknown) => e instanceof TracingConfigError && e.code === 'TAGWAY_TRACING_CONFIG' && c.message.test(e.message));
    });
  }
});

describe('createTracing environment', () => {
  const cases: Array<{ desc: string; env: Record<string, string>; code: string; message: RegExp }> = [
    { desc: 'an unknown protocol', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc/json' }, code: 'TAGWAY_TRACING_PROTOCOL', message: /OTEL_EXPORTER_OTLP_PROTOCOL: "grpc\/json" is not supported/ },
    { desc: 'an unknown traces protocol', env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' }, code: 'TAGWAY_TRACING_PROTOCOL', message: /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/ },
    { desc: 'a negative attribute count limit', env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1' }, code: 'TAGWAY_TRACING_CONFIG', message: /OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT must be a non-negative integer/ },
    { desc: 'a general attribute count limit that is not a number', env: { OTEL_ATTRIBUTE_COUNT_LIMIT: 'many' }, code: 'TAGWAY_TRACING_CONFIG', message: /OTEL_ATTRIBUTE_COUNT_LIMIT/ },
  ];
  for (const c of cases) {
    it(`stops on ${c.desc}, naming the variable`, async () => {
      const { createTracing } = await import('../../../src/observability/tracing.ts');
      assert.throws(() => createTracing(tracingConfig('http://127.0.0.1:1'), { env: c.env }), (e: unknown) => (e as { code?: string }).code === c.code && c.message.test((e as Error).message));
    });
  }

  it('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT caps the attributes of every span; the rest are counted as dropped', async (t) => {
    const { collector, url } = await setup(t, { scheduledDelay: '50ms' }, { env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '4' } });
    await send(url, '/limited');
    await collector.waitForSpans(2);
    for (const span of collector.spans) assert.equal(Object.keys(span.attributes).length, 4, span.name);
    const raw = collector.spans.find((s) => s.name === 'GET');
    assert.equal(raw?.attributes.entry_point, 'web', 'the first attributes set are kept');
  });
});
