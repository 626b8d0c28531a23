import type { Domain } from '../../dynamic/types.ts';
import { ruleHostArguments } from '../../rules/compile.ts';

/**
 * What an ACME resolver is asked for, from the routers that name it: Traefik's `watchNewDomains`. A router with
 * `tls.domains` asks for each of them (duplicates and names a wildcard already covers dropped:
 * `deleteUnnecessaryDomains`); otherwise for the `Host()` names of its rule, as one certificate. Pure: the
 * resolver calls it with every build's routers.
 */
export interface RouterForAcme { name: string; rule?: string; tls?: { certResolver?: string; domains?: Domain[] }; status?: string }

/** One certificate to have: its names (main first) and the routers that want it. */
export interface WantedCertificate { domains: string[]; routers: string[] }

/** Traefik's types.CanonicalDomain then dns01.UnFqdn: lower case, no spaces, no trailing dot. */
export function canonicalDomain(d: string): string {
  return d.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Traefik's types.MatchDomain: exact, or `certDomain` is the domain with its leading labels replaced by `*`
 * (`*.example.com` matches `a.example.com`; `*.*.com` matches it too, as in Traefik).
 */
export function matchDomain(domain: string, certDomain: string): boolean {
  if (domain === certDomain) return true;
  const cert = certDomain.replace(/\.+$/, '');
  const labels = domain.split('.');
  for (let i = 0; i < labels.length; i++) {
    labels[i] = '*';
    if (cert === labels.join('.')) return true;
  }
  return false;
}

/** Traefik's isDomainAlreadyChecked: `existing` holds comma-joined name lists (one per certificate). */
export function isDomainCovered(domain: string, existing: readonly string[]): boolean {
  return existing.some((list) => list.split(',').some((d) => matchDomain(domain, d)));
}

function toList(d: Domain): string[] {
  return [d.main ?? '', ...(d.sans ?? [])].filter((n) => n !== '');
}

/**
 * Traefik's deleteUnnecessaryDomains: a repeated domain is kept once, and names that an earlier domain already
 * lists, or that a wildcard main domain covers, are dropped from the later ones.
 */
export function deleteUnnecessaryDomains(domains: readonly Domain[]): string[][] {
  const out: string[][] = [];
  const lists = domains.map(toList);
  for (let i = 0; i < lists.length; i++) {
    let check = lists[i]!;
    let keep = true;
    for (let j = 0; j < lists.length; j++) {
      if (i === j) continue;
      const other = lists[j]!;
      if (JSON.stringify(other) === JSON.stringify(check)) {
        if (i > j) keep = false;
        break;
      }
      const next: string[] = [];
      for (const d of check) {
        if (j < i && isDomainCovered(d, [other.join(',')])) continue;
        const main = other[0] ?? '';
        if (main !== d && main.startsWith('*') && isDomainCovered(d, [main])) continue;
        next.push(d);
      }
      if (next.length === 0) { keep = false; break; }
      check = next;
    }
    if (keep && check.length > 0) out.push(check);
  }
  return out;
}

/**
 * Traefik's sanitizeDomains: canonical names; `*.*` wildcards are refused (ACME does not allow them).
 * Throws an Error naming the domains.
 */
export function sanitizeDomains(domains: readonly string[]): string[] {
  if (domains.length === 0) throw new Error('no domain was given');
  return domains.map((d) => {
    if (d.startsWith('*.*')) throw new Error(`unable to generate a wildcard certificate in ACME provider for domain "${domains.join(',')}": ACME does not allow '*.*' wildcard domain`);
    return canonicalDomain(d);
  });
}

/**
 * The certificates the routers naming `resolver` need and no existing certificate covers. `existing` lists the
 * names of the certificates already there (one comma-joined list per certificate: the TLS store's and the
 * resolver's own), as Traefik's getUncheckedDomains reads them. `errors` says, per router, what cannot be asked.
 * @example
 * wantedCertificates([{ name: 'shop@file', rule: 'Host(`shop.example.com`)', tls: { certResolver: 'le' } }], 'le', [])
 * // { wanted: [{ domains: ['shop.example.com'], routers: ['shop@file'] }], errors: new Map() }
 */
export function wantedCertificates(routers: readonly RouterForAcme[], resolver: string, existing: readonly string[]):
  { wanted: WantedCertificate[]; errors: Map<string, string> } {
  const byKey = new Map<string, WantedCertificate>();
  const errors = new Map<string, string>();
  const covered = [...existing];
  for (const r of [...routers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // Traefik reads the dynamic configuration: a router disabled for another reason still gets its certificate.
    if (r.tls?.certResolver !== resolver) continue;
    let requests: string[][];
    if (r.tls.domains && r.tls.domains.length > 0) requests = deleteUnnecessaryDomains(r.tls.domains);
    else {
      const hosts = ruleHostArguments(r.rule ?? '');
      if (hosts === undefined) { errors.set(r.name, `ACME (${resolver}): the rule does not parse, no domain to ask a certificate for`); continue; }
      if (hosts.length === 0) { errors.set(r.name, `ACME (${resolver}): no domain in the rule (only Host() names are asked for) and no tls.domains`); continue; }
      requests = [hosts];
    }
    for (const request of requests) {
      let domains: string[];
      try { domains = sanitizeDomains(request); } catch (err) { errors.set(r.name, `ACME (${resolver}): ${(err as Error).message}`); continue; }
      const key = [...domains].sort().join(',');
      const same = byKey.get(key);
      if (same) { if (!same.routers.includes(r.name)) same.routers.push(r.name); continue; }
      const unchecked = domains.filter((d) => !isDomainCovered(d, covered));
      if (unchecked.length === 0) continue;
      byKey.set(key, { domains: unchecked, routers: [r.name] });
      covered.push(unchecked.join(','));
    }
  }
  return { wanted: [...byKey.values()], errors };
}

/**
 * Traefik's getCertificateRenewDurations: how long before expiry a certificate is renewed, and how often that is
 * checked, from `certificatesDuration` (hours).
 * @example
 * renewDurations(2160) // { renewBeforeMs: 30 days, checkEveryMs: 1 day }
 */
export function renewDurations(certificatesDurationHours: number): { renewBeforeMs: number; checkEveryMs: number } {
  const H = 3_600_000;
  const d = certificatesDurationHours;
  if (d >= 365 * 24) return { renewBeforeMs: 4 * 30 * 24 * H, checkEveryMs: 7 * 24 * H };
  if (d >= 3 * 30 * 24) return { renewBeforeMs: 30 * 24 * H, checkEveryMs: 24 * H };
  if (d >= 30 * 24) return { renewBeforeMs: 10 * 24 * H, checkEveryMs: 12 * H };
  if (d >= 6 * 24) return { renewBeforeMs: 2 * 24 * H, checkEveryMs: 2 * H };
  if (d >= 24) return { renewBeforeMs: 6 * H, checkEveryMs: 10 * 60_000 };
  return { renewBeforeMs: 20 * 60_000, checkEveryMs: 60_000 };
}
