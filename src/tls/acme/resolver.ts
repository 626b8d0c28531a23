import { X509Certificate } from 'node:crypto';
import type { ItemIssue, Message } from '../../dynamic/types.ts';
import type { Provider, ProviderStatus } from '../../providers/provider.ts';
import type { AcmeConfig } from '../../static/types.ts';
import type { Logger } from '../../util/log.ts';
import type { ChallengeBoard } from './challenges.ts';
import { accountMatchesCa, describeAcmeError, newAccount, openSession, type AcmeSession, type ChallengeSolver } from './client.ts';
import { renewDurations, wantedCertificates, type RouterForAcme } from './domains.ts';
import { storedDomains, type AcmeStore, type StoredCertificate } from './store.ts';

/** Traefik's default TLS store, where ACME certificates go. */
const DEFAULT_STORE = 'default';
/** Backoff after a failed order: 30 s, doubling, at most 1 h (Traefik retries only on the next change or renew tick). */
const BACKOFF_FIRST_MS = 30_000;
const BACKOFF_MAX_MS = 3_600_000;

/**
 * What shared mode adds (storage `consul`): the store's changes made by other nodes, who holds the ordering lock,
 * and the domains every node wants. File mode has none of it: the node always orders.
 */
export interface SharedMode {
  start(signal: AbortSignal, events: SharedEvents): void;
  /** Publishes the certificates this node's routers want (the lock holder orders them for everyone). */
  publishWants(wanted: string[][]): Promise<void>;
  /** A challenge solver that also publishes the answers for every node. */
  solver(local: ChallengeSolver): ChallengeSolver;
  status(): { leader: boolean; error?: string };
}

export interface SharedEvents {
  certificates(certificates: StoredCertificate[]): void;
  leader(isLeader: boolean): void;
  wants(all: string[][]): void;
}

export interface AcmeResolverOptions {
  /** The resolver's name (`certificatesResolvers.<name>`). */
  name: string;
  config: AcmeConfig;
  store: AcmeStore;
  board: ChallengeBoard;
  log: Logger;
  env: Record<string, string | undefined>;
  shared?: SharedMode;
  /** A problem found before starting (storage, unsupported challenge): every router naming the resolver shows it. */
  configError?: string;
  now?: () => number;
}

interface Failure { error: string; attempts: number; nextAt: number; routers: string[]; since: number }

/**
 * An ACME certificate resolver (Traefik's pkg/provider/acme Provider), as a provider named `<name>.acme` whose
 * snapshots carry its certificates (`tls.certificates`, default store) and, as issues on the routers naming it,
 * what it could not obtain (those routers are served with the default certificate meanwhile). The gateway hands it
 * every build's routers (`observe`); orders run one at a time, failed ones again after a backoff; certificates are
 * renewed as Traefik times it (`renewDurations`), checked at start and then regularly.
 */
export class AcmeResolver implements Provider {
  readonly name: string;
  readonly resolver: string;
  readonly #o: AcmeResolverOptions;
  readonly #now: () => number;
  #certificates: StoredCertificate[] = [];
  #routers: RouterForAcme[] = [];
  #otherDomains: string[] = [];
  #routerErrors = new Map<string, string>();
  readonly #failures = new Map<string, Failure>();
  #leader: boolean;
  #othersWant: string[][] = [];
  #session: AcmeSession | undefined;
  #emit: ((m: Message) => void) | undefined;
  #busy = false;
  #again = false;
  /** Set once the stored certificates are loaded: nothing is ordered before (a restart orders nothing it has). */
  #loaded = false;
  /** Certificates found due for renewal at the last check (keys); a check runs at start and every checkEveryMs. */
  #renewDue = new Set<string>();
  #retryTimer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #lastMessage = '';
  #lastWants = '';
  #error: string | undefined;
  #errorSince: number | undefined;
  readonly #counters = { orders: 0, renewals: 0, failures: 0 };
  #lastContact: number | undefined;
  #configurationAt: number | undefined;

  constructor(options: AcmeResolverOptions) {
    this.#o = options;
    this.resolver = options.name;
    this.name = `${options.name}.acme`;
    this.#now = options.now ?? Date.now;
    this.#leader = options.shared === undefined;
    if (options.configError) this.#setError(options.configError);
  }

