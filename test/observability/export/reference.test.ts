/**
 * The collector's view over OTLP/HTTP, by a decoder tagway did not write (protobufjs + the official OTLP schema,
 * test/support/reference-collector.ts): plain and gzip bodies through the running gateway, the same spans as
 * over OTLP/gRPC, and the span limits of the OTel environment as the collector reads them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { send } from '../../support/client.ts';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import { startReferenceCollector, type ReferenceCollector, type ReferenceSpan } from '../../support/reference-collector.ts';
import { apiUpstream, service } from '../../support/tracing.ts';
import { waitFor } from '../../support/wait.ts';

/** A gateway toward a reference receiver of `protocol`; the router `api` sends to `serverUrl` (default a real upstream). */
async function referenceGateway(t: TestContext, protocol: 'http' | 'grpc', env: Record<string, string> = {}, serverUrl?: string) {
  const collector = await startReferenceCollector(protocol);
  const url = serverUrl ?? (await apiUpstream(t)).url;
  const dir = await mkdtemp(join(tmpdir(), 'tagway-otel-ref-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http: {
    routers: { api: { rule: 'PathPrefix(`/`)', service: 'api-svc', entryPoints: ['web'], observability: { traceVerbosity: 'detailed' } } },
    services: { 'api-svc': service(url) },
  } }));
  const target = protocol === 'grpc' ? [`--tracing.otlp.grpc.endpoint=${collector.endpoint}`, '--tracing.otlp.grpc.insecure=true'] : [`--tracing.otlp.http.endpoint=${collector.endpoint}`];
  const gw = await startTestGateway(t, {
    consul: false,
    flags: [`--providers.file.filename=${file}`, '--tracing.serviceName=tagway-ref', '--tracing.capturedRequestHeaders=x-note', ...target],
    env: { OTEL_BSP_SCHEDULE_DELAY: '20', ...env },
  });
  t.after(() => collector.close());
  await waitForState(gw.gateway, (s) => s.routers['api@file'] !== undefined);
  return { ...gw, collector };
}

/** What must not differ between two exports of the same request: everything but ids, times and peer ports. */
function comparable(spans: ReferenceSpan[]): unknown[] {
  const volatile = new Set(['client.port', 'network.peer.port', 'server.port', 'server.address', 'network.peer.address', 'url.full', 'host.name', 'process.pid']);
  const keep = (attrs: Record<string, unknown>) => Object.fromEntries(Object.entries(attrs).filter(([k]) => !volatile.has(k) && !k.startsWith('process.')).sort());
  return spans.map((s) => ({ name: s.name, kind: s.kind, flags: s.flags, status: s.status, attributes: keep(s.attributes), events: s.events.map((e) => e.name), scope: s.scope }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function oneRequest(g: { web: string; collector: ReferenceCollector }, path: string): Promise<ReferenceSpan[]> {
  await send(g.web, path, { 'x-note': 'hello', 'user-agent': 'ref-test' });
  return g.collector.waitForSpans(4);
}

describe('OTLP/HTTP through the running gateway, decoded by the reference decoder', () => {
  it('plain and gzip bodies decode to the same spans as the OTLP/gRPC export of the same request', async (t) => {
    const http = await referenceGateway(t, 'http');
    const gzip = await referenceGateway(t, 'http', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    const grpc = await referenceGateway(t, 'grpc');
    const [a, b, c] = [await oneRequest(http, '/same?x=1'), await oneRequest(gzip, '/same?x=1'), await oneRequest(grpc, '/same?x=1')];
    assert.equal(http.collector.lastHeaders['content-encoding'], undefined);
    assert.equal(gzip.collector.lastHeaders['content-encoding'], 'gzip');
    assert.deepEqual(comparable(b), comparable(a));
    assert.deepEqual(comparable(c), comparable(a));
    const server = a.find((s) => s.name === 'GET')!;
    assert.equal(server.attributes['url.path'], '/same');
    assert.equal(server.attributes['url.query'], 'x=REDACTED');
    assert.deepEqual(server.attributes['http.request.header.x-note'], ['hello']);
    assert.equal(server.flags, 0x101, 'sampled, local root');
    assert.equal(server.resource['service.name'], 'tagway-ref');
    for (const s of a) assert.equal(s.traceId, server.traceId);
  });

  for (const protocol of ['http', 'grpc'] as const) {
    it(`partial success over ${protocol === 'http' ? 'OTLP/HTTP' : 'OTLP/gRPC'}: the spans the collector rejected are counted as dropped, not retried`, async (t) => {
      // one export of the request's 4 spans: queued until flushed
      const g = await referenceGateway(t, protocol, { OTEL_BSP_SCHEDULE_DELAY: '60000' });
      g.collector.partialSuccess({ spans: 3, message: 'span too large' });
      await send(g.web, '/partial');
      await waitFor('the 4 spans queued', () => g.gateway.tracing!.stats().queued === 4);
      await g.gateway.tracing!.flush();
      await g.collector.waitForSpans(4);
      await waitFor('the export counted', () => g.gateway.tracing!.stats().exported + g.gateway.tracing!.stats().dropped === 4);
      const stats = g.gateway.tracing!.stats();
      assert.deepEqual([stats.exported, stats.dropped, stats.failedExports], [1, 3, 0]);
      assert.equal(stats.lastError, 'TAGWAY_EXPORT_PARTIAL: the collector rejected 3 of 4 spans: span too large');
      assert.equal(g.collector.requests, 1, 'not retried');
    });
  }

  it('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT cuts values; OTEL_SPAN_EVENT_COUNT_LIMIT=0 counts the exception event as dropped', async (t) => {
    const g = await referenceGateway(t, 'http', { OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8', OTEL_SPAN_EVENT_COUNT_LIMIT: '0' }, 'http://127.0.0.1:9');
    const reply = await send(g.web, '/a-rather-long-path', { 'user-agent': 'a-long-user-agent' });
    assert.equal(reply.status, 502);
    const spans = await g.collector.waitForSpans(4);
    const server = spans.find((s) => s.name === 'GET')!;
    assert.equal(server.attributes['url.path'], '/a-rathe');
    assert.equal(server.attributes['user_agent.original'], 'a-long-u');
    const client = spans.find((s) => s.name === 'ReverseProxy')!;
    assert.deepEqual(client.events, []);
    assert.equal(client.droppedEventsCount, 1);
    assert.equal(client.status.code, 2);
  });
});
