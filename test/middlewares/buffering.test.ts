import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { startFileGateway, send, lb } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/buffering/buffering_test.go`);

// buffering_test.go TestBuffering: the upstream echoes the body; payload of 1 KiB.
const cases = [
  { desc: 'Unlimited response and request body size', cfg: {}, status: 200 },
  { desc: 'Limited request body size', cfg: { maxRequestBodyBytes: 1 }, status: 413 },
  { desc: 'Limited response body size', cfg: { maxResponseBodyBytes: 1 }, status: 500 },
];

describe('buffering through the running gateway', () => {
  it('Traefik TestBuffering cases, and what the upstream receives', async (t) => {
    const up = await startUpstream(t, 'up', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-request-length', String(req.headers['content-length'] ?? 'none'));
        res.setHeader('x-request-te', String(req.headers['transfer-encoding'] ?? 'none'));
        res.write(Buffer.concat(chunks));
        res.end();
      });
    });
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    cases.forEach((c, i) => {
      middlewares[`b${i}`] = { buffering: c.cfg };
      routers[`r${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: 'up', middlewares: [`b${i}`] };
    });
    const gw = await startFileGateway(t, { routers, middlewares, services: { up: lb(up.url) } });
    const payload = Buffer.alloc(1024, 'a');
    for (const [i, c] of cases.entries()) {
      await tally.runAsync(c.desc, undefined, async () => {
        const r = await send(gw.web, '/', { method: 'POST', headers: { 'x-case': String(i) }, body: payload });
        assert.equal(r.status, c.status, r.body);
        if (c.status === 200) {
          assert.equal(r.body, payload.toString());
          assert.equal(r.headers['content-length'], '1024', 'the buffered response has a length');
        }
      });
    }
    // A chunked upload reaches the upstream with a Content-Length (oxy turns it into a sized request).
    const url = new URL(gw.web);
    const chunked = await new Promise<{ headers: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'x-case': '0', 'transfer-encoding': 'chunked' }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve({ headers: res.headers })); });
      req.on('error', reject);
      req.write('hello ');
      req.end('world');
    });
    assert.equal(chunked.headers['x-request-length'], '11');
    assert.equal(chunked.headers['x-request-te'], 'none');
    // Expect: 100-continue: the gateway reads the body (the client got its "100 Continue"), the upstream is sent the
    // body with its length and no Expect to wait on.
    const continued = await new Promise<{ body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'x-case': '0', expect: '100-continue', 'content-length': '5' }, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c; });
        res.on('end', () => resolve({ body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.on('continue', () => req.end('hello'));
    });
    assert.equal(continued.body, 'hello');
    assert.equal(continued.headers['x-request-length'], '5');
    tally.report(t);
  });

  it('retryExpression sends the buffered request again while it holds', async (t) => {
    let calls = 0;
    const bodies: string[] = [];
    const up = await startUpstream(t, 'up', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c; });
      req.on('end', () => {
        calls++;
        bodies.push(body);
        if (calls < 3) { res.writeHead(503); res.end('busy'); return; }
        res.end(`served after ${calls}`);
      });
    });
    const gw = await startFileGateway(t, {
      routers: {
        r: { rule: 'Path(`/retry`)', service: 'up', middlewares: ['b'] },
        once: { rule: 'Path(`/once`)', service: 'up', middlewares: ['b1'] },
      },
      middlewares: {
        b: { buffering: { retryExpression: 'ResponseCode() == 503 && Attempts() < 5' } },
        b1: { buffering: { retryExpression: 'IsNetworkError() && Attempts() < 2' } },
      },
      services: { up: lb(up.url) },
    });
    const r = await send(gw.web, '/retry', { method: 'POST', body: 'payload' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'served after 3');
    assert.deepEqual(bodies, ['payload', 'payload', 'payload'], 'every attempt gets the whole body');
    calls = 0;
    const once = await send(gw.web, '/once');
    assert.equal(once.status, 503, 'a 503 is not a network error: no retry');
    assert.equal(calls, 1);
  });

  it('refuses a bad retry expression and negative sizes by option', () => {
    for (const [cfg, re] of [[{ retryExpression: 'Attempts( < 2' }, /buffering.retryExpression/], [{ maxRequestBodyBytes: -1 }, /buffering.maxRequestBodyBytes/], [{ retryExpression: 'Nope() > 1' }, /unknown function/]] as const) {
      const built = buildMiddleware('b@file', { buffering: cfg }, () => new Error('none'));
      assert.ok(built instanceof Error && re.test(built.message), built instanceof Error ? built.message : 'built');
    }
  });
});
