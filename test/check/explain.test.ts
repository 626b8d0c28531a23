import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../support/gateway.ts';
import { request } from '../support/upstream.ts';
import { startCollector } from '../support/collector.ts';
import { serviceWithUpstream } from '../support/operate.ts';
import { runCli } from '../support/cli.ts';
import { formatExplanation } from '../../src/check/explain-cli.ts';

interface Explained {
  matched: string | null;
  evaluated: Array<{ router: string; priority: number; matched: boolean; reason?: string }>;
  router?: { name: string; observability: Record<string, unknown>; observabilitySources: Record<string, string> };
  service?: { name: string; servers: Array<{ url: string; weight: number; status: string }>; pick: string };
  traced: boolean;
  tracedBecause: string;
}

describe('explain: which router takes a request, and why', () => {
  it('answers on /api/explain and through `tagway explain` against a running gateway', async (t) => {
    const collector = await startCollector();
    const { gateway, catalog, web, admin } = await startTestGateway(t, {
      flags: [`--tracing.otlp.http.endpoint=${collector.endpoint}`, '--entryPoints.web.observability.accessLogs=false',
        '--entryPoints.dark.address=127.0.0.1:0', '--entryPoints.dark.observability.tracing=false'],
    });
    t.after(() => collector.close()); // after the gateway has flushed its spans
    const on = (r: string) => [`http.routers.${r}.entryPoints=web`];
    await serviceWithUpstream(t, gateway, catalog!, 'api', ['http.routers.api.rule=Host(`shop.test`) && PathPrefix(`/api`)', ...on('api'), 'http.routers.api.observability.tracing=false']);
    await serviceWithUpstream(t, gateway, catalog!, 'admin', ['http.routers.admin.rule=Host(`shop.test`) && PathPrefix(`/admin`)', ...on('admin'), 'http.routers.admin.priority=100']);
    const shop = await serviceWithUpstream(t, gateway, catalog!, 'shop', ['http.routers.shop.rule=Host(`shop.test`)', ...on('shop'), 'http.services.shop.loadBalancer.server.weight=3']);
    catalog!.register({ ID: 'shop-2', Name: 'shop', Address: '127.0.0.2', Port: shop.port, Tags: ['traefik.http.routers.shop.rule=Host(`shop.test`)', 'traefik.http.routers.shop.entryPoints=web', 'traefik.http.services.shop.loadBalancer.server.weight=1'] });
    await gateway.nextReload();

    const explain = async (url: string, extra = '&entryPoint=web'): Promise<{ status: number; body: Explained }> => {
      const res = await fetch(`${admin}/api/explain?url=${encodeURIComponent(url)}${extra}`);
      return { status: res.status, body: await res.json() as Explained };
    };
    const cart = (await explain('http://shop.test/cart')).body;
    assert.equal(cart.matched, 'shop@consulcatalog');
    assert.deepEqual(cart.evaluated.map((e) => [e.router, e.priority, e.matched]), [
      ['admin@consulcatalog', 100, false], ['api@consulcatalog', 'Host(`shop.test`) && PathPrefix(`/api`)'.length, false], ['shop@consulcatalog', 'Host(`shop.test`)'.length, true],
    ]);
    assert.equal(cart.evaluated[0]!.reason, 'PathPrefix(`/admin`) is false (path "/cart")');
    assert.deepEqual(cart.router?.observability, { accessLogs: false, metrics: true, tracing: true, traceVerbosity: 'minimal' });
    assert.deepEqual(cart.router?.observabilitySources, { accessLogs: 'entryPoint', metrics: 'default', tracing: 'default', traceVerbosity: 'default' });
    assert.deepEqual(cart.service?.servers.map((s) => [s.url, s.weight]).sort(), [[shop.url, 3], [`http://127.0.0.2:${shop.port}`, 1]].sort());
    assert.match(cart.service!.pick, /^weighted round robin over 2 healthy server\(s\): .*75%.*25%|.*25%.*75%/);
    assert.equal(cart.traced, true);
    // The live request goes where explain says.
    assert.equal((await request(`${web}/cart`, { headers: { host: 'shop.test' } })).status, 200);

    const api = (await explain('http://shop.test/api/x')).body;
    assert.equal(api.matched, 'api@consulcatalog');
    assert.equal(api.traced, false);
    assert.equal(api.tracedBecause, 'observability.tracing is false (from the router)');
    assert.equal(api.router?.observabilitySources['tracing'], 'router');

    const none = (await explain('http://other.test/')).body;
    assert.equal(none.matched, null);
    assert.equal(none.evaluated.length, 3);
    assert.equal(none.traced, true, 'the gateway traces a 404 when the entry point traces');
    assert.equal(none.tracedBecause, 'no router matches: the entry point\'s observability.tracing (true) applies to the 404');
    assert.ok(none.evaluated.every((e) => !e.matched && /^Host\(`shop\.test`\) is false \(host "other\.test"\)$/.test(e.reason ?? '')));

    const dark = (await explain('http://other.test/', '&entryPoint=dark')).body;
    assert.deepEqual([dark.matched, dark.traced], [null, false], 'an entry point with tracing=false does not trace its 404s');

    const bad = await explain('not a url');
    assert.equal(bad.status, 400);
    assert.equal((await explain('http://shop.test/', '&entryPoint=nope')).status, 400);

    // One child at a time: the machine is small and shared.
    const cli = await runCli(['explain', `--admin=${admin}`, '--entry-point=web', 'http://shop.test/cart']);
    const cliApi = await runCli(['explain', `--admin=${admin}`, '--entry-point=web', '--method=POST', 'http://shop.test/api/orders']);
    const cliDown = await runCli(['explain', '--admin=http://127.0.0.1:9', 'http://shop.test/']);
    const cliNone = { stdout: formatExplanation(none as unknown as Parameters<typeof formatExplanation>[0]) };
    assert.equal(cli.code, 0, cli.stderr);
    const cases = [
      { desc: 'the request', out: cli.stdout, want: /^GET shop\.test\/cart on entry point "web"$/m },
      { desc: 'higher priority router that did not match, with why', out: cli.stdout, want: /^ {2}✘ admin@consulcatalog \(priority 100\): PathPrefix\(`\/admin`\) is false \(path "\/cart"\)$/m },
      { desc: 'the match', out: cli.stdout, want: /^matched router shop@consulcatalog: Host\(`shop\.test`\)$/m },
      { desc: 'service and servers', out: cli.stdout, want: /^service shop@consulcatalog: weighted round robin over 2 healthy server\(s\)/m },
      { desc: 'source: entry point', out: cli.stdout, want: /^ {2}accessLogs: false \(from entryPoint\)$/m },
      { desc: 'source: default', out: cli.stdout, want: /^ {2}tracing: true \(from default\)$/m },
      { desc: 'traced', out: cli.stdout, want: /^this request would be traced: observability\.tracing is true \(from the default\)$/m },
      { desc: 'router turns tracing off', out: cliApi.stdout, want: /^this request would not be traced: observability\.tracing is false \(from the router\)$/m },
      { desc: 'method shown', out: cliApi.stdout, want: /^POST shop\.test\/api\/orders/m },
      { desc: 'no match', out: cliNone.stdout, want: /^no router matches: the request gets 404$/m },
      { desc: 'tracing settings with their source: a flag', out: cli.stdout, want: /^ {2}endpoint: http:\/\/127\.0\.0\.1:\d+\/v1\/traces \(from flag\)$/m },
      { desc: 'tracing settings with their source: the default', out: cli.stdout, want: /^ {2}batch\.maxQueueSize: 2048 \(from default\)$/m },
      { desc: 'tracing settings: the protocol', out: cli.stdout, want: /^ {2}protocol: http\/protobuf \(from default\)$/m },
      { desc: 'gateway unreachable: one line', out: cliDown.stderr, want: /^tagway explain: cannot reach http:\/\/127\.0\.0\.1:9: .*\n$/ },
    ];
    for (const c of cases) assert.match(c.out, c.want, c.desc);
    assert.equal(cliDown.code, 1);
  });
});
