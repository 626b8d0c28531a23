import type { Retry } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import type { ProxyError } from '../../http/errors.ts';
import { restoreContext, snapshotContext } from '../../http/body.ts';
import { optionError } from '../shared/errors.ts';
import { durationOption } from '../shared/options.ts';
import type { Wrapper } from '../shared/types.ts';

/** Traefik v3.7: an unset initialInterval retries at once (ZeroBackOff). */
const DEFAULT_INITIAL_INTERVAL = 0;
/** cenkalti/backoff's defaults, which Traefik keeps: ±50% jitter, intervals capped at 60s. */
const RANDOMIZATION = 0.5;
const MAX_INTERVAL = 60_000;

export interface RetryOptions {
  /** Source of jitter in [0, 1); Math.random by default. */
  random?: () => number;
}

/**
 * retry: re-sends a request whose upstream attempt failed before anything reached the client, up to
 * `attempts` tries in all, waiting between tries with exponential backoff from `initialInterval`
 * (default 0: at once, as Traefik v3.7; the multiplier is chosen so the last wait is about twice the first, ±50% jitter, as
 * in Traefik). The forwarder counts attempts in `ctx.attempts` (its resend count); retry leaves it alone.
 *
 * The forwarder decides what "failed" means and calls `ctx.onAttemptFailed`; returning true means
 * "write nothing, we try again".
 * Limitation: the request body is a stream that the first attempt consumed, so only requests without a
 * body (no Content-Length > 0, no Transfer-Encoding) are retried; others get one attempt.
 * @example
 * retry({ attempts: 3, initialInterval: '200ms' })
 */
export function retry(cfg: Retry, options: RetryOptions = {}): Wrapper {
  const attempts = cfg.attempts ?? 0;
  if (!Number.isInteger(attempts) || attempts <= 0) throw optionError('retry.attempts', `incorrect (or empty) value for attempt (${attempts})`);
  const initial = durationOption(cfg.initialInterval, 'retry.initialInterval', DEFAULT_INITIAL_INTERVAL);
  if (initial < 0) throw optionError('retry.initialInterval', `must not be negative, got ${cfg.initialInterval}`);
  const random = options.random ?? Math.random;
  const multiplier = attempts > 1 ? 2 ** (1 / (attempts - 1)) : 1;

  return {
    wrap(next: Handler): Handler {
      if (attempts === 1) return next;
      return function retryHandler(ctx: RequestContext) {
        if (!replayable(ctx)) { next(ctx); return; }
        const outer = ctx.onAttemptFailed;
        const snapshot = snapshotContext(ctx);
        let tried = 1;
        let interval = initial;
        const onAttemptFailed = function retryOnAttemptFailed(error: ProxyError): boolean {
          const gone = ctx.res.destroyed || ctx.req.destroyed;
          // No server in the pool is Traefik's own 503: another attempt would find none either.
          if (tried >= attempts || gone || ctx.res.headersSent || error.code === 'TAGWAY_NO_SERVER') {
            ctx.onAttemptFailed = outer;
            return outer ? outer(error) : false;
          }
          tried++;
          const wait = initial <= 0 ? 0 : interval * (1 + RANDOMIZATION * (2 * random() - 1));
          interval = Math.min(interval * multiplier, MAX_INTERVAL);
          setTimeout(function retryAttempt() {
            if (ctx.res.destroyed || ctx.res.headersSent) return;
            restoreContext(ctx, snapshot);
            ctx.onAttemptFailed = onAttemptFailed;
            next(ctx);
          }, wait);
          return true;
        };
        ctx.onAttemptFailed = onAttemptFailed;
        next(ctx);
      };
    },
  };
}

/** A request can be sent again only when it has no body to re-read. */
function replayable(ctx: RequestContext): boolean {
  const h = ctx.req.headers;
  if (h['transfer-encoding'] !== undefined) return false;
  const length = h['content-length'];
  return length === undefined || Number(length) === 0;
}
