import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { request, startUpstream } from '../support/upstream.ts';
import { loadStaticConfig } from '../../src/static/load.ts';
import { parseMetrics, sample, serviceWithUpstream } from '../support/operate.ts';

describe('Prometheus metrics through the gateway', () => {
  it('static defaults match Traefik\'s (entry point traefik, entry point and service labels on, router labels off, buckets)', () => {
    const config = loadStaticConfig({ argv: ['--metrics.prometheus=true', '--workers=1'], env: {} });
    assert.deepEqual(config.metrics?.prometheus, { entryPoint: 'traefik', addEntryPointsLabels: true, addRoutersLabels: false, addServicesLabels: true, buckets: [0.1, 0.3, 1.2, 5] });
  });

  it('exposes Traefik\'s names on the admin entry point, honouring the per-router metrics flag', async (t) => {
    const { gateway, catalog, web, admin } = await startTestGateway(t, {
      flags: ['--metrics.prometheus=true', '--metrics.prometheus.addRoutersLabels=true', '--entryPoints.dark.address=127.0.0.1:0', '--entryPoints.dark.observability.metrics=false'],
    });
    const counted = await serviceWithUpstream(t, gateway, catalog!, 'counted', ['http.routers.counted.rule=Host(`counted.test`)']);
    await serviceWithUpstream(t, gateway, catalog!, 'uncounted', ['http.routers.uncounted.rule=Host(`uncounted.test`)', 'http.routers.uncounted.observability.metrics=false']);
    const dark = gateway.url('dark');
    for (let i = 0; i < 3; i++) await request(`${web}/`, { headers: { host: 'counted.test' } });
    await request(`${web}/`, { method: 'POST', headers: { host: 'counted.test' }, body: 'x' });
    for (let i = 0; i < 2; i++) await request(`${web}/`, { headers: { host: 'uncounted.test' } });
    await request(`${web}/`, { headers: { host: 'nobody.test' } });
    await request(`${dark}/`, { headers: { host: 'nobody.test' } });
    await request(`${admin}/api/overview`);

    const res = await fetch(`${admin}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await res.text());
    const ep = { protocol: 'http', entrypoint: 'web' };
    const router = { router: 'counted@consulcatalog', service: 'counted@consulcatalog', protocol: 'http' };
    const cases: Array<{ desc: string; name: string; labels: Record<string, string>; want: number | undefined }> = [
      { desc: 'entry point: counted router GETs', name: 'traefik_entrypoint_requests_total', labels: { ...ep, code: '200', method: 'GET' }, want: 3 },
      { desc: 'entry point: counted router POST', name: 'traefik_entrypoint_requests_total', labels: { ...ep, code: '200', method: 'POST' }, want: 1 },
      { desc: 'entry point: unmatched request on a metrics entry point', name: 'traefik_entrypoint_requests_total', labels: { ...ep, code: '404', method: 'GET' }, want: 1 },
      { desc: 'entry point with metrics=false: nothing', name: 'traefik_entrypoint_requests_total', labels: { entrypoint: 'dark' }, want: undefined },
      { desc: 'internal routers are not counted', name: 'traefik_entrypoint_requests_total', labels: { entrypoint: 'traefik' }, want: undefined },
      { desc: 'entry point histogram count', name: 'traefik_entrypoint_request_duration_seconds_count', labels: { ...ep, code: '200', method: 'GET' }, want: 3 },
      { desc: 'entry point histogram has Traefik\'s buckets', name: 'traefik_entrypoint_request_duration_seconds_bucket', labels: { ...ep, code: '200', method: 'GET', le: '+Inf' }, want: 3 },
      { desc: 'router series', name: 'traefik_router_requests_total', labels: { ...router, code: '200', method: 'GET' }, want: 3 },
      { desc: 'router histogram', name: 'traefik_router_request_duration_seconds_count', labels: { ...router, code: '200', method: 'POST' }, want: 1 },
      { desc: 'service series', name: 'traefik_service_requests_total', labels: { service: 'counted@consulcatalog', protocol: 'http', code: '200', method: 'GET' }, want: 3 },
      { desc: 'service histogram', name: 'traefik_service_request_duration_seconds_count', labels: { service: 'counted@consulcatalog', code: '200', method: 'GET' }, want: 3 },
      { desc: 'router metrics=false: no router series', name: 'traefik_router_requests_total', labels: { router: 'uncounted@consulcatalog' }, want: undefined },
      { desc: 'router metrics=false: no service series', name: 'traefik_service_requests_total', labels: { service: 'uncounted@consulcatalog' }, want: undefined },
      { desc: 'server up', name: 'traefik_service_server_up', labels: { service: 'counted@consulcatalog', url: counted.url }, want: 1 },
    ];
    for (const c of cases) assert.equal(sample(samples, c.name, c.labels), c.want, c.desc);
    const buckets = samples.filter((s) => s.name === 'traefik_entrypoint_request_duration_seconds_bucket' && s.labels['method'] === 'GET' && s.labels['code'] === '200').map((s) => s.labels['le']);
    assert.deepEqual(buckets, ['0.1', '0.3', '1.2', '5', '+Inf']);
    assert.ok((sample(samples, 'traefik_config_reloads_total') ?? 0) >= 3, 'one reload per registration at least');
    assert.ok((sample(samples, 'traefik_config_last_reload_success') ?? 0) > 1.7e9, 'a Unix time in seconds');
  });

  it('without addRoutersLabels there are no router series; service series stay', async (t) => {
    const { gateway, catalog, web, admin } = await startTestGateway(t, { flags: ['--metrics.prometheus=true'] });
    await serviceWithUpstream(t, gateway, catalog!, 'plain', ['http.routers.plain.rule=Host(`plain.test`)']);
    await request(`${web}/`, { headers: { host: 'plain.test' } });
    const samples = parseMetrics(await (await fetch(`${admin}/metrics`)).text());
    assert.equal(samples.filter((s) => s.name.startsWith('traefik_router_')).length, 0);
    assert.equal(sample(samples, 'traefik_service_requests_total', { service: 'plain@consulcatalog', code: '200' }), 1);
  });

  it('counts retries per service (traefik_service_retries_total)', async (t) => {
    const { gateway, catalog, web, admin } = await startTestGateway(t, { flags: ['--metrics.prometheus=true'] });
    const dead = await startUpstream(undefined, 'dead');
    await new Promise<void>((resolve) => dead.server.close(() => resolve())); // a port nobody listens on
    catalog!.register({ ID: 'flaky-1', Name: 'flaky', Address: '127.0.0.1', Port: dead.port, Tags: [
      'traefik.http.routers.flaky.rule=Host(`flaky.test`)', 'traefik.http.routers.flaky.middlewares=flaky-retry',
      'traefik.http.middlewares.flaky-retry.retry.attempts=3',
    ] });
    await waitForState(gateway, (s) => s.routers['flaky@consulcatalog'] !== undefined);
    assert.equal((await request(`${web}/`, { headers: { host: 'flaky.test' } })).status, 502);
    const samples = parseMetrics(await (await fetch(`${admin}/metrics`)).text());
    assert.equal(sample(samples, 'traefik_service_retries_total', { service: 'flaky@consulcatalog' }), 2, 'three attempts: two retries');
    assert.equal(sample(samples, 'traefik_service_requests_total', { service: 'flaky@consulcatalog', code: '502' }), 1);
  });

  it('answers 404 on /metrics when metrics are off', async (t) => {
    const { admin } = await startTestGateway(t, { consul: false });
    const res = await fetch(`${admin}/metrics`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '404 page not found\n');
  });
});
