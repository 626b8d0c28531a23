/**
 * Parsed Go regexp → JavaScript source that V8's linear-time engine accepts. That engine takes no `u`
 * and no `i` flag, no lookaround and no large counted repetition, so the emitter:
 * - writes code points as UTF-16 (an astral code point is its surrogate pair, a set with astral members
 *   an alternation), so `.` and classes still consume one code point, as Go consumes one rune;
 * - has the parser's case folding already in its sets (no `i` flag);
 * - expands `x{n,m}` like RE2 does (`xx(?:x(?:x)?)?`), and `x+` into `x(?:x)*` where nested `+` would
 *   multiply past V8's replication bound;
 * - writes `(?m)` anchors with the `m` flag; a pattern mixing them with text anchors is refused.
 */
import { MAX_RUNE, type Range } from './charset.ts';
import { RegexpError } from './error.ts';
import type { Node, Parsed } from './parse.ts';

export interface Emitted {
  source: string;
  /** '' or 'm'. */
  flags: string;
  /** Go group index → the JavaScript group numbers that hold its copies, in iteration order. */
  groupMap: number[][];
}

/** Largest JavaScript source a pattern may expand to (Go refuses such patterns as "expression too large"). */
export const MAX_SOURCE = 1024 * 1024;

/** V8's experimental engine refuses a quantifier tree replicated more than this many times. */
const MAX_REPLICATION = 16;

const HEX4 = (c: number): string => '\\u' + c.toString(16).padStart(4, '0');

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function unit(c: number): string {
  return isAlnum(c) || c === 0x20 || c === 0x5f || c === 0x2c || c === 0x3a || c === 0x3d || c === 0x40 || c === 0x27
    || c === 0x22 || c === 0x2f || c === 0x21 || c === 0x23 || c === 0x25 || c === 0x26 || c === 0x3c || c === 0x3e || c === 0x7e || c === 0x60 || c === 0x3b
    ? String.fromCharCode(c) : HEX4(c);
}

function classBody(ranges: readonly Range[]): string {
  let s = '';
  for (const [lo, hi] of ranges) s += lo === hi ? unit(lo) : hi === lo + 1 ? unit(lo) + unit(hi) : `${unit(lo)}-${unit(hi)}`;
  return s;
}

function unitsOf(ranges: readonly Range[]): string {
  return ranges.length === 1 && ranges[0]![0] === ranges[0]![1] ? unit(ranges[0]![0]) : `[${classBody(ranges)}]`;
}

/** A set of code points as JavaScript source; `atom` when a quantifier may follow it directly. */
function emitSet(ranges: readonly Range[]): { src: string; atom: boolean } {
  const bmp: Range[] = [];
  const lowsByHigh = new Map<number, Range[]>();
  for (const [lo, hi] of ranges) {
    // Surrogate code points never occur in valid text (Go reads them as U+FFFD): left out.
    if (lo <= 0xd7ff) bmp.push([lo, Math.min(hi, 0xd7ff)]);
    if (hi >= 0xe000 && lo <= 0xffff) bmp.push([Math.max(lo, 0xe000), Math.min(hi, 0xffff)]);
    if (hi >= 0x10000) {
      const a = Math.max(lo, 0x10000) - 0x10000;
      const b = Math.min(hi, MAX_RUNE) - 0x10000;
      for (let h = a >> 10; h <= b >> 10; h++) {
        const from = h === a >> 10 ? a & 0x3ff : 0;
        const to = h === b >> 10 ? b & 0x3ff : 0x3ff;
        const high = 0xd800 + h;
        let lows = lowsByHigh.get(high);
        if (!lows) lowsByHigh.set(high, lows = []);
        lows.push([0xdc00 + from, 0xdc00 + to]);
      }
    }
  }
  const parts: string[] = [];
  if (bmp.length > 0) parts.push(unitsOf(bmp));
  // High surrogates whose whole low range is in the set form one class; the others one branch each.
  const fullHighs: Range[] = [];
  for (const [high, lows] of lowsByHigh) {
    if (lows.length === 1 && lows[0]![0] === 0xdc00 && lows[0]![1] === 0xdfff) {
      const last = fullHighs[fullHighs.length - 1];
      if (last && last[1] === high - 1) last[1] = high;
      else fullHighs.push([high, high]);
    } else {
      parts.push(unit(high) + unitsOf(lows));
    }
  }
  if (fullHighs.length > 0) parts.push(unitsOf(fullHighs) + '[\\udc00-\\udfff]');
  if (parts.length === 0) return { src: '[]', atom: true };
  if (parts.length === 1) return { src: parts[0]!, atom: bmp.length > 0 };
  return { src: `(?:${parts.join('|')})`, atom: true };
}

/** Whether `node` can match the empty string. */
function nullable(node: Node): boolean {
  switch (node.t) {
    case 'set': return false;
    case 'group': return nullable(node.body);
    case 'cat': return node.items.every(nullable);
    case 'alt': return node.items.some(nullable);
    case 'rep': return node.min === 0 || nullable(node.sub);
    default: return true;
  }
}

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  if (node.t === 'group') walk(node.body, visit);
  else if (node.t === 'rep') walk(node.sub, visit);
  else if (node.t === 'cat' || node.t === 'alt') for (const n of node.items) walk(n, visit);
}

