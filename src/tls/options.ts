import type { SecureVersion } from 'node:tls';
import type { TLSOptions } from '../dynamic/tls.ts';
import { readFileOrContent } from './source.ts';

/** Traefik's `default` options: TLS 1.2 minimum, ALPN h2, http/1.1 (and acme-tls/1, for ACME, later). */
export const DEFAULT_OPTIONS_NAME = 'default';
export const DEFAULT_ALPN = ['h2', 'http/1.1'];

const VERSIONS: Record<string, SecureVersion> = { VersionTLS10: 'TLSv1', VersionTLS11: 'TLSv1.1', VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' };

/** Go's cipher suite names (crypto/tls) → OpenSSL's. TLS 1.3 suites are not configurable in Go, nor here. */
const CIPHERS: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
};
const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);

/** Go's curve names → OpenSSL's group names. */
const CURVES: Record<string, string> = {
  CurveP256: 'P-256', secp256r1: 'P-256', P256: 'P-256',
  CurveP384: 'P-384', secp384r1: 'P-384', P384: 'P-384',
  CurveP521: 'P-521', secp521r1: 'P-521', P521: 'P-521',
  X25519: 'X25519',
};

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

/** TLS options ready for a handshake (node:tls names), or the reason they cannot be used. */
export interface CompiledOptions {
  name: string;
  minVersion: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  ecdhCurve?: string;
  ca?: string[];
  alpnProtocols: string[];
  sniStrict: boolean;
  clientAuthType: ClientAuthType;
}

/**
 * Traefik's buildTLSConfig: versions, cipher suites and curves by their Go names, client authentication
 * (`caFiles` alone means RequireAndVerifyClientCert). Throws an Error naming the bad value.
 * @example
 * compileOptions('modern@file', { minVersion: 'VersionTLS13' }).minVersion // 'TLSv1.3'
 */
export function compileOptions(name: string, o: TLSOptions): CompiledOptions {
  const minVersion = o.minVersion ? VERSIONS[o.minVersion] : 'TLSv1.2';
  if (!minVersion) throw new Error(`invalid minVersion "${o.minVersion}": expected one of ${Object.keys(VERSIONS).join(', ')}`);
  const maxVersion = o.maxVersion ? VERSIONS[o.maxVersion] : undefined;
  if (o.maxVersion && !maxVersion) throw new Error(`invalid maxVersion "${o.maxVersion}": expected one of ${Object.keys(VERSIONS).join(', ')}`);
  let ciphers: string | undefined;
  if (o.cipherSuites && o.cipherSuites.length > 0) {
    const names: string[] = [];
    for (const c of o.cipherSuites) {
      if (TLS13_SUITES.has(c)) continue; // Go ignores them too: TLS 1.3 suites are always on
      const openssl = CIPHERS[c];
      if (!openssl) throw new Error(`invalid cipher suite "${c}" (Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
      names.push(openssl);
    }
    if (names.length > 0) ciphers = [...[...TLS13_SUITES], ...names].join(':');
  }
  let ecdhCurve: string | undefined;
  if (o.curvePreferences && o.curvePreferences.length > 0) {
    ecdhCurve = o.curvePreferences.map((c) => {
      const g = CURVES[c];
      if (!g) throw new Error(`invalid curve "${c}": expected one of CurveP256, CurveP384, CurveP521, X25519`);
      return g;
    }).join(':');
  }
  const caFiles = o.clientAuth?.caFiles ?? [];
  const ca = caFiles.map((f) => {
    try { return readFileOrContent(f); } catch (err) { throw new Error(`clientAuth.caFiles: ${(err as Error).message}`, { cause: err }); }
  });
  let clientAuthType = (o.clientAuth?.clientAuthType as ClientAuthType | undefined) ?? (ca.length > 0 ? 'RequireAndVerifyClientCert' : 'NoClientCert');
  if ((clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert') && ca.length === 0) {
    throw new Error(`clientAuth.clientAuthType ${clientAuthType} needs clientAuth.caFiles`);
  }
  if (!o.clientAuth?.clientAuthType && ca.length === 0) clientAuthType = 'NoClientCert';
  return {
    name, minVersion,
    ...(maxVersion ? { maxVersion } : {}),
    ...(ciphers ? { ciphers } : {}),
    ...(ecdhCurve ? { ecdhCurve } : {}),
    ...(ca.length > 0 ? { ca } : {}),
    alpnProtocols: o.alpnProtocols && o.alpnProtocols.length > 0 ? o.alpnProtocols : DEFAULT_ALPN,
    sniStrict: o.sniStrict === true,
    clientAuthType,
  };
}
