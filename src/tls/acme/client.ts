/**
 * The one file that talks RFC 8555: orders through `acme-client` (a maintained ACME client), loaded when a resolver
 * first needs it (its X.509 dependency installs a global `reflect-metadata` polyfill, so not at every start).
 */
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import type { AcmeConfig } from '../../static/types.ts';
import type { StoredAccount } from './store.ts';

type AcmeModule = typeof import('acme-client');
type AcmeClient = InstanceType<AcmeModule['Client']>;

const generate = promisify(generateKeyPair);

/** What presents and withdraws challenge answers (the gateway's board, and Consul KV in shared mode). */
export interface ChallengeSolver {
  presentHttp(token: string, domain: string, keyAuthorization: string): Promise<void>;
  cleanupHttp(token: string, domain: string): Promise<void>;
  presentTls(domain: string, certPem: string, keyPem: string): Promise<void>;
  cleanupTls(domain: string): Promise<void>;
}

/** One HTTPS agent per CA origin: trust (caCertificates, LEGO_CA_CERTIFICATES), server name, timeouts. */
const agents = new Map<string, { agent: https.Agent; timeout: number }>();
/**
 * The last network failure per CA origin. acme-client's response interceptor turns a request that got no response
 * (ECONNREFUSED, timeout) into "Cannot read properties of undefined (reading 'config')" once its retries are off;
 * the real cause is kept here and put back in the error (see `networkCause`).
 */
const networkErrors = new Map<string, { code: string; message: string; at: number }>();
let loaded: Promise<AcmeModule> | undefined;

function acmeModule(): Promise<AcmeModule> {
  loaded ??= import('acme-client').then((m) => {
    const acme = ((m as unknown as { default?: AcmeModule }).default ?? m) as AcmeModule;
    // Retries are the resolver's (backoff per order, visible on the router); acme-client's own retry of 5xx and
    // network errors sleeps 5 s × attempt inside one call, which would hide a dead CA for over a minute.
    const axios = acme.axios as unknown as {
      defaults: { acmeSettings: { retryMaxAttempts: number } };
      interceptors: { request: { use(f: (c: Record<string, unknown>) => Record<string, unknown>): void } };
    };
    axios.defaults.acmeSettings.retryMaxAttempts = 0;
    // axios as acme-client resolves it (its own dependency), for its node:http adapter.
    const req = createRequire(createRequire(import.meta.url).resolve('acme-client'));
    const httpAdapter = (req('axios') as { getAdapter(n: string): (c: unknown) => Promise<unknown> }).getAdapter('http');
    axios.interceptors.request.use(function perCaAgent(config) {
      const url = String(config['url'] ?? '');
      const origin = /^https?:/.test(url) ? new URL(url).origin : '';
      const got = agents.get(origin);
      if (got) { config['httpsAgent'] = got.agent; config['timeout'] = got.timeout; }
      config['adapter'] = async function rememberNetworkErrors(c: unknown) {
        try { return await httpAdapter(c); } catch (err) {
          const e = err as { code?: string; message?: string; response?: unknown };
          if (!e.response) networkErrors.set(origin, { code: e.code ?? 'ERR_NETWORK', message: e.message ?? String(err), at: Date.now() });
          throw err;
        }
      };
      return config;
    });
    return acme;
  });
  return loaded;
}

/**
 * The CA server's trust, as Traefik's createClientTLSConfig: `caCertificates` (+ system roots with
 * `caSystemCertPool`) and `caServerName`, else lego's environment `LEGO_CA_CERTIFICATES` (a path list),
 * `LEGO_CA_SYSTEM_CERT_POOL`, `LEGO_CA_SERVER_NAME`; else the system roots. Throws naming an unreadable file.
 */
export function caTrust(config: AcmeConfig, env: Record<string, string | undefined>): { ca?: string[]; servername?: string } {
  let files = config.caCertificates;
  let system = config.caSystemCertPool;
  let servername = config.caServerName;
  if (files.length === 0 && !servername) {
    files = (env['LEGO_CA_CERTIFICATES'] ?? '').split(':').filter((f) => f !== '');
    servername = env['LEGO_CA_SERVER_NAME'] || undefined;
    system = /^(1|t|true)$/i.test(env['LEGO_CA_SYSTEM_CERT_POOL'] ?? '');
  }
  if (files.length === 0) return servername ? { servername } : {};
  const ca = files.map((f) => {
    try { return readFileSync(f, 'utf8'); } catch (err) { throw new Error(`CA certificate ${f} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set caCertificates or LEGO_CA_CERTIFICATES to PEM files`, { cause: err }); }
  });
  return { ca: system ? [...ca, ...rootCertificates] : ca, ...(servername ? { servername } : {}) };
}

/**
 * A new certificate key of `keyType`: `pem` as lego writes it (PKCS#1 for RSA, SEC 1 for EC: what acme.json
 * holds), `pkcs8` for acme-client (WebCrypto imports only PKCS#8).
 */
