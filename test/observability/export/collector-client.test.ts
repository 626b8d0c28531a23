import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Abort } from '../../../src/observability/export/abort.ts';
import { AnswerParser, CollectorClient, WRITE_PIECE_BYTES, writeInPieces } from '../../../src/observability/export/collector-client.ts';

/** A node:http collector on 127.0.0.1 that keeps each request and answers with `answer`; counts its connections. */
async function httpCollector(t: TestContext, answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const requests: Array<{ headers: IncomingMessage['headers']; body: Buffer; url: string | undefined; socket: unknown }> = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ headers: req.headers, body, url: req.url, socket: req.socket });
      answer(req, body, res);
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces?x=1`), requests, connections: () => connections };
}

/**
 * A TCP collector that answers each complete request (head + Content-Length body) with the bytes `answer` returns
 * (written as given, so malformed and unusual answers can be sent), then runs `after` on the socket.
 */
async function rawCollector(t: TestContext, answer: (n: number) => string | Buffer, after?: (socket: Socket, n: number) => void) {
  let n = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/content-length: (\d+)/i.exec(data.toString('latin1', 0, end))?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        data = data.subarray(end + 4 + length);
        const i = n++;
        socket.write(answer(i));
        after?.(socket, i);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`), connections: () => connections, requests: () => n };
}

