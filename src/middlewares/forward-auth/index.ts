import type { OutgoingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { ForwardAuth } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { readBody } from '../../http/body.ts';
import type { AttemptObserver } from '../../http/hooks.ts';
import type { GoRegexp } from '../../regexp/index.ts';
import type { Logger } from '../../util/log.ts';
import { optionError } from '../shared/errors.ts';
import { durationOption, regexOption } from '../shared/options.ts';
import { refuser } from '../shared/refuse.ts';
import type { Wrapper } from '../shared/types.ts';
import { authRequestHeaders, canonicalKey, type HeaderMode } from './headers.ts';
import { clientTls } from './tls.ts';

/** Traefik's auth client: `http.Client{Timeout: 30 * time.Second}`. */
const DEFAULT_TIMEOUT = 30_000;
/** Hop-by-hop headers removed from the auth server's answer before it goes to the client (Traefik's hopHeaders). */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade']);
/** Status written when the client went away during the auth call (Traefik's StatusClientClosedRequest). */
const CLIENT_CLOSED = 499;

type Headers = Record<string, string | string[] | undefined>;

/** What the auth server answered, its body read in full (within `maxResponseBodySize`). */
interface AuthAnswer { status: number; headers: Headers; body: Buffer }

/** Why an auth call failed: `tooLarge` (response body over the limit), `gone` (client left), otherwise a transport fault. */
class AuthCallError extends Error {
  readonly kind: 'tooLarge' | 'gone' | 'timeout' | 'transport';
  constructor(kind: AuthCallError['kind'], message: string, cause?: unknown) {
    super(message, { cause });
    this.kind = kind;
  }
}

/**
 * forwardAuth (Traefik v3.7's `pkg/middlewares/auth/forward.go`): each request first asks the auth server at
 * `address` (GET, or the request's method with `preserveRequestMethod`), with the request's headers and
 * X-Forwarded-Method/-Proto/-Host/-Uri/-For (+ -Port unless `trustForwardHeader` is unset). A 2xx lets the
 * request through, with `authResponseHeaders` / `authResponseHeadersRegex` copied from the auth answer onto
 * it and `addAuthCookiesToResponse` cookies added to the final response. Any other status goes back to the
 * client as the auth server wrote it (status, headers without hop-by-hop ones, body; `Location` resolved
 * against `address` unless `preserveLocationHeader`), except a 401 with `authSigninURL`: a 302 there.
 * Faults: auth server unreachable, timed out or broken → 500 (reason logged, never a pass-through); a request
 * body over `maxBodySize` or an auth answer over `maxResponseBodySize` → 401.
 * One keep-alive undici pool per instance, closed with it; `timeout` (tagway addition, default 30s) bounds
 * the whole call. With detailed tracing the call is a CLIENT span `AuthRequest` under the ForwardAuth step.
 * @example
 * forwardAuth({ address: 'http://authelia:9091/api/verify', trustForwardHeader: true, authResponseHeaders: ['Remote-User'] }, log)
 */
export function forwardAuth(cfg: ForwardAuth, logger?: Logger): Wrapper {
  const address = parseAddress(cfg.address);
  const path = address.pathname + address.search;
  const responseHeaders = (cfg.authResponseHeaders ?? []).map((h) => h.toLowerCase());
  const responseRegex: GoRegexp | undefined = cfg.authResponseHeadersRegex ? regexOption(cfg.authResponseHeadersRegex, 'forwardAuth.authResponseHeadersRegex') : undefined;
  const authCookies = new Set(cfg.addAuthCookiesToResponse ?? []);
  const maxBodySize = sizeOption(cfg.maxBodySize, 'forwardAuth.maxBodySize');
  const maxResponseBodySize = sizeOption(cfg.maxResponseBodySize, 'forwardAuth.maxResponseBodySize');
  const timeout = durationOption(cfg.timeout, 'forwardAuth.timeout', DEFAULT_TIMEOUT);
  if (timeout <= 0) throw optionError('forwardAuth.timeout', 'must be positive');
  const signin = cfg.authSigninURL ?? '';
  const mode: HeaderMode = cfg.trustForwardHeader === undefined ? 'legacy' : cfg.trustForwardHeader ? 'trust' : 'distrust';
  const allowed = (cfg.authRequestHeaders ?? []).map((h) => h.toLowerCase());
  const forwardBody = cfg.forwardBody === true;
  const tls = address.protocol === 'https:' ? clientTls(cfg.tls) : undefined;
  const pool = new Pool(address.origin, tls ? { connect: tls } : {});
  const log = logger?.child({ middlewareType: 'ForwardAuth' });

  function call(ctx: RequestContext, headers: Headers, body: Buffer | undefined, observer: AttemptObserver | undefined, done: (err: AuthCallError | undefined, answer?: AuthAnswer) => void): void {
    const abort = new AbortController();
    let settled = false;
    function finish(err: AuthCallError | undefined, answer?: AuthAnswer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.res.off('close', clientGone);
      if (err) {
        if (!abort.signal.aborted) abort.abort(err);
        observer?.onError(err.kind === 'gone' ? CLIENT_CLOSED : err.kind === 'tooLarge' ? 401 : 500, err);
      } else {
        observer?.onResponse(answer!.status, answer!.headers as OutgoingHttpHeaders);
      }
      done(err, answer);
    }
    const timer = setTimeout(() => finish(new AuthCallError('timeout', `auth server did not answer within ${timeout}ms`)), timeout);
    timer.unref();
    function clientGone(): void {
      if (!ctx.res.writableFinished) finish(new AuthCallError('gone', 'client went away during the auth call'));
    }
    ctx.res.once('close', clientGone);
    pool.request({
      path, method: (cfg.preserveRequestMethod ? ctx.method : 'GET') as Dispatcher.HttpMethod,
      headers: headers as Record<string, string | string[]>, body: body ?? null, signal: abort.signal,
    }).then((res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (maxResponseBodySize >= 0 && size > maxResponseBodySize) {
          res.body.destroy();
          finish(new AuthCallError('tooLarge', `auth response body is larger than maxResponseBodySize (${maxResponseBodySize})`));
          return;
        }
        chunks.push(chunk);
      });
      res.body.on('end', () => finish(undefined, { status: res.statusCode, headers: res.headers as Headers, body: Buffer.concat(chunks, size) }));
      res.body.on('error', (err: Error) => finish(new AuthCallError('transport', `reading the auth response: ${err.message}`, err)));
    }, (err: Error) => {
      finish(new AuthCallError('transport', err.message, err));
    });
  }

  /** `refuse` is taken on entry (the step is current only then; the body may be read first). */
  function authenticate(ctx: RequestContext, next: Handler, body: Buffer | undefined, refuse: (reason: string) => void): void {
    const headers = authRequestHeaders(ctx, mode, allowed);
    const observer = ctx.trace?.startCall?.('AuthRequest', address, path, cfg.preserveRequestMethod ? ctx.method : 'GET', headers);
    call(ctx, headers, body, observer, function answered(err, answer) {
      if (ctx.res.destroyed || ctx.res.headersSent) return;
      if (err) {
        if (err.kind === 'gone') return;
        if (err.kind === 'tooLarge') {
          refuse(err.message);
          reply(ctx, 401, {}, '');
          return;
        }
        log?.error(`Error calling ${address.href}`, { middlewareName: ctx.routerName, error: err.message });
        refuse(`Error calling ${address.href}. Cause: ${err.message}`);
        reply(ctx, 500, {}, '');
        return;
      }
      const a = answer!;
      if (cfg.headerField) {
        const user = a.headers[cfg.headerField.toLowerCase()];
        const first = Array.isArray(user) ? user[0] : user;
        if (first !== undefined) ctx.user = first;
      }
      if (signin !== '' && a.status === 401) {
        refuse('Authentication required: redirected to the sign-in URL');
        redirect(ctx, signin);
        return;
      }
      if (a.status < 200 || a.status >= 300) {
        refuse(`Forward auth refused the request with status ${a.status}`);
        deny(ctx, a);
        return;
      }
      for (const name of responseHeaders) {
        delete ctx.headers[name];
        const v = a.headers[name];
        if (v !== undefined) ctx.headers[name] = Array.isArray(v) ? [...v] : v;
      }
      if (responseRegex) {
        for (const name of Object.keys(ctx.headers)) if (responseRegex.test(canonicalKey(name))) delete ctx.headers[name];
        for (const name of Object.keys(a.headers)) {
          const v = a.headers[name];
          if (v !== undefined && responseRegex.test(canonicalKey(name))) ctx.headers[name] = Array.isArray(v) ? [...v] : v;
        }
      }
      const cookies = setCookies(a.headers['set-cookie']);
      if (cookies.length > 0) (ctx.onResponseHead ??= []).push((_status, head) => mergeCookies(head, cookies, authCookies));
      next(ctx);
    });
  }

  /** Traefik's readResponseBodyBytes/readBodyBytes deny with 401 and an empty body. */
  function deny(ctx: RequestContext, a: AuthAnswer): void {
    const head: OutgoingHttpHeaders = {};
    for (const name of Object.keys(a.headers)) if (!HOP_HEADERS.has(name)) head[name] = a.headers[name];
    const location = a.headers.location;
    const raw = Array.isArray(location) ? location[0] : location;
    if (raw !== undefined && raw !== '') {
      if (cfg.preserveLocationHeader) head.location = raw;
      else {
        try { head.location = new URL(raw, address).href; } catch (err) {
          refuse500(ctx, `Error reading response location header ${address.href}. Cause: ${(err as Error).message}`);
          return;
        }
      }
    }
    if (head['content-length'] !== undefined) head['content-length'] = a.body.length;
    reply(ctx, a.status, head, a.body);
  }

  function refuse500(ctx: RequestContext, reason: string): void {
    log?.error(reason);
    ctx.trace?.refuse(reason);
    reply(ctx, 500, {}, '');
  }

  return {
    wrap(next: Handler): Handler {
      return function forwardAuthHandler(ctx: RequestContext) {
        // Traefik: a CONNECT body of unknown length is tunnel data, never sent to the auth server.
        const refuse = refuser(ctx);
        const h = ctx.req.headers;
        const h2Body = ctx.req.httpVersionMajor === 2 && (ctx.req as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders === false;
        const hasBody = h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0') || h2Body;
        const read = ctx.body;
        if (!forwardBody || !hasBody || Buffer.isBuffer(read) || (ctx.method === 'CONNECT' && h['content-length'] === undefined)) {
          authenticate(ctx, next, forwardBody && Buffer.isBuffer(read) ? read : undefined, refuse);
          return;
        }
        readBody(ctx, maxBodySize, function read(err, body) {
          if (ctx.res.destroyed || ctx.res.headersSent) return;
          if (err === 'tooLarge') {
            refuse(`Request body is too large, maxBodySize: ${maxBodySize}`);
            reply(ctx, 401, { connection: 'close' }, '');
            return;
          }
          if (err !== undefined) {
            refuse(`Error while reading Body: ${err}`);
            reply(ctx, 500, { connection: 'close' }, '');
            return;
          }
          // The forwarder sends these bytes (or the stored body they were read from): the request stream is spent.
          ctx.body ??= body;
          delete ctx.headers.expect;
          authenticate(ctx, next, body.length > 0 ? body : undefined, refuse);
        });
      };
    },
    close() { void pool.close().catch(() => {}); },
  };
}

