import { BlockList, isIP } from 'node:net';

/**
 * A set of IPs and CIDR ranges (IPv4 and IPv6), built once from configuration, checked per request.
 * Throws at construction on an invalid entry, naming it.
 */
export class TrustedNetworks {
  readonly #list = new BlockList();
  readonly #all: boolean;
  readonly #empty: boolean;

  constructor(entries: readonly string[], options: { all?: boolean } = {}) {
    this.#all = options.all ?? false;
    this.#empty = entries.length === 0;
    for (const raw of entries) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const addr = slash === -1 ? entry : entry.slice(0, slash);
      const family = isIP(addr);
      if (family === 0) throw new Error(`invalid IP or CIDR "${raw}"`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash === -1) { this.#list.addAddress(addr, type); continue; }
      const bits = Number(entry.slice(slash + 1));
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`invalid CIDR prefix in "${raw}"`);
      this.#list.addSubnet(addr, bits, type);
    }
  }

  contains(ip: string): boolean {
    if (this.#all) return true;
    if (this.#empty || !ip) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
