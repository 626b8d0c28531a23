/**
 * The OTel SDK environment and gzip compression, through the running gateway toward a real OTLP receiver:
 * which endpoint, headers, compression, attempt timeout, batch size and sampler the export really uses, and
 * that a static option (file, flag, TAGWAY_*) wins over the OTEL_* variable. Every variable's precedence
 * one by one is in test/observability/settings.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { formatExplanation } from '../../../src/check/explain-cli.ts';
import type { ServerTrace } from '../../../src/observability/spans/request-trace.ts';
import { load, send } from '../../support/client.ts';
import { startCollector, type Collector } from '../../support/collector.ts';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import { apiUpstream, service } from '../../support/tracing.ts';
import { waitFor } from '../../support/wait.ts';

type PerCollector<T> = (collector: Collector) => T;

/**
 * A real receiver, a real upstream and a gateway whose `tracing` section sets only serviceName plus
 * `flags`, so the OTEL_* variables of `env` decide the rest (OTEL_BSP_SCHEDULE_DELAY=20 unless given).
 */
async function gatewayWithEnv(t: TestContext, env: PerCollector<Record<string, string>>, flags: PerCollector<string[]> = () => []) {
  const collector = await startCollector();
  t.after(() => collector.close());
  const upstream = await apiUpstream(t);
  const dir = await mkdtemp(join(tmpdir(), 'tagway-otel-env-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http: { routers: { api: { rule: 'PathPrefix(`/`)', service: 'api-svc', entryPoints: ['web'] } }, services: { 'api-svc': service(upstream.url) } } }));
  const traces: ServerTrace[] = [];
  const gw = await startTestGateway(t, {
    flags: [`--providers.file.filename=${file}`, '--tracing.serviceName=tagway-env', ...flags(collector)],
    env: { OTEL_BSP_SCHEDULE_DELAY: '20', ...env(collector) },
    observers: [{ onRequest(ctx) { if (ctx.trace) traces.push(ctx.trace as ServerTrace); } }],
  });
  await waitForState(gw.gateway, (s) => s.routers['api@file'] !== undefined);
  return { ...gw, collector, traces };
}

/** The collector's base URL (no path), as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
const base = (c: Collector): string => `http://127.0.0.1:${c.port}`;
/** A port nothing listens on: an export sent there would never arrive. */
const NOWHERE = 'http://127.0.0.1:9';

describe('gzip export through the running gateway', () => {
  it('with OTEL_EXPORTER_OTLP_COMPRESSION=gzip spans arrive gzipped and decode, in far fewer wire bytes', async (t) => {
    const plain = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c) }));
    const gzipped = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }));
    for (const g of [plain, gzipped]) {
      await load(g.web, 200, 8);
      await g.collector.waitForSpans(400, 15_000);
    }
    assert.equal(gzipped.collector.lastHeaders['content-encoding'], 'gzip');
    assert.equal(plain.collector.lastHeaders['content-encoding'], undefined);
    assert.equal(gzipped.collector.spans.length, 400);
    assert.equal(new Set(gzipped.collector.spans.map((s) => s.spanId)).size, 400);
    assert.equal(gzipped.collector.spans.filter((s) => s.name === 'ReverseProxy').length, 200);
    assert.equal(gzipped.collector.spans[0]!.resource['service.name'], 'tagway-env');
    const perSpan = (g: typeof plain): number => g.collector.bytesReceived / g.collector.spans.length;
    assert.ok(perSpan(gzipped) < perSpan(plain) / 3, `gzip ${perSpan(gzipped).toFixed(0)} B/span vs none ${perSpan(plain).toFixed(0)} B/span`);
    assert.deepEqual(gzipped.gateway.tracing!.settings()['compression'], { value: 'gzip', source: 'env', variable: 'OTEL_EXPORTER_OTLP_COMPRESSION' });
  });

  it('the static tracing.otlp.http.compression=none wins over OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip; =gzip works alone', async (t) => {
    const flagNone = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip' }), () => ['--tracing.otlp.http.compression=none']);
    const flagGzip = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c) }), () => ['--tracing.otlp.http.compression=gzip']);
    for (const g of [flagNone, flagGzip]) { await send(g.web, '/one'); await g.collector.waitForSpans(2); }
    assert.equal(flagNone.collector.lastHeaders['content-encoding'], undefined);
    assert.equal(flagGzip.collector.lastHeaders['content-encoding'], 'gzip');
    assert.equal(flagGzip.collector.spans.find((s) => s.name === 'GET')?.attributes['url.path'], '/one');
  });
});

