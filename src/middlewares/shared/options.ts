import { STATUS_CODES } from 'node:http';
import { parseDuration } from '../../util/duration.ts';
import { compileGoRegexp, type GoRegexp } from '../../regexp/index.ts';
import { optionError } from './errors.ts';

/** Go duration option → ms; `fallback` when unset. Throws an option error naming `option`. */
export function durationOption(value: string | number | undefined, option: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  try {
    return parseDuration(value, { allowNegative: true });
  } catch (err) {
    throw optionError(option, (err as Error).message, err);
  }
}

/** A Go (RE2) regular expression option, compiled once (src/regexp/: Go's syntax, linear-time matching). */
export function regexOption(pattern: string | undefined, option: string): GoRegexp {
  if (pattern === undefined || pattern === '') throw optionError(option, 'a regular expression is required');
  try {
    return compileGoRegexp(pattern);
  } catch (err) {
    throw optionError(option, `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`, err);
  }
}

/** An HTTP status option: unset → fallback; unknown codes are refused as Traefik does (`http.StatusText == ""`). */
export function statusOption(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined || value === 0) return fallback;
  if (!Number.isInteger(value) || STATUS_CODES[value] === undefined) throw optionError(option, `invalid HTTP status code ${value}`);
  return value;
}

/** Go's http.StatusText (what Traefik writes as the body of its own answers). */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}

/** First value of a header in ctx.headers / req.headers (Go's Header.Get). */
export function headerValue(headers: Record<string, string | string[] | undefined>, lowerName: string): string {
  const v = headers[lowerName];
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}
