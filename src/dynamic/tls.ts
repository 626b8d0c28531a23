/**
 * The `tls` section of the dynamic configuration (Traefik v3's `dynamic.TLSConfiguration`): certificates,
 * options and stores. Only the file provider can declare it (Traefik refuses `tls.*` in labels).
 * `certFile` and `keyFile` are a path or the PEM itself (Traefik's `FileOrContent`).
 */
import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';

export interface FileOrContentPair { certFile?: string; keyFile?: string }
export interface CertAndStores extends FileOrContentPair { stores?: string[] }
export interface ClientAuth { caFiles?: string[]; clientAuthType?: string }
export interface TLSOptions {
  minVersion?: string;
  maxVersion?: string;
  cipherSuites?: string[];
  curvePreferences?: string[];
  clientAuth?: ClientAuth;
  sniStrict?: boolean;
  alpnProtocols?: string[];
  preferServerCipherSuites?: boolean;
  disableSessionTickets?: boolean;
}
export interface TLSStore { defaultCertificate?: FileOrContentPair; defaultGeneratedCert?: { resolver?: string; domain?: { main?: string; sans?: string[] } } }
export interface TLSConfiguration {
  certificates?: CertAndStores[];
  options?: Record<string, TLSOptions>;
  stores?: Record<string, TLSStore>;
}

const str: FieldDesc = { kind: 'string' };
const strings: FieldDesc = { kind: 'stringList' };
const bool: FieldDesc = { kind: 'bool' };
const pair = { certFile: str, keyFile: { kind: 'string', secret: true } } as const;

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;

const certificateDesc: StructDesc = { name: 'CertAndStores', fields: { ...pair, stores: strings } };
const optionsDesc: StructDesc = {
  name: 'TLSOptions',
  fields: {
    minVersion: { kind: 'string', values: ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] },
    maxVersion: { kind: 'string', values: ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] },
    cipherSuites: strings,
    curvePreferences: strings,
    clientAuth: { kind: 'struct', struct: { name: 'ClientAuth', fields: { caFiles: strings, clientAuthType: { kind: 'string', values: CLIENT_AUTH_TYPES } } } },
    sniStrict: bool,
    alpnProtocols: strings,
    preferServerCipherSuites: bool,
    disableSessionTickets: bool,
  },
};
const storeDesc: StructDesc = {
  name: 'TLSStore',
  fields: {
    defaultCertificate: { kind: 'struct', struct: { name: 'Certificate', fields: pair } },
    defaultGeneratedCert: { kind: 'struct', struct: { name: 'GeneratedCert', fields: { resolver: str, domain: { kind: 'struct', struct: { name: 'Domain', fields: { main: str, sans: strings } } } } } },
  },
};

/** `tls:` of a dynamic configuration document, for the generic document decoder. */
export const tlsConfigurationDesc: StructDesc = {
  name: 'TLSConfiguration',
  fields: {
    certificates: { kind: 'structList', struct: certificateDesc },
    options: { kind: 'structMap', struct: optionsDesc },
    stores: { kind: 'structMap', struct: storeDesc },
  },
};
