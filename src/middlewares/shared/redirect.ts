import { respond, type RequestContext } from '../../http/context.ts';
import { statusText } from './options.ts';

/** An absolute-form request target (`GET http://host:port/path`). */
const ABSOLUTE_TARGET = /^(https?):\/\/(\[[\w:.]+\]|[\w._-]+)?(:\d+)?(.*)$/s;

/** The request target as Go's RequestURI would read after path rewrites: path plus raw query. */
export function requestURI(ctx: RequestContext): string {
  return ctx.rawQuery === '' ? ctx.path : `${ctx.path}?${ctx.rawQuery}`;
}

/** The Host the request was sent to (a `Host` set by a headers middleware wins, as req.Host does in Go). */
export function requestHost(ctx: RequestContext): string {
  const h = ctx.headers.host ?? ctx.req.headers.host ?? '';
  return Array.isArray(h) ? (h[0] ?? '') : h;
}

/** Parts of an absolute-form target, when the client sent one. */
export function absoluteTarget(ctx: RequestContext): RegExpExecArray | null {
  const raw = ctx.req.url ?? '';
  return raw.startsWith('http') ? ABSOLUTE_TARGET.exec(raw) : null;
}

/**
 * Answers a redirect the way Traefik's moveHandler does: 302/301 for GET, 307/308 for any other method
 * (so a POST body is replayed), with the status text as body.
 */
export function redirect(ctx: RequestContext, location: string, permanent: boolean): void {
  const get = ctx.method === 'GET';
  const status = permanent ? (get ? 301 : 308) : (get ? 302 : 307);
  respond(ctx, status, statusText(status), { location });
}
