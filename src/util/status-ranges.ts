/** Inclusive HTTP status ranges (Traefik's `types.HTTPCodeRanges`). */
export type StatusRange = readonly [number, number];

/**
 * Traefik's NewHTTPCodeRanges: "404" or "500-599" per entry (a label list splits "500,502" into entries first).
 * @throws {Error} naming the entry (`option[i]`) that is not a code or a range.
 * @example
 * codeRanges(['404', '500-599'], 'errors.status') // [[404, 404], [500, 599]]
 */
export function codeRanges(blocks: readonly string[], option: string): StatusRange[] {
  return blocks.map((block, i) => {
    const parts = block.split('-');
    if (parts.length === 1) parts.push(parts[0]!);
    const [low, high] = [parts[0]!, parts[1]!].map((p) => (/^[+-]?\d+$/.test(p) ? Number(p) : NaN));
    if (parts.length > 2 || !Number.isInteger(low) || !Number.isInteger(high)) {
      throw new Error(`${option}[${i}]: invalid status range ${JSON.stringify(block)} (expected e.g. "404" or "500-599")`);
    }
    return [low!, high!] as const;
  });
}

export function inRanges(ranges: readonly StatusRange[], status: number): boolean {
  for (const [low, high] of ranges) if (status >= low && status <= high) return true;
  return false;
}
