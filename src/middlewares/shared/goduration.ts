/**
 * Go's time.Duration.String for a whole number of nanoseconds ("1.5s", "250ms", "1m30s", "0s"), used where
 * Traefik writes a duration into a response header (X-Retry-In).
 */
export function formatGoDuration(ns: number): string {
  let n = Math.trunc(ns);
  if (n === 0) return '0s';
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${fraction(n, 1e3)}µs`;
  if (n < 1e9) return `${sign}${fraction(n, 1e6)}ms`;
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = fraction(n, 1e9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** n/unit with up to 9 significant decimals, trailing zeros dropped, integer arithmetic (no float noise). */
function fraction(n: number, unit: number): string {
  const whole = Math.floor(n / unit);
  const rest = n - whole * unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
