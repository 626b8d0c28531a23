/**
 * The parser of Go's `regexp/syntax` with the Perl flags `regexp.Compile` uses: a pattern becomes a tree
 * whose character classes are already resolved to code-point sets (case folding and negation applied
 * the way Go applies them), so the emitter never has to know about flags. Errors read like Go's.
 */
import { complement, foldOrbit, foldRanges, MAX_RUNE, normalize, unicodeClass, type Range } from './charset.ts';
import { RegexpError } from './error.ts';

export type Node =
  /** One code point out of a set: a literal, a class, `.`. */
  | { t: 'set'; ranges: Range[] }
  /** `^`/`$` under `(?m)`: beginning/end of a line (Go: only `\n` ends a line). */
  | { t: 'bol' } | { t: 'eol' }
  /** `^`/`$` without `(?m)`, `\A`, `\z`: beginning/end of the text. */
  | { t: 'bot' } | { t: 'eot' }
  /** `\b` (ASCII word boundary) or `\B`. */
  | { t: 'wordb'; negated: boolean }
  /** A capture (1-based Go index) or a non-capturing group. */
  | { t: 'group'; index?: number; body: Node }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  /** max -1: unbounded. */
  | { t: 'rep'; sub: Node; min: number; max: number; greedy: boolean }
  | { t: 'empty' };

export interface Parsed {
  ast: Node;
  /** Number of capture groups. */
  groups: number;
  /** Group name → Go group index. */
  names: Map<string, number>;
}

interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

const MAX_REPEAT = 1000;
/** Go's regexp/syntax refuses groups nested deeper than 1000 ("expression nests too deeply"); so do we, before the stack runs out. */
const MAX_NESTING = 1000;

const DIGIT: Range[] = [[0x30, 0x39]];
const SPACE_PERL: Range[] = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];
const WORD: Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];

const PERL: Record<string, [Range[], boolean]> = {
  d: [DIGIT, false], D: [DIGIT, true], s: [SPACE_PERL, false], S: [SPACE_PERL, true], w: [WORD, false], W: [WORD, true],
};

const POSIX: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Go's appendGroup: fold first (under `(?i)`), then negate. */
function group(ranges: readonly Range[], negated: boolean, fold: boolean): Range[] {
  const folded = fold ? foldRanges(ranges) : normalize(ranges);
  return negated ? complement(folded) : folded;
}

/** Parses a Go regexp. Throws `RegexpError`. */
export function parseGoRegexp(pattern: string): Parsed {
  return new Parser(pattern).parse();
}

class Parser {
  readonly #src: string;
  #pos = 0;
  #flags: Flags = { i: false, m: false, s: false, U: false };
  readonly #names = new Map<string, number>();
  #groups = 0;
  #depth = 0;

  constructor(src: string) { this.#src = src; }

  parse(): Parsed {
    const ast = this.#alternation();
    // Only an unmatched ')' stops the top-level alternation early.
    if (this.#pos < this.#src.length) throw this.#invalid('unexpected )', this.#src, this.#pos);
    return { ast, groups: this.#groups, names: this.#names };
  }

  #invalid(what: string, expr: string, offset: number): RegexpError {
    return new RegexpError('TAGWAY_REGEXP_INVALID', `error parsing regexp: ${what}: \`${expr}\``, offset);
  }

  #peek(k = 0): number {
    const c = this.#src.codePointAt(this.#pos + k);
    return c === undefined ? -1 : c;
  }

  #next(): number {
    const c = this.#src.codePointAt(this.#pos)!;
    this.#pos += c > 0xffff ? 2 : 1;
    return c;
  }

  #literal(cp: number): Node {
    if (!this.#flags.i) return { t: 'set', ranges: [[cp, cp]] };
    return { t: 'set', ranges: normalize(foldOrbit(cp).map((c): Range => [c, c])) };
  }

