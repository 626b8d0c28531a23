import { EventEmitter } from 'node:events';
import type { TraceVerbosity } from '../../src/dynamic/types.ts';
import type { RequestContext } from '../../src/http/context.ts';

/**
 * A context as newRequestContext builds it, with a response that only emits 'close': what the tracing
 * micro-benchmarks (tracing-overhead.ts, tracing-request.ts) hand to `startRequest`, no socket involved.
 */
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
