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

/** A minimal OTLP/HTTPS receiver: keeps the decoded spans. */
async function startTlsCollector(t: TestContext): Promise<{ endpoint: string; spans: SpanRecord[] }> {
  const spans: SpanRecord[] = [];
  const server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, (req, res) => {
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
});
