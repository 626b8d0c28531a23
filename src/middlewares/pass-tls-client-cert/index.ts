import { X509Certificate } from 'node:crypto';
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import type { PassTLSClientCert, TLSClientCertificateInfo } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import type { Wrapper } from '../shared/types.ts';

const CERT_HEADER = 'x-forwarded-tls-client-cert';
const INFO_HEADER = 'x-forwarded-tls-client-cert-info';

/**
 * passTLSClientCert: hands the client certificate of a mutual-TLS connection (tls options `clientAuth`) to the
 * upstream, as Traefik does: `pem` sets `X-Forwarded-Tls-Client-Cert` to the certificates' base64 DER (PEM
 * without its armour and newlines), comma-separated, leaf first; `info` sets `X-Forwarded-Tls-Client-Cert-Info`
 * to the chosen fields, URL-escaped: `Subject="DC=…,C=…,ST=…,L=…,O=…,OU=…,SN=…,CN=…";Issuer="…";SerialNumber="…";
 * NB="<unix>";NA="<unix>";SAN="<dns>,<email>,<ip>,<uri>"` per certificate. A request without a client
 * certificate passes unchanged (client-set values of these headers are kept, as in Traefik).
 * The chain is what the client sent: tagway reads it from the TLS session and leaves out a self-signed root
 * the client did not need to send (Node completes the chain from the trust store; Go's PeerCertificates do not).
 * @example
 * passTLSClientCert({ pem: true, info: { subject: { commonName: true }, sans: true } })
 */
export function passTLSClientCert(cfg: PassTLSClientCert): Wrapper {
  const pem = cfg.pem ?? false;
  const info = cfg.info;
  return {
    wrap(next: Handler): Handler {
      if (!pem && info === undefined) return next;
      return function passTLSClientCertHandler(ctx: RequestContext) {
        const certs = peerChain(ctx);
        if (certs.length > 0) Object.assign(ctx.headers, clientCertHeaders(certs, cfg));
        next(ctx);
      };
    },
  };
}

/**
 * The headers passTLSClientCert sets for these peer certificates (leaf first): `x-forwarded-tls-client-cert` with
 * `pem`, `x-forwarded-tls-client-cert-info` (URL-escaped) with `info`.
 * @example
 * clientCertHeaders([new X509Certificate(pem)], { info: { subject: { commonName: true } } })
 * // { 'x-forwarded-tls-client-cert-info': 'Subject%3D%22CN%3Dclient%22' }
 */
export function clientCertHeaders(certs: readonly X509Certificate[], cfg: PassTLSClientCert): Record<string, string> {
  const out: Record<string, string> = {};
  if (certs.length === 0) return out;
  if (cfg.pem) out[CERT_HEADER] = certs.map((c) => c.raw.toString('base64')).join(',');
  if (cfg.info !== undefined) out[INFO_HEADER] = queryEscape(certs.map((c) => certInfo(c, cfg.info!)).join(','));
  return out;
}

/** The peer's certificates, leaf first; [] without TLS or without a client certificate. */
function peerChain(ctx: RequestContext): X509Certificate[] {
  const socket = ctx.req.socket as Partial<TLSSocket> | null;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return [];
  const leaf = socket.getPeerCertificate(true) as DetailedPeerCertificate | PeerCertificate | null;
  if (!leaf || !leaf.raw || leaf.raw.length === 0) return [];
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = leaf as DetailedPeerCertificate;
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    const x = new X509Certificate(cur.raw);
    // A self-signed certificate after the leaf is the root Node added from the trust store.
    if (out.length > 0 && x.checkIssued(x)) break;
    out.push(x);
    cur = cur.issuerCertificate;
  }
  return out;
}

function certInfo(cert: X509Certificate, info: TLSClientCertificateInfo): string {
  const values: string[] = [];
  if (info.subject) {
    const s = info.subject;
    const dn = distinguishedName(cert.subject, { DC: s.domainComponent, C: s.country, ST: s.province, L: s.locality, O: s.organization, OU: s.organizationalUnit, SN: s.serialNumber, CN: s.commonName });
    if (dn !== '') values.push(`Subject="${dn}"`);
  }
  if (info.issuer) {
    const s = info.issuer;
    const dn = distinguishedName(cert.issuer, { DC: s.domainComponent, C: s.country, ST: s.province, L: s.locality, O: s.organization, SN: s.serialNumber, CN: s.commonName });
    if (dn !== '') values.push(`Issuer="${dn}"`);
  }
  if (info.serialNumber) values.push(`SerialNumber="${BigInt(`0x${cert.serialNumber}`).toString()}"`);
  if (info.notBefore) values.push(`NB="${Math.floor(Date.parse(cert.validFrom) / 1000)}"`);
  if (info.notAfter) values.push(`NA="${Math.floor(Date.parse(cert.validTo) / 1000)}"`);
  if (info.sans) {
    const sans = subjectAltNames(cert.subjectAltName);
    if (sans.length > 0) values.push(`SAN="${sans.join(',')}"`);
  }
  return values.join(';');
}

/** Node's one-attribute-per-line name → Traefik's order DC, C, ST, L, O, OU, SN, CN (Go's CommonName: the last CN). */
const NAME_KEYS: Record<string, string> = { DC: 'DC', C: 'C', ST: 'ST', L: 'L', O: 'O', OU: 'OU', serialNumber: 'SN', CN: 'CN' };
function distinguishedName(name: string, want: Record<string, boolean | undefined>): string {
  const by = new Map<string, string[]>();
  for (const line of name.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = NAME_KEYS[line.slice(0, eq)];
    if (key === undefined) continue;
    by.set(key, [...(by.get(key) ?? []), line.slice(eq + 1)]);
  }
  let out = '';
  for (const key of ['DC', 'C', 'ST', 'L', 'O', 'OU', 'SN', 'CN']) {
    if (!want[key]) continue;
    let values = (by.get(key) ?? []).filter((v) => v !== '');
    if (key === 'SN' || key === 'CN') values = values.slice(-1); // single-valued in Go's pkix.Name
    for (const v of values) out += `${key}=${v},`;
  }
  return out.replace(/,$/, '');
}

/** Go's order: DNS names, e-mail addresses, IP addresses, URIs. */
function subjectAltNames(san: string | undefined): string[] {
  if (!san) return [];
  const by: Record<string, string[]> = { DNS: [], email: [], 'IP Address': [], URI: [] };
  for (const part of splitSan(san)) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    let value = part.slice(colon + 1);
    if (value.startsWith('"')) { try { value = JSON.parse(value) as string; } catch { /* keep as is */ } }
    by[part.slice(0, colon)]?.push(value);
  }
  return [...by.DNS!, ...by.email!, ...by['IP Address']!, ...by.URI!];
}

/** Node's `subjectAltName`: ", "-separated entries; an entry with special characters is JSON-quoted. */
function splitSan(s: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && c === ',' && s[i + 1] === ' ') { out.push(cur); cur = ''; i++; continue; }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Go's url.QueryEscape: space → '+', unreserved kept, everything else %XX (upper-case hex). */
export function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');
}