/** Writes the middleware's own answer, through the response-head hooks (spans, metrics, headers middleware). */
function reply(ctx: RequestContext, status: number, head: OutgoingHttpHeaders, body: string | Buffer): void {
  const res = ctx.res;
  if (res.headersSent) { res.destroy(); return; }
  if (head['content-length'] === undefined && head['transfer-encoding'] === undefined) head['content-length'] = Buffer.byteLength(body);
  ctx.status = status;
  if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(status, head);
  res.writeHead(status, head);
  res.end(body);
}

/** Go's http.Redirect with 302: Location, and for GET/HEAD a short HTML body. */
function redirect(ctx: RequestContext, url: string): void {
  const head: OutgoingHttpHeaders = { location: url };
  let body = '';
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    head['content-type'] = 'text/html; charset=utf-8';
    body = `<a href="${htmlEscape(url)}">Found</a>.\n\n`;
  }
  reply(ctx, 302, head, ctx.method === 'HEAD' ? '' : body);
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

function setCookies(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function cookieName(setCookie: string): string {
  const eq = setCookie.indexOf('=');
  return (eq === -1 ? '' : setCookie.slice(0, eq)).trim();
}

/**
 * Traefik's buildModifier: the upstream's cookies named in addAuthCookiesToResponse are dropped, the auth
 * server's cookies with those names are added after the upstream's others.
 */
function mergeCookies(head: OutgoingHttpHeaders, auth: string[], names: ReadonlySet<string>): void {
  const upstream = head['set-cookie'];
  const kept = (upstream === undefined ? [] : Array.isArray(upstream) ? upstream : [String(upstream)]).filter((c) => !names.has(cookieName(c)));
  const added = auth.filter((c) => names.has(cookieName(c)));
  const all = [...kept, ...added];
  if (all.length === 0) delete head['set-cookie'];
  else head['set-cookie'] = all;
}

function parseAddress(raw: string | undefined): URL {
  if (raw === undefined || raw === '') throw optionError('forwardAuth.address', 'the authentication server address is required');
  let url: URL;
  try { url = new URL(raw); } catch {
    throw optionError('forwardAuth.address', `invalid URL ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw optionError('forwardAuth.address', `must use http or https (got ${JSON.stringify(url.protocol.slice(0, -1))})`);
  return url;
}

/** An int64 size option: unset → -1 (no limit, Traefik's default); negative → no limit. */
function sizeOption(v: number | undefined, option: string): number {
  if (v === undefined) return -1;
  if (!Number.isSafeInteger(v)) throw optionError(option, `invalid size ${v}`);
  return v < 0 ? -1 : v;
}
