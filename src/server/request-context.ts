import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { RequestContext } from '../proxy/context.ts';
import { cleanPath } from '../rules/path.ts';
import type { TrustedNetworks } from '../util/ipnet.ts';

/** What an entry point knows when it builds a context. Built once per entry point, reused. */
export interface EntryPointInfo {
  name: string;
  scheme: 'http' | 'https';
  /** Port the entry point listens on, as a string, for X-Forwarded-Port. */
  port: string;
  /** Incoming X-Forwarded-* are kept only from these peers (or always with `insecure`). */
  trusted: TrustedNetworks;
}

const X_FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-server', 'x-forwarded-prefix', 'x-real-ip'] as const;
const SERVER_NAME = hostname();

/** Host header → matching host: lower-case, port and one trailing dot removed; IPv6 literal keeps brackets. */
export function matchingHost(raw: string | undefined): string {
  if (!raw) return '';
  let h = raw.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
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
 * (the caller answers 400). Sets X-Forwarded-* as Traefik does: incoming ones are dropped unless the
 * peer is trusted; X-Forwarded-For gets the peer appended later by the forwarder's header copy.
 */
export function newRequestContext(req: IncomingMessage, res: ServerResponse, ep: EntryPointInfo): RequestContext | undefined {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const path = cleanPath(rawPath.startsWith('/') ? rawPath : absolutePath(rawPath));
  if (path === null) return undefined;
  const clientIp = peerAddress(req.socket.remoteAddress);
  const headers: Record<string, string | string[] | undefined> = { ...req.headers };
  const trusted = ep.trusted.contains(clientIp);
  if (!trusted) for (const h of X_FORWARDED) delete headers[h];

  const incomingFor = headers['x-forwarded-for'];
  const priorFor = Array.isArray(incomingFor) ? incomingFor.join(', ') : incomingFor;
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${clientIp}` : clientIp;
  headers['x-forwarded-proto'] ??= ep.scheme;
  headers['x-forwarded-host'] ??= req.headers.host ?? '';
  headers['x-forwarded-port'] ??= ep.port;
  headers['x-forwarded-server'] ??= SERVER_NAME;
  headers['x-real-ip'] ??= clientIp;

  return {
    req, res,
    entryPoint: ep.name,
    method: req.method ?? 'GET',
    host: matchingHost(req.headers.host),
    path,
    rawQuery: q === -1 ? '' : target.slice(q + 1),
    clientIp,
    clientPort: req.socket.remotePort ?? 0,
    scheme: ep.scheme,
    headers,
    start: process.hrtime.bigint(),
    attempts: 0,
  };
}

/** An absolute-form request target ("http://host/path") keeps only its path. */
function absolutePath(target: string): string {
  if (target === '*') return '*';
  try { return new URL(target).pathname; } catch { return '/' + target; }
}
