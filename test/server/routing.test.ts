import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { getJson, startTestGateway, waitForState } from '../support/gateway.ts';
import { lb, send, servedBy, startFileGateway, type DynamicHttp } from '../support/file-gateway.ts';

/** One upstream per router, named after it, so a reply says which router matched. */
async function routersTo(t: TestContext, rules: Record<string, string | { rule: string; priority?: number; entryPoints?: string[] }>): Promise<{ http: DynamicHttp; ups: Map<string, Upstream> }> {
  const ups = new Map<string, Upstream>();
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(rules)) {
    const up = await startUpstream(t, name);
    ups.set(name, up);
    services[name] = lb(up.url);
    routers[name] = { ...(typeof spec === 'string' ? { rule: spec } : spec), service: name };
  }
  return { http: { routers, services }, ups };
}

describe('routing through the gateway', () => {
  it('applies every matcher as Traefik v3 does', async (t) => {
    const { http } = await routersTo(t, {
      host: 'Host(`host.test`)',
      wildcard: 'Host(`*.wild.test`)',
      deep: 'Host(`**.deep.test`)',
      hostre: 'HostRegexp(`^api-[0-9]+\\.re\\.test$`)',
      path: 'Host(`p.test`) && Path(`/exact`)',
      prefix: 'Host(`p.test`) && PathPrefix(`/pre`)',
      pathre: 'Host(`p.test`) && PathRegexp(`^/items/[0-9]+$`)',
      method: 'Host(`m.test`) && Method(`DELETE`)',
      header: 'Host(`h.test`) && Header(`X-Env`, `prod`)',
      headerre: 'Host(`h.test`) && HeaderRegexp(`X-Version`, `^v[23]$`)',
      query: 'Host(`q.test`) && Query(`debug`, `1`)',
      queryre: 'Host(`q.test`) && QueryRegexp(`lang`, `^(en|fr)$`)',
      client: 'Host(`c.test`) && ClientIP(`127.0.0.0/8`)',
      clientno: 'Host(`c2.test`) && ClientIP(`10.0.0.0/8`)',
      negated: 'Host(`n.test`) && !PathPrefix(`/private`)',
    });
    const gw = await startFileGateway(t, http);
    const cases: Array<{ desc: string; path?: string; method?: string; headers: Record<string, string>; want: string | 404 }> = [
      { desc: 'Host exact', headers: { host: 'host.test' }, want: 'host' },
      { desc: 'Host ignores case', headers: { host: 'HoSt.TEST' }, want: 'host' },
      { desc: 'Host ignores the port', headers: { host: 'host.test:8443' }, want: 'host' },
      { desc: 'Host ignores one trailing dot', headers: { host: 'host.test.' }, want: 'host' },
      { desc: 'Host with trailing dot and port', headers: { host: 'host.test.:80' }, want: 'host' },
      { desc: 'Host other name', headers: { host: 'nothost.test' }, want: 404 },
      { desc: 'Host *. one label', headers: { host: 'a.wild.test' }, want: 'wildcard' },
      { desc: 'Host *. not two labels', headers: { host: 'a.b.wild.test' }, want: 404 },
      { desc: 'Host *. not the apex', headers: { host: 'wild.test' }, want: 404 },
      { desc: 'Host **. nested labels', headers: { host: 'a.b.c.deep.test' }, want: 'deep' },
      { desc: 'HostRegexp matches', headers: { host: 'api-42.re.test' }, want: 'hostre' },
      { desc: 'HostRegexp ignores the port', headers: { host: 'api-7.re.test:9000' }, want: 'hostre' },
      { desc: 'HostRegexp no match', headers: { host: 'api-x.re.test' }, want: 404 },
      { desc: 'Path exact', path: '/exact', headers: { host: 'p.test' }, want: 'path' },
      { desc: 'Path is not a prefix', path: '/exact/more', headers: { host: 'p.test' }, want: 404 },
      { desc: 'Path after dot segments are cleaned', path: '/x/../exact', headers: { host: 'p.test' }, want: 'path' },
      { desc: 'Path with an escaped unreserved char', path: '/%65xact', headers: { host: 'p.test' }, want: 'path' },
      { desc: 'PathPrefix', path: '/pre/a/b', headers: { host: 'p.test' }, want: 'prefix' },
      { desc: 'PathPrefix is a string prefix', path: '/prefix', headers: { host: 'p.test' }, want: 'prefix' },
      { desc: 'PathRegexp', path: '/items/12', headers: { host: 'p.test' }, want: 'pathre' },
      { desc: 'PathRegexp no match', path: '/items/x', headers: { host: 'p.test' }, want: 404 },
      { desc: 'Method', method: 'DELETE', headers: { host: 'm.test' }, want: 'method' },
      { desc: 'Method other', method: 'GET', headers: { host: 'm.test' }, want: 404 },
      { desc: 'Header exact', headers: { host: 'h.test', 'x-env': 'prod' }, want: 'header' },
      { desc: 'Header value is case-sensitive', headers: { host: 'h.test', 'x-env': 'PROD' }, want: 404 },
      { desc: 'HeaderRegexp', headers: { host: 'h.test', 'x-version': 'v3' }, want: 'headerre' },
      { desc: 'Query', path: '/?debug=1', headers: { host: 'q.test' }, want: 'query' },
      { desc: 'Query other value', path: '/?debug=2', headers: { host: 'q.test' }, want: 404 },
      { desc: 'QueryRegexp', path: '/?lang=fr', headers: { host: 'q.test' }, want: 'queryre' },
      { desc: 'ClientIP in range', headers: { host: 'c.test' }, want: 'client' },
      { desc: 'ClientIP ignores X-Forwarded-For', headers: { host: 'c2.test', 'x-forwarded-for': '10.1.2.3' }, want: 404 },
      { desc: 'negation', path: '/public', headers: { host: 'n.test' }, want: 'negated' },
      { desc: 'negation refuses', path: '/private/x', headers: { host: 'n.test' }, want: 404 },
    ];
    for (const c of cases) {
      const r = await send(gw.web, c.path ?? '/', { method: c.method, headers: c.headers });
      if (c.want === 404) {
        assert.equal(r.status, 404, c.desc);
        assert.equal(r.body, '404 page not found\n', c.desc);
      } else {
        assert.equal(r.status, 200, c.desc);
        assert.equal(servedBy(r), c.want, c.desc);
      }
    }
  });

  it('orders by priority (default: rule length), ties by name', async (t) => {
    const { http } = await routersTo(t, {
      short: 'PathPrefix(`/`)',
      longer: 'PathPrefix(`/api`)',
      forced: { rule: 'PathPrefix(`/`)', priority: 1000 },
      low: { rule: 'PathPrefix(`/api/v1`)', priority: 1 },
      tieB: 'Host(`tie.test`) && Path(`/tt`)',
      tieA: 'Host(`tie.test`) && Path(`/tt`)',
    });
    // `forced` catches everything except what a higher priority takes: give it a host to keep it apart.
    (http.routers!['forced'] as { rule: string }).rule = 'Host(`forced.test`) || PathPrefix(`/f`)';
    const gw = await startFileGateway(t, http);
    const cases = [
      { desc: 'longer rule wins', path: '/api/x', host: 'a.test', want: 'longer' },
      { desc: 'explicit low priority loses to longer default', path: '/api/v1/x', host: 'a.test', want: 'longer' },
      { desc: 'catch-all', path: '/other', host: 'a.test', want: 'short' },
      { desc: 'explicit high priority beats a longer rule', path: '/api', host: 'forced.test', want: 'forced' },
      { desc: 'equal priority: name order decides', path: '/tt', host: 'tie.test', want: 'tieA' },
    ];
    for (const c of cases) {
      const r = await send(gw.web, c.path, { headers: { host: c.host } });
      assert.equal(servedBy(r), c.want, c.desc);
    }
  });

  it('disables only the router whose rule does not parse, and says where (Consul tags)', async (t) => {
    const up = await startUpstream(t, 'tagged');
    const { gateway, catalog, web, admin } = await startTestGateway(t, { flags: ['--providers.consulCatalog.exposedByDefault=false'] });
    catalog!.register({
      Name: 'app', Address: '127.0.0.1', Port: up.port,
      Tags: [
        'traefik.enable=true',
        'traefik.http.routers.good.rule=Path(`/good`)',
        'traefik.http.routers.bad.rule=Path(`/bad`) && Hots(`x`)',
        'traefik.http.services.app.loadBalancer.server.port=' + up.port,
      ],
    });
    await waitForState(gateway, (s) => s.routers['good@consulcatalog'] !== undefined && s.routers['bad@consulcatalog'] !== undefined);
    assert.equal(servedBy(await send(web, '/good')), 'tagged');
    assert.equal((await send(web, '/bad')).status, 404);
    const { body } = await getJson<{ status: string; error: string[] }>(`${admin}/api/http/routers/bad@consulcatalog`);
    assert.equal(body.status, 'disabled');
    const [head, ruleLine, caretLine] = body.error.join('\n').split('\n') as [string, string, string];
    assert.equal(head, 'invalid rule at column 17: unknown matcher "Hots"');
    assert.equal(ruleLine, 'Path(`/bad`) && Hots(`x`)');
    assert.equal(caretLine.indexOf('^'), ruleLine.indexOf('Hots'), 'the caret points at the unknown matcher');
    assert.match(caretLine, /unknown matcher "Hots"/);
    const { body: good } = await getJson<{ status: string }>(`${admin}/api/http/routers/good@consulcatalog`);
    assert.equal(good.status, 'enabled');
  });

  it('answers 404 with no router and 400 on a malformed percent-escape', async (t) => {
    const { http } = await routersTo(t, { all: 'PathPrefix(`/`)' });
    const gw = await startFileGateway(t, http);
    for (const path of ['/bad%zz', '/bad%', '/a%4']) {
      const r = await send(gw.web, path);
      assert.equal(r.status, 400, path);
    }
    const empty = await startFileGateway(t, { routers: {} });
    const r = await send(empty.web, '/x');
    assert.equal(r.status, 404);
    assert.equal(r.body, '404 page not found\n');
  });

  it('answers 400 to a request that does not parse and 431 to oversized headers', async (t) => {
    const { http } = await routersTo(t, { all: 'PathPrefix(`/`)' });
    const gw = await startFileGateway(t, http, ['--entryPoints.web.http.maxHeaderBytes=16384']);
    const { port } = new URL(gw.web);
    const raw = (payload: string) => new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(payload));
      let got = '';
      socket.on('data', (c: Buffer) => { got += c; });
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    const cases = [
      { desc: 'garbage request line', payload: 'HELLO\r\n\r\n', want: /^HTTP\/1\.1 400 / },
      { desc: 'header block over the limit', payload: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, want: /^HTTP\/1\.1 431 / },
    ];
    for (const c of cases) assert.match(await raw(c.payload), c.want, c.desc);
  });

  it('binds routers to their entry points (default: all but traefik)', async (t) => {
    const { http } = await routersTo(t, {
      everywhere: 'Path(`/e`)',
      onlyOther: { rule: 'Path(`/o`)', entryPoints: ['other'] },
      onlyWeb: { rule: 'Path(`/w`)', entryPoints: ['web'] },
      onAdmin: { rule: 'Path(`/a`)', entryPoints: ['traefik'] },
      nowhere: { rule: 'Path(`/n`)', entryPoints: ['nope'] },
    });
    const gw = await startFileGateway(t, http, ['--entryPoints.other.address=127.0.0.1:0']);
    const other = gw.gateway.url('other');
    const cases = [
      { desc: 'default binding: web', base: gw.web, path: '/e', want: 'everywhere' },
      { desc: 'default binding: other', base: other, path: '/e', want: 'everywhere' },
      { desc: 'default binding excludes traefik (the dashboard catch-all answers)', base: gw.admin, path: '/e', want: undefined },
      { desc: 'bound to other', base: other, path: '/o', want: 'onlyOther' },
      { desc: 'not on web', base: gw.web, path: '/o', want: 404 },
      { desc: 'bound to web', base: gw.web, path: '/w', want: 'onlyWeb' },
      { desc: 'not on other', base: other, path: '/w', want: 404 },
      { desc: 'unknown entry point', base: gw.web, path: '/n', want: 404 },
    ];
    for (const c of cases) {
      const r = await send(c.base, c.path);
      if (c.want === 404) assert.equal(r.status, 404, c.desc);
      else assert.equal(servedBy(r), c.want, c.desc);
    }
    const { body } = await getJson<Array<{ name: string; status: string; error?: string[]; using?: string[] }>>(`${gw.admin}/api/http/routers`);
    const byName = new Map(body.map((r) => [r.name, r]));
    assert.deepEqual([...byName.get('everywhere@file')!.using!].sort(), ['other', 'web']);
    assert.deepEqual(byName.get('onAdmin@file')!.using, ['traefik']);
    assert.equal(byName.get('nowhere@file')!.status, 'disabled');
    assert.match(byName.get('nowhere@file')!.error!.join(), /entryPoint "nope" doesn't exist/);
  });
});

