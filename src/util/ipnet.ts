import { networkContains, parseClientIp, parseIp, parseNetwork, type IpNetwork } from './ip.ts';

/**
 * A set of IPs and CIDR ranges (IPv4 and IPv6), built once from configuration, checked per request: Traefik's
 * `ip.Checker` (forwardedHeaders.trustedIPs, ipAllowList.sourceRange, ipStrategy.excludedIPs). As in Go, an
 * IPv6 range never holds an IPv4 client, even `::/0`, and an IPv4-mapped address (`::ffff:10.0.0.1`, as
 * Node reports IPv4 peers on a dual-stack listener) is the IPv4 address. Throws at construction on an
 * invalid entry, naming it.
 *
 * @example
 * new TrustedNetworks(['::/0']).contains('203.0.113.9')       // false
 * new TrustedNetworks(['10.0.0.0/8']).contains('::ffff:10.1.2.3') // true
 */
export class TrustedNetworks {
  readonly #networks: IpNetwork[] = [];
  readonly #all: boolean;

  constructor(entries: readonly string[], options: { all?: boolean } = {}) {
    this.#all = options.all ?? false;
    for (const raw of entries) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      if (parseIp(slash === -1 ? entry : entry.slice(0, slash)) === undefined) throw new Error(`invalid IP or CIDR "${raw}"`);
      const net = parseNetwork(entry);
      if (net === undefined) throw new Error(`invalid CIDR prefix in "${raw}"`);
      this.#networks.push(net);
    }
  }

  contains(ip: string): boolean {
    if (this.#all) return true;
    if (this.#networks.length === 0 || !ip) return false;
    const parsed = parseClientIp(ip);
    if (parsed === undefined) return false;
    for (const net of this.#networks) if (networkContains(net, parsed)) return true;
    return false;
  }
}
