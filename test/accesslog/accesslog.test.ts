import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway } from '../support/gateway.ts';
import { startCollector } from '../support/collector.ts';
import { request } from '../support/upstream.ts';
import { Lines, serviceWithUpstream } from '../support/operate.ts';

describe('access log through the gateway', () => {
  it('honours the merged per-router accessLogs flag; JSON lines carry TraceId and SpanId', async (t) => {
    const collector = await startCollector();
    const lines = new Lines();
    const { gateway, catalog, web } = await startTestGateway(t, {
      accessLogWrite: lines.write,
      flags: [
        '--accessLog.format=json',
        '--entryPoints.quiet.address=127.0.0.1:0',
        '--entryPoints.quiet.observability.accessLogs=false',
        `--tracing.otlp.http.endpoint=${collector.endpoint}`,
        '--tracing.batch.scheduledDelay=50ms',
      ],
    });
    t.after(() => collector.close()); // after hooks run in order: the gateway flushes its spans first
    const quiet = gateway.url('quiet');
    await serviceWithUpstream(t, gateway, catalog!, 'loud', ['http.routers.loud.rule=Host(`loud.test`)']);
    await serviceWithUpstream(t, gateway, catalog!, 'muted', ['http.routers.muted.rule=Host(`muted.test`)', 'http.routers.muted.observability.accessLogs=false']);
    await serviceWithUpstream(t, gateway, catalog!, 'forced', ['http.routers.forced.rule=Host(`forced.test`)', 'http.routers.forced.observability.accessLogs=true']);

    const cases = [
      { desc: 'entry point default, router unset: logged', base: web, host: 'loud.test', logged: true },
      { desc: 'router false on a logging entry point: no line', base: web, host: 'muted.test', logged: false },
      { desc: 'entry point false, router unset: no line', base: quiet, host: 'loud.test', logged: false },
      { desc: 'entry point false, router true: logged', base: quiet, host: 'forced.test', logged: true },
      { desc: 'entry point false, unmatched request: no line', base: quiet, host: 'nobody.test', logged: false },
      { desc: 'entry point default, unmatched request: logged', base: web, host: 'nobody.test', logged: true },
    ];
    let count = 0;
    for (const [i, c] of cases.entries()) {
      const path = `/case-${i}`;
      await request(`${c.base}${path}`, { headers: { host: c.host } });
      // A marker request that always logs: its RequestCount says whether the case was counted (synchronously, on arrival).
      const markerPath = `/marker-${i}`;
      await request(`${web}${markerPath}`, { headers: { host: 'loud.test' } });
      const marker = JSON.parse(await lines.find((l) => JSON.parse(l).RequestPath === markerPath)) as Record<string, unknown>;
      count += c.logged ? 2 : 1;
      assert.equal(marker['RequestCount'], count, c.desc);
      const line = lines.all.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['RequestPath'] === path);
      assert.equal(line !== undefined, c.logged, c.desc);
    }

    const loud = JSON.parse(await lines.find((l) => JSON.parse(l).RequestPath === '/case-0')) as Record<string, unknown>;
    assert.match(String(loud['TraceId']), /^[0-9a-f]{32}$/);
    assert.match(String(loud['SpanId']), /^[0-9a-f]{16}$/);
    assert.equal(loud['RouterName'], 'loud@consulcatalog');
    assert.equal(loud['ServiceName'], 'loud@consulcatalog');
    assert.equal(loud['DownstreamStatus'], 200);
    assert.equal(loud['OriginStatus'], 200);
    assert.equal(loud['entryPointName'], 'web');
    assert.match(String(loud['ServiceURL']), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(`http://${String(loud['ServiceAddr'])}`, loud['ServiceURL']);
    assert.equal(loud['RequestPort'], '-', 'the Host header has no port');
    assert.equal(loud['RequestHost'], 'loud.test');
    assert.equal(typeof loud['Duration'], 'number', 'nanoseconds, as Go marshals a Duration');
    assert.deepEqual([loud['level'], loud['msg']], ['info', '']);
    assert.ok(!Object.keys(loud).some((k) => k.startsWith('request_')), 'headers are dropped by default');
    // The trace the log names is the one exported.
    const named = (): boolean => collector.spans.some((s) => s.traceId === loud['TraceId'] && s.spanId === loud['SpanId'] && s.kind === 2);
    while (!named()) await collector.waitForSpans(collector.spans.length + 1); // rejects after its own timeout
    assert.ok(named(), 'TraceId/SpanId name the exported server span');
    const unmatched = JSON.parse(await lines.find((l) => JSON.parse(l).RequestPath === '/case-5')) as Record<string, unknown>;
    assert.equal(unmatched['DownstreamStatus'], 404);
    assert.equal(unmatched['RouterName'], undefined);
  });

  it('writes Traefik\'s common log format', async (t) => {
    const lines = new Lines();
    const { gateway, catalog, web, admin } = await startTestGateway(t, { accessLogWrite: lines.write, flags: ['--accessLog=true'] });
    await serviceWithUpstream(t, gateway, catalog!, 'clf', ['http.routers.clf.rule=Host(`clf.test`)']);
    await request(`${admin}/api/version`);
    await request(`${web}/a/b?x=1`, { headers: { host: 'clf.test', 'user-agent': 'test-agent', referer: 'http://ref.test/' } });
    await request(`${web}/nothing`, { headers: { host: 'nobody.test' } });
    const date = String.raw`\[\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]`;
    const cases = [
      {
        desc: 'routed: origin status and size, referer and agent dropped by default (headers.defaultMode drop), count, router, server URL, ms',
        path: '/a/b?x=1',
        want: new RegExp(String.raw`^127\.0\.0\.1 - - ${date} "GET /a/b\?x=1 HTTP/1\.1" 200 \d+ "-" "-" 1 "clf@consulcatalog" "http://127\.0\.0\.1:\d+" \d+ms$`),
      },
      {
        desc: 'unmatched: no origin status or size, no router, no server',
        path: '/nothing',
        want: new RegExp(String.raw`^127\.0\.0\.1 - - ${date} "GET /nothing HTTP/1\.1" - - "-" "-" 2 "-" "-" \d+ms$`),
      },
    ];
    for (const c of cases) assert.match(await lines.find((l) => l.includes(` ${c.path} `)), c.want, c.desc);
    assert.ok(!lines.all.some((l) => l.includes('/api/version')), 'internal routers (api@internal) are not logged');
  });

  it('shows referer and user agent when those headers are kept', async (t) => {
    const lines = new Lines();
    const { gateway, catalog, web } = await startTestGateway(t, { accessLogWrite: lines.write, flags: ['--accessLog.fields.headers.defaultMode=keep'] });
    await serviceWithUpstream(t, gateway, catalog!, 'hdr', ['http.routers.hdr.rule=Host(`hdr.test`)']);
    await request(`${web}/h`, { headers: { host: 'hdr.test', 'user-agent': 'test-agent', referer: 'http://ref.test/' } });
    assert.match(await lines.find((l) => l.includes(' /h ')), / 200 \d+ "http:\/\/ref\.test\/" "test-agent" 1 "hdr@consulcatalog" /);
  });

  it('applies fields.names and fields.headers modes (keep, drop, redact)', async (t) => {
    const lines = new Lines();
    const { gateway, catalog, web } = await startTestGateway(t, {
      accessLogWrite: lines.write,
      flags: ['--accessLog.format=json', '--accessLog.fields.names.ClientHost=drop', '--accessLog.fields.names.RequestPath=redact',
        '--accessLog.fields.headers.defaultMode=keep', '--accessLog.fields.headers.names.Authorization=redact', '--accessLog.fields.headers.names.X-Secret=drop'],
    });
    await serviceWithUpstream(t, gateway, catalog!, 'modes', ['http.routers.modes.rule=Host(`modes.test`)']);
    await request(`${web}/p`, { headers: { host: 'modes.test:8080', authorization: 'Bearer abc', 'x-secret': 's', 'x-plain': 'v' } });
    const line = JSON.parse(await lines.find((l) => l.includes('"modes@consulcatalog"'))) as Record<string, unknown>;
    const cases = [
      { desc: 'field dropped', key: 'ClientHost', want: undefined },
      { desc: 'field redacted', key: 'RequestPath', want: 'REDACTED' },
      { desc: 'field kept', key: 'RequestMethod', want: 'GET' },
      { desc: 'port from the Host header', key: 'RequestPort', want: '8080' },
      { desc: 'header redacted', key: 'request_Authorization', want: 'REDACTED' },
      { desc: 'header dropped', key: 'request_X-Secret', want: undefined },
      { desc: 'header kept by default mode', key: 'request_X-Plain', want: 'v' },
    ];
    for (const c of cases) assert.equal(line[c.key], c.want, c.desc);
  });

  it('never blocks answers on the file target: a FIFO nobody reads yet', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tagway-accesslog-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'access.fifo');
    execFileSync('mkfifo', [fifo]);
    const { gateway, catalog, web } = await startTestGateway(t, { flags: [`--accessLog.filePath=${fifo}`, '--accessLog.format=json'] });
    await serviceWithUpstream(t, gateway, catalog!, 'fifo', ['http.routers.fifo.rule=Host(`fifo.test`)']);
    // Opening a FIFO for writing waits for a reader: the answers must not.
    for (let i = 0; i < 5; i++) assert.equal((await request(`${web}/f${i}`, { headers: { host: 'fifo.test' } })).status, 200);
    const reader = createReadStream(fifo, { encoding: 'utf8' });
    let text = '';
    const got = new Promise<void>((resolve, reject) => {
      reader.on('data', (chunk) => { text += chunk; if (text.split('\n').filter(Boolean).length >= 5) resolve(); });
      reader.on('error', reject);
    });
    await got;
    reader.destroy();
    const paths = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { RequestPath: string }).RequestPath);
    assert.deepEqual(paths, ['/f0', '/f1', '/f2', '/f3', '/f4']);
  });
});
