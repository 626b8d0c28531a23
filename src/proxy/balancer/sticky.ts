import { createHash } from 'node:crypto';
import type { Cookie } from '../../dynamic/types.ts';

/** What a cookie value resolves to: the server name, and whether the cookie uses a legacy value to rewrite. */
export interface StickyMatch {
  readonly server: string;
  readonly rewrite: boolean;
}

/**
 * Sticky sessions by cookie, as Traefik v3 does them. The cookie value is the first 16 hex digits of
 * SHA-256 of the server name (its URL); values written by older Traefik versions (the raw URL, its
 * FNV-64 hash, or a double FNV hash) are still honoured and rewritten. Every string is computed when
 * the server is added, so a request costs one cookie-header scan and no allocation.
 *
 * @example
 * const sticky = new StickyCookie({ name: 'lb', httpOnly: true }, 'whoami@consulcatalog');
 * sticky.add('http://10.0.0.1:80');
 * sticky.setCookieFor('http://10.0.0.1:80'); // "lb=…; Path=/; HttpOnly"
 * sticky.lookup('lb=…; other=1');            // { server: 'http://10.0.0.1:80', rewrite: false }
 */
export class StickyCookie {
  /** Cookie name: the configured one (sanitized) or one derived from the service name. */
  readonly name: string;
  #attributes: string;
  #values = new Map<string, StickyMatch>();
  #setCookie = new Map<string, string>();

  constructor(cookie: Cookie, serviceName: string) {
    this.name = cookie.name ? sanitizeCookieName(cookie.name) : defaultCookieName(serviceName);
    this.#attributes = cookieAttributes(cookie);
  }

  /** Registers a server by name (its URL). */
  add(server: string): void {
    const hashed = sha256Prefix(server);
    this.#values.set(hashed, { server, rewrite: false });
    const legacy: StickyMatch = { server, rewrite: true };
    const fnv = fnv64(server);
    for (const v of [server, fnv, fnv64(fnv)]) if (!this.#values.has(v)) this.#values.set(v, legacy);
    this.#setCookie.set(server, `${this.name}=${hashed}${this.#attributes}`);
  }

  /** The server the request's Cookie header points at, if any (healthy or not: the caller checks). */
  lookup(cookieHeader: string | string[] | undefined): StickyMatch | undefined {
    if (cookieHeader === undefined) return undefined;
    const header = typeof cookieHeader === 'string' ? cookieHeader : cookieHeader.join('; ');
    const value = readCookie(header, this.name);
    return value === undefined ? undefined : this.#values.get(value);
  }

  /** The full Set-Cookie value that sticks a client to `server` (undefined for an unknown server). */
  setCookieFor(server: string): string | undefined {
    return this.#setCookie.get(server);
  }
}

/** Traefik's generated name: "_" + the first 5 hex digits of SHA-1("_TRAEFIK_BACKEND_" + service). */
export function defaultCookieName(serviceName: string): string {
  return ('_' + createHash('sha1').update('_TRAEFIK_BACKEND_' + serviceName).digest('hex')).slice(0, 6);
}

/** RFC 2616 token characters are kept, anything else becomes "_" (Traefik's `sanitizeName`). */
export function sanitizeCookieName(name: string): string {
  return name.replace(/[^A-Za-z0-9!#$%&'*+\-.^`|~]/g, '_');
}

/** First value of cookie `name` in a Cookie header, surrounding quotes removed (Go's `req.Cookie`). */
export function readCookie(header: string, name: string): string | undefined {
  const n = header.length;
  let i = 0;
  while (i < n) {
    let end = header.indexOf(';', i);
    if (end === -1) end = n;
    const eq = header.indexOf('=', i);
    if (eq !== -1 && eq < end && header.slice(i, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
      return value;
    }
    i = end + 1;
  }
  return undefined;
}

/** "; Path=/; Domain=…; Max-Age=…; HttpOnly; Secure; SameSite=…" in the order Go's `Cookie.String` writes them. */
function cookieAttributes(c: Cookie): string {
  let out = '';
  const path = c.path ?? '/';
  if (path !== '') out += `; Path=${path.replace(/[;\x00-\x1f\x7f]/g, '')}`;
  if (c.domain) out += `; Domain=${c.domain.startsWith('.') ? c.domain.slice(1) : c.domain}`;
  if (c.maxAge !== undefined && c.maxAge !== 0) out += `; Max-Age=${c.maxAge > 0 ? Math.floor(c.maxAge) : 0}`;
  if (c.httpOnly) out += '; HttpOnly';
  if (c.secure) out += '; Secure';
  switch ((c.sameSite ?? '').toLowerCase()) {
    case 'none': out += '; SameSite=None'; break;
    case 'lax': out += '; SameSite=Lax'; break;
    case 'strict': out += '; SameSite=Strict'; break;
    default: break; // Go's SameSiteDefaultMode: attribute omitted
  }
  return out;
}

function sha256Prefix(input: string): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;

/** FNV-1 (not 1a) 64-bit, hex without padding: Go's `fnv.New64()` + `strconv.FormatUint(h, 16)`. */
function fnv64(input: string): string {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(input, 'utf8')) h = ((h * FNV_PRIME) & MASK_64) ^ BigInt(byte);
  return h.toString(16);
}
