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

/**
 * Go folds along CaseFolding.txt's simple mappings. The engine's single-code-point upper/lower mappings
 * give the same orbits except for the Turkic dotless i, which CaseFolding leaves alone (`(?i)ı` does
 * not match `I` in Go).
 */
const NOT_FOLDED = 0x131;

/** Orbits of the ASCII letters (with the Kelvin sign and the long s), enough for ASCII-only classes. */
const ASCII_ORBITS = new Map<number, number[]>();
for (let c = 0x41; c <= 0x5a; c++) {
  const orbit = c === 0x4b ? [0x4b, 0x6b, 0x212a] : c === 0x53 ? [0x53, 0x73, 0x17f] : [c, c + 0x20];
  ASCII_ORBITS.set(c, orbit);
  ASCII_ORBITS.set(c + 0x20, orbit);
}

let orbits: Map<number, number[]> | undefined;
let cased: number[] | undefined;

function foldTables(): { orbits: Map<number, number[]>; cased: number[] } {
  if (orbits && cased) return { orbits, cased };
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    parent.set(x, r);
    return r;
  };
  const link = (a: number, t: string): void => {
    const b = t.codePointAt(0)!;
    if (t.length !== (b > 0xffff ? 2 : 1) || b === NOT_FOLDED) return;
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (let cp = 0; cp < FOLD_SCAN_END; cp++) {
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp === NOT_FOLDED) continue;
    const s = String.fromCodePoint(cp);
    const lower = s.toLowerCase();
    if (lower !== s) link(cp, lower);
    const upper = s.toUpperCase();
    if (upper !== s) link(cp, upper);
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
  if (cp < 0x80) return ASCII_ORBITS.get(cp) ?? [cp];
  return foldTables().orbits.get(cp) ?? [cp];
}

/** `ranges` plus every code point that folds to one of them (Go's appendFoldedRange). */
export function foldRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = ranges.map((r): Range => [r[0], r[1]]);
  if (ranges.every((r) => r[1] < 0x80)) {
    for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) for (const f of ASCII_ORBITS.get(c) ?? []) out.push([f, f]);
    return normalize(out);
  }
  const { orbits: table, cased: keys } = foldTables();
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

/**
 * Where assigned code points are scanned for a class: planes 0–3 and 14 (planes 4–13 are unassigned;
 * 15 and 16 are private use, handled as a whole).
 */
const SCAN: Range[] = [[0, 0x3ffff], [0xe0000, 0xe0fff]];
const BLOCK = 256;
let blocks: Array<{ lo: number; text: string }> | undefined;

function scanBlocks(): Array<{ lo: number; text: string }> {
  if (blocks) return blocks;
  blocks = [];
  for (const [from, to] of SCAN) {
    for (let lo = from; lo <= to; lo += BLOCK) {
      if (lo >= 0xd800 && lo <= 0xdfff) continue;
      const cps: number[] = [];
      for (let c = lo; c < lo + BLOCK; c++) cps.push(c);
      blocks.push({ lo, text: String.fromCodePoint(...cps) });
    }
  }
  return blocks;
}

/**
 * The ranges of a Go Unicode class name (`L`, `Lu`, `Greek`, `Any`), or null when Go does not know it.
 * Read from the engine's `\p{…}` tables, a block of code points at a time.
 */
export function unicodeClass(name: string): Range[] | null {
  if (name === 'Any') return [[0, MAX_RUNE]];
  if (!/^[A-Za-z_]+$/.test(name)) return null;
  const cached = propertyCache.get(name);
  if (cached !== undefined) return cached;
  let ranges: Range[] | null;
  if (name === 'C') {
    // Go's C is Cc | Cf | Co | Cs; JavaScript's also holds the unassigned code points (Cn).
    ranges = normalize(['Cc', 'Cf', 'Co', 'Cs'].flatMap((n) => unicodeClass(n)!));
  } else {
    const prop = `\\p{${CATEGORIES.has(name) ? name : `Script=${name}`}}`;
    try {
      ranges = scanClass(new RegExp(prop, 'u'), new RegExp(`^${prop}+$`, 'u'));
    } catch {
      ranges = null;
    }
  }
  propertyCache.set(name, ranges);
  return ranges;
}

function scanClass(any: RegExp, all: RegExp): Range[] {
  const out: Range[] = [];
  for (const { lo, text } of scanBlocks()) {
    if (!any.test(text)) continue;
    if (all.test(text)) { out.push([lo, lo + BLOCK - 1]); continue; }
    for (let c = lo; c < lo + BLOCK; c++) if (any.test(String.fromCodePoint(c))) out.push([c, c]);
  }
  if (any.test(String.fromCodePoint(0xf0000))) out.push([0xf0000, 0xffffd], [0x100000, 0x10fffd]);
  return normalize(out);
}
