import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState, getJson } from '../../support/gateway.ts';
import { startUpstream, request } from '../../support/upstream.ts';
import { startCollector, SPAN_KIND } from '../../support/collector.ts';
import { tempDir } from './support.ts';

const INCOMING = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** The two documents of the issue, as written, completed with a service and a traced sibling router. */
const CASES = [
  {
    desc: 'YAML: observability.tracing false on my-router',
    file: 'dynamic.yml',
    text: (mine: string, sibling: string) => `
http:
  routers:
    my-router:
      rule: "Host(\`example.com\`)"
      service: my-service
      observability:
        tracing: false
    sibling:
      rule: "Host(\`sibling.example.com\`)"
      service: sibling-service
  services:
    my-service:
      loadBalancer:
        servers:
          - url: "${mine}"
    sibling-service:
      loadBalancer:
        servers:
          - url: "${sibling}"
`,
  },
  {
    desc: 'TOML: [http.routers.my-router.observability] tracing = false',
    file: 'dynamic.toml',
    text: (mine: string, sibling: string) => `
[http.routers.my-router]
  rule = "Host(\`example.com\`)"
  service = "my-service"

[http.routers.my-router.observability]
  tracing = false

[http.routers.sibling]
  rule = "Host(\`sibling.example.com\`)"
  service = "sibling-service"

[[http.services.my-service.loadBalancer.servers]]
  url = "${mine}"

[[http.services.sibling-service.loadBalancer.servers]]
  url = "${sibling}"
`,
  },
];

for (const c of CASES) {
  test(c.desc, async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const mine = await startUpstream(t, 'mine');
    const sibling = await startUpstream(t, 'sibling');
    const dir = await tempDir(t);
    const file = join(dir, c.file);
    await writeFile(file, c.text(mine.url, sibling.url));
    const gw = await startTestGateway(t, {
      consul: false,
      flags: [`--providers.file.filename=${file}`, `--tracing.otlp.http.endpoint=${collector.endpoint}`, '--tracing.batch.scheduledDelay=20ms'],
    });
    await waitForState(gw.gateway, (s) => s.routers['my-router@file']?.status === 'enabled' && s.routers['sibling@file']?.status === 'enabled');

    const api = await getJson<{ observability: { tracing: boolean }; status: string; provider: string }>(`${gw.admin}/api/http/routers/my-router@file`);
    assert.equal(api.status, 200);
    assert.equal(api.body.observability.tracing, false);
    assert.equal(api.body.provider, 'file');
    const siblingApi = await getJson<{ observability: { tracing: boolean } }>(`${gw.admin}/api/http/routers/sibling@file`);
    assert.equal(siblingApi.body.observability.tracing, true);

    const untraced = await request(`${gw.web}/mine`, { headers: { host: 'example.com', traceparent: INCOMING } });
    assert.equal(untraced.status, 200);
    assert.equal(JSON.parse(untraced.body).name, 'mine');
    const traced = await request(`${gw.web}/sibling`, { headers: { host: 'sibling.example.com' } });
    assert.equal(traced.status, 200);
    assert.equal(JSON.parse(traced.body).name, 'sibling');

    // The upstream behind the untraced router sees the incoming traceparent untouched.
    assert.equal(mine.seen.length, 1);
    assert.equal(mine.seen[0]!.headers['traceparent'], INCOMING);
    // The traced sibling's upstream gets a traceparent from the gateway's client span.
    assert.match(String(sibling.seen[0]!.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // Closing the gateway flushes every ended span: what the collector holds then is everything.
    await gw.gateway.close();
    const spans = collector.spans;
    const server = spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    assert.deepEqual(server.map((s) => [s.attributes['server.address'], s.attributes['url.path']]), [['sibling.example.com', '/sibling']]);
    assert.ok(spans.some((s) => s.kind === SPAN_KIND.CLIENT && s.traceId === server[0]!.traceId), 'the sibling has a client span');
    assert.equal(spans.filter((s) => s.attributes['url.path'] === '/mine' || String(s.attributes['url.full'] ?? '').endsWith('/mine')).length, 0);
    assert.equal(spans.filter((s) => s.traceId === INCOMING.split('-')[1]).length, 0, 'no span joins the incoming trace');
  });
}
