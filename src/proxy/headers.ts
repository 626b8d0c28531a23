import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext } from '../http/context.ts';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) plus the ones Go's ReverseProxy also drops: they describe one
 * connection and must not cross the proxy. Every `Proxy-*` header is dropped too. Keys are the
 * lower-case names Node gives; middlewares that add headers to `ctx.headers` use lower case as well.
 */
function isHopByHop(name: string): boolean {
  switch (name) {
    case 'connection': case 'keep-alive': case 'transfer-encoding': case 'te': case 'trailer':
    case 'upgrade': case 'http2-settings':
      return true;
    default:
      // 'proxy-…' (proxy-connection, proxy-authorization, proxy-authenticate…)
      return name.length > 6 && name.charCodeAt(0) === 112 && name.startsWith('proxy-');
  }
}

/** Names listed in a Connection header, except the usual tokens that are not header names. */
function connectionTokens(value: string | string[] | number | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  let out: string[] | undefined;
  for (const raw of text.split(',')) {
    const t = raw.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
    (out ??= []).push(t);
  }
  return out;
}

/** True when the request asks to switch protocols (Connection: upgrade + Upgrade: x). */
export function wantsUpgrade(headers: Record<string, string | string[] | undefined>): boolean {
  const upgrade = headers.upgrade;
  if (upgrade === undefined || upgrade === '') return false;
  const conn = headers.connection;
  if (conn === undefined) return false;
  const text = Array.isArray(conn) ? conn.join(',') : conn;
  return /(?:^|,)\s*upgrade\s*(?:,|$)/i.test(text);
}

/**
 * The headers sent upstream: `ctx.headers` minus hop-by-hop ones (and those named in Connection),
 * with Host chosen by `passHostHeader` and X-Forwarded-Prefix from `ctx.strippedPrefix`.
 * `TE: trailers` survives, as in Go. `expect` is kept only when `keepExpect`; `upgrade` is
 * re-added (with `connection: upgrade`) when `upgrade` is set.
 */
export function requestHeaders(
  ctx: RequestContext,
  host: string,
  keepExpect: boolean,
  upgrade: string | undefined,
): Record<string, string | string[] | undefined> {
  const src = ctx.headers;
  const listed = src.connection !== undefined ? connectionTokens(src.connection) : undefined;
  const out: Record<string, string | string[] | undefined> = {};
  for (const name in src) {
    const value = src[name];
    if (value === undefined || name === 'host') continue;
    if (isHopByHop(name)) continue;
    if (name === 'expect' && !keepExpect) continue;
    if (listed !== undefined && listed.includes(name)) continue;
    out[name] = value;
  }
  out.host = host;
  const te = src.te;
  if (te !== undefined && /(?:^|,)\s*trailers\s*(?:,|$)/i.test(Array.isArray(te) ? te.join(',') : te)) out.te = 'trailers';
  if (ctx.strippedPrefix) out['x-forwarded-prefix'] = ctx.strippedPrefix;
  if (upgrade !== undefined) {
    out.connection = 'Upgrade';
    out.upgrade = upgrade;
  }
  return out;
}

/**
 * The upstream's raw response headers (name/value pairs, Buffers from undici or strings from node:http)
 * as an object with lower-case names, values as latin1 strings (bytes round-trip unchanged),
 * repeated headers as arrays, hop-by-hop headers removed unless `keepUpgrade` (a 101 keeps them).
 */
export function responseHeaders(raw: ReadonlyArray<Buffer | string>, keepUpgrade: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    const v = raw[i + 1]!;
    const name = (typeof k === 'string' ? k : k.toString('latin1')).toLowerCase();
    const value = typeof v === 'string' ? v : v.toString('latin1');
    if (!keepUpgrade && isHopByHop(name)) {
      if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
      continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  if (connection !== undefined) {
    const listed = connectionTokens(connection);
    if (listed) for (const name of listed) delete out[name];
  }
  return out;
}

/** Adds a Set-Cookie value before the upstream's own (Traefik sets the sticky cookie before proxying). */
export function prependSetCookie(headers: OutgoingHttpHeaders, cookie: string): void {
  const prev = headers['set-cookie'];
  if (prev === undefined) headers['set-cookie'] = cookie;
  else if (Array.isArray(prev)) headers['set-cookie'] = [cookie, ...prev];
  else headers['set-cookie'] = [cookie, String(prev)];
}
