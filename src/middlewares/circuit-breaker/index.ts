import type { CircuitBreaker } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { durationOption, statusOption, statusText } from '../shared/options.ts';
import { onHead } from '../shared/outheaders.ts';
import type { Wrapper } from '../shared/types.ts';
import { compileExpression, type Condition } from './expression.ts';
import { RollingMetrics } from './metrics.ts';
import { refuser } from '../shared/refuse.ts';

/** Traefik's defaults (dynamic.CircuitBreaker.SetDefaults). */
export const CIRCUIT_BREAKER_DEFAULTS = { checkPeriod: 100, fallbackDuration: 10_000, recoveryDuration: 10_000, responseCode: 503 } as const;

export type BreakerState = 'closed' | 'open' | 'recovering';

export interface CircuitBreakerOptions { now?: () => number }

/**
 * circuitBreaker: watches the responses that pass through it and, when `expression` holds (checked at
 * most every `checkPeriod`), opens: for `fallbackDuration` every request is answered `responseCode`
 * (default 503) without reaching the upstream. Then it recovers for `recoveryDuration`, letting a linearly
 * growing share of requests through, and closes. State machine and ramp follow vulcand/oxy's cbreaker.
 * @example
 * circuitBreaker({ expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.25 || NetworkErrorRatio() > 0.5' })
 */
export function circuitBreaker(cfg: CircuitBreaker, options: CircuitBreakerOptions = {}): Wrapper & { state(): BreakerState } {
  const now = options.now ?? Date.now;
  const expression = cfg.expression ?? '';
  let condition: Condition;
  try { condition = compileExpression(expression); } catch (err) {
    throw optionError('circuitBreaker.expression', `${(err as Error).message} in ${JSON.stringify(expression)}`, err);
  }
  const checkPeriod = durationDefault(cfg.checkPeriod, 'circuitBreaker.checkPeriod', CIRCUIT_BREAKER_DEFAULTS.checkPeriod);
  const fallback = durationDefault(cfg.fallbackDuration, 'circuitBreaker.fallbackDuration', CIRCUIT_BREAKER_DEFAULTS.fallbackDuration);
  const recovery = durationDefault(cfg.recoveryDuration, 'circuitBreaker.recoveryDuration', CIRCUIT_BREAKER_DEFAULTS.recoveryDuration);
  const responseCode = statusOption(cfg.responseCode, 'circuitBreaker.responseCode', CIRCUIT_BREAKER_DEFAULTS.responseCode);
  const body = statusText(responseCode);
  const reason = `blocked by circuit-breaker (${JSON.stringify(expression)})`;

  const metrics = new RollingMetrics(now);
  let state: BreakerState = 'closed';
  let until = 0;
  let lastCheck = -Infinity;
  let ramp = { start: 0, allowed: 0, denied: 0 };

  /** True when this request must get the fallback answer (oxy's activateFallback). */
  function blocked(t: number): boolean {
    if (state === 'closed') return false;
    if (state === 'open') {
      if (t < until) return true;
      state = 'recovering';
      until = t + recovery;
      ramp = { start: t, allowed: 0, denied: 0 };
    }
    if (t > until) { state = 'closed'; return false; }
    // Allow a request if doing so keeps allowed/(allowed+denied) under a target rising from 0 to 0.5.
    const target = (0.5 * (t - ramp.start)) / recovery;
    if ((ramp.allowed + 1) / (ramp.allowed + 1 + ramp.denied) < target) { ramp.allowed++; return false; }
    ramp.denied++;
    return true;
  }

  function checkAndSet(t: number): void {
    if (state !== 'closed' || t < lastCheck) return;
    lastCheck = t + checkPeriod;
    if (!condition(metrics)) return;
    state = 'open';
    until = t + fallback;
    metrics.reset();
  }

  return {
    state: () => state,
    wrap(next: Handler): Handler {
      return function circuitBreakerHandler(ctx: RequestContext) {
        const start = now();
        if (blocked(start)) {
          refuser(ctx)(reason);
          respond(ctx, responseCode, body);
          return;
        }
        onHead(ctx, function recordForBreaker(status) {
          const t = now();
          metrics.record(status, t - start);
          checkAndSet(t);
        });
        next(ctx);
      };
    },
    close() { metrics.reset(); },
  };
}

/** A duration option; unset or 0 means the default (Traefik only applies values > 0). */
function durationDefault(value: string | undefined, option: string, fallback: number): number {
  const ms = durationOption(value, option, fallback);
  if (ms < 0) throw optionError(option, `must not be negative, got ${value}`);
  return ms === 0 ? fallback : ms;
}