const never = new Abort();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('collector client (OTLP/HTTP POSTs over HTTP/1.1 of our own)', () => {
  it('posts many bodies over one kept connection: path, host, headers and bytes arrive whole', async (t) => {
    const c = await httpCollector(t, (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    const client = new CollectorClient(c.url, { 'content-type': 'application/x-protobuf', 'user-agent': 'tagway-test', authorization: 'Bearer t0k' });
    t.after(() => client.close());
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000 + i * 9000, i));
    for (const body of bodies) {
      const answer = await client.post(body, never, 65536);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/x-protobuf');
    }
    assert.equal(c.connections(), 1, 'one keep-alive connection');
    assert.deepEqual(c.requests.map((r) => sha(r.body)), bodies.map(sha));
    const first = c.requests[0]!;
    assert.equal(first.url, '/v1/traces?x=1');
    assert.equal(first.headers.host, c.url.host);
    assert.equal(first.headers['user-agent'], 'tagway-test');
    assert.equal(first.headers.authorization, 'Bearer t0k');
    assert.equal(first.headers['content-length'], '1000');
  });

  it('reads chunked and Content-Length bodies, and keeps the connection after both', async (t) => {
    const c = await httpCollector(t, (req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.headers['x-chunked'] === '1') { res.write('{"partialSuccess":'); res.write('{"rejectedSpans":"2"}'); res.end('}'); } else res.end('{"a":1}');
    });
    const chunked = new CollectorClient(c.url, { 'x-chunked': '1' });
    const plain = new CollectorClient(c.url, {});
    t.after(() => { chunked.close(); plain.close(); });
    assert.equal((await chunked.post(Buffer.from('x'), never, 65536)).body?.toString(), '{"partialSuccess":{"rejectedSpans":"2"}}');
    assert.equal((await chunked.post(Buffer.from('y'), never, 65536)).body?.toString(), '{"partialSuccess":{"rejectedSpans":"2"}}');
    assert.equal((await plain.post(Buffer.from('z'), never, 65536)).body?.toString(), '{"a":1}');
    assert.equal(c.connections(), 2, 'one connection per client, kept');
  });

  it('skips 1xx answers, reads a body that ends with the connection, and honours Connection: close', async (t) => {
    const answers = [
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end',
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n!',
      'HTTP/1.1 204 No Content\r\n\r\n',
    ];
    const c = await rawCollector(t, (n) => answers[n % answers.length]!, (socket, n) => { if (n % answers.length === 1) socket.end(); });
    const client = new CollectorClient(c.url, {});
    t.after(() => client.close());
    const seen = [];
    for (let i = 0; i < 6; i++) {
      const a = await client.post(Buffer.from(`body ${i}`), never, 65536);
      seen.push(`${a.status} ${a.body?.toString() ?? '-'}`);
    }
    assert.deepEqual(seen, ['200 ok', '200 until the end', '200 -', '200 !', '204 -', '200 ok']);
    // new connections: after the body that ended with the connection (2nd), Connection: close (3rd), HTTP/1.0 (4th)
    assert.equal(c.connections(), 4);
  });

  it('a kept connection the collector closed meanwhile is replaced once, and the POST still goes through', async (t) => {
    const c = await httpCollector(t, (_req, _body, res) => res.writeHead(200).end());
    const client = new CollectorClient(c.url, {});
    t.after(() => client.close());
    assert.equal((await client.post(Buffer.from('one'), never, 65536)).status, 200);
    // the collector closes the idle connection (as at its keep-alive timeout); the client may or may not have seen
    // it before the next POST
    const idle = c.requests[0]!.socket as Socket;
    await new Promise<void>((resolve) => { idle.once('close', () => resolve()); idle.destroy(); });
    assert.equal((await client.post(Buffer.from('two'), never, 65536)).status, 200);
    assert.equal(c.connections(), 2);
    assert.deepEqual(c.requests.map((r) => r.body.toString()), ['one', 'two']);
  });

  it('a stale connection that resets a request already written is tried once more on a new connection', async (t) => {
    // the collector answers the first request and keeps the connection, then resets it when the second one arrives
    const c = await rawCollector(t, (n) => (n === 1 ? '' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), (socket, n) => { if (n === 1) socket.resetAndDestroy(); });
    const client = new CollectorClient(c.url, {});
    t.after(() => client.close());
    assert.equal((await client.post(Buffer.from('a'), never, 65536)).status, 200);
    assert.equal((await client.post(Buffer.from('b'), never, 65536)).status, 200);
    assert.equal(c.requests(), 3, 'the second POST went out twice: on the stale connection, then on a new one');
    assert.equal(c.connections(), 2);
  });

  it('refusals, hang-ups and malformed answers fail with codes as node:http gives them', async (t) => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new CollectorClient(new URL(`http://127.0.0.1:${port}/v1/traces`), {});
    await assert.rejects(refused.post(Buffer.from('x'), never, 65536), { code: 'ECONNREFUSED' });

    const cases: Array<[string, string]> = [
      ['HTTP/2 200\r\n\r\n', 'HPE_INVALID_CONSTANT'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
      ['HTTP/1.1 200 OK\r\nBad Header\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'ECONNRESET'],
    ];
    for (const [answer, code] of cases) {
      const c = await rawCollector(t, () => answer, (socket) => socket.end());
      const client = new CollectorClient(c.url, {});
      await assert.rejects(client.post(Buffer.from('x'), never, 65536), { code }, answer);
      client.close();
    }
  });

  it('an answer body beyond the limit is not kept and its connection not reused', async (t) => {
    const c = await httpCollector(t, (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(5000)));
    const client = new CollectorClient(c.url, {});
    t.after(() => client.close());
    const a = await client.post(Buffer.from('x'), never, 1024);
    assert.equal(a.status, 200);
    assert.equal(a.body, undefined);
    assert.equal((await client.post(Buffer.from('y'), never, 1024)).status, 200);
    assert.equal(c.connections(), 2);
  });

  it('an abort ends the exchange at once with the signal\'s reason and closes the connection', async (t) => {
    let closedOnServer!: () => void;
    const gone = new Promise<void>((resolve) => { closedOnServer = resolve; });
    const c = await rawCollector(t, () => '', (socket) => socket.on('close', () => closedOnServer()));
    const client = new CollectorClient(c.url, {});
    t.after(() => client.close());
    const controller = new Abort();
    const posting = client.post(Buffer.from('x'), controller, 65536);
    while (c.requests() === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('deadline'));
    await assert.rejects(posting, /deadline/);
    await gone;
  });

  it('writes a large body in pieces of WRITE_PIECE_BYTES, one per turn of the event loop, and the collector gets it whole', async (t) => {
    const received: Buffer[] = [];
    const server = createNetServer((s) => s.on('data', (c: Buffer) => received.push(c)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
    t.after(() => { socket.destroy(); server.close(); });
    await once(socket, 'connect');
    // each write the socket is given, with the turn of the event loop it came in
    let turn = 0;
    let ticking = true;
    const tick = (): void => { turn++; if (ticking) setImmediate(tick); };
    setImmediate(tick);
    const writes: Array<{ bytes: number; turn: number }> = [];
    const write = socket.write.bind(socket) as (chunk: string | Uint8Array, encoding?: BufferEncoding) => boolean;
    socket.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding) => {
      writes.push({ bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.byteLength, turn });
      return write(chunk, encoding);
    }) as typeof socket.write;
    const body = Buffer.alloc(5 * WRITE_PIECE_BYTES + 123, 7);
    const head = 'POST / HTTP/1.1\r\ncontent-length: 163963\r\n\r\n';
    const whole = writeInPieces(socket, head, body);
    assert.equal(whole(), false, 'only the first piece is written at once');
    while (received.reduce((n, c) => n + c.length, 0) < head.length + body.length) await new Promise((resolve) => setImmediate(resolve));
    ticking = false;
    assert.equal(whole(), true, 'the whole body was handed to the socket');
    assert.deepEqual(Buffer.concat(received), Buffer.concat([Buffer.from(head, 'latin1'), body]));
    assert.deepEqual(writes.map((w) => w.bytes), [head.length, ...Array(5).fill(WRITE_PIECE_BYTES), 123], 'the head, then pieces of at most WRITE_PIECE_BYTES');
    assert.equal(writes[0]!.turn, writes[1]!.turn, 'the head goes with the first piece');
    const turns = writes.slice(1).map((w) => w.turn);
    assert.equal(new Set(turns).size, turns.length, `one piece per turn of the loop: ${JSON.stringify(turns)}`);
  });

  it('writing in pieces stops once the socket is destroyed', async (t) => {
    const server = createNetServer((s) => s.on('data', () => {}).on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
    t.after(() => { socket.destroy(); server.close(); });
    await once(socket, 'connect');
    let writes = 0;
    const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
    const whole = writeInPieces(socket, 'HEAD\r\n', Buffer.alloc(10 * WRITE_PIECE_BYTES));
    socket.write = ((chunk: Uint8Array) => { writes++; return write(chunk); }) as typeof socket.write;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes, 1, 'the second piece, a turn later');
    socket.destroy();
    for (let i = 0; i < 12; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes, 1, 'nothing written after destroy');
    assert.equal(whole(), false);
  });

  it('a collector that answers before the whole body arrived (a refusal) gets a new connection for the next POST', async (t) => {
    // answers 413 as soon as a request's head is in, keeps the connection open and counts what reaches it
    let connections = 0;
    const firstBytes: string[] = [];
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => {});
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        if (firstBytes.length < connections) firstBytes.push(chunk.toString('latin1', 0, 4));
        if (!answered && chunk.includes('\r\n\r\n')) { answered = true; socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'); }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
    const client = new CollectorClient(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`), {});
    t.after(() => client.close());
    assert.equal((await client.post(Buffer.alloc(40 * WRITE_PIECE_BYTES, 1), never, 65536)).status, 413);
    // on the refused connection the second request would follow the rest of the first body, and go unanswered
    const deadline = new Abort().timeout(5000, () => new Error('no answer: the next POST went out on the refused connection'));
    t.after(() => deadline.dispose());
    assert.equal((await client.post(Buffer.from('next'), deadline, 65536)).status, 413);
    assert.equal(connections, 2, 'the refused connection is not reused: the rest of its body would precede the next request');
    assert.deepEqual(firstBytes, ['POST', 'POST']);
  });

  it('refuses headers HTTP cannot carry and endpoints that are not http(s)', () => {
    assert.throws(() => new CollectorClient(new URL('http://127.0.0.1:1/'), { 'x-a': 'line\r\nbreak' }), /invalid character/);
    assert.throws(() => new CollectorClient(new URL('http://127.0.0.1:1/'), { 'bad name': 'v' }), /invalid OTLP header name/);
    assert.throws(() => new CollectorClient(new URL('ftp://127.0.0.1:1/'), {}), /http or https/);
  });

  it('the parser reads an answer fed one byte at a time: chunk extensions, trailers, a repeated header', () => {
    const raw = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nX-A: 1\r\nx-a: 2\r\nTransfer-Encoding: chunked\r\n\r\n'
      + '4;ext=1\r\nslow\r\n5\r\n down\r\n0\r\nTrailer: t\r\n\r\nignored';
    const parser = new AnswerParser(1000);
    const bytes = Buffer.from(raw, 'latin1');
    let done = -1;
    for (let i = 0; i < bytes.length && done === -1; i++) if (parser.feed(bytes.subarray(i, i + 1))) done = i;
    assert.equal(done, raw.indexOf('ignored') - 1);
    assert.equal(parser.status, 429);
    assert.equal(parser.headers['retry-after'], '3');
    assert.equal(parser.headers['x-a'], '1, 2');
    assert.equal(parser.body()?.toString(), 'slow down');
    assert.equal(parser.keepAlive, true);
  });
});
