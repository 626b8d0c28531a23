/**
 * Go (RE2) regular expressions → JavaScript `RegExp`, translated rather than passed through, because the
 * two dialects disagree in quiet ways: JS has no inline flags (`(?i)`), `.` and `\s` and multi-line `^`/`$`
 * see `\r`/`\u2028` as line ends, `\p{Greek}` must be spelled `\p{Script=Greek}`, `\z`/`\A`/`\Q…\E`/POSIX
 * classes do not exist, and a lone `{` is a syntax error under the `u` flag.
 *
 * The translator parses the RE2 syntax of Go's `regexp/syntax` (Perl flags, as `regexp.Compile` uses),
 * reports Go's errors (`missing closing )`, `invalid escape sequence`, `invalid nested repetition
 * operator`, ...), and refuses what it cannot express faithfully (`TAGWAY_REGEXP_UNTRANSLATABLE`)
 * instead of guessing. Lookarounds and backreferences are not RE2 and are rejected like Go rejects them.
 *
 * Known difference: JS matches by backtracking, RE2 in linear time; a pathological pattern such as
 * `(a+)+$` is slow here on hostile input.
 */

export type RegexpErrorCode = 'TAGWAY_REGEXP_INVALID' | 'TAGWAY_REGEXP_UNTRANSLATABLE';

/** A pattern Go would reject (INVALID) or that has no faithful JavaScript form (UNTRANSLATABLE). */
export class RegexpError extends Error {
  readonly code: RegexpErrorCode;
  /** Code-unit offset in the pattern where the problem starts. */
  readonly offset: number;
  constructor(code: RegexpErrorCode, message: string, offset: number) {
    super(message);
    this.name = 'RegexpError';
    this.code = code;
    this.offset = offset;
  }
}

export interface TranslatedRegexp {
  /** JavaScript pattern source, to be used with `flags`. */
  source: string;
  /** Always contains `u`; `i` when the whole pattern is case-insensitive. */
  flags: string;
}

interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

type Range = [number, number];
type Node =
  | { t: 'lit'; cp: number; fold: boolean }
  | { t: 'class'; ranges: Range[]; negated: boolean; props: string[]; fold: boolean }
  | { t: 'dot'; nl: boolean }
  | { t: 'assert'; src: string }
  | { t: 'group'; capture: boolean; name?: string; body: Node }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; sub: Node; min: number; max: number; greedy: boolean }
  | { t: 'empty' };

const MAX_REPEAT = 1000;
const MAX_RUNE = 0x10ffff;

const DIGIT: Range[] = [[0x30, 0x39]];
const SPACE_PERL: Range[] = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];
const WORD: Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];

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

/** Unicode general categories Go knows (`unicode.Categories`); anything else is looked up as a script. */
const CATEGORIES = new Set(['C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs']);

/** Characters that fold to an ASCII letter without being its case pair (Go's SimpleFold orbits). */
const EXTRA_FOLDS: Record<number, number[]> = { 0x6b: [0x212a], 0x4b: [0x212a], 0x73: [0x17f], 0x53: [0x17f], 0xe5: [0x212b], 0xc5: [0x212b] };

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The Go regexp parser, one instance per pattern. */
class Parser {
  readonly #src: string;
  #pos = 0;
  #flags: Flags = { i: false, m: false, s: false, U: false };
  readonly #names = new Set<string>();

