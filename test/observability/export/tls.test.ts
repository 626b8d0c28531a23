import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeProtoExport } from '../../../src/dev/devcollector/otlp-proto.ts';
import { decodeExport, type SpanRecord } from '../../support/collector.ts';
import { send } from '../../support/client.ts';
import { startTracedApi } from '../../support/tracing.ts';

// A self-signed certificate for 127.0.0.1 (test only, valid 100 years), made with openssl req -x509.
const CERT = fileURLToPath(new URL('./fixtures/collector-cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('./fixtures/collector-key.pem', import.meta.url));

/** A minimal OTLP/HTTPS receiver: keeps the decoded spans; `clientCa` makes it require a client certificate it signed. */
async function startTlsCollector(t: TestContext, clientCa?: string): Promise<{ endpoint: string; spans: SpanRecord[] }> {
  const spans: SpanRecord[] = [];
  const mutual = clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true, ca: readFileSync(clientCa) };
  const server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY), ...mutual }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      spans.push(...decodeExport(req.headers['content-type'] === 'application/x-protobuf' ? decodeProtoExport(body) : JSON.parse(body.toString('utf8'))));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { endpoint: `https://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, spans };
}

describe('OTLP over TLS', () => {
  const cases = [
    { desc: 'CA from a file path: exported', tls: () => [`--tracing.otlp.http.tls.ca=${CERT}`, '--tracing.otlp.http.tls.insecureSkipVerify=false'], exported: true },
    { desc: 'CA inline as PEM: exported', tls: () => [`--tracing.otlp.http.tls.ca=${readFileSync(CERT, 'utf8')}`, '--tracing.otlp.http.tls.insecureSkipVerify=false'], exported: true },
    { desc: 'unknown CA: refused, the reason counted', tls: () => ['--tracing.otlp.http.tls.insecureSkipVerify=false'], exported: false },
    { desc: 'unknown CA with insecureSkipVerify: exported', tls: () => ['--tracing.otlp.http.tls.insecureSkipVerify=true'], exported: true },
    { desc: 'CA from OTEL_EXPORTER_OTLP_CERTIFICATE: exported', tls: () => [], env: { OTEL_EXPORTER_OTLP_CERTIFICATE: CERT }, exported: true },
    { desc: 'CA from OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE over a generic one that does not exist: exported', tls: () => [], env: { OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: CERT, OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent.pem' }, exported: true },
  ];
  for (const c of cases) {
    it(c.desc, async (t) => {
      const collector = await startTlsCollector(t);
      const h = await startTracedApi(t, { endpoint: () => collector.endpoint, flags: c.tls(), env: c.env ?? {} });
      await send(h.web, '/tls');
      await h.tracing.shutdown(3000);
      assert.equal(collector.spans.length, c.exported ? 2 : 0);
      const stats = h.tracing.stats();
      if (c.exported) assert.equal(stats.exported, 2);
      else assert.match(stats.lastError ?? '', /self[- ]signed|certificate/i);
    });
  }

  it('mutual TLS: the client certificate and key (flags or OTEL_EXPORTER_OTLP_CLIENT_*) pass the collector\'s check; without them, refused and counted', async (t) => {
    // the collector requires a client certificate signed by CERT (self-signed: CERT itself)
    const withFlags = await startTlsCollector(t, CERT);
    const flagged = await startTracedApi(t, { endpoint: () => withFlags.endpoint, flags: [`--tracing.otlp.http.tls.ca=${CERT}`, `--tracing.otlp.http.tls.cert=${CERT}`, `--tracing.otlp.http.tls.key=${KEY}`] });
    const withEnv = await startTlsCollector(t, CERT);
    const fromEnv = await startTracedApi(t, { endpoint: () => withEnv.endpoint, flags: [`--tracing.otlp.http.tls.ca=${CERT}`], env: { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: CERT, OTEL_EXPORTER_OTLP_CLIENT_KEY: KEY } });
    const without = await startTlsCollector(t, CERT);
    const anonymous = await startTracedApi(t, { endpoint: () => without.endpoint, flags: [`--tracing.otlp.http.tls.ca=${CERT}`, '--tracing.batch.exportTimeout=1s'] });
    for (const h of [flagged, fromEnv, anonymous]) await send(h.web, '/mtls');
    await Promise.all([flagged, fromEnv, anonymous].map((h) => h.tracing.shutdown(3000)));
    assert.equal(withFlags.spans.length, 2);
    assert.equal(withEnv.spans.length, 2);
    assert.equal(withFlags.spans.find((s) => s.name === 'GET')?.attributes['url.path'], '/mtls');
    assert.equal(without.spans.length, 0);
    assert.equal(anonymous.tracing.stats().exported, 0);
    assert.ok(anonymous.tracing.stats().dropped >= 2);
    assert.match(anonymous.tracing.stats().lastError ?? '', /TAGWAY_EXPORT/);
  });
});
