import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../http/context.ts';

/**
 * Response-head helpers. Hooks receive the head as an OutgoingHttpHeaders object whose keys may be in
 * any case (upstream headers are lower-case, but a hook may have added `Vary`); these treat names
 * case-insensitively and leave one lower-case key.
 */
export function getOut(headers: OutgoingHttpHeaders, lname: string): string {
  const v = headers[lname] ?? findOther(headers, lname);
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : String(v);
}

export function setOut(headers: OutgoingHttpHeaders, lname: string, value: string | number): void {
  delOther(headers, lname);
  headers[lname] = value;
}

export function delOut(headers: OutgoingHttpHeaders, lname: string): void {
  delOther(headers, lname);
  delete headers[lname];
}

function findOther(headers: OutgoingHttpHeaders, lname: string): OutgoingHttpHeaders[string] {
  for (const k in headers) if (k.length === lname.length && k.toLowerCase() === lname) return headers[k];
  return undefined;
}

function delOther(headers: OutgoingHttpHeaders, lname: string): void {
  for (const k in headers) if (k !== lname && k.length === lname.length && k.toLowerCase() === lname) delete headers[k];
}

/**
 * Registers a response-head hook so that hooks nest like Go response modifiers: the innermost middleware
 * (registered last) runs first, every middleware runs before the hooks added by the layers outside the
 * middleware chain (spans, metrics, access log), which see the final head.
 */
export function onHead(ctx: RequestContext, hook: (status: number, headers: OutgoingHttpHeaders) => void): void {
  (ctx.onResponseHead ??= []).unshift(hook);
}

/**
 * Writes a complete answer from a middleware (a CORS preflight...), running the head hooks like `respond`
 * but without forcing a Content-Type on an empty body (Go writes none either).
 */
export function answer(ctx: RequestContext, status: number, headers: OutgoingHttpHeaders, body = ''): void {
  const res = ctx.res;
  if (res.headersSent) { res.destroy(); return; }
  headers['content-length'] = Buffer.byteLength(body);
  ctx.status = status;
  if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(status, headers);
  res.writeHead(status, headers);
  res.end(body);
}