describe('forwarded headers', () => {
  const spoofed = {
    'x-forwarded-for': '203.0.113.9',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'spoof.example',
    'x-forwarded-port': '443',
    'x-forwarded-server': 'spoof-server',
    'x-real-ip': '203.0.113.10',
    'x-forwarded-prefix': '/spoof',
  };

  async function seen(t: TestContext, flags: string[], headers: Record<string, string>): Promise<Record<string, string | string[] | undefined>> {
    const { http, ups } = await routersTo(t, { all: 'PathPrefix(`/`)' });
    const gw = await startFileGateway(t, http, flags);
    const r = await send(gw.web, '/x', { headers: { host: 'app.test:8000', ...headers } });
    assert.equal(r.status, 200);
    return ups.get('all')!.seen.at(-1)!.headers;
  }

  it('sets them from the connection and drops incoming ones from untrusted peers', async (t) => {
    const h = await seen(t, [], spoofed);
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'app.test:8000');
    assert.equal(h['x-forwarded-port'], '8000', 'the port of the Host header, as Traefik');
    assert.equal(h['x-forwarded-server'], hostname());
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-forwarded-prefix'], undefined);
    assert.equal(h.host, 'app.test:8000', 'passHostHeader defaults to true');
  });

  it('defaults X-Forwarded-Port to 80 when the Host has no port', async (t) => {
    const h = await seen(t, [], { host: 'app.test' });
    assert.equal(h['x-forwarded-port'], '80');
  });

  const keptCases = [
    { desc: 'trustedIPs contains the peer', flags: ['--entryPoints.web.forwardedHeaders.trustedIPs=127.0.0.1/32'] },
    { desc: 'insecure trusts everyone', flags: ['--entryPoints.web.forwardedHeaders.insecure=true'] },
  ];
  for (const c of keptCases) {
    it(`keeps incoming ones when ${c.desc}`, async (t) => {
      const h = await seen(t, c.flags, spoofed);
      assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1', 'the peer is appended');
      assert.equal(h['x-forwarded-proto'], 'https');
      assert.equal(h['x-forwarded-host'], 'spoof.example');
      assert.equal(h['x-forwarded-port'], '443');
      assert.equal(h['x-real-ip'], '203.0.113.10');
      assert.equal(h['x-forwarded-server'], hostname(), 'X-Forwarded-Server is always the gateway');
    });
  }

  it('drops them when trustedIPs does not contain the peer', async (t) => {
    const h = await seen(t, ['--entryPoints.web.forwardedHeaders.trustedIPs=10.0.0.0/8'], spoofed);
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
  });

  it('does not let Connection remove the X-Forwarded headers', async (t) => {
    const h = await seen(t, [], { connection: 'keep-alive, X-Forwarded-For, X-Real-Ip, x-custom', 'x-custom': 'gone' });
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-custom'], undefined, 'other headers named in Connection are hop-by-hop');
  });
});
