import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import bcrypt from 'bcryptjs';
import { startUpstream, request } from '../../support/upstream.ts';
import { SPAN_KIND, STATUS, service, startTraced, traceWhere } from '../../support/tracing.ts';

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('span status through the running gateway', () => {
  const statuses = [
    { desc: 'upstream 5xx: server span Error, client span Error', status: 503, server: STATUS.ERROR, client: STATUS.ERROR },
    { desc: 'upstream 4xx: client span Error only', status: 404, server: STATUS.UNSET, client: STATUS.ERROR },
    { desc: 'upstream 2xx: neither', status: 201, server: STATUS.UNSET, client: STATUS.UNSET },
  ];
  for (const c of statuses) {
    it(c.desc, async (t) => {
      const up = await startUpstream(t, 'app', (req, res) => { req.resume(); res.writeHead(c.status); res.end(); });
      const gw = await startTraced(t, {
        routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
        services: { app: service(up.url) },
      });
      assert.equal((await request(`${gw.web}/s`)).status, c.status);
      const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, 2);
      const server = trace.one('GET');
      const client = trace.one('ReverseProxy');
      assert.equal(server.status.code, c.server);
      assert.equal(client.status.code, c.client);
      assert.equal(server.attributes['http.response.status_code'], c.status);
      assert.equal(client.attributes['http.response.status_code'], c.status);
    });
  }

  it('refused upstream: 502, client span Error with the transport error, server span Error', async (t) => {
    const port = await closedPort();
    const gw = await startTraced(t, {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
      services: { app: service(`http://127.0.0.1:${port}`) },
    });
    assert.equal((await request(`${gw.web}/down`)).status, 502);
    const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, 2);
    const client = trace.one('ReverseProxy');
    assert.equal(client.status.code, STATUS.ERROR);
    assert.equal(client.attributes['http.response.status_code'], 502);
    assert.equal(typeof client.attributes['error.type'], 'string');
    assert.ok(client.events.some((e) => e.name === 'exception'), 'the exception is recorded');
    assert.equal(client.attributes['server.port'], port);
    const server = trace.one('GET');
    assert.equal(server.status.code, STATUS.ERROR);
    assert.equal(server.attributes['http.response.status_code'], 502);
  });

  it('client gone before the upstream answered: server span 499, client span Error TAGWAY_CLIENT_GONE with its exception', async (t) => {
    let arrived!: () => void;
    const upstreamHasIt = new Promise<void>((resolve) => { arrived = resolve; });
    const held: ServerResponse[] = [];
    const up = await startUpstream(t, 'slow', (req, res) => { req.resume(); held.push(res); arrived(); });
    t.after(() => { for (const res of held) res.destroy(); });
    const gw = await startTraced(t, {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
      services: { app: service(up.url) },
    });
    const client = httpRequest(`${gw.web}/wait`);
    client.on('error', () => {}); // the abort below
    client.end();
    await upstreamHasIt;
    client.destroy();
    const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, 2);
    const server = trace.one('GET');
    assert.equal(server.attributes['http.response.status_code'], 499);
    assert.equal(server.status.code, STATUS.UNSET, '499 is below the server span\'s 5xx rule');
    const attempt = trace.one('ReverseProxy');
    assert.equal(attempt.parentSpanId, server.spanId);
    assert.equal(attempt.attributes['http.response.status_code'], 499);
    assert.equal(attempt.attributes['error.type'], 'TAGWAY_CLIENT_GONE');
    assert.equal(attempt.status.code, STATUS.ERROR);
    assert.ok(attempt.events.some((e) => e.name === 'exception'), 'the exception is recorded');
    assert.equal(attempt.attributes['url.full'], `${up.url}/wait`);
  });

  const refusals = [
    {
      desc: 'basicAuth refuses (401): server span Error with its reason, its middleware span too',
      middleware: { basicAuth: { users: [`alice:${bcrypt.hashSync('right', 4)}`] } },
      span: 'BasicAuth', status: 401, reason: /^Authentication failed$/, headers: { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` },
    },
    {
      desc: 'ipAllowList refuses (403): server span Error with its reason, its middleware span too',
      middleware: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } },
      span: 'IPAllowLister', status: 403, reason: /^Rejecting IP 127\.0\.0\.1\b/, headers: {} as Record<string, string>,
    },
  ];
  for (const c of refusals) {
    for (const verbosity of ['minimal', 'detailed'] as const) {
      it(`${c.desc} (${verbosity})`, async (t) => {
        const up = await startUpstream(t, 'app');
        const gw = await startTraced(t, {
          routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'], middlewares: ['guard'], observability: { traceVerbosity: verbosity } } },
          services: { app: service(up.url) },
          middlewares: { guard: c.middleware },
        });
        assert.equal((await request(`${gw.web}/guarded`, { headers: c.headers })).status, c.status);
        assert.equal(up.seen.length, 0, 'refused before the upstream');
        const size = verbosity === 'detailed' ? 3 : 1;
        const trace = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER, size);
        assert.equal(trace.spans.length, size, trace.describe());
        const server = trace.one('GET');
        assert.equal(server.attributes['http.response.status_code'], c.status);
        assert.equal(server.status.code, STATUS.ERROR, 'a 4xx from a refusing middleware still fails the server span');
        assert.match(server.status.message, c.reason, 'with the reason');
        assert.equal(trace.all('ReverseProxy').length, 0);
        if (verbosity === 'minimal') return;
        const step = trace.one(c.span);
        assert.equal(step.status.code, STATUS.ERROR);
        assert.equal(step.status.message, server.status.message);
        assert.equal(step.parentSpanId, trace.one('Router').spanId);
      });
    }
  }
});
