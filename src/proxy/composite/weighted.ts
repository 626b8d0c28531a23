import type { WeightedRoundRobin as WeightedConfig } from '../../dynamic/types.ts';
import { respond, type RequestContext } from '../../http/context.ts';
import { StickyCookie } from '../balancer/sticky.ts';
import { WeightedRoundRobin } from '../balancer/wrr.ts';
import { prependSetCookie } from '../headers.ts';
import type { ServiceHandler } from '../service.ts';
import { childUp, followStatus, parentStatus, type ChildService } from './child.ts';

/**
 * A `weighted` service (Traefik's wrr over services, file provider only): smooth weighted round robin over
 * `services` (`weight` default 1; ≤ 0 never picked), an optional sticky cookie naming the child (default name
 * from the service's, as for load balancers), and with `healthCheck` the children's health followed (a child with
 * no server up is skipped; when none is left the service answers 503 "no available server" and tells its own
 * parent, if that one follows it too). Without `healthCheck` every child is tried whatever its state, as in Traefik.
 *
 * @throws {Error} when `healthCheck` is set and a child cannot report its health (Traefik's message).
 * @example
 * createWeightedService('canary@file', { services: [{ name: 'v1@file', weight: 9 }, { name: 'v2@file', weight: 1 }] }, children)
 */
export function createWeightedService(name: string, cfg: WeightedConfig, children: readonly ChildService[]): ServiceHandler {
  // Keyed by the name as written in `services` (Traefik's handler name: what the sticky cookie hashes).
  const balancer = new WeightedRoundRobin<ChildService>();
  const sticky = cfg.sticky?.cookie ? new StickyCookie(cfg.sticky.cookie, name) : undefined;
  const parent = parentStatus(cfg.healthCheck, 'WRR');
  const refs = cfg.services ?? [];
  const keys = refs.map((ref) => ref.name ?? '');
  refs.forEach((ref, i) => {
    if (!balancer.add(keys[i]!, children[i]!, ref.weight ?? 1)) return;
    sticky?.add(keys[i]!);
  });
  if (cfg.healthCheck !== undefined) {
    children.forEach((child, i) => {
      const key = keys[i]!;
      const stop = followStatus(child, name, function childStatus(up) {
        if (balancer.setStatus(key, up)) parent.notify(up);
      });
      parent.keep(stop);
      // A child kept from the previous configuration may already be down: start from what it knows.
      if (!childUp(child)) balancer.setStatus(key, false);
    });
  }
  const noServerHeaders = { 'x-content-type-options': 'nosniff' };
  return {
    handle: function weightedHandler(ctx: RequestContext): void {
      let picked: ChildService | undefined;
      let cookie: string | undefined;
      if (sticky !== undefined) {
        const match = sticky.lookup(ctx.headers.cookie);
        if (match !== undefined) {
          picked = balancer.take(match.server);
          if (picked !== undefined && match.rewrite) cookie = sticky.setCookieFor(match.server);
        }
      }
      if (picked === undefined) {
        picked = balancer.next();
        if (picked === undefined) { respond(ctx, 503, 'no available server\n', noServerHeaders); return; }
        if (sticky !== undefined) cookie = sticky.setCookieFor(keys[children.indexOf(picked)]!);
      }
      if (cookie !== undefined) {
        const setCookie = cookie;
        (ctx.onResponseHead ??= []).push(function weightedStickyCookie(_status, headers) { prependSetCookie(headers, setCookie); });
      }
      picked.handler.handle(ctx);
    },
    ...parent.members,
  };
}
