import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { RouterObservability } from '../../src/dynamic/types.ts';
import { mergeObservability } from '../../src/observability/merge.ts';
import { shouldTrace } from '../../src/observability/decision.ts';
import { createTracing, type Tracing, type TracingOptions } from '../../src/observability/tracing.ts';
import type { ServerTrace } from '../../src/observability/spans/request-trace.ts';
import { ProxyError } from '../../src/http/errors.ts';
import { respond, type RequestContext } from '../../src/http/context.ts';
import { newRequestContext } from '../../src/http/request-context.ts';
import type { EntryPointConfig, TracingConfig } from '../../src/static/types.ts';
import { TrustedNetworks } from '../../src/util/ipnet.ts';

/** Static tracing config with test-friendly batch timings; `endpoint` is the collector's. */
export function tracingConfig(endpoint: string, overrides: Partial<TracingConfig> = {}): TracingConfig {
  return {
    serviceName: 'tagway-test',
    sampleRate: 1,
    resourceAttributes: {},
    capturedRequestHeaders: [],
    capturedResponseHeaders: [],
    safeQueryParams: [],
    addInternals: false,
    otlp: { http: { endpoint, headers: {} } },
    batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelay: 20, exportTimeout: 5000 },
    shutdownTimeout: 5000,
    ...overrides,
  };
}

export interface UpstreamRequest { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[] }

/** A real upstream: `/status/<code>` answers that code, `/hang` never answers, anything else 200 "ok". */
export async function startUpstream(t: TestContext): Promise<{ url: string; requests: UpstreamRequest[] }> {
  const requests: UpstreamRequest[] = [];
  const server = createServer(function upstream(req, res) {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    req.resume();
    if (req.url?.startsWith('/hang')) return;
    const m = /^\/status\/(\d{3})/.exec(req.url ?? '');
    res.writeHead(m ? Number(m[1]) : 200, { 'content-type': 'text/plain', 'x-multi': ['one', 'two'] });
    res.end('ok');
  });
  return { url: await listen(t, server), requests };
}

export interface HarnessOptions {
  tracing: TracingConfig;
  tracingOptions?: TracingOptions;
  router?: RouterObservability;
  entryPoint?: EntryPointConfig['observability'];
  /** Middleware step names opened between Router and Service (detailed spans). */
  middlewares?: string[];
  /** Where to forward; defaults to a started upstream. */
  upstreamUrl?: string;
  /** Upstream response timeout (ms) → 504. */
  upstreamTimeout?: number;
  /** false: the entry point neither calls enterRouter nor enterService (tracing opens them itself). */
  explicitSteps?: boolean;
  /** false: the forwarder never tells the attempt observer the outcome (a forwarder bug). */
  reportAttempts?: boolean;
}

export interface Harness {
  url: string;
  tracing: Tracing;
  upstream: { url: string; requests: UpstreamRequest[] };
  /** Traces created, in order, for assertions on ids. */
  traces: ServerTrace[];
}

/**
 * A small gateway: node:http → newRequestContext → merge + decision → tracing.startRequest → steps →
 * a minimal forwarder that honours ctx.trace.startAttempt, toward a real upstream. Stands in for the
 * real entry point and src/proxy until they exist; the tracing under test is the real one.
 */
export async function startHarness(t: TestContext, options: HarnessOptions): Promise<Harness> {
  const upstream = await startUpstream(t);
  const tracing = createTracing(options.tracing, { version: '9.9.9', logger: { warn() {} }, ...options.tracingOptions });
  t.after(() => tracing.shutdown(1000));
  const ep = { name: 'web', scheme: 'http' as const, port: '0', trusted: new TrustedNetworks([]) };
  const merged = mergeObservability(options.router, options.entryPoint);
  const target = new URL(options.upstreamUrl ?? upstream.url);
  const traces: ServerTrace[] = [];

  const server = createServer(function gateway(req: IncomingMessage, res: ServerResponse) {
    const ctx = newRequestContext(req, res, ep);
    if (!ctx) { res.writeHead(400).end(); return; }
    ctx.observability = merged;
    ctx.routerName = 'api@file';
    ctx.serviceName = 'api-svc@file';
    ctx.rule = 'PathPrefix(`/`)';
    if (shouldTrace({ tracingConfigured: true, internal: false, addInternals: options.tracing.addInternals, tracing: merged.tracing })) {
      const trace = tracing.startRequest(ctx);
      traces.push(trace);
      ctx.trace = trace;
      if (options.explicitSteps !== false) trace.enterRouter(ctx);
      for (const name of options.middlewares ?? []) trace.enterStep(name, { 'traefik.middleware.name': `${name.toLowerCase()}@file` });
    }
    if (ctx.path.startsWith('/refuse')) {
      ctx.trace?.refuse('client IP not allowed');
      respond(ctx, 403, 'Forbidden');
      return;
    }
    if (options.explicitSteps !== false) (ctx.trace as ServerTrace | undefined)?.enterService(ctx);
    forward(ctx, target, options.upstreamTimeout ?? 5000, options.reportAttempts ?? true);
  });
  return { url: await listen(t, server), tracing, upstream, traces };
}

function forward(ctx: RequestContext, base: URL, timeoutMs: number, report: boolean): void {
  const url = new URL(base.href);
  url.pathname = ctx.path;
  url.search = ctx.rawQuery;
  const headers: Record<string, string | string[] | undefined> = { ...ctx.headers };
  const observer = ctx.trace?.startAttempt(url, url.pathname + url.search, headers, ctx.attempts);
  const attempt = report ? observer : undefined;
  ctx.attempts += 1;
  const auth = url.username ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {};
  const out = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: ctx.method, headers: headers as OutgoingHttpHeaders, ...auth });
  const fail = (error: ProxyError): void => {
    attempt?.onError(error.status, error);
    respond(ctx, error.status, 'upstream failed');
  };
  out.setTimeout(timeoutMs, () => out.destroy(new ProxyError('TAGWAY_UPSTREAM_TIMEOUT', 504, 'upstream did not answer in time')));
  out.on('error', (err: Error & { code?: string }) => {
    if (ctx.res.destroyed) { attempt?.onError(499, new ProxyError('TAGWAY_CLIENT_GONE', 499, 'client went away', { cause: err })); return; }
    fail(err instanceof ProxyError ? err : new ProxyError('TAGWAY_UPSTREAM_REFUSED', 502, err.message, { cause: err }));
  });
  ctx.res.on('close', () => { if (!ctx.res.writableFinished) out.destroy(); });
  out.on('response', (up) => {
    const status = up.statusCode ?? 502;
    // distinct values: a repeated upstream header stays repeated (and shows as such on spans)
    attempt?.onResponse(status, up.headersDistinct);
    const head: OutgoingHttpHeaders = { ...up.headersDistinct };
    ctx.status = status;
    if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(status, head);
    ctx.res.writeHead(status, head);
    up.pipe(ctx.res);
  });
  ctx.req.pipe(out);
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/** One request to the harness; `headers` values may be arrays (sent as repeated headers). */
export function send(base: string, path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` requests, `concurrency` at a time. */
export async function load(base: string, count: number, concurrency: number, path = '/load'): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { while (next < count) { next += 1; await send(base, path); } };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function listen(t: TestContext, server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
