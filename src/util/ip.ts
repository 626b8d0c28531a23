/**
 * IP parsing and CIDR containment for the `ClientIP` matcher, trusted forwarded-header peers and
 * `ipAllowList`. Written here (not `net.BlockList`) so a check is a few integer comparisons, and so it
 * follows Go's `net.ParseIP`/`net.ParseCIDR`/`IPNet.Contains`: no leading zeros in IPv4, no zone,
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) treated as the IPv4 address, and an IPv6 network never contains an
 * IPv4 address (`::/0` is not "everyone"; `net.BlockList` says it is).
 */

/** An address as four 32-bit words (IPv4 uses word 3 only) and its family. */
export interface ParsedIp { v6: boolean; w: [number, number, number, number] }

/** One ClientIP argument: an address (prefix = full length) or a network. */
export interface IpNetwork { v6: boolean; w: [number, number, number, number]; bits: number }

function parseV4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return undefined;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return undefined;
      n = n * 10 + d;
    }
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

function parseV6(s: string): [number, number, number, number] | undefined {
  if (s.includes('%')) return undefined; // zones are not IPs for Go's ParseIP
  const groups: number[] = [];
  let tail = s;
  let v4: number | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon !== -1 && s.indexOf('.', lastColon) !== -1) {
    v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    // Keep the groups before the dotted part ("::ffff" of "::ffff:1.2.3.4", "::" of "::1.2.3.4").
    tail = s[lastColon - 1] === ':' ? s.slice(0, lastColon + 1) : s.slice(0, lastColon);
  }
  const double = tail.indexOf('::');
  if (double !== -1 && tail.indexOf('::', double + 1) !== -1) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const want = v4 === undefined ? 8 : 6;
  if (double === -1) {
    const all = parseGroups(tail);
    if (!all || all.length !== want) return undefined;
    groups.push(...all);
  } else {
    const head = parseGroups(tail.slice(0, double));
    const rest = parseGroups(tail.slice(double + 2));
    if (!head || !rest || head.length + rest.length >= want) return undefined;
    groups.push(...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest);
  }
  if (v4 !== undefined) groups.push(v4 >>> 16, v4 & 0xffff);
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}

/**
 * Parses an IPv4 or IPv6 address; undefined when invalid. IPv4-mapped IPv6 becomes IPv4.
 *
 * @example
 * parseIp('::ffff:127.0.0.1') // { v6: false, w: [0, 0, 0, 2130706433] }
 */
export function parseIp(s: string): ParsedIp | undefined {
  if (s.includes(':')) {
    const w = parseV6(s);
    if (!w) return undefined;
    if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { v6: false, w: [0, 0, 0, w[3]] };
    return { v6: true, w };
  }
  const v4 = parseV4(s);
  return v4 === undefined ? undefined : { v6: false, w: [0, 0, 0, v4] };
}

/**
 * Parses `ip` or `ip/bits` like Go's ParseIP/ParseCIDR; undefined when invalid.
 *
 * @example
 * parseNetwork('192.168.1.7/24') // network 192.168.1.0/24
 */
export function parseNetwork(s: string): IpNetwork | undefined {
  const slash = s.indexOf('/');
  const ip = parseIp(slash === -1 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const mappedV4 = !ip.v6 && s.includes(':');
  let bits = ip.v6 ? 128 : 32;
  if (slash !== -1) {
    const b = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(b) || (b.length > 1 && b[0] === '0')) return undefined;
    const n = Number(b);
    const max = ip.v6 || mappedV4 ? 128 : 32;
    if (n > max) return undefined;
    bits = mappedV4 ? Math.max(0, n - 96) : n;
  }
  const w = ip.w.map((word, i) => word & maskWord(ip.v6 ? bits : bits + 96, i)) as IpNetwork['w'];
  return { v6: ip.v6, w: w.map((x) => x >>> 0) as IpNetwork['w'], bits };
}

/** The mask of 32-bit word `i` for a 128-bit prefix length. */
function maskWord(bits128: number, i: number): number {
  const inWord = Math.min(32, Math.max(0, bits128 - i * 32));
  return inWord === 0 ? 0 : inWord === 32 ? 0xffffffff : (0xffffffff << (32 - inWord)) >>> 0;
}

/** Whether `ip` is inside `net` (families must agree). */
export function networkContains(net: IpNetwork, ip: ParsedIp): boolean {
  if (net.v6 !== ip.v6) return false;
  const full = net.v6 ? net.bits : net.bits + 96;
  for (let i = 0; i < 4; i++) {
    const m = maskWord(full, i);
    if (m === 0) return true;
    if (((ip.w[i]! & m) >>> 0) !== net.w[i]) return false;
  }
  return true;
}

let lastIpIn = '';
let lastIpOut: ParsedIp | undefined;

/** `parseIp` memoized for the last input: several ClientIP matchers of one request parse once. */
export function parseClientIp(s: string): ParsedIp | undefined {
  if (s === lastIpIn) return lastIpOut;
  lastIpIn = s;
  lastIpOut = parseIp(s);
  return lastIpOut;
}
