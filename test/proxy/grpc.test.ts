import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect, constants, createServer as createH2Server, type IncomingHttpHeaders } from 'node:http2';
import { startFileGateway } from '../support/file-gateway.ts';
import { closeH2AtEnd } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';
import { echoClient, grpc, startEchoServer, unary } from '../support/grpc.ts';

/** A file configuration routing every gRPC method of the test service to `url`. */
function grpcRoute(url: string, extra: Record<string, unknown> = {}): { routers: Record<string, unknown>; services: Record<string, unknown> } {
  return {
    routers: { echo: { rule: 'PathPrefix(`/tagway.test.Echo/`)', service: 'echo' } },
    services: { echo: { loadBalancer: { servers: [{ url }], ...extra } } },
  };
}

function gatewayAddress(web: string): string {
  return new URL(web).host;
}

/** One gRPC frame (uncompressed) around `payload`. */
function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

describe('gRPC through the gateway (h2c client → h2c upstream)', () => {
  it('unary: message, header metadata and custom trailing metadata with grpc-status 0', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const r = await unary(client, { n: 7 });
    assert.equal(r.err, null);
    assert.deepEqual(r.res, { n: 7, from: 'u1' });
    assert.deepEqual(r.headers?.get('x-upstream'), ['u1']);
    assert.equal(r.status.code, grpc.status.OK);
    assert.deepEqual(r.status.metadata.get('x-trailer'), ['t-7']);
  });

  it('server streaming, client streaming and bidirectional streaming', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));

    const got: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.ServerStream({ count: 5 });
      call.on('data', (m: unknown) => got.push(m));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((i) => ({ i })));

    const sum = await new Promise<unknown>((resolve, reject) => {
      const call = client.ClientStream(new grpc.Metadata(), {}, (err, res) => (err ? reject(err) : resolve(res)));
      for (let n = 1; n <= 10; n++) call.write({ n });
      call.end();
    });
    assert.deepEqual(sum, { sum: 55, count: 10 });

    // Bidi in lock step: each answer arrives before the next message is sent, so nothing waits for the end.
    const call = client.Bidi();
    const answers: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const answer = new Promise<number>((resolve) => call.once('data', (m: { n: number }) => resolve(m.n)));
      call.write({ n });
      answers.push(await answer);
    }
    const ended = new Promise<void>((resolve) => call.on('end', () => resolve()));
    call.on('data', () => {});
    call.end();
    await ended;
    assert.deepEqual(answers, [2, 4, 6, 8, 10]);
  });

  it('an error status with trailing metadata arrives as the upstream sent it: trailers-only, one HEADERS frame', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const r = await unary(client, { n: 3, fail: true });
    assert.equal(r.err?.code, grpc.status.NOT_FOUND);
    assert.equal(r.err?.details, 'no such 3');
    assert.deepEqual(r.status.metadata.get('x-detail'), ['missing']);

    // The same call on a raw HTTP/2 stream: the answer's only HEADERS frame ends the stream and holds the status.
    const session = h2connect(gw.web);
    t.after(() => session.destroy());
    const stream = session.request({ ':method': 'POST', ':path': '/tagway.test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
    stream.end(frame(Buffer.from(JSON.stringify({ n: 4, fail: true }))));
    const [headers, flags] = await new Promise<[IncomingHttpHeaders, number]>((resolve) => stream.once('response', (h, f) => resolve([h, f])));
    stream.resume();
    assert.equal(flags & constants.NGHTTP2_FLAG_END_STREAM, constants.NGHTTP2_FLAG_END_STREAM);
    assert.equal(headers[':status'], 200);
    assert.equal(headers['grpc-status'], String(grpc.status.NOT_FOUND));
    assert.equal(headers['grpc-message'], 'no%20such%204'); // percent-encoded by the upstream, relayed as is
    assert.equal(headers['x-detail'], 'missing');
  });

  it('forwards te: trailers and relays the upstream\'s trailers; a client cancel reaches the upstream as RST_STREAM(CANCEL)', async (t) => {
    const seen: IncomingHttpHeaders[] = [];
    const resets: number[] = [];
    const upstream = createH2Server();
    upstream.on('stream', (stream, headers) => {
      seen.push(headers);
      stream.on('close', () => resets.push(stream.rstCode));
      if (headers[':path'] === '/tagway.test.Echo/Hang') { stream.respond({ ':status': 200, 'content-type': 'application/grpc' }); return; }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-custom-trailer': 'yes' }));
      stream.end(frame(Buffer.from('{}')));
    });
    closeH2AtEnd(t, upstream);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const gw = await startFileGateway(t, grpcRoute(`h2c://127.0.0.1:${(upstream.address() as { port: number }).port}`));
    const session = h2connect(gw.web);
    t.after(() => session.destroy());

    const stream = session.request({ ':method': 'POST', ':path': '/tagway.test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
    stream.end(frame(Buffer.from('{}')));
    const trailers = await new Promise<IncomingHttpHeaders>((resolve) => { stream.on('trailers', (h) => resolve(h)); stream.resume(); });
    assert.equal(seen[0]?.te, 'trailers');
    assert.equal(trailers['grpc-status'], '0');
    assert.equal(trailers['x-custom-trailer'], 'yes');

    const hang = session.request({ ':method': 'POST', ':path': '/tagway.test.Echo/Hang', 'content-type': 'application/grpc', te: 'trailers' });
    hang.write(frame(Buffer.from('{}')));
    await new Promise<void>((resolve) => hang.once('response', () => resolve()));
    hang.close(constants.NGHTTP2_CANCEL);
    await waitFor('the upstream stream to be reset', () => resets.length === 2);
    assert.equal(resets[1], constants.NGHTTP2_CANCEL);
  });

  it('a deadline travels as grpc-timeout and its expiry cancels the upstream call; a client cancel does too', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const r = await unary(client, { n: 1, hang: true }, { deadline: 300 });
    assert.equal(r.err?.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(up.events.deadlines.length, 1);
    assert.ok(up.events.deadlines[0]! > 0 && up.events.deadlines[0]! <= 300, `upstream deadline ${up.events.deadlines[0]}`);
    await waitFor('the upstream to see the call cancelled', () => up.events.cancelled.includes('Unary'));

    const call = client.ServerStream({ count: -1 });
    call.on('error', () => {});
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    await waitFor('the upstream to see the stream cancelled', () => up.events.cancelled.includes('ServerStream'));
  });

  it('an unreachable upstream answers UNAVAILABLE as gRPC (HTTP 200, application/grpc, trailers-only)', async (t) => {
    const dead = await startEchoServer(t, 'dead');
    dead.server.forceShutdown();
    const gw = await startFileGateway(t, grpcRoute(`h2c://${dead.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const r = await unary(client, { n: 1 });
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
    assert.match(r.err?.details ?? '', /Bad Gateway/);

    const session = h2connect(gw.web);
    t.after(() => session.destroy());
    const stream = session.request({ ':method': 'POST', ':path': '/tagway.test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
    stream.end(frame(Buffer.from('{}')));
    const [headers, flags] = await new Promise<[IncomingHttpHeaders, number]>((resolve) => stream.once('response', (h, f) => resolve([h, f])));
    stream.resume();
    assert.equal(headers[':status'], 200);
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers['grpc-status'], String(grpc.status.UNAVAILABLE));
    assert.equal(flags & constants.NGHTTP2_FLAG_END_STREAM, constants.NGHTTP2_FLAG_END_STREAM);
  });

  it('a 100 MB upload is paced by the upstream: while it does not read, the client is held back', async (t) => {
    const up = await startEchoServer(t, 'u1');
    up.events.uploadReading = false;
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let inFlight = -1;
    const answer = new Promise<string>((resolve, reject) => {
      const call = client.Upload(new grpc.Metadata(), {}, (err, res) => (err ? reject(err) : resolve(res!.toString())));
      let written = 0;
      let held = false;
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if ((written & 0xfffff) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
          if (!call.write(chunk)) {
            // While the upstream does not read, the client's writes stop draining. Give an unbounded buffer on the
            // way a full second to show itself (loopback moves far more than 100 MB in that time), then release.
            if (!held && up.events.uploadReceived > 0) {
              held = true;
              setTimeout(() => { inFlight = written - up.events.uploadReceived; up.events.resumeUpload(); }, 1000);
            }
            call.once('drain', pump);
            return;
          }
        }
        call.end();
      };
      pump();
    });
    await waitFor('the upstream to receive its first bytes', () => up.events.uploadReceived > 0);
    const got = await answer;
    assert.equal(Number(got), total);
    assert.ok(inFlight >= 0 && inFlight < 32 * 1024 * 1024, `${inFlight} bytes in flight while the upstream did not read`);
    const heapGrowth = (peakHeap - before.heapUsed) / 1024 / 1024;
    t.diagnostic(`100 MiB uploaded: heap +${heapGrowth.toFixed(1)} MiB, ${(inFlight / 1048576).toFixed(1)} MiB in flight while the upstream held`);
    assert.ok(heapGrowth < 48, `heap grew by ${heapGrowth.toFixed(1)} MiB`);
  });

  it('health checks reach h2c servers: mode grpc (grpc.health.v1) and mode http over h2c', async (t) => {
    const health = { serving: true };
    const up = await startEchoServer(t, 'u1', undefined, health);
    let httpHealthy = true;
    const h2 = createH2Server();
    h2.on('stream', (stream, headers) => { stream.respond({ ':status': headers[':path'] === '/health' && httpHealthy ? 200 : 503 }); stream.end(); });
    closeH2AtEnd(t, h2);
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const h2Url = `h2c://127.0.0.1:${(h2.address() as { port: number }).port}`;
    const gw = await startFileGateway(t, {
      routers: { echo: { rule: 'PathPrefix(`/tagway.test.Echo/`)', service: 'echo' }, web: { rule: 'PathPrefix(`/web`)', service: 'web' } },
      services: {
        echo: { loadBalancer: { servers: [{ url: `h2c://${up.address}` }], healthCheck: { mode: 'grpc', interval: '50ms', timeout: '2s' } } },
        web: { loadBalancer: { servers: [{ url: h2Url }], healthCheck: { path: '/health', interval: '50ms', timeout: '2s' } } },
      },
    });
    const status = (svc: string): string | undefined => Object.values(gw.gateway.state().services[svc]?.serverStatus ?? {})[0];
    const client = echoClient(t, gatewayAddress(gw.web));
    assert.equal((await unary(client, { n: 1 })).err, null);
    health.serving = false;
    httpHealthy = false;
    await waitFor('the gRPC server to be marked DOWN', () => status('echo@file') === 'DOWN');
    await waitFor('the h2c server to be marked DOWN', () => status('web@file') === 'DOWN');
    const down = await unary(client, { n: 2 });
    assert.equal(down.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(down.err?.details, 'no available server');
    health.serving = true;
    httpHealthy = true;
    await waitFor('the gRPC server to be back UP', () => status('echo@file') === 'UP');
    await waitFor('the h2c server to be back UP', () => status('web@file') === 'UP');
    assert.equal((await unary(client, { n: 3 })).err, null);
  });

  it('200 concurrent calls each get their own answer', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => unary(client, { n })));
    for (const [n, r] of results.entries()) {
      assert.equal(r.err, null);
      assert.deepEqual(r.res, { n, from: 'u1' });
      assert.deepEqual(r.status.metadata.get('x-trailer'), [`t-${n}`]);
    }
  });

  it('a 100 MB response stream is paced by the client: the upstream stops while the client does not read, memory stays flat', async (t) => {
    const up = await startEchoServer(t, 'u1');
    const gw = await startFileGateway(t, grpcRoute(`h2c://${up.address}`));
    const client = echoClient(t, gatewayAddress(gw.web));
    global.gc?.();
    const before = process.memoryUsage();
    const call = client.Blob(Buffer.from(JSON.stringify({ mb: 100 })));
    let received = 0;
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sample = (): void => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const firstMb = new Promise<void>((resolve) => {
      call.on('data', function onData(chunk: Buffer) {
        received += chunk.length;
        if (received >= 1024 * 1024) { call.off('data', onData); call.pause(); resolve(); }
      });
    });
    await firstMb;
    // While the client reads nothing, the upstream's writes block once the windows and buffers on the way are full.
    await waitFor('the upstream to be blocked by backpressure', () => up.events.blobBlocked);
    const heldBack = up.events.blobWritten;
    assert.ok(heldBack < 32 * 1024 * 1024, `the upstream wrote ${heldBack} bytes while the client read 1 MiB`);
    const done = new Promise<void>((resolve, reject) => { call.on('end', () => resolve()); call.on('error', reject); });
    call.on('data', (chunk: Buffer) => { received += chunk.length; if ((received & 0xfffff) === 0) sample(); });
    call.resume();
    await done;
    sample();
    assert.equal(received, 100 * 1024 * 1024);
    const rssGrowth = (peakRss - before.rss) / 1024 / 1024;
    const heapGrowth = (peakHeap - before.heapUsed) / 1024 / 1024;
    // 100 MB went through this process twice (upstream → gateway → client): flat means far below that.
    t.diagnostic(`100 MiB streamed: RSS +${rssGrowth.toFixed(1)} MiB, heap +${heapGrowth.toFixed(1)} MiB, upstream held at ${(heldBack / 1048576).toFixed(1)} MiB`);
    assert.ok(rssGrowth < 80, `RSS grew by ${rssGrowth.toFixed(1)} MiB`);
    assert.ok(heapGrowth < 48, `heap grew by ${heapGrowth.toFixed(1)} MiB`);
  });
});
