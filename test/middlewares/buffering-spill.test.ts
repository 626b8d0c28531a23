import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as connectH2, createServer as createH2cServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, finished, pipeline } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFileGateway, lb } from '../support/file-gateway.ts';
import { closeH2AtEnd, startUpstream } from '../support/upstream.ts';
import { BodyStore, bodyStoreStats } from '../../src/middlewares/buffering/store.ts';
import { createLogger } from '../../src/util/log.ts';

// The stores write where os.tmpdir() points when they spill (TMPDIR, read late): a directory of this test's own.
// (node --test runs each file in its own process, so this touches no other test.)
const spillDir = mkdtempSync(join(tmpdir(), 'tagway-spill-'));
process.env.TMPDIR = spillDir;
after(() => rmSync(spillDir, { recursive: true, force: true }));

// Real collections before each memory reading, so garbage (socket reads already written to disk) is not counted;
// twice, a turn of the loop apart, because V8 frees ArrayBuffer memory on a sweeper that may finish after gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
async function arrayBuffersAfterGc(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().arrayBuffers;
}

const MiB = 1 << 20;
const BLOCK = randomBytes(MiB);

/** `blocks` MiB, each tagged with its index (a reordered or repeated block changes the hash); never all in memory. */
function body(blocks: number): { size: number; sha: string; stream(): Readable } {
  const chunks = function* (): Generator<Buffer> {
    for (let i = 0; i < blocks; i++) {
      const tag = Buffer.alloc(8);
      tag.writeUInt32BE(i);
      yield tag;
      yield BLOCK;
    }
  };
  const hash = createHash('sha256');
  for (const c of chunks()) hash.update(c);
  return { size: blocks * (MiB + 8), sha: hash.digest('hex'), stream: () => Readable.from(chunks(), { objectMode: false }) };
}

/** The descriptors this process holds open on a body file (Linux: /proc; the name is unlinked, the link says "(deleted)"). */
function bodyFiles(): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(spillDir) && target.includes('tagway-body-')) out.push(`/proc/self/fd/${fd}`);
    } catch { /* closed meanwhile */ }
  }
  return out;
}

/** Names left in the temporary directory (none ever: a body file is unlinked as soon as it is open). */
function bodyNames(): string[] {
  return readdirSync(spillDir).filter((n) => n.startsWith('tagway-body-'));
}

/** Waits until `check` holds, on a condition, bounded (5 s: far from the milliseconds it takes). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within 5 s: ${what} (stores: ${JSON.stringify(bodyStoreStats())}, fds: ${bodyFiles().length})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function released(): Promise<void> {
  await until('every body store released and its file closed', () => {
    const s = bodyStoreStats();
    return s.stores === 0 && s.files === 0 && s.fileBytes === 0 && s.memoryBytes === 0 && bodyFiles().length === 0;
  });
  assert.deepEqual(bodyNames(), []);
}

/** Hashes what the upstream receives; notes what the gateway held when the request reached it. */
function hashingUpstream(seen: Array<{ contentLength: string | undefined; te: string | undefined; files: number; fileBytes: number; memoryBytes: number; openFds: number; grown: number }>, base: () => number, status: (n: number) => number = () => 200) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const stats = bodyStoreStats();
    const entry = { contentLength: req.headers['content-length'], te: req.headers['transfer-encoding'], files: stats.files, fileBytes: stats.fileBytes, memoryBytes: stats.memoryBytes, openFds: bodyFiles().length, grown: NaN };
    seen.push(entry);
    const attempt = seen.length;
    // The body waits (no 'data' listener yet) while memory is measured.
    void arrayBuffersAfterGc().then((now) => {
      entry.grown = now - base();
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
      req.on('end', () => {
        res.writeHead(status(attempt), { 'content-type': 'application/json' });
        res.end(JSON.stringify({ sha: hash.digest('hex'), n }));
      });
    });
  };
}

interface Upload { status: number; headers: IncomingMessage['headers']; body: Buffer }

/** POSTs a streamed body (chunked unless `length` is given) and reads the whole answer. */
function upload(base: string, path: string, source: Readable | undefined, length?: number): Promise<Upload> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = length !== undefined ? { 'content-length': String(length) } : { 'transfer-encoding': 'chunked' };
    const req = request({ host: url.hostname, port: url.port, method: source ? 'POST' : 'GET', path, headers: source ? headers : {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (source) pipeline(source, req, () => {});
    else req.end();
  });
}