export async function certificateKey(keyType: AcmeConfig['keyType']): Promise<{ pem: string; pkcs8: string }> {
  const { privateKey } = keyType === 'EC256' || keyType === 'EC384'
    ? await generate('ec', { namedCurve: keyType === 'EC256' ? 'P-256' : 'P-384' })
    : await generate('rsa', { modulusLength: Number(keyType.slice(3)) });
  const pem = privateKey.export({ type: privateKey.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1', format: 'pem' }).toString();
  return { pem, pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Traefik's NewAccount: an RSA 4096 key, kept as base64 of its PKCS#1 DER. */
export async function newAccount(email: string): Promise<StoredAccount> {
  const { privateKey } = await generate('rsa', { modulusLength: 4096 });
  return { Email: email, Registration: null, PrivateKey: (privateKey.export({ type: 'pkcs1', format: 'der' })).toString('base64') };
}

function accountKeyPem(account: StoredAccount): string {
  const key: KeyObject = createPrivateKey({ key: Buffer.from(account.PrivateKey, 'base64'), format: 'der', type: 'pkcs1' });
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/** Traefik's isAccountMatchingCaServer: a registration belongs to the CA of the same host name. */
export function accountMatchesCa(account: StoredAccount, caServer: string): boolean {
  try { return new URL(account.Registration?.uri ?? '').hostname === new URL(caServer).hostname; } catch { return false; }
}

export interface AcmeSession {
  /** The account, registered (the caller saves it when `registered` is true). */
  account: StoredAccount;
  registered: boolean;
  order(domains: string[]): Promise<{ certPem: string; keyPem: string }>;
}

/**
 * Opens a session with the CA for one resolver: registers `account` if it has no registration (with EAB when
 * configured), then orders with the configured challenges. Throws an Error saying what the CA refused.
 */
export async function openSession(config: AcmeConfig, account: StoredAccount, solver: ChallengeSolver, env: Record<string, string | undefined>): Promise<AcmeSession> {
  const acme = await acmeModule();
  const trust = caTrust(config, env);
  const origin = new URL(config.caServer).origin;
  agents.set(origin, { agent: new https.Agent({ keepAlive: true, ...trust }), timeout: config.clientTimeout });
  const eab = config.eab ? { externalAccountBinding: { kid: config.eab.kid, hmacKey: config.eab.hmacEncoded } } : {};
  const backoff = { backoffAttempts: 12, backoffMin: 100, backoffMax: 5000 };
  let registered = false;
  let client: AcmeClient;
  if (account.Registration?.uri) {
    client = new acme.Client({ directoryUrl: config.caServer, accountKey: accountKeyPem(account), accountUrl: account.Registration.uri, ...eab, ...backoff });
  } else {
    client = new acme.Client({ directoryUrl: config.caServer, accountKey: accountKeyPem(account), ...eab, ...backoff });
    const c = client;
    const body = await withNetworkCause(origin, () => c.createAccount({ termsOfServiceAgreed: true, ...(account.Email ? { contact: [`mailto:${account.Email}`] } : {}) }));
    account = { ...account, Registration: { body: body as unknown as Record<string, unknown>, uri: client.getAccountUrl() } };
    registered = true;
  }
  const session: AcmeSession = {
    account, registered,
    order(domains) { return withNetworkCause(origin, () => order(domains)); },
  };
  async function order(domains: string[]): Promise<{ certPem: string; keyPem: string }> {
      const key = await certificateKey(config.keyType);
      const [, csr] = await acme.crypto.createCsr({ ...(config.disableCommonName ? {} : { commonName: domains[0]! }), altNames: domains, ...(config.emailAddresses[0] ? { emailAddress: config.emailAddresses[0] } : {}) }, key.pkcs8);
      const order = await client.createOrder({ identifiers: domains.map((value) => ({ type: 'dns', value })), ...(config.profile ? { profile: config.profile } as object : {}) });
      const authorizations = await client.getAuthorizations(order);
      for (const authz of authorizations) {
        if (authz.status === 'valid') continue; // reused by the CA
        const challenge = authz.challenges.find((c) => (c.type === 'http-01' && config.httpChallenge) || ((c.type as string) === 'tls-alpn-01' && config.tlsChallenge));
        if (!challenge) {
          throw new Error(`the CA offers ${authz.challenges.map((c) => c.type).join(', ')} for ${authz.identifier.value}; this resolver answers ${[config.httpChallenge ? 'http-01' : '', config.tlsChallenge ? 'tls-alpn-01' : ''].filter(Boolean).join(', ') || 'none'}`);
        }
        const domain = authz.identifier.value;
        const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
        let cleanup: () => Promise<void>;
        if (challenge.type === 'http-01') {
          await solver.presentHttp(challenge.token, domain, keyAuthorization);
          cleanup = () => solver.cleanupHttp(challenge.token, domain);
        } else {
          const alpnKey = await certificateKey('EC256');
          const [, alpnCert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization, alpnKey.pkcs8);
          await solver.presentTls(domain, alpnCert.toString(), alpnKey.pkcs8);
          cleanup = () => solver.cleanupTls(domain);
        }
        try {
          const delay = challenge.type === 'http-01' ? config.httpChallenge?.delay : config.tlsChallenge?.delay;
          if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
          await client.completeChallenge(challenge);
          await client.waitForValidStatus(challenge);
        } catch (err) {
          throw new Error(`${challenge.type} challenge for ${domain} failed: ${describeAcmeError(err)}`, { cause: err });
        } finally {
          await cleanup().catch(() => undefined);
        }
      }
      const finalized = await client.finalizeOrder(order, csr);
      const certPem = await client.getCertificate(finalized, config.preferredChain);
      return { certPem, keyPem: key.pem };
  }
  return session;
}

async function withNetworkCause<T>(origin: string, run: () => Promise<T>): Promise<T> {
  const since = Date.now();
  try { return await run(); } catch (err) { throw networkCause(err, origin, since); }
}

/** acme-client's TypeError for a request without a response, replaced by the network error behind it. */
function networkCause(err: unknown, origin: string, since: number): unknown {
  const net = networkErrors.get(origin);
  if (!(err instanceof TypeError) || !net || net.at < since) return err;
  return new Error(`${origin} did not answer: ${net.code} ${net.message}`.trim(), { cause: err });
}

/** A CA error as one line (acme-client puts the CA's problem document in the message). */
export function describeAcmeError(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return e?.message || e?.code || String(err);
}
