import { checkServerIdentity as tlsCheckServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { ServersTransport } from '../dynamic/types.ts';
import { readFileOrContent } from '../tls/source.ts';
import { parseDuration } from '../util/duration.ts';
import { DEFAULT_FORWARDING_TIMEOUTS, type ForwardingTimeouts } from './timeouts.ts';
import { meshIdentity, type MeshIdentity } from './mesh.ts';

/**
 * How a server is spoken to, from its URL scheme (Traefik's `loadBalancer.server.scheme`):
 * `http` HTTP/1.1 cleartext, `https` TLS with ALPN h2 or http/1.1 (h2 unless the transport disables it),
 * `h2c` HTTP/2 cleartext with prior knowledge.
 */
export type UpstreamScheme = 'http' | 'https' | 'h2c';

/** The scheme of a server URL, or undefined when tagway cannot speak it. */
export function upstreamScheme(url: URL): UpstreamScheme | undefined {
  switch (url.protocol) {
    case 'http:': return 'http';
    case 'https:': return 'https';
    case 'h2c:': return 'h2c';
    default: return undefined;
  }
}

/**
 * Checks the identity of an upstream's certificate once the chain verified (or instead of the chain, with
 * `insecureSkipVerify`: then only this hook runs). Return an Error to refuse the connection. `hostname` is
 * the name checked (serverName, else the URL's host).
 */
export type ServerIdentityCheck = (hostname: string, cert: PeerCertificate) => Error | undefined;

/** The TLS side of a transport, ready for `tls.connect`. PEM contents, never paths. */
export interface TransportTls {
  /** Roots that verify the upstream (default: Node's bundled ones). */
  readonly ca?: readonly string[];
  /** Client certificate chain and key (mTLS to the upstream). */
  readonly cert?: string;
  readonly key?: string;
  /** SNI and the name verified (Traefik's `serverName`; default the URL's host). */
  readonly servername?: string;
  /** Skip chain and hostname verification (`checkServerIdentity` still runs when set). */
  readonly insecureSkipVerify: boolean;
  readonly checkServerIdentity?: ServerIdentityCheck;
}

/**
 * One built transport (Traefik's `serversTransport`): everything that decides how connections to a server are
 * made and kept. Services that name the same transport share it; pools are keyed by `key` and the origin, so a
 * changed transport (a rotated certificate) gets fresh pools and the old ones drain.
 */
export interface UpstreamTransport {
  /** Qualified name (`default@internal`, `mtls@file`). */
  readonly name: string;
  /** Identity of the settings: equal keys mean interchangeable connections. */
  readonly key: string;
  readonly timeouts: Readonly<Required<ForwardingTimeouts>>;
  readonly tls: TransportTls;
  /** Offer h2 by ALPN on `https` servers (Traefik's `!disableHTTP2`). */
  readonly http2: boolean;
  /** Idle connections kept per server (Traefik default 200); negative: no connection reuse. */
  readonly maxIdleConnsPerHost: number;
  /** Consul Connect (`peerCertURI` a SPIFFE ID): the identities and the last refusal (src/proxy/mesh.ts). */
  readonly mesh?: MeshIdentity;
}

/** Traefik's `DefaultMaxIdleConnsPerHost`. */
export const DEFAULT_MAX_IDLE_CONNS_PER_HOST = 200;

export interface TransportHooks {
  /**
   * An extra identity check (the Consul Connect transport passes its SPIFFE check here). Runs after
   * `peerCertURI`'s; both must pass. Like `peerCertURI`, it replaces the host-name check (the chain is still
   * verified unless `insecureSkipVerify`).
   */
  checkServerIdentity?: ServerIdentityCheck;
  /** Distinguishes transports whose hook differs while their data is equal (default: none). */
  hookKey?: string;
}

/**
 * Builds a transport from a dynamic `serversTransports` item (files and PEM are read now, so a bad path fails the
 * build of the services that use it, with the transport's name). `peerCertURI` becomes an identity check: the
 * certificate must carry that URI SAN (Consul Connect's SPIFFE ID); with it, the host name is not checked,
 * as in Traefik (which then verifies the chain and the URI only).
 *
 * @throws {Error} naming the transport and the option when a file cannot be read, a certificate lacks its key
 *   or a duration does not parse.
 * @example
 * const t = createTransport('mtls@file', { serverName: 'api.internal', rootCAs: ['/etc/ca.pem'],
 *   certificates: [{ certFile: '/etc/client.pem', keyFile: '/etc/client-key.pem' }] });
 * pools.acquire('https://10.0.0.7:8443', t);
 */
export function createTransport(name: string, st: ServersTransport = {}, hooks: TransportHooks = {}): UpstreamTransport {
  const fail = (option: string, message: string, cause?: unknown): Error =>
    new Error(`serversTransport "${name}": ${option}: ${message}`, cause === undefined ? undefined : { cause });
  const read = (value: string, option: string): string => {
    try { return readFileOrContent(value); } catch (cause) { throw fail(option, (cause as Error).message, cause); }
  };
  const ca = (st.rootCAs ?? []).filter((v) => v !== '').map((v, i) => read(v, `rootCAs[${i}]`));
  let cert: string | undefined;
  let key: string | undefined;
  const certs = st.certificates ?? [];
  if (certs.length > 1) throw fail('certificates', 'tagway presents one client certificate per transport (Go picks one per handshake too); keep one');
  const first = certs[0];
  if (first !== undefined) {
    if (!first.certFile || !first.keyFile) throw fail('certificates[0]', 'certFile and keyFile go together (one of them is missing)');
    cert = read(first.certFile, 'certificates[0].certFile');
    key = read(first.keyFile, 'certificates[0].keyFile');
  }
  const timeouts = forwardingTimeouts(st.forwardingTimeouts, (option, message) => fail(`forwardingTimeouts.${option}`, message));
  const checks: ServerIdentityCheck[] = [];
  const uri = st.peerCertURI;
  if (uri !== undefined && uri !== '') checks.push(peerCertUriCheck(uri));
  if (hooks.checkServerIdentity) checks.push(hooks.checkServerIdentity);
  const check = checks.length === 0 ? undefined : checks.length === 1 ? checks[0] : combine(checks);
  const tls: TransportTls = {
    ...(ca.length > 0 ? { ca } : {}),
    ...(cert !== undefined ? { cert, key } : {}),
    ...(st.serverName ? { servername: st.serverName } : {}),
    // Traefik's VerifyPeerCertificate: with peerCertURI (Consul Connect sets it beside insecureSkipVerify) the chain
    // is still verified against rootCAs; insecureSkipVerify only drops the host-name check, which the URI replaces.
    insecureSkipVerify: st.insecureSkipVerify === true && !(uri !== undefined && uri !== ''),
    ...(check ? { checkServerIdentity: check } : {}),
  };
  const maxIdle = st.maxIdleConnsPerHost === undefined || st.maxIdleConnsPerHost === 0 ? DEFAULT_MAX_IDLE_CONNS_PER_HOST : st.maxIdleConnsPerHost;
  const http2 = st.disableHTTP2 !== true;
  const keyData = JSON.stringify([tls.ca, tls.cert, tls.key, tls.servername, tls.insecureSkipVerify, uri ?? '', hooks.hookKey ?? '', timeouts, http2, maxIdle]);
  // Consul Connect's transports are the Consul provider's (a file transport keeps Traefik's behaviour).
  const mesh = name.endsWith('@consulcatalog') ? meshIdentity(uri, cert) : undefined;
  return Object.freeze({ name, key: keyData, timeouts: Object.freeze(timeouts), tls: Object.freeze(tls), http2, maxIdleConnsPerHost: maxIdle, ...(mesh ? { mesh } : {}) });
}

/** The transport of services that name none: Traefik's `default@internal`, from the static `serversTransport`. */
export function defaultTransport(timeouts: ForwardingTimeouts = {}): UpstreamTransport {
  const t = createTransport('default@internal');
  const merged = { ...t.timeouts, ...definedOnly(timeouts) };
  return Object.freeze({ ...t, key: t.key + JSON.stringify(merged), timeouts: Object.freeze(merged) });
}

/**
 * The `tls.connect` options for a server of this transport (undici's `connect`, node:http2's `connect`).
 * `alpn` lists the protocols offered.
 *
 * @example
 * tls.connect({ host, port, ...tlsConnectOptions(t, url, ['h2', 'http/1.1']) })
 */
export function tlsConnectOptions(t: UpstreamTransport, url: URL, alpn: readonly string[]): ConnectionOptions {
  const tls = t.tls;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const servername = tls.servername ?? (isIp(host) ? undefined : host);
  const check = tls.checkServerIdentity;
  const out: ConnectionOptions = {
    ALPNProtocols: [...alpn],
    ...(servername !== undefined ? { servername } : {}),
    ...(tls.ca ? { ca: [...tls.ca] } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
  };
  if (tls.insecureSkipVerify) {
    out.rejectUnauthorized = false;
    // Only the hook decides (a chain that does not verify is accepted, as Go's InsecureSkipVerify with VerifyPeerCertificate).
    if (check) out.checkServerIdentity = (name, cert) => check(name, cert);
    return out;
  }
  out.rejectUnauthorized = true;
  out.checkServerIdentity = check
    ? (name, cert) => check(name, cert)
    : (name, cert) => tlsCheckServerIdentity(tls.servername ?? name, cert);
  return out;
}

/** The certificate must carry `uri` among its URI SANs (Traefik's `peerCertURI`, Consul Connect's SPIFFE ID). */
export function peerCertUriCheck(uri: string): ServerIdentityCheck {
  return function peerCertURI(_hostname, cert) {
    const sans = (cert.subjectaltname ?? '').split(/,\s*/).filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
    if (sans.includes(uri)) return undefined;
    return new Error(`upstream certificate has no URI SAN "${uri}" (it has ${sans.length > 0 ? sans.map((s) => `"${s}"`).join(', ') : 'none'})`);
  };
}

function combine(checks: readonly ServerIdentityCheck[]): ServerIdentityCheck {
  return function identityChecks(hostname, cert) {
    for (const c of checks) {
      const err = c(hostname, cert);
      if (err) return err;
    }
    return undefined;
  };
}

function forwardingTimeouts(ft: ServersTransport['forwardingTimeouts'], fail: (option: string, message: string) => Error): Required<ForwardingTimeouts> {
  const out = { ...DEFAULT_FORWARDING_TIMEOUTS };
  if (!ft) return out;
  for (const option of ['dialTimeout', 'responseHeaderTimeout', 'idleConnTimeout'] as const) {
    const v = ft[option];
    if (v === undefined || v === '') continue;
    try { out[option] = parseDuration(v); } catch (cause) { throw fail(option, `${(cause as Error).message} (e.g. 30s, 1m)`); }
  }
  return out;
}

function definedOnly(t: ForwardingTimeouts): ForwardingTimeouts {
  const out: ForwardingTimeouts = {};
  if (t.dialTimeout !== undefined) out.dialTimeout = t.dialTimeout;
  if (t.responseHeaderTimeout !== undefined) out.responseHeaderTimeout = t.responseHeaderTimeout;
  if (t.idleConnTimeout !== undefined) out.idleConnTimeout = t.idleConnTimeout;
  return out;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