describe('OTEL_EXPORTER_OTLP_* through the running gateway', () => {
  it('the generic endpoint is a base (gets /v1/traces); a flag wins over it', async (t) => {
    const generic = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `${base(c)}/` }));
    const flag = await gatewayWithEnv(t, () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE }), (c) => [`--tracing.otlp.http.endpoint=${c.endpoint}`]);
    for (const g of [generic, flag]) { await send(g.web, '/e'); await g.collector.waitForSpans(2); }
    assert.deepEqual(flag.gateway.tracing!.settings()['endpoint'], { value: flag.collector.endpoint, source: 'flag' });
  });

  it('the traces endpoint is used as is (no /v1/traces appended) and wins over the generic one', async (t) => {
    const asIs = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: c.endpoint, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE }));
    await send(asIs.web, '/x');
    await asIs.collector.waitForSpans(2);
    // a base URL there is posted to as given: the receiver answers 404 for "/", a failed export
    const noPath = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: base(c) }));
    await send(noPath.web, '/x');
    await waitFor('the export to "/" to fail', () => noPath.gateway.tracing!.stats().failedExports === 1);
    assert.equal(noPath.collector.spans.length, 0);
    assert.match(noPath.gateway.tracing!.stats().lastError ?? '', /404/);
  });

  it('headers: W3C-baggage-style, percent-decoded; the traces variable wins over the generic; a flag wins over both', async (t) => {
    const env = (c: Collector) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_EXPORTER_OTLP_HEADERS: 'x-generic=1', OTEL_EXPORTER_OTLP_TRACES_HEADERS: ' api-key = secret%20value%2C1 ,x-tenant=t1' });
    const fromEnv = await gatewayWithEnv(t, env);
    const fromFlag = await gatewayWithEnv(t, env, () => ['--tracing.otlp.http.headers.x-static=yes']);
    for (const g of [fromEnv, fromFlag]) { await send(g.web, '/h'); await g.collector.waitForSpans(2); }
    assert.equal(fromEnv.collector.lastHeaders['api-key'], 'secret value,1');
    assert.equal(fromEnv.collector.lastHeaders['x-tenant'], 't1');
    assert.equal(fromEnv.collector.lastHeaders['x-generic'], undefined);
    assert.equal(fromFlag.collector.lastHeaders['x-static'], 'yes');
    assert.equal(fromFlag.collector.lastHeaders['api-key'], undefined);
    // /api/overview names the headers and their source, never their values
    const overview = await (await fetch(`${fromEnv.admin}/api/overview`)).json() as { tracingSettings: Record<string, unknown> };
    assert.deepEqual(overview.tracingSettings['headers'], { value: ['api-key', 'x-tenant'], source: 'env', variable: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' });
    assert.deepEqual((overview.tracingSettings['batch'] as Record<string, unknown>)['scheduledDelay'], { value: 20, source: 'env', variable: 'OTEL_BSP_SCHEDULE_DELAY' });
    assert.doesNotMatch(JSON.stringify(overview), /secret value/);
    // `tagway explain` prints the same sources (its JSON comes from /api/explain)
    const explained = await (await fetch(`${fromEnv.admin}/api/explain?url=${encodeURIComponent('http://any/h')}&entryPoint=web`)).json() as Parameters<typeof formatExplanation>[0];
    const text = formatExplanation(explained);
    assert.match(text, /^ {2}headers: \["api-key","x-tenant"\] \(from env OTEL_EXPORTER_OTLP_TRACES_HEADERS\)$/m);
    assert.match(text, /^ {2}batch\.scheduledDelay: 20 \(from env OTEL_BSP_SCHEDULE_DELAY\)$/m);
    assert.match(text, /^ {2}endpoint: http:\/\/127\.0\.0\.1:\d+\/v1\/traces \(from env OTEL_EXPORTER_OTLP_ENDPOINT\)$/m);
    assert.doesNotMatch(text, /secret value/);
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT bounds each attempt: a slow answer is cut and the batch retried', async (t) => {
    const g = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_EXPORTER_OTLP_TIMEOUT: '100' }));
    g.collector.delay(5000);
    await send(g.web, '/slow');
    await g.collector.waitForRequests(2, 10_000); // the first attempt was cut at 100 ms, far before the 5 s answer
    g.collector.delay(0);
    await waitFor('the retried export to succeed', () => g.gateway.tracing!.stats().exported === 2, { timeoutMs: 15_000 });
  });

  it('OTEL_BSP_MAX_EXPORT_BATCH_SIZE caps the spans of every export request', async (t) => {
    const g = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '3', OTEL_BSP_MAX_QUEUE_SIZE: '1000' }));
    const sizes: number[] = [];
    g.collector.onSpans((n) => sizes.push(n));
    await load(g.web, 20, 4);
    await g.collector.waitForSpans(40);
    assert.ok(sizes.every((n) => n <= 3), `batch sizes ${sizes.join(',')}`);
    assert.ok(sizes.length >= 14);
  });
});

