import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { BodyBuffer } from '../../../src/observability/export/body-buffer.ts';
import { WorkerChannel } from '../../../src/observability/export/export-thread.ts';
import type { ExportTarget } from '../../../src/observability/export/exporter.ts';
import { send } from '../../support/client.ts';
import { startTracedApi } from '../../support/tracing.ts';

describe('encoded span queue', () => {
  const cases = [
    { desc: 'batches smaller than the request count: spans, resource and counters reach the collector', batch: 4, requests: 5 },
    { desc: 'one batch holds everything until the flush at shutdown', batch: 50, requests: 3 },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const h = await startTracedApi(t, { scheduledDelay: '1m', flags: ['--tracing.batch.maxQueueSize=100', `--tracing.batch.maxExportBatchSize=${c.batch}`, '--tracing.batch.exportTimeout=5s'] });
      const collector = h.collector;
      for (let i = 0; i < c.requests; i++) assert.equal((await send(h.web, `/w${i}?k=v`)).status, 200);
      await h.tracing.shutdown(2000);
      const spans = collector.spans;
      assert.deepEqual(spans.map((s) => s.attributes['url.path']).filter(Boolean).sort(), Array.from({ length: c.requests }, (_, i) => `/w${i}`));
      assert.ok(spans.every((s) => typeof s.resource['service.name'] === 'string'));
      assert.ok(spans.filter((s) => s.attributes['url.query'] !== undefined).every((s) => s.attributes['url.query'] === 'k=REDACTED'));
      assert.equal(collector.requests, Math.ceil((2 * c.requests) / c.batch), 'one export per batch');
      assert.deepEqual(h.tracing.stats(), { exported: 2 * c.requests, dropped: 0, failedExports: 0, queued: 0 });
    });
  }
});

describe('export thread (WorkerChannel)', () => {
  /** A receiver that keeps each POST body, or never answers when `hang`. */
  async function receiver(t: TestContext, hang = false): Promise<{ endpoint: string; bodies: Buffer[] }> {
    const bodies: Buffer[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { bodies.push(Buffer.concat(chunks)); if (!hang) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => { server.closeAllConnections(); server.close(); });
    return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies };
  }
  const target = (endpoint: string): ExportTarget => ({
    protocol: 'http/protobuf', endpoint, headers: {}, compression: 'none', insecure: false, tls: { insecureSkipVerify: false },
    attemptTimeoutMs: 5000, userAgent: 'test', contentType: 'application/x-protobuf',
  });
  const batch = (spans: Uint8Array) => ({ spans, count: 1, frame: (body: BodyBuffer, s: Uint8Array) => { body.write('head:'); body.writeBytes(s); } });

  it('posts the framed batch from its thread and answers the outcome; the caller keeps its spans', async (t) => {
    const r = await receiver(t);
    const channel = new WorkerChannel(target(r.endpoint));
    t.after(() => channel.shutdown());
    const spans = Buffer.from('spans-bytes');
    assert.deepEqual(await channel.send(batch(spans), 5000), { ok: true });
    assert.deepEqual(await channel.send(batch(spans), 5000), { ok: true });
    assert.deepEqual(r.bodies.map((b) => b.toString()), ['head:spans-bytes', 'head:spans-bytes']);
    assert.equal(spans.toString(), 'spans-bytes', 'the framed copy moved to the thread, not the caller\'s bytes');
  });

  it('batches reach the collector whole through the shared slots: reused after a success, past a failure, three at once; nothing is detached', async (t) => {
    // A transferred ArrayBuffer is detached, which invalidates V8's ArrayBufferDetaching protector for the whole
    // process: the gateway then paid 20–40% more CPU per request (export-thread.ts). The framed buffer must stay whole.
    let answer = 200;
    let hold = 0;
    const held: Array<() => void> = [];
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        const reply = () => { res.writeHead(answer).end(); };
        if (hold === 0) { reply(); return; }
        held.push(reply); // answered once `hold` requests are in: they overlap in the thread
        if (held.length === hold) for (const r of held.splice(0)) r();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => { server.closeAllConnections(); server.close(); });
    const channel = new WorkerChannel(target(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`));
    t.after(() => channel.shutdown());
    const framed: Uint8Array[] = [];
    const capturing = (text: string, pad = 0) => ({
      ...batch(Buffer.from(text)),
      frame: (body: BodyBuffer, s: Uint8Array) => { body.write('head:'); body.writeBytes(s); if (pad > 0) body.write('.'.repeat(pad)); framed.push(body.bytes()); },
    });
    assert.deepEqual(await channel.send(capturing('one'), 5000), { ok: true });
    assert.deepEqual(await channel.send(capturing('two', 300_000), 5000), { ok: true }); // a larger slot
    answer = 400; // not retryable: one failed export, its slot dropped
    assert.equal((await channel.send(capturing('three'), 5000)).ok, false);
    answer = 200;
    assert.deepEqual(await channel.send(capturing('four'), 5000), { ok: true });
    hold = 3; // two slots: the third batch in flight is copied through postMessage
    const overlapping = await Promise.all(['five', 'six', 'seven'].map((text) => channel.send(capturing(text), 5000)));
    assert.deepEqual(overlapping, [{ ok: true }, { ok: true }, { ok: true }]);
    hold = 0;
    assert.deepEqual(await channel.send(capturing('eight'), 5000), { ok: true });
    assert.deepEqual(bodies.slice(0, 4), ['head:one', `head:two${'.'.repeat(300_000)}`, 'head:three', 'head:four']);
    assert.deepEqual(bodies.slice(4, 7).sort(), ['head:five', 'head:seven', 'head:six']);
    assert.equal(bodies[7], 'head:eight');
    assert.ok(framed.every((f) => f.buffer.byteLength > 0), 'a framed buffer was detached (transferred to the thread)');
  });

  it('a collector that never answers is cut at the export deadline with TAGWAY_EXPORT_TIMEOUT', async (t) => {
    const r = await receiver(t, true);
    const channel = new WorkerChannel(target(r.endpoint));
    t.after(() => channel.shutdown());
    const outcome = await channel.send(batch(Buffer.from('x')), 300);
    assert.equal(outcome.ok, false);
    assert.match((outcome as { error: string }).error, /^TAGWAY_EXPORT_TIMEOUT/);
  });

  it('after shutdown (idempotent) a send fails with TAGWAY_EXPORT_THREAD; a bad endpoint fails at construction', async (t) => {
    const r = await receiver(t);
    const channel = new WorkerChannel(target(r.endpoint));
    await Promise.all([channel.shutdown(), channel.shutdown()]);
    const outcome = await channel.send(batch(Buffer.from('x')), 1000);
    assert.equal(outcome.ok, false);
    assert.match((outcome as { error: string }).error, /^TAGWAY_EXPORT_THREAD/);
    assert.equal(r.bodies.length, 0);
    assert.throws(() => new WorkerChannel(target('not a url')), TypeError);
  });
});
