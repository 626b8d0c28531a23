import { randomBytes, X509Certificate } from 'node:crypto';
import { createCertificate } from './x509.ts';
import { describe, type LoadedCertificate } from './certificates.ts';

/** Traefik's subject for the certificate it generates when no default is configured. */
export const DEFAULT_CERT_CN = 'TRAEFIK DEFAULT CERT';

/**
 * A self-signed "TRAEFIK DEFAULT CERT", valid a year, for a random `<hex>.<hex>.traefik.default` name (as
 * Traefik's generate.DefaultCertificate); ECDSA P-256 rather than RSA 2048 (a cheaper handshake).
 */
export function generateDefaultCertificate(): LoadedCertificate {
  const z = randomBytes(32).toString('hex');
  const made = createCertificate({ commonName: DEFAULT_CERT_CN, altNames: [`${z.slice(0, 32)}.${z.slice(32)}.traefik.default`] });
  return describe(made.certPem, made.keyPem, new X509Certificate(made.certPem), 'generated');
}
