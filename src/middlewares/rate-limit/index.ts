import type { RateLimit, SourceCriterion } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { formatDuration } from '../../util/duration.ts';
import { ipStrategy } from '../shared/ipstrategy.ts';
import { durationOption, headerValue } from '../shared/options.ts';
import { requestHost } from '../shared/redirect.ts';
import type { Wrapper } from '../shared/types.ts';
import { TokenBucket } from './bucket.ts';
import { refuser } from '../shared/refuse.ts';

/** Traefik keeps at most this many sources; the least recently seen is dropped first. */
export const MAX_SOURCES = 65536;

export interface RateLimitOptions {
  /** Clock in ms; Date.now by default (so node:test's mock.timers drives it). */
  now?: () => number;
  maxSources?: number;
}

/**
 * rateLimit: a token bucket per source, refilled at `average` requests per `period` (default 1s) and holding
 * up to `burst` (default 1). As in Traefik, a request that would have to wait at most maxDelay
 * (1/(2·rate), or 500ms when the rate is below 1/s) is delayed, not refused; beyond that it gets 429 with
 * `Retry-After` (whole seconds, rounded up) and `X-Retry-In` (Go duration). `average: 0` disables limiting.
 * The source is the peer IP by default, else `sourceCriterion.ipStrategy`, `requestHeaderName` (the
 * header's value) or `requestHost`; setting two of them is an error, as in Traefik. Idle buckets expire after 1 + max(1, 1/rate) s.
 * @example
 * rateLimit({ average: 100, period: '1m', burst: 20, sourceCriterion: { requestHeaderName: 'X-Api-Key' } })
 */
export function rateLimit(cfg: RateLimit, options: RateLimitOptions = {}): Wrapper {
  // Read at each request, not captured: node:test's mock.timers replaces the global Date after construction.
  const now = options.now ?? (() => Date.now());
  const maxSources = options.maxSources ?? MAX_SOURCES;
  const average = cfg.average ?? 0;
  if (!Number.isFinite(average) || average < 0) throw optionError('rateLimit.average', `must be a non-negative number, got ${average}`);
  const period = durationOption(cfg.period, 'rateLimit.period', 1000) || 1000;
  if (period < 0) throw optionError('rateLimit.period', `negative value not valid for period: ${cfg.period}`);
  const burstRaw = cfg.burst ?? 1;
  if (!Number.isFinite(burstRaw)) throw optionError('rateLimit.burst', `must be a number, got ${burstRaw}`);
  const burst = Math.max(1, Math.trunc(burstRaw));
  const source = sourceOf(cfg.sourceCriterion);
  if (average === 0) return { wrap: (next) => next };

  const perSecond = (average * 1000) / period;
  const maxDelay = perSecond < 1 ? 500 : 1000 / (Math.trunc(perSecond) * 2);
  const ttl = (perSecond >= 1 ? 2 : 1 + Math.trunc(1 / perSecond)) * 1000;
  const buckets = new Map<string, { bucket: TokenBucket; expires: number }>();

  function bucketFor(key: string, t: number): TokenBucket {
    let entry = buckets.get(key);
    if (entry && entry.expires <= t) entry = undefined;
    if (entry) buckets.delete(key);
    else {
      // The map is ordered by last use: expired entries, if any, are at the front.
      for (const [k, e] of buckets) { if (e.expires > t) break; buckets.delete(k); }
      if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value!);
      entry = { bucket: new TokenBucket(perSecond, burst, t), expires: 0 };
    }
    entry.expires = t + ttl;
    buckets.set(key, entry);
    return entry.bucket;
  }

  return {
    wrap(next: Handler): Handler {
      return function rateLimitHandler(ctx: RequestContext) {
        const t = now();
        const bucket = bucketFor(source(ctx), t);
        const seconds = bucket.reserve(t);
        if (seconds <= 0) { next(ctx); return; }
        const delay = seconds * 1000;
        if (delay > maxDelay) {
          bucket.cancel();
          refuser(ctx)('Too Many Requests');
          respond(ctx, 429, 'Too Many Requests', {
            'retry-after': String(Math.ceil(seconds)),
            'x-retry-in': formatDuration(Math.trunc(seconds * 1e9) / 1e6),
          });
          return;
        }
        setTimeout(function delayedByRateLimit() {
          if (!ctx.res.destroyed && !ctx.res.headersSent) next(ctx);
        }, delay);
      };
    },
    close() { buckets.clear(); },
  };
}

function sourceOf(criterion: SourceCriterion | undefined): (ctx: RequestContext) => string {
  // Traefik's GetSourceExtractor: one criterion at most (an empty ipStrategy counts as set).
  const set = [criterion?.ipStrategy !== undefined && 'ipStrategy', !!criterion?.requestHeaderName && 'requestHeaderName', criterion?.requestHost === true && 'requestHost']
    .filter((x): x is string => x !== false);
  if (set.length > 1) throw optionError('rateLimit.sourceCriterion', `${set[0]} and ${set[1]} are mutually exclusive (set one source criterion)`);
  if (criterion?.ipStrategy || (!criterion?.requestHeaderName && !criterion?.requestHost)) {
    return ipStrategy(criterion?.ipStrategy, 'rateLimit.sourceCriterion.ipStrategy');
  }
  if (criterion.requestHeaderName) {
    const name = criterion.requestHeaderName.toLowerCase();
    return function requestHeaderSource(ctx) { return headerValue(ctx.headers, name); };
  }
  return requestHost;
}
