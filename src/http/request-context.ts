import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { RequestContext } from './context.ts';
import { cleanPath, normalizedPath } from './path.ts';
import type { TrustedNetworks } from '../util/ipnet.ts';

/** What an entry point knows when it builds a context. Built once per entry point, reused. */
export interface EntryPointInfo {
  name: string;
  scheme: 'http' | 'https';
  /** Port the entry point listens on, as a string (X-Forwarded-Port comes from the Host header, as in Traefik). */
  port: string;
  /** Incoming X-Forwarded-* are kept only from these peers (or always with `insecure`). */
  trusted: TrustedNetworks;
  /** `http.sanitizePath` (default true): false keeps dot segments and repeated slashes (escapes are still normalized). */
  sanitizePath?: boolean;
  /** `http.encodeQuerySemicolons`: `;` in the query becomes %3B (true) or `&` (false, Traefik's default). */
  encodeQuerySemicolons?: boolean;
  /** `http.underscoreHeadersStrategy`: request headers with `_` in their name are kept, deleted or refused (400). */
  underscoreHeaders?: 'keep' | 'delete' | 'reject';
}

/**
 * The X- headers Traefik manages (forwardedheaders.XHeadersSet): dropped when the peer is untrusted,
 * never removable through `Connection`. Node lower-cases names; `_` variants are matched too.
 */
const MANAGED_X = new Set(['x-forwarded-proto', 'x-forwarded-scheme', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port',
  'x-forwarded-server', 'x-forwarded-uri', 'x-forwarded-method', 'x-forwarded-prefix', 'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info', 'x-scheme', 'x-real-ip']);

function isManagedX(name: string): boolean {
  if (name.charCodeAt(0) !== 0x78 /* x */) return false;
  return MANAGED_X.has(name) || (name.includes('_') && MANAGED_X.has(name.replaceAll('_', '-')));
}

const SERVER_NAME = hostname();

