/**
 * Request-path normalization, run once per request before routing.
 *
 * Two forms exist:
 * - the **clean path** (`cleanPath`): what tagway routes on and forwards. Dot segments and repeated
 *   slashes are removed like Go's `net/http` does (a trailing slash is kept), percent-escapes of
 *   unreserved characters (RFC 3986 §2.3: ALPHA DIGIT - . _ ~) are decoded, every other escape stays
 *   encoded with upper-case hex (RFC 3986 §6.2.2.1), so `%2F` never becomes a segment separator.
 * - the **routing path** (`routingPath`): what the `Path*` matchers compare with. Like Traefik v3
 *   (`withRoutingPath` in pkg/muxer/http/mux.go) it also decodes the non-reserved escapes (`%20` → space,
 *   `%C3%A9` → `é`) but keeps the reserved ones (`%2F`, `%3F`, `%25`, ...) encoded, so the rule
 *   ``PathPrefix(`/foo bar`)`` matches `/foo%20bar`.
 */

/** 1 for the characters that may appear raw in a clean path without a second look (fast path). */
const PLAIN = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) PLAIN[c] = 1;
PLAIN[0x25] = 0; // '%' needs decoding or case normalization

/** 1 for unreserved characters: their escapes are decoded in the clean path. */
const UNRESERVED = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[ch.charCodeAt(0)] = 1;

/** 1 for reserved characters (RFC 3986 §2.2, plus '%'): their escapes stay encoded in the routing path. */
const RESERVED = new Uint8Array(128);
for (const ch of ":/?#[]@!$&'()*+,;=%") RESERVED[ch.charCodeAt(0)] = 1;

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Normalizes a request path (the part of the request target before `?`).
 * Returns `null` for a malformed percent-escape (`%`, `%4`, `%zz`): the caller answers 400.
 * The asterisk-form target `*` (OPTIONS) is returned as is; a path that does not start with `/` gets one.
 *
 * @example
 * cleanPath('/a/./b/../c//d/')   // '/a/c/d/'
 * cleanPath('/%7euser/%2f%41')   // '/~user/%2FA'
 * cleanPath('/%2E%2E/etc')       // '/etc'  (decoded before the dot segments are removed)
 * cleanPath('/bad%zz')           // null
 */
export function cleanPath(raw: string): string | null {
  const n = raw.length;
  if (n === 0) return '/';
  if (raw === '*') return raw;
  // Fast path: rooted, only plain printable ASCII, no '%', and no '//' or '/.' anywhere.
  if (raw.charCodeAt(0) === 0x2f) {
    let i = 1;
    let prev = 0x2f;
    for (; i < n; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 128 || PLAIN[c] === 0) break;
      if (prev === 0x2f && (c === 0x2f || c === 0x2e)) break;
      prev = c;
    }
    if (i === n) return raw;
  }
  const decoded = normalizeEscapes(raw);
  if (decoded === null) return null;
  return cleanDots(decoded.charCodeAt(0) === 0x2f ? decoded : '/' + decoded);
}

/**
 * The path when an entry point's `http.sanitizePath` is off: escapes normalized as `cleanPath` does (Traefik
 * normalizes them whatever sanitizePath says), dot segments and repeated slashes kept. null when malformed.
 *
 * @example
 * normalizedPath('/a//b/../%7e') // '/a//b/../~'
 */
export function normalizedPath(raw: string): string | null {
  if (raw.length === 0) return '/';
  if (raw === '*') return raw;
  const decoded = normalizeEscapes(raw);
  if (decoded === null) return null;
  return decoded.charCodeAt(0) === 0x2f ? decoded : '/' + decoded;
}

/**
 * The path an upstream that decodes once would act on: every escape decoded (`%2F` is a slash), a
 * backslash read as a slash (as WHATWG URL parsers and many servers do), then dot segments and repeated
 * slashes removed. A `%` it holds is written `%25` again, so the matchers (through `routingPath`) read it
 * as they read an escaped percent. Input: a path from `cleanPath` or `normalizedPath`.
 *
 * @example
 * canonicalPath('/x/..%2Fadmin') // '/admin'
 * canonicalPath('/%5Cadmin')     // '/admin'
 * canonicalPath('/a%252F')       // '/a%252F'
 */
export function canonicalPath(path: string): string {
  let s = path.indexOf('%') === -1 ? path : decodeAll(path);
  if (s.indexOf('\\') !== -1) s = s.replaceAll('\\', '/');
  s = cleanDots(s.charCodeAt(0) === 0x2f ? s : '/' + s);
  return s.indexOf('%') === -1 ? s : s.replaceAll('%', '%25');
}

function decodeAll(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) { bytes.push(hi * 16 + lo); i += 2; continue; }
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(String.fromCharCode(c), 'utf8')) bytes.push(b);
  }
  return utf8.decode(Uint8Array.from(bytes));
}

/** Decodes escapes of unreserved characters, upper-cases the hex of the others; null when malformed. */
function normalizeEscapes(s: string): string | null {
  let pct = s.indexOf('%');
  if (pct === -1) return s;
  let out = '';
  let from = 0;
  while (pct !== -1) {
    if (pct + 2 >= s.length) return null;
    const hi = hexValue(s.charCodeAt(pct + 1));
    const lo = hexValue(s.charCodeAt(pct + 2));
    if (hi < 0 || lo < 0) return null;
    const byte = hi * 16 + lo;
    out += s.slice(from, pct);
    out += byte < 128 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : '%' + HEX[hi] + HEX[lo];
    from = pct + 3;
    pct = s.indexOf('%', from);
  }
  return out + s.slice(from);
}

/** Go's path.Clean on a rooted path, then net/http's rule: keep a trailing slash. */
function cleanDots(p: string): string {
  const parts = p.split('/');
  const stack: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]!;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { stack.pop(); continue; }
    stack.push(seg);
  }
  const cleaned = '/' + stack.join('/');
  return p.endsWith('/') && cleaned !== '/' ? cleaned + '/' : cleaned;
}

let lastRoutingIn = '';
let lastRoutingOut = '';
const utf8 = new TextDecoder('utf-8');

/**
 * The path the `Path`, `PathPrefix` and `PathRegexp` matchers see: escapes of non-reserved characters
 * decoded (as UTF-8), reserved ones kept. Memoized for the last input, so several matchers of one
 * request pay once; a path without `%` is returned as is.
 *
 * @example
 * routingPath('/foo%20bar/a%2Fb') // '/foo bar/a%2Fb'
 */
export function routingPath(path: string): string {
  if (path === lastRoutingIn) return lastRoutingOut;
  let out = path;
  if (path.indexOf('%') !== -1) out = decodeNonReserved(path);
  lastRoutingIn = path;
  lastRoutingOut = out;
  return out;
}

function decodeNonReserved(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const byte = hi * 16 + lo;
        if (byte < 128 && RESERVED[byte] === 1) {
          bytes.push(0x25, HEX.charCodeAt(hi), HEX.charCodeAt(lo));
        } else {
          bytes.push(byte);
        }
        i += 2;
        continue;
      }
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(String.fromCharCode(c), 'utf8')) bytes.push(b);
  }
  return utf8.decode(Uint8Array.from(bytes));
}
