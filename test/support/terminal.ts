/**
 * Test support for middlewares: a terminal handler that honours the request contract exactly as the
 * forwarder does (src/proxy/exchange.ts: count the attempt, on failure ask `ctx.onAttemptFailed` and
 * answer the mapped status unless it returns true; on success set `ctx.status`, run `ctx.onResponseHead`
 * hooks in order, then pipe the body through `ctx.responseTransforms`), plus a tiny entry point that
 * builds real request contexts on 127.0.0.1 and a raw node:http client.
 */
import { deepEqual, equal } from 'node:assert/strict';
import { createServer, request, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import { pipeline, type Transform } from 'node:stream';
import { ProxyError } from '../../src/http/errors.ts';
import { respond, type Handler, type RequestContext } from '../../src/http/context.ts';
import type { RequestTrace } from '../../src/http/hooks.ts';
import { newRequestContext, type EntryPointInfo } from '../../src/http/request-context.ts';
import { TrustedNetworks } from '../../src/util/ipnet.ts';

/** What the "upstream" received: the request as a middleware chain left it. */
export interface Echo {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  strippedPrefix: string | null;
  /** ctx.attempts before this attempt (the resend count). */
  resendCount: number;
}

export interface TerminalOptions {
  /** Status to answer (default 200). */
  status?: number;
  /** Body to answer instead of the JSON echo. */
  body?: string | Buffer;
  /** Extra response headers (lower-case names). */
  headers?: OutgoingHttpHeaders;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** Stream the body from these chunks instead (implies chunked); the next chunk is awaited after each write. */
  chunks?: () => AsyncIterable<string>;
  /** Simulated upstream failure for the n-th attempt (1-based); undefined means the attempt succeeds. */
  fail?: (attempt: number) => ProxyError | undefined;
}

export interface Terminal {
  handler: Handler;
  /** One echo per attempt that reached the terminal, failed ones included. */
  calls: Echo[];
}

/** A connection-refused failure, as the forwarder reports it. */
export function refused(): ProxyError {
  return new ProxyError('TAGWAY_UPSTREAM_REFUSED', 502, 'connect ECONNREFUSED');
}

/**
 * @example
 * const up = terminal({ status: 201 });
 * const url = await serve(t, mw.wrap(up.handler));
 */
export function terminal(options: TerminalOptions = {}): Terminal {
  const calls: Echo[] = [];
  const handler: Handler = function terminalHandler(ctx: RequestContext) {
    const echo: Echo = {
      method: ctx.method, path: ctx.path, rawQuery: ctx.rawQuery, headers: { ...ctx.headers },
      strippedPrefix: ctx.strippedPrefix ?? null, resendCount: ctx.attempts,
    };
    calls.push(echo);
    ctx.attempts += 1;
    const failure = options.fail?.(calls.length);
    if (failure) {
      if (ctx.onAttemptFailed?.(failure) === true) return;
      respond(ctx, failure.status, STATUS_CODES[failure.status] ?? '');
      return;
    }
    const status = options.status ?? 200;
    const body = Buffer.from(options.body ?? JSON.stringify(echo));
    const head: OutgoingHttpHeaders = {
      'content-type': options.body === undefined && !options.chunks ? 'application/json' : 'text/plain; charset=utf-8',
      ...(options.chunked || options.chunks ? {} : { 'content-length': body.length }),
      ...options.headers,
    };
    ctx.status = status;
    if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(status, head);
    const chain: Transform[] = [];
    if (ctx.responseTransforms) for (const make of ctx.responseTransforms) { const t = make(status, head); if (t) chain.push(t); }
    ctx.res.writeHead(status, head);
    const noBody = ctx.method === 'HEAD' || status === 204 || status === 304;
    const sink = chain.length === 0 ? ctx.res : chain[0]!;
    if (chain.length > 0) pipeline([...chain, ctx.res], () => {});
    if (options.chunks && !noBody) { void streamChunks(options.chunks(), sink); return; }
    sink.end(noBody ? undefined : body);
  };
  return { handler, calls };
}

async function streamChunks(chunks: AsyncIterable<string>, sink: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of chunks) sink.write(chunk);
  sink.end();
}

