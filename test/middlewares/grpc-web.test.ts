import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createServer, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { request } from 'node:http';
import { startFileGateway, send } from '../support/file-gateway.ts';
import { closeH2AtEnd } from '../support/upstream.ts';

/** A gRPC message frame: flag 0, big-endian length, payload. */
function frame(payload: Buffer, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

interface Seen { headers: IncomingHttpHeaders; body: Buffer }
/** A real HTTP/2 cleartext gRPC server: echoes the message reversed, or answers trailers-only NOT_FOUND for /x.Svc/Missing. */
async function grpcUpstream(t: TestContext): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer();
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers, body });
      if (headers[':path'] === '/x.Svc/Missing') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'no such thing' }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': String(headers['content-type']), 'x-served-by': 'grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(frame(Buffer.from(body.subarray(5).toString().split('').reverse().join(''))));
    });
  });
  closeH2AtEnd(t, server); // the gateway keeps its HTTP/2 session to the server open while idle
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `h2c://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

function post(base: string, path: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const trailerFrame = (text: string): Buffer => frame(Buffer.from(text), 0x80);

describe('grpcWeb through the running gateway to an h2c gRPC server', () => {
  it('turns gRPC-Web calls (binary and text) into gRPC and the answers, trailers included, back into gRPC-Web', async (t) => {
    const up = await grpcUpstream(t);
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/x.Svc/`)', service: 'grpc', middlewares: ['web'] } },
      middlewares: { web: { grpcWeb: { allowOrigins: ['https://app.test'] } } },
      services: { grpc: { loadBalancer: { servers: [{ url: up.url }] } } },
    });
    const r = await post(gw.web, '/x.Svc/Echo', { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', origin: 'https://app.test' }, frame(Buffer.from('hello')));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc-web+proto');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.test');
    assert.match(String(r.headers['access-control-expose-headers']), /grpc-status, grpc-message/);
    assert.deepEqual(r.body, Buffer.concat([frame(Buffer.from('olleh')), trailerFrame('grpc-status: 0\r\ngrpc-message: OK\r\n')]));
    const seen = up.seen.at(-1)!;
    assert.equal(seen.headers['content-type'], 'application/grpc+proto', 'the upstream gets gRPC');
    assert.equal(seen.headers.te, 'trailers');
    assert.deepEqual(seen.body, frame(Buffer.from('hello')));

    const text = await post(gw.web, '/x.Svc/Echo', { 'content-type': 'application/grpc-web-text' }, frame(Buffer.from('abc')).toString('base64'));
    assert.equal(text.headers['content-type'], 'application/grpc-web-text');
    assert.equal(text.headers['access-control-allow-origin'], undefined, 'no Origin, no CORS');
    assert.deepEqual(Buffer.from(text.body.toString(), 'base64'), Buffer.concat([frame(Buffer.from('cba')), trailerFrame('grpc-status: 0\r\ngrpc-message: OK\r\n')]));
    assert.deepEqual(up.seen.at(-1)!.body, frame(Buffer.from('abc')), 'the base64 body is decoded for the upstream');

    const missing = await post(gw.web, '/x.Svc/Missing', { 'content-type': 'application/grpc-web' }, frame(Buffer.from('x')));
    assert.equal(missing.status, 200);
    assert.equal(missing.headers['grpc-status'], '5', 'a trailers-only answer keeps its status in the head');
    assert.equal(missing.headers['grpc-message'], 'no such thing');
  });

  it('answers CORS preflights for allowed origins and lets other requests through untouched', async (t) => {
    const up = await grpcUpstream(t);
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'grpc', middlewares: ['web'] } },
      middlewares: { web: { grpcWeb: { allowOrigins: ['https://app.test'] } } },
      services: { grpc: { loadBalancer: { servers: [{ url: up.url }] } } },
    });
    const pre = await send(gw.web, '/x.Svc/Echo', { method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'post', 'access-control-request-headers': 'content-type,x-grpc-web' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(pre.headers['access-control-allow-methods'], 'POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type,x-grpc-web');
    assert.equal(pre.headers['access-control-max-age'], '600');
    const denied = await send(gw.web, '/x.Svc/Echo', { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-grpc-web' } });
    assert.equal(denied.status, 204);
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
    assert.equal(up.seen.length, 0, 'preflights never reach the upstream');
    const plain = await post(gw.web, '/x.Svc/Echo', { 'content-type': 'application/grpc' }, frame(Buffer.from('hi')));
    assert.equal(up.seen.at(-1)!.headers['content-type'], 'application/grpc', 'a gRPC call passes as it is');
    assert.equal(plain.headers['content-type'], 'application/grpc');
  });
});