/** Host header → matching host: lower-case, port and one trailing dot removed; IPv6 literal without brackets. */
export function matchingHost(raw: string | undefined): string {
  if (!raw) return '';
  let h = raw.toLowerCase();
  if (h.startsWith('[')) {
    // Go's net.SplitHostPort, as Traefik uses: "[::1]:8080" and "[::1]" both match Host(`::1`).
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  if (colon !== -1) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** Strips an IPv4-mapped IPv6 prefix so "::ffff:127.0.0.1" reads as "127.0.0.1". */
export function peerAddress(raw: string | undefined): string {
  if (!raw) return '';
  return raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
}

/**
 * Builds the context of one request, or returns undefined when the target is malformed
 * (the caller answers 400). Sets X-Forwarded-* and X-Real-Ip as Traefik does: incoming ones are dropped
 * unless the peer is trusted (or the entry point is `insecure`); the peer is appended to X-Forwarded-For;
 * X-Forwarded-Server is always this host.
 */
export function newRequestContext(req: IncomingMessage, res: ServerResponse, ep: EntryPointInfo): RequestContext | undefined {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const path = (ep.sanitizePath === false ? normalizedPath : cleanPath)(rawPath.startsWith('/') ? rawPath : absolutePath(rawPath));
  if (path === null) return undefined;
  const clientIp = peerAddress(req.socket.remoteAddress);
  // A loop copy, not `{ ...req.headers }`: V8 turns a spread clone that then gains dashed keys into a
  // slow object (measured here: 6 µs against 0.1 µs per request). Untrusted managed X- headers are
  // left out on the way rather than deleted after (a delete makes the object slow too).
  const src = req.headers;
  const headers: Record<string, string | string[] | undefined> = {};
  const trusted = ep.trusted.contains(clientIp);
  const underscores = ep.underscoreHeaders === 'delete' || ep.underscoreHeaders === 'reject' ? ep.underscoreHeaders : undefined;
  for (const name in src) {
    if (underscores !== undefined && name.includes('_')) {
      if (underscores === 'reject') return undefined;
      continue;
    }
    if (!trusted && isManagedX(name)) continue;
    if (name.charCodeAt(0) === 0x3a /* ':' */) continue; // HTTP/2 pseudo-headers are not forwarded as such
    headers[name] = src[name];
  }
  // HTTP/2 requests carry the host in `:authority` (RFC 9113 §8.3.1); upstreams get it as Host.
  let host = src.host;
  if (host === undefined && req.httpVersionMajor === 2) {
    const authority = src[':authority'];
    // Set on the request too, as Go sets req.Host: spans, access logs and redirects read the Host header.
    if (typeof authority === 'string') headers.host = src.host = host = authority;
  }

  const incomingFor = headers['x-forwarded-for'];
  const priorFor = Array.isArray(incomingFor) ? incomingFor.join(', ') : incomingFor;
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${clientIp}` : clientIp;
  headers['x-real-ip'] ??= clientIp;
  headers['x-forwarded-proto'] ??= isWebSocket(headers) ? (ep.scheme === 'https' ? 'wss' : 'ws') : ep.scheme;
  headers['x-forwarded-port'] ??= forwardedPort(host, headers['x-forwarded-proto'], ep.scheme);
  if (host) headers['x-forwarded-host'] ??= host;
  headers['x-forwarded-server'] = SERVER_NAME; // always the gateway, trusted or not
  if (headers.connection !== undefined) keepManagedX(headers);

  return {
    req, res,
    entryPoint: ep.name,
    method: req.method ?? 'GET',
    host: matchingHost(host),
    path,
    rawQuery: q === -1 ? '' : querySemicolons(target.slice(q + 1), ep.encodeQuerySemicolons === true),
    clientIp,
    clientPort: req.socket.remotePort ?? 0,
    scheme: ep.scheme,
    headers,
    start: process.hrtime.bigint(),
    attempts: 0,
  };
}

/**
 * Traefik's entry point (Go's `http.AllowQuerySemicolons` unless `encodeQuerySemicolons`): `;` in the query is a
 * separator, read and forwarded as `&`, so `Query(...)` sees the pairs it separates; with `encodeQuerySemicolons`
 * it stays inside the value, sent as %3B.
 */
function querySemicolons(rawQuery: string, encode: boolean): string {
  return rawQuery.includes(';') ? rawQuery.replaceAll(';', encode ? '%3B' : '&') : rawQuery;
}

/** Traefik's forwardedPort: the Host header's port, else 443 for https/wss, else 80 (not the listening port). */
function forwardedPort(host: string | undefined, proto: string | string[] | undefined, scheme: string): string {
  if (host) {
    const m = /:(\d+)$/.exec(host);
    if (m && (!host.startsWith('[') || host.includes(']:'))) return m[1]!;
  }
  const p = Array.isArray(proto) ? proto[0] : proto;
  return p === 'https' || p === 'wss' || scheme === 'https' ? '443' : '80';
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

function isWebSocket(headers: Record<string, string | string[] | undefined>): boolean {
  return headers.upgrade !== undefined && hasToken(headers.upgrade, 'websocket') && hasToken(headers.connection, 'upgrade');
}

/**
 * RFC 9110 §7.6.1 lets a client name headers in `Connection` for removal; Traefik refuses that for the
 * X- headers it manages (a client could otherwise strip X-Forwarded-For). Remove those tokens here so
 * the forwarder's hop-by-hop pass keeps them.
 */
function keepManagedX(headers: Record<string, string | string[] | undefined>): void {
  const conn = headers.connection;
  const text = Array.isArray(conn) ? conn.join(',') : conn ?? '';
  if (!/x[-_]/i.test(text)) return; // the usual "keep-alive" / "close": nothing to look at
  const tokens = text.split(',');
  const kept = tokens.filter((t) => !isManagedX(t.trim().toLowerCase()));
  if (kept.length !== tokens.length) headers.connection = kept.join(',');
}

/** An absolute-form request target ("http://host/path") keeps only its path. */
function absolutePath(target: string): string {
  if (target === '*') return '*';
  try { return new URL(target).pathname; } catch { return '/' + target; }
}
