import { isIP } from 'node:net';
import type { IPStrategy } from '../../dynamic/types.ts';
import type { RequestContext } from '../../http/context.ts';
import { TrustedNetworks } from '../../util/ipnet.ts';
import { optionError } from './errors.ts';
import { headerValue } from './options.ts';

/** Picks the IP a request is judged by (ipAllowList, rateLimit). '' when none can be found. */
export type SourceIp = (ctx: RequestContext) => string;

/**
 * Traefik's IP strategies (pkg/ip/strategy.go), in its order of precedence:
 * `depth` > 0 → the depth-th entry of X-Forwarded-For counted from the right;
 * `excludedIPs` → the rightmost X-Forwarded-For entry not in the list;
 * otherwise the TCP peer. `ipv6Subnet` then masks an IPv6 result to its network address.
 * @example
 * ipStrategy({ depth: 1 }, 'ipAllowList.ipStrategy') // the address the nearest proxy saw
 */
export function ipStrategy(cfg: IPStrategy | undefined, option: string): SourceIp {
  const subnet = cfg?.ipv6Subnet;
  if (subnet !== undefined && subnet !== 0 && (!Number.isInteger(subnet) || subnet < 1 || subnet > 128)) {
    throw optionError(`${option}.ipv6Subnet`, `must be between 1 and 128, got ${subnet}`);
  }
  const depth = cfg?.depth ?? 0;
  if (!Number.isInteger(depth) || depth < 0) throw optionError(`${option}.depth`, `must be a non-negative integer, got ${depth}`);
  let pick: SourceIp;
  if (depth > 0) {
    pick = function depthStrategy(ctx) {
      const xff = forwardedFor(ctx);
      if (xff === '') return '';
      const parts = xff.split(',');
      return parts.length < depth ? '' : parts[parts.length - depth]!.trim();
    };
  } else if (cfg?.excludedIPs && cfg.excludedIPs.length > 0) {
    let excluded: TrustedNetworks;
    try { excluded = new TrustedNetworks(cfg.excludedIPs); } catch (err) { throw optionError(`${option}.excludedIPs`, (err as Error).message, err); }
    pick = function poolStrategy(ctx) {
      const parts = forwardedFor(ctx).split(',');
      for (let i = parts.length - 1; i >= 0; i--) {
        const ip = parts[i]!.trim();
        if (ip !== '' && !excluded.contains(ip)) return ip;
      }
      return '';
    };
  } else {
    pick = function remoteAddrStrategy(ctx) { return ctx.clientIp; };
  }
  if (!subnet) return pick;
  return function ipv6SubnetStrategy(ctx) { return maskIPv6(pick(ctx), subnet); };
}

/**
 * X-Forwarded-For as Traefik's middlewares see it: the incoming (trusted) value only. Our request context
 * already appends the peer for the upstream, so that last entry is left out here; otherwise `depth: 1`
 * would always answer the peer.
 */
export function forwardedFor(ctx: RequestContext): string {
  const xff = headerValue(ctx.headers, 'x-forwarded-for');
  const peer = ctx.clientIp;
  if (xff === peer) return '';
  if (peer !== '' && xff.endsWith(peer)) {
    const head = xff.slice(0, xff.length - peer.length).trimEnd();
    if (head.endsWith(',')) return head.slice(0, -1);
  }
  return xff;
}

/** IPv6 address → network address of its /bits prefix, in canonical-enough form ("2001:db8:0:0:0:0:0:0"). IPv4 unchanged. */
export function maskIPv6(ip: string, bits: number): string {
  if (isIP(ip) !== 6) return ip;
  const groups = expandIPv6(ip);
  if (!groups) return ip;
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((groups[i]! & mask).toString(16));
  }
  return out.join(':');
}

function expandIPv6(ip: string): number[] | undefined {
  let s = ip.split('%')[0]!;
  const lastColon = s.lastIndexOf(':');
  const tailText = s.slice(lastColon + 1);
  if (tailText.includes('.')) {
    const v4 = tailText.split('.').map(Number);
    s = s.slice(0, lastColon + 1) + ((v4[0]! << 8) | v4[1]!).toString(16) + ':' + ((v4[2]! << 8) | v4[3]!).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const l = parse(halves[0]);
  const r = parse(halves[1]);
  const fill = 8 - l.length - r.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  return [...l, ...new Array<number>(fill).fill(0), ...r];
}
