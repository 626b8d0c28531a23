import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFileGateway, send, lb } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';

// Middlewares that hold the response (buffering, errors, contentType, failover) nest: the inner one lets go of the
// response to the outer one, never past it to the client.
describe('response taps nest', () => {
  it('buffering around contentType and errors still buffers the answer (Content-Length) and sees its status', async (t) => {
    let calls = 0;
    const up = await startUpstream(t, 'up', (req, res) => {
      req.resume();
      calls++;
      if (req.url === '/flaky' && calls % 2 === 1) { res.writeHead(502); res.end('bad gateway'); return; }
      res.writeHead(200); // no Content-Type, no Content-Length: chunked
      res.write('hello ');
      res.end('world');
    });
    const page = await startUpstream(t, 'page', (req, res) => { req.resume(); res.end('error page'); });
    const gw = await startFileGateway(t, {
      routers: {
        ct: { rule: 'Path(`/ct`)', service: 'up', middlewares: ['b', 'ct'] },
        flaky: { rule: 'Path(`/flaky`)', service: 'up', middlewares: ['retrying', 'pages'] },
      },
      middlewares: {
        b: { buffering: {} },
        ct: { contentType: {} },
        retrying: { buffering: { retryExpression: 'ResponseCode() == 502 && Attempts() < 3' } },
        pages: { errors: { status: ['404'], service: 'page', query: '/' } },
      },
      services: { up: lb(up.url), page: lb(page.url) },
    });
    const r = await send(gw.web, '/ct');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello world');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', 'contentType ran');
    assert.equal(r.headers['content-length'], '11', 'buffering, outside, still sent it with its length');
    assert.equal(r.headers['transfer-encoding'], undefined);
    calls = 0;
    const f = await send(gw.web, '/flaky');
    assert.equal(f.status, 200, 'buffering saw the 502 through errors (not in its ranges) and retried');
    assert.equal(f.body, 'hello world');
    assert.equal(calls, 2);
  });
});
