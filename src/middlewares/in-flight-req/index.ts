import type { InFlightReq, SourceCriterion } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { ipStrategy } from '../shared/ipstrategy.ts';
import { headerValue } from '../shared/options.ts';
import { requestHost } from '../shared/redirect.ts';
import { refuser } from '../shared/refuse.ts';
import type { Wrapper } from '../shared/types.ts';

/**
 * inFlightReq: at most `amount` requests of one source in progress at once (vulcand/oxy's connlimit, as Traefik
 * uses it). A request over the limit gets 429 with "max connections reached: <amount>"; a slot is freed when
 * its response is finished or the client goes away. The source is `sourceCriterion`: `ipStrategy`,
 * `requestHeaderName` or `requestHost` (the default when none is set: the Host header); two at once are
 * refused at build time, as in Traefik. `amount` 0 (the default) admits no request, as oxy does.
 * @example
 * inFlightReq({ amount: 10, sourceCriterion: { ipStrategy: { depth: 1 } } })
 */
export function inFlightReq(cfg: InFlightReq): Wrapper {
  const amount = cfg.amount ?? 0;
  if (!Number.isInteger(amount) || amount < 0) throw optionError('inFlightReq.amount', `must be a non-negative integer, got ${amount}`);
  const source = sourceOf(cfg.sourceCriterion);
  const inFlight = new Map<string, number>();
  const body = `max connections reached: ${amount}`;
  return {
    wrap(next: Handler): Handler {
      return function inFlightReqHandler(ctx: RequestContext) {
        const key = source(ctx);
        const used = inFlight.get(key) ?? 0;
        if (used + 1 > amount) {
          refuser(ctx)(body);
          respond(ctx, 429, body);
          return;
        }
        inFlight.set(key, used + 1);
        let done = false;
        ctx.res.once('close', function inFlightReleased() {
          if (done) return;
          done = true;
          const left = (inFlight.get(key) ?? 1) - 1;
          if (left <= 0) inFlight.delete(key); else inFlight.set(key, left);
        });
        next(ctx);
      };
    },
    close() { inFlight.clear(); },
  };
}

/** Traefik's GetSourceExtractor with inFlightReq's default (`requestHost` when nothing is set). */
function sourceOf(c: SourceCriterion | undefined): (ctx: RequestContext) => string {
  const opt = 'inFlightReq.sourceCriterion';
  if (c?.ipStrategy && c.requestHeaderName) throw optionError(opt, 'iPStrategy and RequestHeaderName are mutually exclusive');
  if (c?.ipStrategy && c.requestHost) throw optionError(opt, 'iPStrategy and RequestHost are mutually exclusive');
  if (c?.requestHeaderName && c.requestHost) throw optionError(opt, 'requestHost and RequestHeaderName are mutually exclusive');
  if (c?.ipStrategy) return ipStrategy(c.ipStrategy, `${opt}.ipStrategy`);
  if (c?.requestHeaderName) {
    const name = c.requestHeaderName.toLowerCase();
    return function requestHeaderSource(ctx) { return headerValue(ctx.headers, name); };
  }
  return requestHost;
}
