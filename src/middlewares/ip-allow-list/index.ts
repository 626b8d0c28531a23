import type { IPAllowList } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { TrustedNetworks } from '../../util/ipnet.ts';
import { optionError } from '../shared/errors.ts';
import { ipStrategy } from '../shared/ipstrategy.ts';
import { statusOption, statusText } from '../shared/options.ts';
import type { Wrapper } from '../shared/types.ts';
import { refuser } from '../shared/refuse.ts';

/**
 * ipAllowList: lets a request through only when its source IP (see `ipStrategy`: the peer by default,
 * or an X-Forwarded-For entry chosen by `depth` / `excludedIPs`) is in `sourceRange`; otherwise answers
 * `rejectStatusCode` (default 403) with the status text.
 * @example
 * ipAllowList({ sourceRange: ['127.0.0.1/32', '192.168.1.0/24'], ipStrategy: { depth: 2 } })
 */
export function ipAllowList(cfg: IPAllowList): Wrapper {
  const ranges = cfg.sourceRange ?? [];
  if (ranges.length === 0) throw optionError('ipAllowList.sourceRange', 'sourceRange is empty, IPAllowLister not created');
  let allowed: TrustedNetworks;
  try { allowed = new TrustedNetworks(ranges); } catch (err) { throw optionError('ipAllowList.sourceRange', (err as Error).message, err); }
  const source = ipStrategy(cfg.ipStrategy, 'ipAllowList.ipStrategy');
  const status = statusOption(cfg.rejectStatusCode, 'ipAllowList.rejectStatusCode', 403);
  const body = statusText(status);
  return {
    wrap(next: Handler): Handler {
      return function ipAllowListHandler(ctx: RequestContext) {
        const ip = source(ctx);
        if (allowed.contains(ip)) { next(ctx); return; }
        refuser(ctx)(ip === '' ? 'Rejecting IP: empty IP address' : `Rejecting IP ${ip}: ${JSON.stringify(ip)} matched none of the trusted IPs`);
        respond(ctx, status, body);
      };
    },
  };
}