  async provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    this.#emit = emit;
    this.#signal = signal;
    if (this.#o.configError) { this.#publish(); return; }
    // Shared mode: the store answers once the first KV snapshot is in.
    this.#o.shared?.start(signal, {
      certificates: (certs) => { this.#certificates = certs; this.#lastContact = this.#now(); this.#publish(); this.#pump(); },
      leader: (isLeader) => { this.#leader = isLeader; if (isLeader) { this.#checkRenewals(); this.#pump(); } },
      wants: (all) => { this.#othersWant = all; this.#pump(); },
    });
    try {
      this.#certificates = await this.#o.store.getCertificates();
    } catch (err) {
      this.#setError(`unable to get ACME certificates: ${describeAcmeError(err)}`);
      this.#publish();
      return;
    }
    this.#loaded = true;
    this.#publish();
    const { checkEveryMs } = renewDurations(this.#o.config.certificatesDuration);
    this.#checkRenewals();
    const tick = setInterval(() => { this.#checkRenewals(); this.#pump(); }, checkEveryMs);
    tick.unref();
    signal.addEventListener('abort', () => { clearInterval(tick); clearTimeout(this.#retryTimer); }, { once: true });
    this.#pump();
  }

  /** Every build's routers (the resolver asks for what those naming it need) and the TLS store's other names. */
  observe(routers: readonly RouterForAcme[], otherCertificateDomains: readonly string[]): void {
    this.#routers = routers.filter((r) => r.tls?.certResolver === this.resolver);
    this.#otherDomains = [...otherCertificateDomains];
    if (this.#o.configError || !this.#emit) { this.#publish(); return; }
    const { wanted, errors } = wantedCertificates(this.#routers, this.resolver, this.#otherDomains);
    this.#routerErrors = errors;
    const current = new Set(this.#targets().map((t) => key(t.domains)));
    for (const k of this.#failures.keys()) if (!current.has(k)) this.#failures.delete(k);
    if (this.#o.shared) {
      const wants = JSON.stringify(wanted.map((w) => w.domains));
      if (wants !== this.#lastWants) {
        this.#lastWants = wants;
        this.#o.shared.publishWants(wanted.map((w) => w.domains)).catch((err: unknown) => this.#o.log.warn('ACME: publishing the wanted domains failed', { resolver: this.resolver, error: describeAcmeError(err) }));
      }
    }
    this.#publish();
    this.#pump();
  }

  status(): ProviderStatus {
    const shared = this.#o.shared?.status();
    return {
      name: this.name,
      ...(this.#lastContact !== undefined ? { lastContact: this.#lastContact } : {}),
      ...(this.#configurationAt !== undefined ? { configurationAt: this.#configurationAt } : {}),
      ...(this.#error ? { error: this.#error, errorSince: this.#errorSince } : this.#failureSummary() ?? (shared?.error ? { error: shared.error } : {})),
      counters: { ...this.#counters, certificates: this.#certificates.length, pending: this.#pendingCount(), ...(shared ? { leader: shared.leader ? 1 : 0 } : {}) },
    };
  }

  #failureSummary(): { error: string; errorSince: number } | undefined {
    if (this.#failures.size === 0) return undefined;
    const [k, f] = [...this.#failures][0]!;
    return { error: `unable to obtain ${this.#failures.size} certificate(s), e.g. ${k}: ${f.error}`, errorSince: f.since };
  }

  /** The names and expiry of its certificates (API, logs: never the keys). */
  certificates(): Array<{ domains: string[]; notAfter?: string }> {
    return this.#certificates.map((c) => ({ domains: storedDomains(c), ...(notAfter(c) ? { notAfter: new Date(notAfter(c)!).toISOString() } : {}) }));
  }

  #pendingCount(): number {
    return this.#targets().length;
  }

  /** What to order now: routers' missing certificates, other nodes' wants (shared), renewals due. */
  #targets(): Array<{ domains: string[]; routers: string[]; renew?: StoredCertificate }> {
    const existing = [...this.#otherDomains, ...this.#certificates.map((c) => storedDomains(c).join(','))];
    const { wanted } = wantedCertificates(this.#routers, this.resolver, existing);
    const out: Array<{ domains: string[]; routers: string[]; renew?: StoredCertificate }> = wanted.map((w) => ({ ...w }));
    if (this.#o.shared) {
      const seen = new Set(out.map((t) => [...t.domains].sort().join(',')));
      const others = wantedCertificates(this.#othersWant.map((d, i) => ({ name: `#${i}`, tls: { certResolver: this.resolver, domains: [{ main: d[0]!, sans: d.slice(1) }] } })), this.resolver, existing);
      for (const w of others.wanted) if (!seen.has([...w.domains].sort().join(','))) out.push({ domains: w.domains, routers: [] });
    }
    for (const c of this.#certificates) if (this.#renewDue.has(key(storedDomains(c)))) out.push({ domains: storedDomains(c), routers: [], renew: c });
    return out;
  }

  /** Traefik's renewCertificates: the certificates that end within the renew period (or cannot be read). */
  #checkRenewals(): void {
    const { renewBeforeMs } = renewDurations(this.#o.config.certificatesDuration);
    for (const c of this.#certificates) {
      const end = notAfter(c);
      if (end === undefined || end < this.#now() + renewBeforeMs) this.#renewDue.add(key(storedDomains(c)));
    }
  }

  /** Runs the orders due, one at a time; called on every change. */
  #pump(): void {
    if (!this.#emit || !this.#loaded || this.#signal?.aborted) return;
    if (this.#busy) { this.#again = true; return; }
    if (!this.#leader) return;
    this.#busy = true;
    void this.#work().finally(() => {
      this.#busy = false;
      if (this.#again) { this.#again = false; this.#pump(); }
    });
  }

  async #work(): Promise<void> {
    for (;;) {
      if (this.#signal?.aborted || !this.#leader) return;
      const now = this.#now();
      const due = this.#targets().filter((t) => (this.#failures.get(key(t.domains))?.nextAt ?? 0) <= now);
      if (due.length === 0) break;
      const t = due[0]!;
      const k = key(t.domains);
      try {
        const session = await this.#openSession();
        this.#o.log.info(t.renew ? 'ACME: renewing certificate' : 'ACME: ordering certificate', { resolver: this.resolver, domains: t.domains.join(',') });
        const got = await session.order(t.domains);
        this.#lastContact = this.#now();
        const cert: StoredCertificate = {
          domain: { main: t.domains[0]!, ...(t.domains.length > 1 ? { sans: t.domains.slice(1) } : {}) },
          certificate: Buffer.from(got.certPem).toString('base64'), key: Buffer.from(got.keyPem).toString('base64'), Store: t.renew?.Store ?? DEFAULT_STORE,
        };
        // Traefik's addCertificateForDomain: the certificate with the same domain is replaced.
        const same = this.#certificates.findIndex((c) => key(storedDomains(c)) === k);
        this.#certificates = same >= 0 ? this.#certificates.map((c, i) => (i === same ? cert : c)) : [...this.#certificates, cert];
        if (t.renew) this.#counters.renewals++; else this.#counters.orders++;
        this.#renewDue.delete(k);
        this.#failures.delete(k);
        this.#clearError();
        await this.#o.store.saveCertificates(this.#certificates);
        this.#o.log.info('ACME: certificate obtained', { resolver: this.resolver, domains: t.domains.join(','), notAfter: new Date(notAfter(cert) ?? 0).toISOString() });
      } catch (err) {
        const previous = this.#failures.get(k);
        const attempts = (previous?.attempts ?? 0) + 1;
        const wait = Math.min(BACKOFF_FIRST_MS * 2 ** (attempts - 1), BACKOFF_MAX_MS);
        const error = describeAcmeError(err);
        this.#failures.set(k, { error, attempts, nextAt: this.#now() + wait, routers: t.routers, since: previous?.since ?? this.#now() });
        this.#counters.failures++;
        this.#session = undefined; // a new session (directory, nonce, account) on the next attempt
        this.#o.log.error('ACME: unable to obtain a certificate', { resolver: this.resolver, domains: t.domains.join(','), attempt: attempts, retryInMs: wait, error });
        this.#scheduleRetry();
      }
      this.#publish();
    }
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retryTimer);
    const next = Math.min(...[...this.#failures.values()].map((f) => f.nextAt));
    if (!Number.isFinite(next)) return;
    this.#retryTimer = setTimeout(() => this.#pump(), Math.max(0, next - this.#now()));
    this.#retryTimer.unref();
  }

  /** The CA session: the stored account (reset when it belongs to another CA), registered once and saved. */
  async #openSession(): Promise<AcmeSession> {
    if (this.#session) return this.#session;
    const { config, store } = this.#o;
    let account = await store.getAccount();
    if (account?.Registration && !accountMatchesCa(account, config.caServer)) {
      this.#o.log.info('ACME: the account belongs to another CA server; a new one is registered', { resolver: this.resolver });
      account = null;
    }
    if (!account || !account.Email && config.email) account = await newAccount(config.email ?? '');
    const local: ChallengeSolver = {
      presentHttp: async (token, domain, keyAuthorization) => this.#o.board.setHttp(token, domain, keyAuthorization),
      cleanupHttp: async (token, domain) => this.#o.board.deleteHttp(token, domain),
      presentTls: async (domain, certPem, keyPem) => this.#o.board.setTls(domain, certPem, keyPem),
      cleanupTls: async (domain) => this.#o.board.deleteTls(domain),
    };
    const session = await openSession(config, account, this.#o.shared ? this.#o.shared.solver(local) : local, this.#o.env);
    // Traefik saves the account before any certificate is generated.
    if (session.registered || account !== (await store.getAccount())) await store.saveAccount(session.account);
    this.#session = session;
    return session;
  }

  /** Emits the snapshot when it changed: certificates, and the routers' problems as warnings on them. */
  #publish(): void {
    if (!this.#emit || (!this.#loaded && !this.#error)) return;
    const issues: ItemIssue[] = [];
    const byRouter = new Map<string, string[]>();
    const add = (router: string, message: string): void => { byRouter.set(router, [...(byRouter.get(router) ?? []), message]); };
    if (this.#error) for (const r of this.#routers) add(r.name, `ACME resolver "${this.resolver}": ${this.#error}; the default certificate is served`);
    for (const [r, m] of this.#routerErrors) add(r, m);
    for (const [k, f] of this.#failures) {
      const routers = f.routers.length > 0 ? f.routers : this.#routers.filter((r) => wantedBy(r, k.split(','), this.resolver)).map((r) => r.name);
      for (const r of routers) add(r, `ACME resolver "${this.resolver}": unable to obtain a certificate for ${k} (attempt ${f.attempts}, next in ${Math.max(0, Math.round((f.nextAt - this.#now()) / 1000))}s): ${f.error}; the default certificate is served meanwhile`);
    }
    for (const [name, messages] of byRouter) for (const message of messages) issues.push({ kind: 'router', name, severity: 'warning', message, dropped: false });
    const certificates = this.#certificates.map((c) => ({
      certFile: Buffer.from(c.certificate, 'base64').toString('utf8'), keyFile: Buffer.from(c.key, 'base64').toString('utf8'), stores: [c.Store || DEFAULT_STORE],
    }));
    const message: Message = { providerName: this.name, configuration: { http: { routers: {}, services: {}, middlewares: {} }, ...(certificates.length > 0 ? { tls: { certificates } } : {}) }, issues };
    const text = JSON.stringify(message);
    if (text === this.#lastMessage) return;
    this.#lastMessage = text;
    this.#configurationAt = this.#now();
    this.#emit(message);
  }

  #setError(message: string): void {
    if (this.#error !== message) this.#errorSince = this.#now();
    this.#error = message;
  }

  #clearError(): void { this.#error = undefined; this.#errorSince = undefined; }
}

function key(domains: readonly string[]): string { return [...domains].sort().join(','); }

function wantedBy(r: RouterForAcme, domains: string[], resolver: string): boolean {
  return wantedCertificates([r], resolver, []).wanted.some((w) => w.domains.some((d) => domains.includes(d)));
}

/** The certificate's notAfter (ms), or undefined when it cannot be read (then it is renewed, as Traefik does). */
function notAfter(c: StoredCertificate): number | undefined {
  try { return new Date(new X509Certificate(Buffer.from(c.certificate, 'base64')).validTo).getTime(); } catch { return undefined; }
}