export interface ServeOptions {
  scheme?: 'http' | 'https';
  /** Peers whose X-Forwarded-* are kept (default: loopback, so tests can send X-Forwarded-For). */
  trusted?: string[];
  /** Attached to every context (tracing tests). */
  trace?: RequestTrace;
  /** Called with each context after the handler ran. */
  onContext?: (ctx: RequestContext) => void;
}

/** Starts an entry point on 127.0.0.1:0 that runs `handler` on a real request context; returns its base URL. */
export async function serve(t: TestContext, handler: Handler, options: ServeOptions = {}): Promise<string> {
  const port = { value: 0 };
  const ep: EntryPointInfo = {
    name: 'web', scheme: options.scheme ?? 'http', get port() { return String(port.value); },
    trusted: new TrustedNetworks(options.trusted ?? ['127.0.0.0/8', '::1']),
  };
  const server = createServer(function entryPoint(req: IncomingMessage, res: ServerResponse) {
    const ctx = newRequestContext(req, res, ep);
    if (!ctx) { res.writeHead(400); res.end(); return; }
    if (options.trace) ctx.trace = options.trace;
    handler(ctx);
    options.onContext?.(ctx);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port.value = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `http://127.0.0.1:${port.value}`;
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: Buffer; text: string; json<T = Echo>(): T }

/**
 * A raw HTTP/1.1 request (node:http, no keep-alive, nothing added but Host): headers and target go out
 * exactly as given, which fetch would not allow (absolute-form targets, Host overrides, no Accept-Encoding).
 */
export function send(base: string, target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, method: init.method ?? 'GET', path: target,
      headers: { connection: 'close', ...init.headers }, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** One row of a middleware table: a request, what the upstream must see, what the client must get. */
export interface Case {
  desc: string;
  request?: { method?: string; target?: string; headers?: Record<string, string>; body?: string };
  upstream?: TerminalOptions;
  serve?: ServeOptions;
  /** Expected status (default 200). */
  status?: number;
  /** Whether the request must reach the upstream (default: status < 300). */
  reached?: boolean;
  path?: string;
  rawQuery?: string;
  strippedPrefix?: string | null;
  /** Request headers the upstream must see; `undefined` means absent. */
  upstreamHeaders?: Record<string, string | undefined>;
  /** Response headers the client must get; `undefined` means absent. */
  responseHeaders?: Record<string, string | undefined>;
  body?: string;
}

/**
 * Runs one case through a real socket: entry point → `wrap(terminal)` → terminal, then asserts every
 * expectation the case states. Returns the reply and the terminal for extra checks.
 */
export async function runCase(t: TestContext, wrap: (next: Handler) => Handler, c: Case): Promise<{ reply: Reply; up: Terminal }> {
  const up = terminal(c.upstream);
  const url = await serve(t, wrap(up.handler), c.serve);
  const reply = await send(url, c.request?.target ?? '/', c.request ?? {});
  const status = c.status ?? 200;
  equal(reply.status, status, `status (${reply.text})`);
  const reached = c.reached ?? status < 300;
  equal(up.calls.length > 0, reached, 'reached the upstream');
  const seen = up.calls.at(-1);
  if (c.path !== undefined) equal(seen?.path, c.path, 'upstream path');
  if (c.rawQuery !== undefined) equal(seen?.rawQuery, c.rawQuery, 'upstream query');
  if (c.strippedPrefix !== undefined) equal(seen?.strippedPrefix, c.strippedPrefix, 'stripped prefix');
  for (const [name, value] of Object.entries(c.upstreamHeaders ?? {})) deepEqual(seen?.headers[name], value, `upstream header ${name}`);
  for (const [name, value] of Object.entries(c.responseHeaders ?? {})) deepEqual(reply.headers[name], value, `response header ${name}`);
  if (c.body !== undefined) equal(reply.text, c.body, 'body');
  return { reply, up };
}
