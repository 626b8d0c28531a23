import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** What replaces every query value not listed in `safeQueryParams`, and URL userinfo. */
export const REDACTED = 'REDACTED';

/**
 * A raw query as it goes on a span: keys sorted, every value REDACTED unless its key is safe, encoded the
 * way Traefik (Go's url.Values.Encode) does, so the same request gives the same `url.query` in both.
 *
 * @example
 * redactQuery('b=2&token=s3cr3t&a=1&a=2', new Set(['a'])) // → 'a=1&a=2&b=REDACTED&token=REDACTED'
 */
export function redactQuery(rawQuery: string, safe: ReadonlySet<string>): string {
  if (rawQuery === '') return '';
  // the server span and the attempt's url.full redact the same query, one after the other
  if (rawQuery === lastQuery && safe === lastSafe) return lastRedacted;
  const out = redactQueryOnce(rawQuery, safe);
  lastQuery = rawQuery;
  lastSafe = safe;
  lastRedacted = out;
  return out;
}

let lastQuery = '';
let lastSafe: ReadonlySet<string> | undefined;
let lastRedacted = '';

function redactQueryOnce(rawQuery: string, safe: ReadonlySet<string>): string {
  if (safe.size === 0 && PLAIN_QUERY.test(rawQuery)) return plainRedacted(rawQuery);
  const input = new URLSearchParams(rawQuery);
  const keys = [...new Set(input.keys())].sort();
  const out: string[] = [];
  for (const key of keys) {
    const k = queryEscape(key);
    if (safe.has(key)) for (const value of input.getAll(key)) out.push(`${k}=${queryEscape(value)}`);
    else out.push(`${k}=${REDACTED}`); // one value per key, as url.Values.Set does
  }
  return out.join('&');
}

/** Go's url.QueryEscape: unreserved characters kept, space as '+', everything else %XX. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** Keys made only of characters that need neither decoding nor encoding (the common case). */
const PLAIN_QUERY = /^[A-Za-z0-9._~\-=&]*$/;

/** Fast path without URLSearchParams: no safe keys, nothing to decode. */
function plainRedacted(rawQuery: string): string {
  const keys: string[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (!keys.includes(key)) keys.push(key);
  }
  keys.sort();
  let out = '';
  for (const key of keys) out += `${out === '' ? '' : '&'}${key}=${REDACTED}`;
  return out;
}

/**
 * `url.full` for a client span: the server's origin (scheme and host, as the request goes out: a
 * server URL's userinfo is not part of it, as in Traefik's director), then the path as sent with its
 * query redacted.
 *
 * @example
 * redactUrl(new URL('http://u:p@10.0.0.1:8080').origin, '/x?k=v', new Set()) // → 'http://10.0.0.1:8080/x?k=REDACTED'
 */
export function redactUrl(origin: string, path: string, safe: ReadonlySet<string>): string {
  const q = path.indexOf('?');
  return q === -1 ? origin + path : `${origin}${path.slice(0, q)}?${redactQuery(path.slice(q + 1), safe)}`;
}

/** Lower-cases the configured header names once; `user-agent` is skipped (it has its own attribute). */
export function headerNames(configured: readonly string[]): string[] {
  const names = new Set<string>();
  for (const name of configured) {
    const lower = name.toLowerCase();
    if (lower !== 'user-agent' && lower !== '') names.add(lower);
  }
  return [...names];
}

type AnyHeaders = IncomingHttpHeaders | OutgoingHttpHeaders | Record<string, string | string[] | number | undefined>;

/**
 * Sets the captured headers on `span` as string arrays under `<prefix><name>`.
 * `distinct` is Node's `headersDistinct` (repeated headers kept apart) when the headers are incoming.
 *
 * @example
 * captureHeaders(span, 'http.request.header.', ['x-request-id'], req.headers, req.headersDistinct)
 */
export function captureHeaders(
  span: { set(key: string, value: readonly string[]): void },
  prefix: string,
  names: readonly string[],
  headers: AnyHeaders | undefined,
  distinct?: Record<string, string[] | undefined>,
): void {
  if (names.length === 0 || headers === undefined) return;
  for (const name of names) {
    const fromDistinct = distinct?.[name];
    if (fromDistinct !== undefined) { span.set(prefix + name, fromDistinct.slice()); continue; }
    const value = headers[name];
    if (value === undefined) continue;
    span.set(prefix + name, Array.isArray(value) ? value.map(String) : [String(value)]);
  }
}
