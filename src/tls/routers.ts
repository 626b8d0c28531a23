import type { RouterTLS } from '../dynamic/types.ts';
import { ruleHostArguments } from '../rules/compile.ts';
import { DEFAULT_OPTIONS_NAME, type CompiledOptions } from './options.ts';

export interface TlsRouter { name: string; provider: string; rule?: string; entryPoints: readonly string[]; tls: RouterTLS }

export interface RouterTlsResult {
  /** Router → the options it asks for, qualified (the ones its requests must have been handshaken with, 421 otherwise). */
  resolved: Map<string, string>;
  /**
   * Entry point → router → `default`, where the router's options cannot apply on that entry point: its host is
   * claimed with other options there, or its rule names no host (Traefik v3.7 resolves those routers to the
   * default options on that entry point only; it shows them renamed `<ep>-conflicted-<router>`).
   */
  defaultedOn: Map<string, Map<string, string>>;
  /** Router → problems; `fatal` ones disable the router. */
  errors: Map<string, Array<{ message: string; fatal: boolean }>>;
  /** Entry point → host (or `*.domain`) → options name, for choosing a handshake by SNI. */
  hostOptions: Map<string, Map<string, string>>;
}

/**
 * Traefik's resolution of routers' TLS options (aggregator `resolveHTTPTLSOptions`, tcp manager): an unqualified
 * name belongs to the router's provider; per entry point, a host that routers claim with different options gets
 * the default options and each of those routers an error (on that entry point only), as does a router whose rule
 * names no host; options that do not exist disable the router. The trap
 * Traefik leaves silent: a tag cannot declare options, so `tls.options=modern` on a Consul router means
 * `modern@consulcatalog`, which never exists; the error says which existing options were probably meant.
 * @example
 * resolveRouterTls([{ name: 'shop@consulcatalog', provider: 'consulcatalog', rule: 'Host(`shop.example.com`)', entryPoints: ['websecure'], tls: { options: 'modern' } }], new Map())
 * // errors: shop@consulcatalog → 'unknown TLS options: modern@consulcatalog …'
 */
export function resolveRouterTls(routers: readonly TlsRouter[], options: ReadonlyMap<string, CompiledOptions | Error>): RouterTlsResult {
  const resolved = new Map<string, string>();
  const errors = new Map<string, Array<{ message: string; fatal: boolean }>>();
  const add = (name: string, message: string, fatal: boolean): void => {
    const list = errors.get(name) ?? [];
    list.push({ message, fatal });
    errors.set(name, list);
  };
  const domainsOf = new Map<string, string[]>();
  for (const r of routers) {
    const raw = r.tls.options;
    const wanted = raw && raw !== DEFAULT_OPTIONS_NAME ? (raw.includes('@') ? raw : `${raw}@${r.provider}`) : DEFAULT_OPTIONS_NAME;
    const got = options.get(wanted);
    if (got === undefined) { add(r.name, unknownOptions(wanted, raw ?? '', r.provider, options), true); continue; }
    if (got instanceof Error) { add(r.name, `TLS options "${wanted}": ${got.message}`, true); continue; }
    resolved.set(r.name, wanted);
    const domains = new Set(ruleHostArguments(r.rule ?? '') ?? []);
    for (const d of r.tls.domains ?? []) for (const n of [d.main, ...(d.sans ?? [])]) if (n) domains.add(n.toLowerCase().replace(/\.$/, ''));
    domainsOf.set(r.name, [...domains]);
  }
  const hostOptions = new Map<string, Map<string, string>>();
  const defaultedOn = new Map<string, Map<string, string>>();
  const eps = new Set(routers.flatMap((r) => r.entryPoints));
  for (const ep of eps) {
    const defaulted = new Map<string, string>();
    defaultedOn.set(ep, defaulted);
    const claims = new Map<string, Map<string, string[]>>(); // host → options → routers
    for (const r of routers) {
      const opt = resolved.get(r.name);
      if (opt === undefined || !r.entryPoints.includes(ep)) continue;
      const domains = domainsOf.get(r.name)!;
      if (domains.length === 0 && opt !== DEFAULT_OPTIONS_NAME) {
        add(r.name, `no domain found in rule ${r.rule}, the TLS option ${opt} cannot be applied: default TLS options will be used on ${ep}`, false);
        defaulted.set(r.name, DEFAULT_OPTIONS_NAME);
        continue;
      }
      for (const d of domains) {
        const byOpt = claims.get(d) ?? new Map<string, string[]>();
        byOpt.set(opt, [...(byOpt.get(opt) ?? []), r.name]);
        claims.set(d, byOpt);
      }
    }
    const hosts = new Map<string, string>();
    for (const [host, byOpt] of claims) {
      if (byOpt.size === 1) { hosts.set(host, [...byOpt.keys()][0]!); continue; }
      hosts.set(host, DEFAULT_OPTIONS_NAME);
      for (const names of byOpt.values()) {
        for (const n of names) {
          add(n, `router's TLSOptions configuration is conflicting with other routers on the same entrypoint and host (${host} on ${ep}), default TLS options will be used instead`, false);
          defaulted.set(n, DEFAULT_OPTIONS_NAME);
        }
      }
    }
    hostOptions.set(ep, hosts);
  }
  return { resolved, defaultedOn, errors, hostOptions };
}

function unknownOptions(wanted: string, raw: string, provider: string, options: ReadonlyMap<string, unknown>): string {
  const bare = raw.includes('@') ? raw.slice(0, raw.lastIndexOf('@')) : raw;
  const elsewhere = [...options.keys()].filter((k) => k.startsWith(`${bare}@`) && k !== wanted);
  let message = `unknown TLS options: ${wanted}`;
  if (elsewhere.length > 0) {
    message += `: did you mean ${elsewhere.map((k) => `"${k}"`).join(' or ')}?`;
    if (provider === 'consulcatalog' && !raw.includes('@')) message += ' TLS options cannot be declared in tags, so a name without @provider refers to consulcatalog\'s own (none exist); write the provider: tls.options=' + elsewhere[0];
  }
  return message;
}