  #alternation(): Node {
    const branches: Node[] = [this.#concat()];
    while (this.#peek() === 0x7c /* | */) {
      this.#pos++;
      branches.push(this.#concat());
    }
    return branches.length === 1 ? branches[0]! : { t: 'alt', items: branches };
  }

  #concat(): Node {
    const items: Node[] = [];
    let lastWasRepeat = false;
    let lastRepeatStart = 0;
    for (;;) {
      const c = this.#peek();
      if (c === -1 || c === 0x7c || c === 0x29 /* ) */) break;
      const start = this.#pos;
      if (c === 0x2a || c === 0x2b || c === 0x3f || c === 0x7b) {
        const rep = this.#repeatOp();
        if (rep === null) {
          // '{' that is not a valid repetition is a literal (Go: "If the repeat cannot be parsed, { is a literal").
          this.#pos++;
          items.push(this.#literal(0x7b));
          lastWasRepeat = false;
          continue;
        }
        const opText = this.#src.slice(start, this.#pos);
        if (lastWasRepeat) {
          throw this.#invalid('invalid nested repetition operator', this.#src.slice(lastRepeatStart, this.#pos), lastRepeatStart);
        }
        const last = items.pop();
        if (last === undefined) throw this.#invalid('missing argument to repetition operator', opText, start);
        items.push({ t: 'rep', sub: last, min: rep.min, max: rep.max, greedy: rep.greedy });
        lastWasRepeat = true;
        lastRepeatStart = start;
        continue;
      }
      lastWasRepeat = false;
      const atom = this.#atom();
      // \Q...\E yields several literals: a following repetition applies to the last one only, as in Go.
      if (atom !== null && atom.t === 'cat') items.push(...atom.items);
      else if (atom !== null) items.push(atom);
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  /** Parses `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` with an optional lazy `?`; null for a literal `{`. */
  #repeatOp(): { min: number; max: number; greedy: boolean } | null {
    const start = this.#pos;
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === 0x7b) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(start, start + 16));
      if (!m) return null;
      const lead = (s: string | undefined): boolean => s !== undefined && s.length >= 2 && s[0] === '0';
      if (lead(m[1]) || lead(m[3])) return null; // Go disallows leading zeros: the brace is then a literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      this.#pos += m[0].length;
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        throw this.#invalid('invalid repeat count', m[0], start);
      }
    } else {
      this.#pos++;
      min = c === 0x2b ? 1 : 0;
      max = c === 0x3f ? 1 : -1;
    }
    let greedy = true;
    if (this.#peek() === 0x3f) { this.#pos++; greedy = false; }
    if (this.#flags.U) greedy = !greedy;
    return { min, max, greedy };
  }

  #atom(): Node | null {
    const start = this.#pos;
    const c = this.#next();
    switch (c) {
      case 0x28: return this.#group(start);
      case 0x5b: return this.#class(start);
      case 0x2e: return { t: 'set', ranges: this.#flags.s ? [[0, MAX_RUNE]] : [[0, 9], [11, MAX_RUNE]] };
      case 0x5e: return { t: this.#flags.m ? 'bol' : 'bot' };
      case 0x24: return { t: this.#flags.m ? 'eol' : 'eot' };
      case 0x5c: return this.#escapeAtom(start);
      default: return this.#literal(c);
    }
  }

  #group(start: number): Node | null {
    const rest = this.#src.slice(this.#pos, this.#pos + 4);
    if (rest.startsWith('?')) {
      if (rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
        const op = this.#src.slice(start, start + (rest[1] === '<' ? 4 : 3));
        throw new RegexpError('TAGWAY_REGEXP_INVALID',
          `error parsing regexp: invalid or unsupported Perl syntax: \`${op}\` (lookarounds are not RE2)`, start);
      }
      const named = rest.startsWith('?P<') ? 3 : rest.startsWith('?<') ? 2 : 0;
      if (named > 0) {
        const end = this.#src.indexOf('>', this.#pos);
        if (end === -1) throw this.#invalid('invalid named capture', this.#src.slice(start), start);
        const name = this.#src.slice(this.#pos + named, end);
        const text = this.#src.slice(start, end + 1);
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.#invalid('invalid named capture', text, start);
        if (this.#names.has(name)) throw this.#invalid('duplicate capture group name', text, start);
        this.#pos = end + 1;
        const index = ++this.#groups;
        this.#names.set(name, index);
        return this.#groupBody(start, index);
      }
      return this.#flagGroup(start);
    }
    return this.#groupBody(start, ++this.#groups);
  }

  /** `(?flags)` changes the flags until the end of the enclosing group; `(?flags:re)` only inside. */
  #flagGroup(start: number): Node | null {
    this.#pos++; // '?'
    const flags = { ...this.#flags };
    let negate = false;
    let sawFlag = false;
    for (;;) {
      const c = this.#peek();
      if (c === -1) break;
      this.#pos++;
      const ch = String.fromCodePoint(c);
      if (ch === 'i' || ch === 'm' || ch === 's' || ch === 'U') {
        flags[ch] = !negate;
        sawFlag = true;
        continue;
      }
      if (ch === '-' && !negate) { negate = true; sawFlag = false; continue; }
      if ((ch === ':' || ch === ')') && !(negate && !sawFlag)) {
        if (ch === ')') { this.#flags = flags; return null; }
        const saved = this.#flags;
        this.#flags = flags;
        return this.#groupBody(start, undefined, saved);
      }
      break;
    }
    throw this.#invalid('invalid or unsupported Perl syntax', this.#src.slice(start, this.#pos), start);
  }

  #groupBody(start: number, index: number | undefined, restore?: Flags): Node {
    const saved = restore ?? { ...this.#flags };
    if (++this.#depth > MAX_NESTING) throw this.#invalid('expression nests too deeply', this.#src, start);
    const body = this.#alternation();
    this.#depth--;
    if (this.#peek() !== 0x29) throw this.#invalid('missing closing )', this.#src.slice(start), start);
    this.#pos++;
    this.#flags = saved;
    return index === undefined ? { t: 'group', body } : { t: 'group', index, body };
  }

  #escapeAtom(start: number): Node | null {
    const c = this.#peek();
    if (c === -1) throw this.#invalid('trailing backslash at end of expression', '', start);
    switch (c) {
      case 0x41: this.#pos++; return { t: 'bot' }; // \A
      case 0x7a: this.#pos++; return { t: 'eot' }; // \z
      case 0x62: this.#pos++; return { t: 'wordb', negated: false };
      case 0x42: this.#pos++; return { t: 'wordb', negated: true };
      case 0x51: { // \Q...\E
        this.#pos++;
        const end = this.#src.indexOf('\\E', this.#pos);
        const lit = this.#src.slice(this.#pos, end === -1 ? undefined : end);
        this.#pos = end === -1 ? this.#src.length : end + 2;
        const items: Node[] = [];
        for (const ch of lit) items.push(this.#literal(ch.codePointAt(0)!));
        if (items.length === 0) return null;
        return items.length === 1 ? items[0]! : { t: 'cat', items };
      }
      default: break;
    }
    const cls = this.#perlOrUnicodeClass(start);
    if (cls !== null) return { t: 'set', ranges: cls };
    return this.#literal(this.#escapeRune(start));
  }

  /** `\d \D \s \S \w \W \pX \p{Name} \PX \P{^Name}` (after the backslash), resolved; null when not one of them. */
  #perlOrUnicodeClass(start: number): Range[] | null {
    const c = this.#peek();
    const p = c >= 0 && c < 0x80 ? PERL[String.fromCharCode(c)] : undefined;
    if (p) {
      this.#pos++;
      return group(p[0], p[1], this.#flags.i);
    }
    if (c !== 0x70 && c !== 0x50) return null;
    this.#pos++;
    let negated = c === 0x50;
    let name: string;
    if (this.#peek() === 0x7b) {
      const end = this.#src.indexOf('}', this.#pos);
      if (end === -1) throw this.#invalid('invalid character class range', this.#src.slice(start), start);
      name = this.#src.slice(this.#pos + 1, end);
      this.#pos = end + 1;
    } else {
      if (this.#peek() === -1) throw this.#invalid('invalid character class range', this.#src.slice(start), start);
      name = String.fromCodePoint(this.#next());
    }
    const text = this.#src.slice(start, this.#pos);
    if (name.startsWith('^')) { negated = !negated; name = name.slice(1); }
    const ranges = unicodeClass(name);
    if (ranges === null) throw this.#invalid('invalid character class range', text, start);
    return group(ranges, negated, this.#flags.i);
  }

  /** A single-rune escape (after the backslash): octal, hex, control letters, escaped punctuation. */
  #escapeRune(start: number): number {
    const c = this.#next();
    const bad = (): RegexpError => this.#invalid('invalid escape sequence', this.#src.slice(start, this.#pos), start);
    if (c >= 0x31 && c <= 0x37) {
      // A single non-zero digit would be a backreference: not RE2.
      const d = this.#peek();
      if (d < 0x30 || d > 0x37) throw bad();
    }
    if (c >= 0x30 && c <= 0x37) {
      let r = c - 0x30;
      for (let k = 1; k < 3; k++) {
        const d = this.#peek();
        if (d < 0x30 || d > 0x37) break;
        r = r * 8 + d - 0x30;
        this.#pos++;
      }
      return r;
    }
    switch (c) {
      case 0x78: { // \x
        if (this.#peek() === 0x7b) {
          const close = this.#src.indexOf('}', this.#pos);
          const m = close === -1 ? null : /^\{([0-9A-Fa-f]+)\}$/.exec(this.#src.slice(this.#pos, close + 1));
          if (!m) { this.#pos = Math.min(this.#src.length, this.#pos + 1); throw bad(); }
          this.#pos += m[0].length;
          const v = m[1]!.length > 8 ? Infinity : parseInt(m[1]!, 16);
          if (v > MAX_RUNE) throw bad();
          return v;
        }
        const m = /^[0-9A-Fa-f]{2}/.exec(this.#src.slice(this.#pos, this.#pos + 2));
        if (!m) throw bad();
        this.#pos += 2;
        return parseInt(m[0], 16);
      }
      case 0x61: return 0x07;
      case 0x66: return 0x0c;
      case 0x6e: return 0x0a;
      case 0x72: return 0x0d;
      case 0x74: return 0x09;
      case 0x76: return 0x0b;
      default:
        if (c < 0x80 && !isWordChar(c) && c !== -1) return c; // escaped punctuation (and '_', ' ')
        throw bad();
    }
  }

  #class(start: number): Node {
    const ranges: Range[] = [];
    let negated = false;
    if (this.#peek() === 0x5e) { this.#pos++; negated = true; }
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === -1) throw this.#invalid('missing closing ]', this.#src.slice(start), start);
      if (c === 0x5d && !first) { this.#pos++; break; }
      first = false;
      const itemStart = this.#pos;
      if (c === 0x5b && this.#peek(1) === 0x3a) {
        const end = this.#src.indexOf(':]', this.#pos + 2);
        if (end !== -1) {
          let name = this.#src.slice(this.#pos + 2, end);
          const text = this.#src.slice(this.#pos, end + 2);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const posix = Object.hasOwn(POSIX, name) ? POSIX[name] : undefined;
          if (!posix) throw this.#invalid('invalid character class range', text, itemStart);
          ranges.push(...group(posix, neg, this.#flags.i));
          this.#pos = end + 2;
          continue;
        }
      }
      if (c === 0x5c) {
        this.#pos++;
        if (this.#peek() === -1) throw this.#invalid('missing closing ]', this.#src.slice(start), start);
        const cls = this.#perlOrUnicodeClass(itemStart);
        if (cls !== null) { ranges.push(...cls); continue; }
      }
      const lo = this.#classChar(itemStart);
      let hi = lo;
      if (this.#peek() === 0x2d && this.#peek(1) !== 0x5d && this.#peek(1) !== -1) {
        this.#pos++;
        const hiStart = this.#pos;
        if (this.#peek() === 0x5c) this.#pos++;
        hi = this.#classChar(hiStart);
        if (hi < lo) throw this.#invalid('invalid character class range', this.#src.slice(itemStart, this.#pos), itemStart);
      }
      ranges.push(...(this.#flags.i ? foldRanges([[lo, hi]]) : [[lo, hi] as Range]));
    }
    const set = normalize(ranges);
    return { t: 'set', ranges: negated ? complement(set) : set };
  }

  /** One class character; the backslash (if any) is already consumed. */
  #classChar(itemStart: number): number {
    if (this.#src.charCodeAt(itemStart) === 0x5c && this.#pos === itemStart + 1) return this.#escapeRune(itemStart);
    return this.#next();
  }
}
