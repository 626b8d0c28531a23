import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { TraceVerbosity } from '../../src/dynamic/types.ts';
import type { RequestContext } from '../../src/http/context.ts';
import type { TracingConfig } from '../../src/static/types.ts';

/* What the tracing micro-benchmarks (tracing-overhead.ts, tracing-request.ts) share: no socket on the request side. */

/** A context as newRequestContext builds it, with a response that only emits 'close'. */
export function fakeContext(verbosity: TraceVerbosity): RequestContext {
  const res = Object.assign(new EventEmitter(), { writableFinished: true, statusCode: 200, getHeaders: () => ({}) });
  const headers = { host: 'bench.local', 'user-agent': 'bench/1.0', accept: '*/*' };
  const req = { url: '/api/items?id=7', httpVersion: '1.1', headers, headersDistinct: {} };
  return {
    req, res, entryPoint: 'web', method: 'GET', host: 'bench.local', path: '/api/items', rawQuery: 'id=7',
    clientIp: '127.0.0.1', clientPort: 50000, scheme: 'http', start: 0n, attempts: 0,
    headers: { ...headers, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' },
    routerName: 'api@file', serviceName: 'api@file', rule: 'Host(`bench.local`)',
    observability: { accessLogs: true, metrics: true, tracing: true, traceVerbosity: verbosity },
  } as unknown as RequestContext;
}

/** An OTLP sink that accepts and discards (the collector's cost is not ours). */
export async function startSink(): Promise<{ endpoint: string; close: () => void }> {
  const server = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('{}')); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, close: () => { server.closeAllConnections(); server.close(); } };
}

/** A tracing section exporting to `endpoint`, with a queue that holds a whole run: a drop would make a request look cheaper than it is. */
export function benchTracingConfig(endpoint: string, sampleRate: number): TracingConfig {
  return {
    serviceName: 'bench', sampleRate, resourceAttributes: {}, capturedRequestHeaders: [], capturedResponseHeaders: [],
    safeQueryParams: [], addInternals: false, otlp: { http: { endpoint, headers: {} } },
    batch: { maxQueueSize: 1 << 18, maxExportBatchSize: 512, scheduledDelay: 5000, exportTimeout: 30_000 }, shutdownTimeout: 5000, exportThread: false,
  };
}