describe('buffering spills to a temporary file past mem*BodyBytes', () => {
  it('a request body over memRequestBodyBytes reaches the upstream whole, sized, from a file; memory does not grow with it', async (t) => {
    const seen: Parameters<typeof hashingUpstream>[0] = [];
    let base = 0;
    const up = await startUpstream(t, 'up', hashingUpstream(seen, () => base));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: MiB, maxRequestBodyBytes: 128 * MiB } } },
      services: { up: lb(up.url) },
    });
    const payload = body(64);
    base = await arrayBuffersAfterGc();
    const r = await upload(gw.web, '/', payload.stream());
    assert.equal(r.status, 200, r.body.toString());
    const got = JSON.parse(r.body.toString()) as { sha: string; n: number };
    assert.equal(got.n, payload.size);
    assert.equal(got.sha, payload.sha, 'the upstream got the bytes in order');
    const at = seen[0]!;
    t.diagnostic(`64 MiB request, mem 1 MiB: arrayBuffers +${(at.grown / MiB).toFixed(1)} MiB while the upstream reads it`);
    assert.equal(at.contentLength, String(payload.size), 'a chunked upload is forwarded with its Content-Length');
    assert.equal(at.te, undefined);
    assert.equal(at.files, 1, 'one temporary file while the request is served');
    assert.equal(at.fileBytes, payload.size - MiB, 'all past memRequestBodyBytes is on disk');
    assert.ok(at.memoryBytes <= MiB, `at most memRequestBodyBytes in memory, got ${at.memoryBytes}`);
    if (existsSync('/proc/self/fd')) assert.equal(at.openFds, 1, 'the file is open (unlinked) while the upstream reads it');
    assert.ok(at.grown < 16 * MiB, `a 64 MiB body raised arrayBuffers by ${(at.grown / MiB).toFixed(1)} MiB`);
    await released();
  });

  it('the file is created 0600, holds the bytes past memory, is read whole more than once, and is closed on destroy', async () => {
    const store = new BodyStore(10);
    store.write(Buffer.from('0123456789'));
    assert.equal(bodyStoreStats().files, 0, 'no file while the body fits in memory');
    store.end(Buffer.from('abcdef'));
    await new Promise<void>((resolve, reject) => finished(store, (err) => (err ? reject(err) : resolve())));
    assert.equal(store.length, 16);
    assert.equal(store.memoryBytes, 10);
    assert.equal(store.fileBytes, 6);
    if (existsSync('/proc/self/fd')) {
      const [fd] = bodyFiles();
      assert.ok(fd, 'a descriptor on the body file');
      assert.equal(statSync(fd).mode & 0o777, 0o600);
      assert.match(readlinkSync(fd), /\(deleted\)$/, 'its name is gone already');
    }
    const readAll = (): Promise<string> => new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      store.reader().on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts).toString())).on('error', reject);
    });
    assert.equal(await readAll(), '0123456789abcdef');
    assert.equal(await readAll(), '0123456789abcdef', 'a second reader replays it');
    store.destroy();
    await assert.rejects(readAll(), /released/);
    await released();
  });

  it('a response body over memResponseBodyBytes is sent from the file with its Content-Length', async (t) => {
    const payload = body(64);
    const up = await startUpstream(t, 'up', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no length from the upstream
      pipeline(payload.stream(), res, () => {});
    });
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memResponseBodyBytes: MiB, maxResponseBodyBytes: 128 * MiB } } },
      services: { up: lb(up.url) },
    });
    const base = await arrayBuffersAfterGc();
    const url = new URL(gw.web);
    const r = await new Promise<{ headers: IncomingMessage['headers']; sha: string; n: number; files: number; fileBytes: number; fds: number; grown: number }>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: '/', agent: false }, (res) => {
        // The head comes once the whole answer is stored.
        const stats = bodyStoreStats();
        const at = { files: stats.files, fileBytes: stats.fileBytes, fds: bodyFiles().length, grown: NaN };
        // The body waits (no 'data' listener yet) while memory is measured.
        void arrayBuffersAfterGc().then((now) => {
          at.grown = now - base;
          const hash = createHash('sha256');
          let n = 0;
          res.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
          res.on('end', () => resolve({ headers: res.headers, sha: hash.digest('hex'), n, ...at }));
          res.on('error', reject);
        });
      }).on('error', reject).end();
    });
    t.diagnostic(`64 MiB answer, mem 1 MiB: arrayBuffers +${(r.grown / MiB).toFixed(1)} MiB when its head arrives`);
    assert.equal(r.headers['content-length'], String(payload.size));
    assert.equal(r.headers['transfer-encoding'], undefined);
    assert.equal(r.n, payload.size);
    assert.equal(r.sha, payload.sha);
    assert.equal(r.files, 1);
    assert.equal(r.fileBytes, payload.size - MiB);
    if (existsSync('/proc/self/fd')) assert.equal(r.fds, 1);
    assert.ok(r.grown < 16 * MiB, `a 64 MiB answer raised arrayBuffers by ${(r.grown / MiB).toFixed(1)} MiB`);
    await released();
  });

  it('over maxRequestBodyBytes → 413 (declared or read), over maxResponseBodyBytes → 500; no file left', async (t) => {
    let calls = 0;
    const up = await startUpstream(t, 'up', (req, res) => {
      calls++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200);
        pipeline(body(3).stream(), res, () => {});
      });
    });
    const gw = await startFileGateway(t, {
      routers: {
        req: { rule: 'Path(`/req`)', service: 'up', middlewares: ['small'] },
        res: { rule: 'Path(`/res`)', service: 'up', middlewares: ['smallres'] },
      },
      middlewares: {
        small: { buffering: { memRequestBodyBytes: 64 * 1024, maxRequestBodyBytes: 256 * 1024 } },
        smallres: { buffering: { memResponseBodyBytes: 64 * 1024, maxResponseBodyBytes: MiB } },
      },
      services: { up: lb(up.url) },
    });
    const declared = await upload(gw.web, '/req', Readable.from([randomBytes(300 * 1024)]), 300 * 1024);
    assert.equal(declared.status, 413);
    assert.equal(declared.body.toString(), 'Request Entity Too Large');
    // Chunked: no length to refuse up front; refused once the bytes read pass the max (a file was made by then).
    const read = await upload(gw.web, '/req', Readable.from([randomBytes(200 * 1024), randomBytes(200 * 1024)]));
    assert.equal(read.status, 413);
    assert.equal(calls, 0, 'the upstream is never called');
    await released();
    const big = await upload(gw.web, '/res', undefined);
    assert.equal(big.status, 500);
    assert.equal(big.body.toString(), 'Internal Server Error');
    await released();
  });

  it('a client leaving mid-upload, or the gateway stopping, leaves no file', async (t) => {
    let calls = 0;
    const up = await startUpstream(t, 'up', (req, res) => { calls++; req.resume(); res.end(); });
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: MiB } } },
      services: { up: lb(up.url) },
    }, ['--entryPoints.web.transport.lifeCycle.graceTimeOut=50ms']);
    const url = new URL(gw.web);
    const partial = (): { req: ReturnType<typeof request>; failed: Promise<void> } => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'content-length': String(64 * MiB) }, agent: false });
      const failed = new Promise<void>((resolve) => req.on('error', () => resolve()));
      for (let i = 0; i < 4; i++) req.write(BLOCK);
      return { req, failed };
    };
    const spilled = (): Promise<void> => until('the upload spilled to a file', () => bodyStoreStats().fileBytes >= 2 * MiB);

    const a = partial();
    await spilled();
    assert.equal(bodyStoreStats().files, 1);
    a.req.destroy();
    await released();

    const b = partial();
    await spilled();
    await gw.gateway.close();
    await b.failed;
    await released();
    assert.equal(calls, 0);
  });

  it('a spilled body goes whole to an h2c upstream, and to a forwardAuth server (forwardBody) inside buffering', async (t) => {
    const payload = body(3);
    const h2 = createH2cServer((req, res) => {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
      req.on('end', () => res.end(JSON.stringify({ sha: hash.digest('hex'), n, files: bodyStoreStats().files })));
    });
    closeH2AtEnd(t, h2);
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const authSaw: Array<{ sha: string; n: number }> = [];
    const auth = createServer((req, res) => {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => { hash.update(c); n += c.length; });
      req.on('end', () => { authSaw.push({ sha: hash.digest('hex'), n }); res.end(); });
    });
    await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { auth.closeAllConnections(); auth.close(() => resolve()); }));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'h2', middlewares: ['b', 'auth'] } },
      middlewares: {
        b: { buffering: { memRequestBodyBytes: 64 * 1024 } },
        auth: { forwardAuth: { address: `http://127.0.0.1:${(auth.address() as { port: number }).port}/verify`, forwardBody: true, maxBodySize: 8 * MiB } },
      },
      services: { h2: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${(h2.address() as { port: number }).port}` }] } } },
    });
    const r = await upload(gw.web, '/', payload.stream());
    assert.equal(r.status, 200, r.body.toString());
    const got = JSON.parse(r.body.toString()) as { sha: string; n: number; files: number };
    assert.deepEqual({ sha: got.sha, n: got.n }, { sha: payload.sha, n: payload.size }, 'the h2c upstream got it whole');
    assert.equal(got.files, 1, 'streamed from the file');
    assert.deepEqual(authSaw, [{ sha: payload.sha, n: payload.size }], 'the auth server got it whole');
    await released();
  });

  it('an HTTP/2 client (h2c) uploads a body that spills; the upstream gets it sized and whole', async (t) => {
    const seen: Parameters<typeof hashingUpstream>[0] = [];
    const up = await startUpstream(t, 'up', hashingUpstream(seen, () => 0));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: 64 * 1024 } } },
      services: { up: lb(up.url) },
    });
    const payload = body(3);
    const session = connectH2(gw.web);
    t.after(() => session.close());
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      let status = 0;
      let text = '';
      stream.on('response', (h) => { status = Number(h[':status']); });
      stream.on('data', (c: Buffer) => { text += c; });
      stream.on('end', () => resolve({ status, body: text }));
      stream.on('error', reject);
      pipeline(payload.stream(), stream, () => {});
    });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { sha: payload.sha, n: payload.size });
    assert.equal(seen[0]?.contentLength, String(payload.size));
    assert.equal(seen[0]?.files, 1);
    await released();
  });

  it('a failover service inside buffering sends the spilled body again to its fallback, from the file', async (t) => {
    const payload = body(32);
    let base = 0;
    const main = await startUpstream(t, 'main', (req, res) => { req.resume(); req.on('end', () => { res.writeHead(500); res.end('main failed'); }); });
    const seen: Parameters<typeof hashingUpstream>[0] = [];
    const fallback = await startUpstream(t, 'fallback', hashingUpstream(seen, () => base));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'fo', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: 64 * 1024 } } },
      services: {
        fo: { failover: { service: 'main', fallback: 'fallback', errors: { status: ['500'] } } },
        main: lb(main.url),
        fallback: lb(fallback.url),
      },
    });
    base = await arrayBuffersAfterGc();
    const r = await upload(gw.web, '/', payload.stream());
    assert.equal(r.status, 200, r.body.toString());
    assert.equal((JSON.parse(r.body.toString()) as { sha: string }).sha, payload.sha);
    assert.equal(r.headers['content-length'], String(r.body.length), 'buffering, outside the failover, sent the answer sized');
    assert.equal(seen[0]?.files, 1, 'the fallback read it from the file');
    const grown = seen[0]?.grown ?? Infinity;
    t.diagnostic(`failover: arrayBuffers +${(grown / MiB).toFixed(1)} MiB at the fallback`);
    assert.ok(grown < 12 * MiB, `the failover held the 32 MiB body in memory: arrayBuffers +${(grown / MiB).toFixed(1)} MiB`);
    await released();
  });

  it('a temporary file that cannot be made → 500, the reason in the log, nothing left', async (t) => {
    let calls = 0;
    const up = await startUpstream(t, 'up', (req, res) => { calls++; req.resume(); res.end(); });
    const lines: string[] = [];
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: 64 * 1024 } } },
      services: { up: lb(up.url) },
    }, [], { logger: createLogger({ level: 'ERROR', write: (line: string) => lines.push(line) }) });
    process.env.TMPDIR = join(spillDir, 'missing');
    try {
      const r = await upload(gw.web, '/', body(1).stream());
      assert.equal(r.status, 500);
    } finally {
      process.env.TMPDIR = spillDir;
    }
    assert.equal(calls, 0);
    assert.ok(lines.some((l) => l.includes('cannot create a temporary file') && l.includes('missing')), lines.join('\n'));
    await released();
  });

  it('retryExpression replays a spilled body whole on each attempt', async (t) => {
    const seen: Parameters<typeof hashingUpstream>[0] = [];
    const up = await startUpstream(t, 'up', hashingUpstream(seen, () => 0, (n) => (n < 3 ? 503 : 200)));
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'up', middlewares: ['b'] } },
      middlewares: { b: { buffering: { memRequestBodyBytes: 64 * 1024, memResponseBodyBytes: 64 * 1024, retryExpression: 'ResponseCode() == 503 && Attempts() < 5' } } },
      services: { up: lb(up.url) },
    });
    const payload = body(4);
    const r = await upload(gw.web, '/', payload.stream());
    assert.equal(r.status, 200);
    assert.equal(seen.length, 3, 'two 503 answers, then the 200');
    assert.ok(seen.every((s) => s.contentLength === String(payload.size) && s.files >= 1));
    assert.equal((JSON.parse(r.body.toString()) as { sha: string }).sha, payload.sha, 'the last attempt got the whole body');
    await released();
  });
});
