import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lb, startFileGateway } from '../support/file-gateway.ts';

const TOTAL = 100 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
/**
 * Client, proxy and upstream share this process: buffering the body anywhere would show as ~100 MB of
 * live memory. Live = heap + array buffers right after a full GC (garbage read buffers do not count).
 */
const MAX_GROWTH = 32 * 1024 * 1024;
/** Bytes produced but not yet consumed at any moment: socket buffers and stream high-water marks only. */
const MAX_IN_FLIGHT = 24 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function liveMemory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Counts what the producer pushed and the consumer got; `inFlight` keeps the largest gap seen. */
class Meter {
  produced = 0;
  consumed = 0;
  maxInFlight = 0;
  consume(n: number): void {
    this.consumed += n;
    this.maxInFlight = Math.max(this.maxInFlight, this.produced - this.consumed);
  }
}

/** 100 MB from one reused 64 KiB buffer, produced only as fast as it is consumed. */
function source(meter: Meter): Readable {
  return new Readable({
    read() {
      if (meter.produced >= TOTAL) { this.push(null); return; }
      meter.produced += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

/** Peak growth of live memory while `work` runs, sampled every 20 ms. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = liveMemory();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, liveMemory()); }, 20);
  try {
    const result = await work();
    return { result, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

async function proxyTo(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const upstream = createServer(handler);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  const gw = await startFileGateway(t, {
    routers: { big: { rule: 'PathPrefix(`/`)', service: 'big' } },
    services: { big: lb(`http://127.0.0.1:${(upstream.address() as { port: number }).port}`) },
  });
  return gw.web;
}

describe('100 MB bodies stream with flat memory', () => {
  it('uploads 100 MB (chunked) without buffering it', async (t) => {
    const meter = new Meter();
    const url = await proxyTo(t, (req, res) => {
      req.on('data', (c: Buffer) => meter.consume(c.length));
      req.on('end', () => res.end(String(meter.consumed)));
    });
    const { result, growth } = await peakGrowth(() => new Promise<string>((resolve, reject) => {
      const req = httpRequest(url + '/upload', { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c; });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      pipeline(source(meter), req).catch(reject);
    }));
    assert.equal(result, String(TOTAL));
    assert.ok(meter.maxInFlight < MAX_IN_FLIGHT, `${(meter.maxInFlight / 1048576).toFixed(1)} MB in flight`);
    assert.ok(growth < MAX_GROWTH, `live memory grew by ${(growth / 1048576).toFixed(1)} MB`);
  });

  it('downloads 100 MB without buffering it', async (t) => {
    const meter = new Meter();
    const url = await proxyTo(t, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
      pipeline(source(meter), res).catch(() => {});
    });
    const { result, growth } = await peakGrowth(() => new Promise<number>((resolve, reject) => {
      httpRequest(url + '/download', { agent: false }, (res) => {
        res.on('data', (c: Buffer) => meter.consume(c.length));
        res.on('end', () => resolve(meter.consumed));
        res.on('error', reject);
      }).on('error', reject).end();
    }));
    assert.equal(result, TOTAL);
    assert.ok(meter.maxInFlight < MAX_IN_FLIGHT, `${(meter.maxInFlight / 1048576).toFixed(1)} MB in flight`);
    assert.ok(growth < MAX_GROWTH, `live memory grew by ${(growth / 1048576).toFixed(1)} MB`);
  });
});
