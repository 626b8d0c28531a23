/**
 * Sets of code points as sorted, disjoint, non-adjacent inclusive ranges, and the Unicode data Go's
 * `regexp/syntax` needs: simple case-fold orbits (`unicode.SimpleFold`) and general categories / scripts.
 * The data comes from the JavaScript engine's own Unicode tables (`toLowerCase`/`toUpperCase`, `\p{…}`),
 * read once, lazily, when a pattern first needs them.
 */

export type Range = [number, number];

export const MAX_RUNE = 0x10ffff;

/** Sorts and merges overlapping or adjacent ranges. */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = ranges.map((r): Range => [r[0], r[1]]).sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

/** The code points (up to U+10FFFF) not in `ranges`. */
export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/** Highest code point scanned for case pairs: every cased letter Unicode defines lies below it. */
const FOLD_SCAN_END = 0x20000;

let orbits: Map<number, number[]> | undefined;
let cased: number[] | undefined;

/**
 * Go folds along CaseFolding.txt's simple mappings. The engine's single-code-point upper/lower mappings
 * give the same orbits except for the Turkic dotless i, which CaseFolding leaves alone (`(?i)ı` does
 * not match `I` in Go).
 */
const NOT_FOLDED = new Set([0x131]);

function foldTables(): { orbits: Map<number, number[]>; cased: number[] } {
  if (orbits && cased) return { orbits, cased };
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (let cp = 0; cp < FOLD_SCAN_END; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (NOT_FOLDED.has(cp)) continue;
    const s = String.fromCodePoint(cp);
    for (const t of [s.toLowerCase(), s.toUpperCase()]) {
      if (t === s) continue;
      const tc = t.codePointAt(0)!;
      if (t.length !== (tc > 0xffff ? 2 : 1) || NOT_FOLDED.has(tc)) continue;
      union(cp, tc);
    }
  }
  const groups = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = find(cp);
    let g = groups.get(root);
    if (!g) groups.set(root, g = []);
    g.push(cp);
  }
  orbits = new Map();
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    g.sort((a, b) => a - b);
    for (const cp of g) orbits.set(cp, g);
  }
  cased = [...orbits.keys()].sort((a, b) => a - b);
  return { orbits, cased };
}

/** The simple case-fold orbit of `cp` (itself included). */
export function foldOrbit(cp: number): readonly number[] {
  return foldTables().orbits.get(cp) ?? [cp];
}

/** `ranges` plus every code point that folds to one of them (Go's appendFoldedRange). */
export function foldRanges(ranges: readonly Range[]): Range[] {
  const { orbits: table, cased: keys } = foldTables();
  const out: Range[] = ranges.map((r): Range => [r[0], r[1]]);
  for (const [lo, hi] of ranges) {
    // First cased code point >= lo (binary search), then walk while <= hi.
    let a = 0;
    let b = keys.length;
    while (a < b) { const m = (a + b) >> 1; if (keys[m]! < lo) a = m + 1; else b = m; }
    for (let k = a; k < keys.length && keys[k]! <= hi; k++) {
      for (const f of table.get(keys[k]!)!) out.push([f, f]);
    }
  }
  return normalize(out);
}

/** Unicode general categories Go knows (`unicode.Categories`); any other name is looked up as a script. */
const CATEGORIES = new Set(['C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs']);

const propertyCache = new Map<string, Range[] | null>();
let everyCodePoint: string | undefined;

/**
 * The ranges of a Go Unicode class name (`L`, `Lu`, `Greek`, `Any`), or null when Go does not know it.
 * Read from the engine's `\p{…}` tables by one scan over a string of every code point.
 */
export function unicodeClass(name: string): Range[] | null {
  if (name === 'Any') return [[0, MAX_RUNE]];
  if (!/^[A-Za-z_]+$/.test(name)) return null;
  const cached = propertyCache.get(name);
  if (cached !== undefined) return cached;
  let re: RegExp;
  try {
    re = new RegExp(`\\p{${CATEGORIES.has(name) ? name : `Script=${name}`}}+`, 'gu');
  } catch {
    propertyCache.set(name, null);
    return null;
  }
  if (everyCodePoint === undefined) {
    const parts: string[] = [];
    for (let cp = 0; cp <= MAX_RUNE; cp += 0x1000) {
      const chunk: number[] = [];
      for (let c = cp; c < cp + 0x1000 && c <= MAX_RUNE; c++) if (c < 0xd800 || c > 0xdfff) chunk.push(c);
      parts.push(String.fromCodePoint(...chunk));
    }
    everyCodePoint = parts.join('');
  }
  const out: Range[] = [];
  for (const m of everyCodePoint.matchAll(re)) {
    const text = m[0];
    const first = text.codePointAt(0)!;
    const lastUnit = text.charCodeAt(text.length - 1);
    const last = lastUnit >= 0xdc00 && lastUnit <= 0xdfff ? text.codePointAt(text.length - 2)! : lastUnit;
    out.push([first, last]);
  }
  const ranges = normalize(out);
  propertyCache.set(name, ranges);
  return ranges;
}
