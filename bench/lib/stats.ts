/**
 * The statistics the bench reports: a figure's spread over rounds and a ratio's confidence interval. Pure
 * functions; bench/README.md ("Reading the ratios") says how to read them.
 */

export function median(xs: number[]): number | undefined {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

/** Coefficient of variation (sample standard deviation ÷ mean) of positive figures; undefined under 2 values. */
export function cv(xs: number[]): number | undefined {
  const v = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length < 2) return undefined;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1));
  return sd / mean;
}

/** Two-sided 95% quantiles of Student's t by degrees of freedom (1–30); 1.96 beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
const t95 = (df: number) => T95[df - 1] ?? 1.96;

/**
 * The centre and 95% confidence interval of a ratio measured once per round: the geometric mean of the per-round
 * ratios with Student's t interval on their logarithms (a ratio and its inverse get mirrored intervals).
 * Rounds are independent here (fresh processes each), which is what the interval assumes. Undefined under 2 rounds.
 *
 * @example
 * ratioInterval([0.97, 1.02, 0.99, 1.01]) // { mean: 0.997, low: 0.963, high: 1.033, n: 4 }
 */
export function ratioInterval(ratios: number[]): { mean: number; low: number; high: number; n: number } | undefined {
  const logs = ratios.filter((x) => Number.isFinite(x) && x > 0).map(Math.log);
  const n = logs.length;
  if (n < 2) return undefined;
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { mean: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half), n };
}

/**
 * Whether a ratio meets `bound` (at least it when `atLeast`, else at most), judged on its interval: true when the
 * whole interval meets it, false when none of it does, undefined when the run cannot tell (more rounds needed).
 */
export function settles(iv: { low: number; high: number }, bound: number, atLeast: boolean): boolean | undefined {
  const [worst, best] = atLeast ? [iv.low, iv.high] : [iv.high, iv.low];
  const ok = (x: number) => (atLeast ? x >= bound : x <= bound);
  if (ok(worst)) return true;
  if (!ok(best)) return false;
  return undefined;
}