  constructor(src: string) { this.#src = src; }

  parse(): Node {
    const node = this.#alternation();
    if (this.#pos < this.#src.length) {
      // Only an unmatched ')' stops the top-level alternation early.
      throw this.#invalid('unexpected )', this.#src, this.#pos);
    }
    return node;
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
          items.push({ t: 'lit', cp: 0x7b, fold: this.#flags.i });
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
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(start));
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
      case 0x2e: return { t: 'dot', nl: this.#flags.s };
      case 0x5e: return { t: 'assert', src: this.#flags.m ? '(?<![^\\n])' : '^' };
      case 0x24: return { t: 'assert', src: this.#flags.m ? '(?![^\\n])' : '$' };
      case 0x5c: return this.#escapeAtom(start);
      default: return { t: 'lit', cp: c, fold: this.#flags.i };
    }
  }

  #group(start: number): Node | null {
    const rest = this.#src.slice(this.#pos);
    if (rest.startsWith('?')) {
      if (rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
        const op = this.#src.slice(start, start + (rest[1] === '<' ? 4 : 3));
        throw new RegexpError('TAGWAY_REGEXP_INVALID',
          `error parsing regexp: invalid or unsupported Perl syntax: \`${op}\` (lookarounds are not RE2)`, start);
      }
      const named = rest.startsWith('?P<') ? 3 : rest.startsWith('?<') ? 2 : 0;
      if (named > 0) {
        const end = rest.indexOf('>');
        if (end === -1) throw this.#invalid('invalid named capture', this.#src.slice(start), start);
        const name = rest.slice(named, end);
        const text = this.#src.slice(start, this.#pos + end + 1);
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.#invalid('invalid named capture', text, start);
        if (this.#names.has(name)) throw this.#invalid('duplicate capture group name', text, start);
        if (/^[0-9]/.test(name)) {
          throw new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE',
            `regexp group name "${name}" starts with a digit, which JavaScript does not allow`, start);
        }
        this.#names.add(name);
        this.#pos += end + 1;
        return this.#groupBody(start, true, name);
      }
      return this.#flagGroup(start);
    }
    return this.#groupBody(start, true);
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
        const node = this.#groupBody(start, false, undefined, saved);
        return node;
      }
      break;
    }
    throw this.#invalid('invalid or unsupported Perl syntax', this.#src.slice(start, this.#pos), start);
  }

  #groupBody(start: number, capture: boolean, name?: string, restore?: Flags): Node {
    const saved = restore ?? { ...this.#flags };
    const body = this.#alternation();
    if (this.#peek() !== 0x29) throw this.#invalid('missing closing )', this.#src.slice(start), start);
    this.#pos++;
    this.#flags = saved;
    return name === undefined ? { t: 'group', capture, body } : { t: 'group', capture, name, body };
  }

  #escapeAtom(start: number): Node | null {
    const c = this.#peek();
    if (c === -1) throw this.#invalid('trailing backslash at end of expression', '', start);
    switch (c) {
      case 0x41: this.#pos++; return { t: 'assert', src: '^' }; // \A
      case 0x7a: this.#pos++; return { t: 'assert', src: '$' }; // \z
      case 0x62: this.#pos++; return { t: 'assert', src: '\\b' };
      case 0x42: this.#pos++; return { t: 'assert', src: '\\B' };
      case 0x51: { // \Q...\E
        this.#pos++;
        const end = this.#src.indexOf('\\E', this.#pos);
        const lit = this.#src.slice(this.#pos, end === -1 ? undefined : end);
        this.#pos = end === -1 ? this.#src.length : end + 2;
        const items: Node[] = [];
        for (const ch of lit) items.push({ t: 'lit', cp: ch.codePointAt(0)!, fold: this.#flags.i });
        return items.length === 0 ? null : { t: 'cat', items };
      }
      default: break;
    }
    const cls = this.#perlOrUnicodeClass(start);
    if (cls !== null) return { t: 'class', ranges: cls.ranges, negated: false, props: cls.props, fold: this.#flags.i };
    const cp = this.#escapeRune(start);
    return { t: 'lit', cp, fold: this.#flags.i };
  }

  /** `\d \D \s \S \w \W \pX \p{Name} \PX \P{^Name}` (after the backslash); null when not one of them. */
  #perlOrUnicodeClass(start: number): { ranges: Range[]; props: string[] } | null {
    const c = this.#peek();
    const perl: Record<number, [Range[], boolean]> = {
      0x64: [DIGIT, false], 0x44: [DIGIT, true], 0x73: [SPACE_PERL, false], 0x53: [SPACE_PERL, true],
      0x77: [WORD, false], 0x57: [WORD, true],
    };
    const p = perl[c];
    if (p) {
      this.#pos++;
      return { ranges: p[1] ? complement(p[0]) : p[0], props: [] };
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
    const body = name === 'Any' ? 'Any' : CATEGORIES.has(name) ? name : `Script=${name}`;
    const prop = `\\${negated ? 'P' : 'p'}{${body}}`;
    try { new RegExp(prop, 'u'); } catch { throw this.#invalid('invalid character class range', text, start); }
    return { ranges: [], props: [prop] };
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
          const m = /^\{([0-9A-Fa-f]+)\}/.exec(this.#src.slice(this.#pos));
          if (!m) { this.#pos = Math.min(this.#src.length, this.#pos + 1); throw bad(); }
          this.#pos += m[0].length;
          const v = parseInt(m[1]!, 16);
          if (v > MAX_RUNE) throw bad();
          return v;
        }
        const m = /^[0-9A-Fa-f]{2}/.exec(this.#src.slice(this.#pos));
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
    const node: Extract<Node, { t: 'class' }> = { t: 'class', ranges: [], negated: false, props: [], fold: this.#flags.i };
    if (this.#peek() === 0x5e) { this.#pos++; node.negated = true; }
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
          const ranges = POSIX[name];
          if (!ranges) throw this.#invalid('invalid character class range', text, itemStart);
          node.ranges.push(...(neg ? complement(ranges) : ranges));
          this.#pos = end + 2;
          continue;
        }
      }
      if (c === 0x5c) {
        this.#pos++;
        if (this.#peek() === -1) throw this.#invalid('missing closing ]', this.#src.slice(start), start);
        const cls = this.#perlOrUnicodeClass(itemStart);
        if (cls !== null) { node.ranges.push(...cls.ranges); node.props.push(...cls.props); continue; }
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
      node.ranges.push([lo, hi]);
    }
    return node;
  }

  /** One class character; the backslash (if any) is already consumed. */
  #classChar(itemStart: number): number {
    if (this.#src.charCodeAt(itemStart) === 0x5c && this.#pos === itemStart + 1) return this.#escapeRune(itemStart);
    return this.#next();
  }
}

/** The code points not in `ranges` (which may overlap, in any order). */
function complement(ranges: Range[]): Range[] {
  const sorted = normalize(ranges);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

function normalize(ranges: Range[]): Range[] {
  const sorted = ranges.map((r): Range => [r[0], r[1]]).sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

/** The simple case-fold orbit of one code point (itself included). */
function foldOrbit(cp: number): number[] {
  const seen = new Set<number>([cp]);
  const queue = [cp];
  while (queue.length > 0) {
    const c = queue.pop()!;
    const s = String.fromCodePoint(c);
    for (const v of [s.toLowerCase(), s.toUpperCase()]) {
      const vc = v.codePointAt(0)!;
      if (v.length === String.fromCodePoint(vc).length && !seen.has(vc)) { seen.add(vc); queue.push(vc); }
    }
    for (const extra of EXTRA_FOLDS[c] ?? []) if (!seen.has(extra)) { seen.add(extra); queue.push(extra); }
  }
  if (seen.has(0x212a)) { seen.add(0x6b); seen.add(0x4b); }
  if (seen.has(0x17f)) { seen.add(0x73); seen.add(0x53); }
  return [...seen];
}

function hasCase(cp: number): boolean {
  return foldOrbit(cp).length > 1;
}

/** Largest non-ASCII range scanned for cased characters under a scoped `(?i)`. */
const FOLD_SCAN_LIMIT = 0x3000;

function classHasCase(node: Extract<Node, { t: 'class' }>): boolean {
  if (node.props.length > 0) return true;
  for (const [lo, hi] of node.ranges) {
    if (hi >= 0x80 && hi - lo > FOLD_SCAN_LIMIT) return true;
    for (let c = lo; c <= hi; c++) if (hasCase(c)) return true;
  }
  return false;
}

/** Whether folding matters for each atom: collects [fold flag] of case-relevant atoms. */
function collectFolds(node: Node, out: boolean[]): void {
  switch (node.t) {
    case 'lit': if (hasCase(node.cp)) out.push(node.fold); return;
    case 'class': if (classHasCase(node)) out.push(node.fold); return;
    case 'group': collectFolds(node.body, out); return;
    case 'rep': collectFolds(node.sub, out); return;
    case 'cat': case 'alt': for (const n of node.items) collectFolds(n, out); return;
    default: return;
  }
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split('').map((c) => c.charCodeAt(0)));

function emitChar(cp: number): string {
  if (SYNTAX.has(cp)) return '\\' + String.fromCharCode(cp);
  if (cp >= 0x20 && cp < 0x7f) return String.fromCharCode(cp);
  return `\\u{${cp.toString(16)}}`;
}

function emitClassBody(ranges: Range[], props: string[]): string {
  let body = '';
  for (const [lo, hi] of normalize(ranges)) {
    body += lo === hi ? `\\u{${lo.toString(16)}}` : `\\u{${lo.toString(16)}}-\\u{${hi.toString(16)}}`;
  }
  return body + props.join('');
}

class Emitter {
  readonly #manualFold: boolean;
  constructor(manualFold: boolean) { this.#manualFold = manualFold; }

  emit(node: Node): string {
    switch (node.t) {
      case 'empty': return '';
      case 'lit': {
        if (this.#manualFold && node.fold) {
          const orbit = foldOrbit(node.cp);
          if (orbit.length > 1) return '[' + emitClassBody(orbit.map((c): Range => [c, c]), []) + ']';
        }
        return emitChar(node.cp);
      }
      case 'class': {
        let ranges = node.ranges;
        if (this.#manualFold && node.fold) {
          if (node.props.length > 0) throw untranslatable('a Unicode class (\\p) inside a scoped (?i)');
          ranges = foldRanges(ranges);
        }
        return '[' + (node.negated ? '^' : '') + emitClassBody(ranges, node.props) + ']';
      }
      case 'dot': return node.nl ? '[^]' : '[^\\n]';
      case 'assert': return node.src;
      case 'group': {
        const open = !node.capture ? '(?:' : node.name !== undefined ? `(?<${node.name}>` : '(';
        return open + this.emit(node.body) + ')';
      }
      case 'cat': return node.items.map((n) => this.emit(n)).join('');
      case 'alt': return node.items.map((n) => this.emit(n)).join('|');
      case 'rep': {
        let sub = this.emit(node.sub);
        if (node.sub.t === 'assert' || node.sub.t === 'cat' || node.sub.t === 'alt' || node.sub.t === 'empty') sub = `(?:${sub})`;
        const { min, max } = node;
        const q = min === 0 && max === -1 ? '*' : min === 1 && max === -1 ? '+' : min === 0 && max === 1 ? '?'
          : max === -1 ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
        return sub + q + (node.greedy ? '' : '?');
      }
    }
  }
}

function untranslatable(what: string): RegexpError {
  return new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE',
    `regexp uses ${what}, which has no faithful JavaScript translation; put (?i) at the very start of the pattern instead`, 0);
}

function foldRanges(ranges: Range[]): Range[] {
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    if (hi >= 0x80 && hi - lo > FOLD_SCAN_LIMIT) throw untranslatable('a large non-ASCII character range inside a scoped (?i)');
    for (let c = lo; c <= hi; c++) for (const f of foldOrbit(c)) if (f !== c) out.push([f, f]);
  }
  return out;
}

/**
 * Translates a Go regexp to JavaScript source and flags (always `u`). Throws `RegexpError`.
 *
 * @example
 * translateRegexp('(?i)^/api/(?P<v>v[0-9]+)\\z') // { source: '^\\/api\\/(?<v>v[\\u{30}-\\u{39}]+)$', flags: 'iu' }
 */
export function translateRegexp(pattern: string): TranslatedRegexp {
  const ast = new Parser(pattern).parse();
  const folds: boolean[] = [];
  collectFolds(ast, folds);
  const globalFold = folds.length > 0 && folds.every(Boolean);
  const anyFold = folds.some(Boolean);
  const source = new Emitter(anyFold && !globalFold).emit(ast);
  const flags = globalFold ? 'iu' : 'u';
  try {
    new RegExp(source, flags);
  } catch (error) {
    throw new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE', `regexp could not be translated (${(error as Error).message})`, 0);
  }
  return { source, flags };
}

/**
 * Compiles a Go regexp into a JavaScript `RegExp` with Go's unanchored `MatchString` semantics (use `.test`).
 * Throws `RegexpError`.
 *
 * @example
 * compileGoRegexp('^/products/(shoes|socks)/[0-9]+$').test('/products/shoes/31') // true
 */
export function compileGoRegexp(pattern: string): RegExp {
  const { source, flags } = translateRegexp(pattern);
  return new RegExp(source, flags);
}
