import type { RequestContext } from '../../http/context.ts';

/**
 * How X-Forwarded-* reach the auth server (Traefik v3.7): `trust` keeps the incoming ones and fills the
 * missing ones, `distrust` drops them all and sets them from the request, `legacy` (trustForwardHeader unset)
 * keeps the others (X-Forwarded-Prefix, X-Real-Ip…) but overwrites For, Proto, Method, Host and Uri.
 */
export type HeaderMode = 'trust' | 'distrust' | 'legacy';

/** Hop-by-hop (Traefik's hopHeaders) and what the HTTP client writes itself (Go keeps Host and Content-Length apart). */
const NOT_COPIED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);

/** forwardedheaders.XHeadersSet, lower-cased. */
const MANAGED_X = ['x-forwarded-proto', 'x-forwarded-scheme', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port',
  'x-forwarded-server', 'x-forwarded-uri', 'x-forwarded-method', 'x-forwarded-prefix', 'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info', 'x-scheme', 'x-real-ip'];
const MANAGED_X_SET = new Set(MANAGED_X);

function isManagedX(name: string): boolean {
  return MANAGED_X_SET.has(name) || (name.includes('_') && MANAGED_X_SET.has(name.replaceAll('_', '-')));
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * The headers of the auth request (Traefik's writeHeader / oldWriteHeader): the request's headers without
 * hop-by-hop ones, filtered by `allowed` (lower-case; with `trust`, the X-Forwarded set is allowed too), then
 * X-Forwarded-For/-Method/-Proto/-Port/-Host/-Uri. `ctx.headers` already carries the entry point's
 * X-Forwarded-* (with the peer appended to X-Forwarded-For), as Traefik's request does at this point.
 */
export function authRequestHeaders(ctx: RequestContext, mode: HeaderMode, allowed: readonly string[]): Headers {
  let out: Headers = {};
  const src = ctx.headers;
  const dropped = connectionListed(src.connection);
  for (const name in src) {
    const v = src[name];
    if (v === undefined || NOT_COPIED.has(name) || dropped?.has(name)) continue;
    if (mode === 'distrust' && isManagedX(name)) continue;
    out[name] = Array.isArray(v) ? [...v] : v;
  }
  if (ctx.strippedPrefix && mode !== 'distrust') out['x-forwarded-prefix'] ??= ctx.strippedPrefix;
  if (allowed.length > 0) {
    const filtered: Headers = {};
    const names = mode === 'trust' ? [...allowed, ...MANAGED_X] : allowed;
    for (const name of names) if (out[name] !== undefined) filtered[name] = out[name];
    out = filtered;
  }
  const host = firstValue(src.host) ?? '';
  const uri = ctx.path + (ctx.rawQuery !== '' ? '?' + ctx.rawQuery : '');
  const proto = ctx.scheme === 'https' ? 'https' : 'http';
  if (mode === 'trust') {
    // the entry point already appended the peer to the trusted X-Forwarded-For
    out['x-forwarded-for'] = joined(src['x-forwarded-for']) ?? ctx.clientIp;
    out['x-forwarded-method'] ??= ctx.method;
    out['x-forwarded-proto'] ??= proto;
    out['x-forwarded-port'] ??= forwardedPort(host, firstValue(out['x-forwarded-proto']), proto);
    out['x-forwarded-host'] ??= host;
    out['x-forwarded-uri'] ??= uri;
    return out;
  }
  out['x-forwarded-for'] = ctx.clientIp;
  out['x-forwarded-proto'] = proto;
  out['x-forwarded-method'] = ctx.method;
  if (mode === 'distrust') out['x-forwarded-port'] = forwardedPort(host, proto, proto);
  out['x-forwarded-host'] = host;
  out['x-forwarded-uri'] = uri;
  return out;
}

/** Traefik's forwardedPort: the Host header's port, else 443 for https/wss, else 80. */
function forwardedPort(host: string, forwardedProto: string | undefined, proto: string): string {
  const port = hostPort(host);
  if (port !== '') return port;
  if (forwardedProto === 'https' || forwardedProto === 'wss' || proto === 'https') return '443';
  return '80';
}

function hostPort(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', end);
  return colon === -1 ? '' : host.slice(colon + 1);
}

function connectionListed(v: string | string[] | undefined): Set<string> | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v.join(',') : v).split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && !isManagedX(s));
  return new Set(list);
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-auth-user` → `X-Auth-User`; a name with other bytes is kept as is. */
export function canonicalKey(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  let out = '';
  let upper = true;
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}