class Emitter {
  readonly #captures: boolean;
  readonly groupMap: number[][];
  #jsGroups = 0;
  #size = 0;
  readonly #setCache = new Map<Range[], { src: string; atom: boolean }>();

  constructor(groups: number, captures: boolean) {
    this.#captures = captures;
    this.groupMap = Array.from({ length: groups + 1 }, () => []);
  }

  #grow(s: string): string {
    this.#size += s.length;
    if (this.#size > MAX_SOURCE) {
      throw new RegexpError('TAGWAY_REGEXP_INVALID', `error parsing regexp: expression too large (its linear-time form exceeds ${MAX_SOURCE} characters)`, 0);
    }
    return s;
  }

  /** Emits `node`; `factor` is how often V8 replicates it already (product of enclosing quantifiers). */
  emit(node: Node, factor: number): { src: string; atom: boolean } {
    switch (node.t) {
      case 'empty': return { src: '', atom: false };
      case 'set': {
        let e = this.#setCache.get(node.ranges);
        if (!e) this.#setCache.set(node.ranges, e = emitSet(node.ranges));
        return { src: this.#grow(e.src), atom: e.atom };
      }
      case 'bol': case 'bot': return { src: '^', atom: false };
      case 'eol': case 'eot': return { src: '$', atom: false };
      case 'wordb': return { src: node.negated ? '\\B' : '\\b', atom: false };
      case 'group': {
        if (node.index !== undefined && this.#captures) {
          this.groupMap[node.index]!.push(++this.#jsGroups);
          return { src: this.#grow('(') + this.emit(node.body, factor).src + ')', atom: true };
        }
        const body = this.emit(node.body, factor);
        return body.atom ? body : { src: this.#grow('(?:') + body.src + ')', atom: true };
      }
      case 'cat': {
        let src = '';
        for (const n of node.items) src += this.emit(n, factor).src;
        return { src, atom: false };
      }
      case 'alt': return { src: `(?:${node.items.map((n) => this.emit(n, factor).src).join('|')})`, atom: true };
      case 'rep': return this.#rep(node, factor);
    }
  }

  #sub(node: Node, factor: number): string {
    const e = this.emit(node, factor);
    return e.atom ? e.src : `(?:${e.src})`;
  }

  #rep(node: Extract<Node, { t: 'rep' }>, factor: number): { src: string; atom: boolean } {
    const { sub, min, max } = node;
    const lazy = node.greedy ? '' : '?';
    if (min === 0 && max === -1) return { src: this.#sub(sub, factor) + '*' + lazy, atom: false };
    if (min === 0 && max === 1) return { src: this.#optional(sub, factor, node.greedy, ''), atom: nullable(sub) };
    if (min === 1 && max === -1 && factor * 2 <= MAX_REPLICATION) return { src: this.#sub(sub, factor * 2) + '+' + lazy, atom: false };
    // RE2's simplification: x{n,m} → n copies of x, then m-n nested optional copies; x{n,} → n copies, then x*.
    let src = '';
    for (let k = 0; k < min; k++) src += this.#sub(sub, factor);
    if (max === -1) return { src: src + this.#sub(sub, factor) + '*' + lazy, atom: false };
    let tail = '';
    for (let k = max - 1; k >= min; k--) tail = this.#optional(sub, factor, node.greedy, tail);
    return { src: src + tail, atom: false };
  }

  /**
   * `(?:x then)?`. A body that can match empty is written as an alternation: JavaScript rejects an empty
   * iteration of `?` and backtracks into x for a longer match, where RE2 takes the empty one.
   */
  #optional(sub: Node, factor: number, greedy: boolean, then: string): string {
    const body = this.#sub(sub, factor) + then;
    if (!nullable(sub)) return then === '' ? body + (greedy ? '?' : '??') : `(?:${body})${greedy ? '?' : '??'}`;
    return greedy ? `(?:${body}|)` : `(?:|${body})`;
  }
}

/**
 * JavaScript source and flags for a parsed Go regexp. With `captures` false every group is
 * non-capturing (matchers only ask whether a string matches).
 */
export function emitRegexp(parsed: Parsed, captures: boolean): Emitted {
  let line = false;
  let text = false;
  walk(parsed.ast, (n) => {
    if (n.t === 'bol' || n.t === 'eol') line = true;
    if (n.t === 'bot' || n.t === 'eot') text = true;
  });
  if (line && text) {
    throw new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE',
      'regexp mixes (?m) line anchors with text anchors (^ or $ outside (?m), \\A, \\z), which has no linear-time JavaScript form; use one kind', 0);
  }
  const emitter = new Emitter(parsed.groups, captures);
  const { src } = emitter.emit(parsed.ast, 1);
  return { source: src === '' ? '(?:)' : src, flags: line ? 'm' : '', groupMap: emitter.groupMap };
}
