/**
 * Go-style durations, as Traefik reads them: "1h30m", "300ms", "1.5s", "0". A bare whole number (or a
 * numeric string such as "15") means seconds, like paerser's `types.Duration`. Values are milliseconds
 * (fractions allowed: "1us" is 0.001).
 */

/** Thrown by {@link parseDuration}; match on `code`, the message names the bad value. */
export class DurationError extends Error {
  readonly code = 'TAGWAY_BAD_DURATION';
  readonly value: string;
  constructor(value: string, reason: string) {
    // The value is cut in the message: it may come from a label of any length.
    super(`invalid duration ${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)}: ${reason}`);
    this.name = 'DurationError';
    this.value = value;
  }
}

/** Milliseconds per unit; "µs" (U+00B5) and "μs" (U+03BC) are both accepted, as in Go. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3,
};

/** Go's time.Duration is an int64 of nanoseconds. */
const MAX_MS = 9223372036854.775;

export interface ParseDurationOptions {
  /** Negative durations are refused unless allowed (nothing in tagway's configuration means "negative time"). */
  allowNegative?: boolean;
  /** `'seconds'` (default): a bare whole number is seconds, as in Traefik's configuration; `'refuse'`: a unit is
   *  required except for "0", as in Go's `time.ParseDuration` (Consul's `?wait=`, check TTLs). */
  bareNumbers?: 'seconds' | 'refuse';
}

/**
 * Parses a Go duration (or a whole number of seconds) to milliseconds.
 * @throws {DurationError} on anything else, including negatives unless `allowNegative`.
 * @example
 * parseDuration('1h30m') // 5400000
 * parseDuration('300ms') // 300
 * parseDuration(15)      // 15000 (bare numbers are seconds)
 */
export function parseDuration(input: string | number, options: ParseDurationOptions = {}): number {
  const text = typeof input === 'number' ? String(input) : input;
  const ms = typeof input === 'number' ? numberSeconds(input, text) : parseText(text.trim(), text, options.bareNumbers === 'refuse');
  if (ms < 0 && options.allowNegative !== true) throw new DurationError(text, 'must not be negative');
  if (Math.abs(ms) > MAX_MS) throw new DurationError(text, 'out of range');
  return ms === 0 ? 0 : ms;
}

function numberSeconds(n: number, text: string): number {
  if (!Number.isFinite(n)) throw new DurationError(text, 'not a finite number');
  if (!Number.isInteger(n)) throw new DurationError(text, `a bare number means whole seconds; write "${text}s" for fractions`);
  return n * 1000;
}

function parseText(s: string, original: string, unitRequired: boolean): number {
  if (s === '') throw new DurationError(original, 'empty');
  if (/^[+-]?\d+$/.test(s)) {
    if (unitRequired && !/^[+-]?0$/.test(s)) throw new DurationError(original, 'missing unit (use ns, us, ms, s, m or h)');
    return numberSeconds(Number(s), original);
  }
  if (/^[+-]?\d*\.\d*$/.test(s) && s.replace(/[+-.]/g, '') !== '') {
    throw new DurationError(original, `missing unit (a bare number means whole seconds; write "${s}s"?)`);
  }
  let i = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') { sign = s[0] === '-' ? -1 : 1; i = 1; }
  if (s.slice(i) === '0') return 0;
  if (i === s.length) throw new DurationError(original, 'no value');
  let total = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isDigit(s[i]!)) i++;
    const intPart = s.slice(start, i);
    let fracPart = '';
    if (s[i] === '.') {
      i++;
      const f = i;
      while (i < s.length && isDigit(s[i]!)) i++;
      fracPart = s.slice(f, i);
    }
    if (intPart === '' && fracPart === '') throw new DurationError(original, `expected a number at "${s.slice(start)}"`);
    const u = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i]!)) i++;
    const unit = s.slice(u, i);
    if (unit === '') throw new DurationError(original, 'missing unit (use ns, us, ms, s, m or h)');
    const factor = UNIT_MS[unit];
    if (factor === undefined) throw new DurationError(original, `unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    total += Number(`${intPart || '0'}.${fracPart || '0'}`) * factor;
    if (!Number.isFinite(total) || total > MAX_MS) throw new DurationError(original, 'out of range');
  }
  return sign * total;
}

function isDigit(c: string): boolean { return c >= '0' && c <= '9'; }

/**
 * Go's own `time.ParseDuration`, as Consul reads `?wait=` and check TTLs: a unit is required except for "0",
 * negatives allowed; `undefined` when the text is not a duration.
 * @example
 * parseGoDuration('1m30s') // 90000
 * parseGoDuration('10')    // undefined: Go wants a unit
 */
export function parseGoDuration(text: string): number | undefined {
  try {
    return parseDuration(text, { allowNegative: true, bareNumbers: 'refuse' });
  } catch (err) {
    if (err instanceof DurationError) return undefined;
    throw err;
  }
}

/**
 * Formats milliseconds the way Go's `time.Duration.String()` does.
 * @example
 * formatDuration(5400000) // "1h30m0s"
 * formatDuration(1500)    // "1.5s"
 * formatDuration(0.001)   // "1µs"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1e3) out = `${ns}ns`;
  else if (ns < 1e6) out = `${frac(ns, 3)}µs`;
  else if (ns < 1e9) out = `${frac(ns, 6)}ms`;
  else {
    const secs = `${frac(ns % 60e9, 9)}s`;
    const mins = Math.floor(ns / 60e9);
    if (mins === 0) out = secs;
    else {
      const h = Math.floor(mins / 60);
      out = `${h > 0 ? `${h}h` : ''}${mins % 60}m${secs}`;
    }
  }
  return neg ? `-${out}` : out;
}

function frac(v: number, prec: number): string {
  const p = 10 ** prec;
  const whole = Math.floor(v / p);
  const rest = String(Math.round(v % p)).padStart(prec, '0').replace(/0+$/, '');
  return rest === '' ? String(whole) : `${whole}.${rest}`;
}
