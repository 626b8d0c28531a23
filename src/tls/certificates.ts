import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { FileOrContentPair } from '../dynamic/tls.ts';
import { readFileOrContent } from './source.ts';

/** A certificate and its key, read and checked, with the names it serves. */
export interface LoadedCertificate {
  /** Unique per loaded content (secure contexts are cached by it). */
  readonly id: number;
  readonly certPem: string;
  readonly keyPem: string;
  /** Lower-cased CN, DNS names and IP addresses (Traefik's parseCertificate). */
  readonly names: readonly string[];
  readonly commonName: string;
  readonly notAfter: string;
  /** Subject and issuer distinguished names, one line ("CN=example.com, O=Example") for the dashboard. */
  readonly subject?: string;
  readonly issuer?: string;
  /** Where it came from: the certFile path, "inline", or "generated". */
  readonly source: string;
}

let nextId = 1;

/**
 * Reads and checks a certificate/key pair (paths or inline PEM). Throws an Error saying what is wrong
 * (unreadable file, not a certificate, key that does not match).
 */
export function loadCertificate(pair: FileOrContentPair, source?: string): LoadedCertificate {
  if (!pair.certFile) throw new Error('certFile is missing');
  if (!pair.keyFile) throw new Error('keyFile is missing');
  const certPem = readFileOrContent(pair.certFile);
  const keyPem = readFileOrContent(pair.keyFile);
  let x509: X509Certificate;
  try { x509 = new X509Certificate(certPem); } catch (err) { throw new Error(`certFile is not a PEM certificate (${(err as Error).message})`, { cause: err }); }
  let key;
  try { key = createPrivateKey(keyPem); } catch (err) { throw new Error(`keyFile is not a PEM private key (${(err as Error).message})`, { cause: err }); }
  if (!x509.checkPrivateKey(key)) throw new Error('the private key does not match the certificate');
  return describe(certPem, keyPem, x509, source ?? (pair.certFile.includes('-----BEGIN') ? 'inline' : pair.certFile));
}

export function describe(certPem: string, keyPem: string, x509: X509Certificate, source: string): LoadedCertificate {
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1] ?? '';
  const names: string[] = [];
  if (commonName) names.push(commonName.toLowerCase());
  for (const part of (x509.subjectAltName ?? '').split(', ')) {
    const m = /^(DNS|IP Address):(.*)$/.exec(part);
    if (m && !names.includes(m[2]!.toLowerCase())) names.push(m[2]!.toLowerCase());
  }
  const oneLine = (dn: string) => dn.split('\n').filter(Boolean).reverse().join(', ');
  return { id: nextId++, certPem, keyPem, names, commonName, notAfter: new Date(x509.validTo).toISOString(), source, subject: oneLine(x509.subject), issuer: oneLine(x509.issuer) };
}

/** The certificates of one store by name: exact names, one-label wildcards, and the default. */
export class CertificateStore {
  readonly #exact = new Map<string, LoadedCertificate>();
  readonly #wildcard = new Map<string, LoadedCertificate>();
  readonly certificates: LoadedCertificate[] = [];
  constructor(readonly defaultCertificate: LoadedCertificate) {}

  /** The first certificate added for a name keeps it (Traefik skips a certificate whose names are already in the store). */
  add(cert: LoadedCertificate): void {
    this.certificates.push(cert);
    for (const n of cert.names) {
      if (n.startsWith('*.')) { if (!this.#wildcard.has(n.slice(2))) this.#wildcard.set(n.slice(2), cert); } else if (!this.#exact.has(n)) this.#exact.set(n, cert);
    }
  }

  /**
   * The certificate for a server name: an exact name, else a wildcard covering exactly one label
   * (`*.example.com` serves `a.example.com`, not `a.b.example.com` nor `example.com`), else undefined.
   */
  match(serverName: string): LoadedCertificate | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.#exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
  }
}
