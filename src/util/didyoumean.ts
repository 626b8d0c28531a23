/**
 * "Did you mean" for misspelled keys: the closest candidate by case-insensitive edit distance
 * (optimal string alignment, so a swap like "tsl"/"tls" costs 1), if it is close enough to be a typo.
 */

/**
 * @returns the best candidate, or undefined when none is within max(1, ⌊len/3⌋) edits.
 * A candidate equal but for case is always returned (distance 0).
 * @example
 * suggest('entrypoint', ['entryPoints', 'rule']) // "entryPoints"
 * suggest('tsl', ['tls', 'rule'])               // "tls"
 * suggest('zzz', ['tls'])                       // undefined
 */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const a = input.toLowerCase();
  const limit = Math.max(1, Math.floor(a.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const b = candidate.toLowerCase();
    if (Math.abs(a.length - b.length) > limit) continue;
    const d = distance(a, b);
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function distance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