describe('OTEL_TRACES_SAMPLER through the running gateway', () => {
  const SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const UNSAMPLED = '00-0af7651916cd43dd8448eb211c80319d-b7ad6b7169203331-00';
  // decisions for: a new trace, a sampled parent, an unsampled parent
  const cases: Array<{ env: Record<string, string>; flags?: string[]; want: [boolean, boolean, boolean] }> = [
    { env: { OTEL_TRACES_SAMPLER: 'always_on' }, want: [true, true, true] },
    { env: { OTEL_TRACES_SAMPLER: 'always_off' }, want: [false, false, false] },
    { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, want: [false, false, false] },
    { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, want: [true, true, true] },
    { env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, want: [true, true, false] },
    { env: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, want: [false, true, false] },
    { env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, want: [false, true, false] },
    { env: {}, want: [true, true, false] },
    // tracing.sampleRate set: Traefik's ParentBased(TraceIdRatioBased(rate)) wins over the variable
    { env: { OTEL_TRACES_SAMPLER: 'always_on' }, flags: ['--tracing.sampleRate=0'], want: [false, true, false] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.env)}${c.flags ? ` with ${c.flags.join(' ')}` : ''}: ${c.want.join(', ')}`, async (t) => {
      const g = await gatewayWithEnv(t, (col) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(col), ...c.env }), () => c.flags ?? []);
      const got: boolean[] = [];
      for (const traceparent of [undefined, SAMPLED, UNSAMPLED]) {
        await send(g.web, '/s', traceparent ? { traceparent } : {});
        got.push(g.traces.at(-1)!.sampled);
      }
      assert.deepEqual(got, c.want);
      await g.gateway.tracing!.flush();
      await waitFor('every sampled request exported', () => g.gateway.tracing!.stats().exported === 2 * c.want.filter(Boolean).length);
    });
  }
});

describe('OTEL_SDK_DISABLED through the running gateway', () => {
  it('true: no tracing at all although the file has a tracing section; nothing reaches the receiver', async (t) => {
    const g = await gatewayWithEnv(t, (c) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base(c), OTEL_SDK_DISABLED: 'true' }));
    assert.equal(g.gateway.tracing, undefined);
    const reply = await send(g.web, '/d');
    assert.equal(reply.status, 200);
    assert.equal(g.traces.length, 0);
    assert.equal(g.collector.requests, 0);
  });

  it('a value that is not a boolean stops startup, naming the variable', async (t) => {
    await assert.rejects(gatewayWithEnv(t, () => ({ OTEL_SDK_DISABLED: 'yes' })), /OTEL_SDK_DISABLED must be true or false, got "yes"/);
  });
});
