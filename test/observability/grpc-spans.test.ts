import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SPAN_KIND, STATUS, service, startTraced, traceWhere } from '../support/tracing.ts';
import { echoClient, grpc, startEchoServer, unary } from '../support/grpc.ts';
import { waitFor } from '../support/wait.ts';

describe('gRPC calls in spans and access logs', () => {
  it('server and client spans carry rpc.system, rpc.service, rpc.method and rpc.grpc.status_code; non-OK is Error; the access log shows the status', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const lines: string[] = [];
    const gw = await startTraced(t, {
      routers: { echo: { rule: 'PathPrefix(`/tagway.test.Echo/`)', service: 'echo' } },
      services: { echo: service(`h2c://${up.address}`) },
    }, { flags: ['--accessLog.format=json'], accessLogWrite: (line) => { lines.push(line); } });
    const client = echoClient(t, new URL(gw.web).host);

    assert.equal((await unary(client, { n: 1 })).err, null);
    const ok = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER && s.attributes['rpc.grpc.status_code'] === 0, 2);
    const okServer = ok.root();
    const okClient = ok.one('ReverseProxy');
    for (const span of [okServer, okClient]) {
      assert.equal(span.attributes['rpc.system'], 'grpc');
      assert.equal(span.attributes['rpc.service'], 'tagway.test.Echo');
      assert.equal(span.attributes['rpc.method'], 'Unary');
      assert.equal(span.attributes['rpc.grpc.status_code'], 0);
      assert.equal(span.attributes['http.response.status_code'], 200);
      assert.notEqual(span.status.code, STATUS.ERROR);
    }
    assert.equal(okClient.attributes['url.full'], `h2c://${up.address}/tagway.test.Echo/Unary`);
    assert.equal(okClient.attributes['network.protocol.version'], '2');

    assert.equal((await unary(client, { n: 2, fail: true })).err?.code, grpc.status.NOT_FOUND);
    const failed = await traceWhere(gw.collector, (s) => s.kind === SPAN_KIND.SERVER && s.attributes['rpc.grpc.status_code'] === grpc.status.NOT_FOUND, 2);
    for (const span of [failed.root(), failed.one('ReverseProxy')]) {
      assert.equal(span.attributes['rpc.grpc.status_code'], grpc.status.NOT_FOUND);
      assert.equal(span.attributes['http.response.status_code'], 200);
      assert.equal(span.status.code, STATUS.ERROR);
      assert.equal(span.status.message, 'gRPC status NOT_FOUND');
    }

    await waitFor('two access-log lines', () => lines.length >= 2);
    const statuses = lines.map((l) => (JSON.parse(l) as { GRPCStatus?: number; DownstreamStatus: number }));
    assert.deepEqual(statuses.map((s) => [s.DownstreamStatus, s.GRPCStatus]), [[200, 0], [200, grpc.status.NOT_FOUND]]);
  });
});
