/**
 * Go's `time.ParseDuration`, which Consul uses for `?wait=` and check TTLs: a sequence of decimal numbers,
 * each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as "300ms", "1.5h" or "2h45m". "0" alone is allowed.
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration into milliseconds; `undefined` when the text is not one.
 *
 * @example
 * parseGoDuration('1m30s') // 90000
 * parseGoDuration('10')    // undefined: Go wants a unit
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return sign * total;
}
