import { createSecureContext, type SecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { FileOrContentPair, TLSConfiguration } from '../dynamic/tls.ts';
import type { ClientHello } from './clienthello.ts';
import { CertificateStore, loadCertificate, type LoadedCertificate } from './certificates.ts';
import { generateDefaultCertificate } from './default-certificate.ts';
import { compileOptions, DEFAULT_OPTIONS_NAME, type CompiledOptions } from './options.ts';
import type { HandshakeOptions } from '../server/entrypoint.ts';

export const DEFAULT_STORE = 'default';

/** A certificate of the configuration and what became of it (shown in the API and logged). */
export interface CertificateStatus {
  source: string;
  stores: string[];
  domains: string[];
  notAfter?: string;
  subject?: string;
  issuer?: string;
  status: 'enabled' | 'warning' | 'disabled';
  error?: string[];
}

/**
 * Reads certificates, keeping each one's last good version across builds: a certificate file that breaks
 * (half-written, wrong key) keeps serving what it served, with an error saying so.
 */
export class CertificateLoader {
  #good = new Map<string, LoadedCertificate>();
  #default: LoadedCertificate | undefined;

  load(pair: FileOrContentPair): { cert?: LoadedCertificate; error?: string } {
    const key = `${pair.certFile ?? ''}\u0000${pair.keyFile ?? ''}`;
    try {
      const previous = this.#good.get(key);
      const cert = loadCertificate(pair);
      // Same bytes: keep the same object (and so its cached secure contexts).
      if (previous && previous.certPem === cert.certPem && previous.keyPem === cert.keyPem) return { cert: previous };
      this.#good.set(key, cert);
      return { cert };
    } catch (err) {
      const previous = this.#good.get(key);
      const message = (err as Error).message;
      return previous ? { cert: previous, error: `${message}; the last good version is kept` } : { error: message };
    }
  }

  /** Traefik's generated default certificate, made once per process, when first needed. */
  generated(): LoadedCertificate {
    this.#default ??= generateDefaultCertificate();
    return this.#default;
  }
}

/** Which certificate and options a handshake for a name would get. */
export interface TlsExplanation {
  options: string;
  certificate?: { source: string; commonName: string; names: string[]; notAfter: string; by: 'exact' | 'wildcard' | 'default' };
  /** Why the handshake would be refused. */
  refused?: string;
}

/** Which options a host gets on one entry point (from routers' Host() domains and tls.domains). */
export type HostOptions = ReadonlyMap<string, string>;

/**
 * The compiled TLS world of one configuration: certificate stores, compiled options, and per entry point which
 * options each host gets. Immutable; the gateway swaps it whole. Handshakes only look up (secure contexts are
 * made once per options and certificate, then reused).
 */
export class TlsTable {
  readonly #contexts = new Map<string, SecureContext>();
  readonly #handshakes = new Map<string, HandshakeOptions>();

  constructor(
    readonly stores: ReadonlyMap<string, CertificateStore>,
    readonly options: ReadonlyMap<string, CompiledOptions | Error>,
    readonly hostOptions: ReadonlyMap<string, HostOptions>,
    readonly certificates: readonly CertificateStatus[],
  ) {}

  /** The options name a server name gets on an entry point: its host, else a one-label wildcard, else default. */
  optionsFor(entryPoint: string, serverName: string): string {
    const hosts = this.hostOptions.get(entryPoint);
    if (!hosts) return DEFAULT_OPTIONS_NAME;
    const exact = hosts.get(serverName);
    if (exact) return exact;
    const dot = serverName.indexOf('.');
    return (dot > 0 ? hosts.get(`*${serverName.slice(dot)}`) : undefined) ?? DEFAULT_OPTIONS_NAME;
  }

  /** The certificate a server name gets: exact, wildcard, else (unless sniStrict) the store's default. */
  certificateFor(serverName: string, sniStrict = false): { cert: LoadedCertificate; by: 'exact' | 'wildcard' | 'default' } | undefined {
    const store = this.stores.get(DEFAULT_STORE)!;
    const cert = store.match(serverName);
    if (cert) return { cert, by: cert.names.includes(serverName.toLowerCase()) ? 'exact' : 'wildcard' };
    return sniStrict ? undefined : { cert: store.defaultCertificate, by: 'default' };
  }

  /** What a handshake for `serverName` would get on an entry point (explain, dashboard). */
  explain(entryPoint: string, serverName: string): TlsExplanation {
    const options = this.optionsFor(entryPoint, serverName);
    const compiled = this.options.get(options);
    if (!compiled || compiled instanceof Error) return { options, refused: `TLS options "${options}" ${compiled ? `are broken: ${compiled.message}` : 'do not exist'}` };
    const got = this.certificateFor(serverName, compiled.sniStrict);
    if (!got) return { options, refused: `no certificate for "${serverName}" and the options say sniStrict` };
    const { cert, by } = got;
    return { options, certificate: { source: cert.source, commonName: cert.commonName, names: [...cert.names], notAfter: cert.notAfter, by } };
  }

  /** What a ClientHello gets on an entry point; null refuses it (sniStrict, broken options). */
  handshake(entryPoint: string, hello: ClientHello): HandshakeOptions | null {
    const name = this.optionsFor(entryPoint, hello.serverName);
    const options = this.options.get(name);
    if (!options || options instanceof Error) return null;
    const store = this.stores.get(DEFAULT_STORE)!;
    const matched = store.match(hello.serverName);
    if (options.sniStrict && !matched) return null;
    // The certificate is chosen from the peeked SNI and is the server's own: with TLS 1.3, OpenSSL keeps the
    // first context's key type (an RSA certificate from the SNICallback after an ECDSA default was not served).
    const cert = matched ?? store.defaultCertificate;
    const key = `${name}\u0000${cert.id}`;
    let h = this.#handshakes.get(key);
    if (!h) { h = this.#handshakeOptions(options, cert); this.#handshakes.set(key, h); }
    return h;
  }

  #handshakeOptions(o: CompiledOptions, cert: LoadedCertificate): HandshakeOptions {
    const store = this.stores.get(DEFAULT_STORE)!;
    const requestCert = o.clientAuthType !== 'NoClientCert';
    // Versions, ciphers and curves are the server's (OpenSSL keeps them from the first context); the
    // SNICallback's context brings the same certificate (and the same settings, for the CA store).
    const server: TlsOptions = {
      ...contextOptions(o, cert),
      ALPNProtocols: o.alpnProtocols,
      requestCert,
      SNICallback: (serverName, cb) => {
        try { cb(null, this.#context(o, store.match(serverName) ?? store.defaultCertificate)); } catch (err) { cb(err as Error, undefined); }
      },
    };
    return {
      name: o.name, server,
      requireCert: o.clientAuthType === 'RequireAnyClientCert' || o.clientAuthType === 'RequireAndVerifyClientCert',
      verifyCert: o.clientAuthType === 'VerifyClientCertIfGiven' || o.clientAuthType === 'RequireAndVerifyClientCert',
    };
  }

  #context(o: CompiledOptions, cert: LoadedCertificate): SecureContext {
    const key = `${o.name}\u0000${cert.id}`;
    let ctx = this.#contexts.get(key);
    if (!ctx) {
      ctx = createSecureContext(contextOptions(o, cert));
      this.#contexts.set(key, ctx);
    }
    return ctx;
  }
}

function contextOptions(o: CompiledOptions, cert: LoadedCertificate): SecureContextOptions {
  return {
    cert: cert.certPem, key: cert.keyPem, minVersion: o.minVersion,
    ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    ...(o.ciphers ? { ciphers: o.ciphers } : {}),
    ...(o.ecdhCurve ? { ecdhCurve: o.ecdhCurve } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
  };
}

/**
 * Builds the certificate stores and options of a configuration's `tls` section. A certificate that cannot be
 * read is left out (or keeps its last good version) with an error in `certificates`; options that do not
 * compile are kept as their Error (routers using them get it).
 */
export function buildTlsParts(tls: TLSConfiguration | undefined, loader: CertificateLoader, log?: (message: string, fields: Record<string, unknown>) => void):
  { stores: Map<string, CertificateStore>; options: Map<string, CompiledOptions | Error>; certificates: CertificateStatus[] } {
  const certificates: CertificateStatus[] = [];
  const storeNames = new Set([DEFAULT_STORE, ...Object.keys(tls?.stores ?? {})]);
  const stores = new Map<string, CertificateStore>();
  for (const name of storeNames) {
    const def = tls?.stores?.[name]?.defaultCertificate;
    let defaultCert: LoadedCertificate | undefined;
    if (def) {
      const got = loader.load(def);
      certificates.push(status(def, got, [name], true));
      if (got.error) log?.('TLS default certificate problem', { store: name, error: got.error });
      defaultCert = got.cert;
    }
    stores.set(name, new CertificateStore(defaultCert ?? loader.generated()));
  }
  for (const c of tls?.certificates ?? []) {
    const wanted = c.stores && c.stores.length > 0 ? c.stores : [DEFAULT_STORE];
    const got = loader.load(c);
    certificates.push(status(c, got, wanted, false));
    if (got.error) log?.('TLS certificate problem', { certificate: c.certFile?.includes('-----BEGIN') ? 'inline' : c.certFile, error: got.error });
    if (!got.cert) continue;
    for (const s of wanted) {
      let store = stores.get(s);
      if (!store) { store = new CertificateStore(loader.generated()); stores.set(s, store); }
      store.add(got.cert);
    }
  }
  const options = new Map<string, CompiledOptions | Error>();
  for (const [name, o] of Object.entries(tls?.options ?? {})) {
    try { options.set(name, compileOptions(name, o)); } catch (err) { options.set(name, err as Error); log?.('TLS options problem', { options: name, error: (err as Error).message }); }
  }
  if (!options.has(DEFAULT_OPTIONS_NAME)) options.set(DEFAULT_OPTIONS_NAME, compileOptions(DEFAULT_OPTIONS_NAME, {}));
  return { stores, options, certificates };
}

function status(pair: FileOrContentPair, got: { cert?: LoadedCertificate; error?: string }, stores: string[], isDefault: boolean): CertificateStatus {
  const source = pair.certFile?.includes('-----BEGIN') ? 'inline' : pair.certFile ?? '';
  return {
    source, stores: isDefault ? stores.map((s) => `${s} (defaultCertificate)`) : stores,
    domains: got.cert ? [...got.cert.names] : [],
    ...(got.cert ? { notAfter: got.cert.notAfter, subject: got.cert.subject, issuer: got.cert.issuer } : {}),
    status: got.error ? (got.cert ? 'warning' : 'disabled') : 'enabled',
    ...(got.error ? { error: [got.error] } : {}),
  };
}
