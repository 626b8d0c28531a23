/**
 * ACME certificate resolvers (`certificatesResolvers.<name>.acme`): what the gateway starts from the static
 * configuration. Each resolver is a provider; the challenge board is shared by the HTTP-01 internal service and
 * the TLS-ALPN-01 handshakes of the entry points.
 */
import { resolve } from 'node:path';
import type { RuntimeState } from '../../dynamic/runtime.ts';
import type { StaticConfig, AcmeConfig } from '../../static/types.ts';
import type { Logger } from '../../util/log.ts';
import type { TlsTable } from '../table.ts';
import type { ClientHello } from '../clienthello.ts';
import type { HandshakeOptions } from '../../server/entrypoint.ts';
import { ACME_TLS_ALPN, ChallengeBoard } from './challenges.ts';
import { caTrust } from './client.ts';
import { AcmeResolver, type SharedMode } from './resolver.ts';
import { AcmeFile, type AcmeStore } from './store.ts';

export { acmeHttpHandler, ChallengeBoard, ACME_TLS_ALPN } from './challenges.ts';
export type { AcmeResolver } from './resolver.ts';

/** The bare word that selects shared mode instead of a file path. */
export const CONSUL_STORAGE = 'consul';

export interface AcmeShared {
  /** Shared mode for one resolver (Consul KV under tagway/acme/<resolver>/), or the reason it cannot run. */
  (resolver: string, config: AcmeConfig, board: ChallengeBoard): { store: AcmeStore; shared: SharedMode } | { error: string };
}

export interface Acme {
  resolvers: AcmeResolver[];
  board: ChallengeBoard;
  /** Hands a build's routers and TLS store to every resolver. */
  observe(state: RuntimeState, tls: TlsTable | undefined): void;
  /** A TLS-ALPN-01 validation (ALPN `acme-tls/1` alone): its challenge handshake, or null to refuse it; undefined otherwise. */
  handshake(hello: ClientHello): HandshakeOptions | null | undefined;
}

/**
 * Builds the resolvers. A resolver that cannot work (no challenge, DNS-01 only, unknown challenge entry point,
 * unreadable CA file, shared mode without Consul) is still created, with that error: the routers naming it show
 * it and are served with the default certificate.
 */
export function createAcme(config: StaticConfig, options: { log: Logger; env: Record<string, string | undefined>; shared?: AcmeShared }): Acme {
  const board = new ChallengeBoard();
  const files = new Map<string, AcmeFile>();
  const resolvers: AcmeResolver[] = [];
  for (const [name, r] of Object.entries(config.certificatesResolvers ?? {})) {
    const acme = r.acme;
    if (!acme) continue;
    const log = options.log.child({ provider: `${name}.acme` });
    let configError = configurationError(name, acme, config);
    if (acme.dnsChallenge && !configError) log.warn('dnsChallenge is not supported by tagway (DNS-01 is out of scope): the HTTP-01/TLS-ALPN-01 challenges are used', { resolver: name });
    if (!configError) {
      try { caTrust(acme, options.env); } catch (err) { configError = (err as Error).message; }
    }
    let store: AcmeStore;
    let shared: SharedMode | undefined;
    if (acme.storage === CONSUL_STORAGE) {
      const made = options.shared?.(name, acme, board) ?? { error: 'storage "consul" needs providers.consulCatalog (its endpoint, token and TLS reach Consul KV)' };
      if ('error' in made) { configError ??= made.error; store = emptyStore(); } else ({ store, shared } = made);
    } else {
      const path = resolve(acme.storage);
      let file = files.get(path);
      if (!file) { file = new AcmeFile(path); files.set(path, file); }
      store = file.storeFor(name);
    }
    if (configError) log.error('ACME resolver cannot work', { resolver: name, error: configError });
    resolvers.push(new AcmeResolver({ name, config: acme, store, board, log, env: options.env, ...(shared ? { shared } : {}), ...(configError ? { configError } : {}) }));
  }
  return {
    resolvers, board,
    observe(state, tls) {
      if (resolvers.length === 0) return; // no resolver: nothing to look for in 5,000 routers at each change
      const routers = Object.values(state.routers);
      // Traefik's getUncheckedDomains looks in the whole TLS store (the resolvers' own certificates included).
      const inStore = (tls?.certificates ?? []).filter((c) => c.status !== 'disabled').map((c) => c.domains.join(','));
      for (const resolver of resolvers) resolver.observe(routers, inStore);
    },
    handshake(hello) {
      if (hello.alpn.length !== 1 || hello.alpn[0] !== ACME_TLS_ALPN) return undefined;
      return board.tlsHandshake(hello.serverName) ?? null;
    },
  };
}

function configurationError(name: string, acme: AcmeConfig, config: StaticConfig): string | undefined {
  if (!acme.httpChallenge && !acme.tlsChallenge) {
    return acme.dnsChallenge
      ? 'dnsChallenge is not supported by tagway (DNS-01 is out of scope): set httpChallenge or tlsChallenge'
      : 'ACME challenge not specified, please select TLS or HTTP challenge (httpChallenge.entryPoint or tlsChallenge)';
  }
  if (acme.httpChallenge && !config.entryPoints[acme.httpChallenge.entryPoint]) {
    return `httpChallenge.entryPoint "${acme.httpChallenge.entryPoint}" is not an entry point (certificatesResolvers.${name}.acme.httpChallenge.entryPoint; entry points: ${Object.keys(config.entryPoints).join(', ')})`;
  }
  if (!acme.storage) return 'unable to initialize ACME provider with no storage location for the certificates';
  return undefined;
}

function emptyStore(): AcmeStore {
  return { getAccount: async () => null, saveAccount: async () => {}, getCertificates: async () => [], saveCertificates: async () => {} };
}
