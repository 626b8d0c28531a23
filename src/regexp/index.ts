/**
 * Go (RE2) regular expressions for every place tagway accepts one (rule matchers, middleware options,
 * Consul constraints), with Go's syntax, Go's answers and RE2's linear-time guarantee:
 * - the parser (`parse.ts`) reads Go's syntax and reports Go's errors;
 * - the emitter (`emit.ts`) writes JavaScript that V8's linear-time engine accepts;
 * - `engine.ts` turns that engine on, so a match that backtracks too much is finished in linear time.
 * A pattern without a linear-time form is refused (`TAGWAY_REGEXP_UNTRANSLATABLE`), never run unprotected.
 *
 * Known differences with Go, all about text Go would read as invalid UTF-8 or rare anchors: a lone
 * surrogate matches neither `.` nor a negated class; under `(?m)`, `^`/`$` also see `\r`, U+2028 and
 * U+2029 as line ends; a group inside a repetition that does not take part in the last iteration reports
 * no value (Go keeps the one from an earlier iteration).
 */
import { LINEAR_ENGINE } from './engine.ts';
import { emitRegexp, type Emitted } from './emit.ts';
import { RegexpError } from './error.ts';
import { parseGoRegexp, type Parsed } from './parse.ts';

export { RegexpError } from './error.ts';
export type { RegexpErrorCode } from './error.ts';

export interface TranslatedRegexp {
  /** JavaScript pattern source, to be used with `flags`. */
  source: string;
  /** '' or 'm': never `u` nor `i` (the linear engine takes neither). */
  flags: string;
}

/** One match: `groups[0]` is the whole match, `groups[k]` Go's group k (undefined when it did not take part). */
export interface GoMatch {
  index: number;
  groups: (string | undefined)[];
}

function compileJs(emitted: Emitted, extraFlags: string, pattern: string): RegExp {
  if (!LINEAR_ENGINE) {
    throw new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE', 'this Node.js does not offer V8\'s linear-time regexp engine, so no regexp can be accepted safely', 0);
  }
  try {
    // Proof that the linear engine takes it: compiled for that engine once, then dropped.
    new RegExp(emitted.source, emitted.flags + 'l');
  } catch (error) {
    throw new RegexpError('TAGWAY_REGEXP_UNTRANSLATABLE',
      `regexp ${JSON.stringify(pattern)} has no linear-time JavaScript form (${(error as Error).message})`, 0);
  }
  return new RegExp(emitted.source, emitted.flags + extraFlags);
}

/**
 * A compiled Go regexp.
 * @example
 * const re = compileGoRegexp('^/api/(?P<v>v[0-9]+)/');
 * re.test('/api/v2/users')                          // true
 * re.replaceAll('/api/v2/users', '/${v}/')           // '/v2/users'
 */
export class GoRegexp {
  /** The Go pattern as written. */
  readonly pattern: string;
  readonly #parsed: Parsed;
  readonly #test: RegExp;
  #capturing: { re: RegExp; groupMap: number[][] } | undefined;

  constructor(pattern: string) {
    this.pattern = pattern;
    this.#parsed = parseGoRegexp(pattern);
    this.#test = compileJs(emitRegexp(this.#parsed, false), '', pattern);
  }

  /** The JavaScript form `test` runs (for explanations and tests). */
  get translated(): TranslatedRegexp {
    return { source: this.#test.source, flags: this.#test.flags };
  }

  /** Go's MatchString: is there a match anywhere in `input`? */
  test(input: string): boolean {
    return this.#test.test(input);
  }

  /** Go's FindStringSubmatch(Index): the leftmost-first match at or after `from`, with Go's groups. */
  exec(input: string, from = 0): GoMatch | null {
    const { re, groupMap } = this.#withCaptures();
    re.lastIndex = from;
    const m = re.exec(input);
    if (m === null) return null;
    const groups: (string | undefined)[] = [m[0]];
    for (let g = 1; g < groupMap.length; g++) {
      let value: string | undefined;
      for (const js of groupMap[g]!) if (m[js] !== undefined) value = m[js];
      groups.push(value);
    }
    return { index: m.index, groups };
  }

  /** Go's SubexpIndex: the group number of `name`, or -1. */
  groupIndex(name: string): number {
    return this.#parsed.names.get(name) ?? -1;
  }

  /**
   * Go's ReplaceAllString: every non-overlapping match replaced by `template` expanded (`$1`, `${1}`,
   * `${name}`, `$$`); an empty match right after a previous match is not replaced.
   */
  replaceAll(input: string, template: string): string {
    let out = '';
    let lastEnd = 0;
    let pos = 0;
    while (pos <= input.length) {
      const m = this.exec(input, pos);
      if (m === null) break;
      const end = m.index + m.groups[0]!.length;
      out += input.slice(lastEnd, m.index);
      if (end > lastEnd || m.index === 0) out += this.expand(template, m);
      lastEnd = end;
      // Advance past this match, at least one code point.
      const width = pos < input.length ? (input.codePointAt(pos)! > 0xffff ? 2 : 1) : 1;
      pos = pos + width > end ? pos + width : end;
    }
    return out + input.slice(lastEnd);
  }

  /** Go's Regexp.Expand of one match: `$$` is a dollar; `$name`/`${name}` a group by number or name (missing: empty). */
  expand(template: string, match: GoMatch): string {
    let out = '';
    let i = 0;
    while (i < template.length) {
      const dollar = template.indexOf('$', i);
      if (dollar === -1) { out += template.slice(i); break; }
      out += template.slice(i, dollar);
      const rest = template.slice(dollar + 1);
      if (rest.startsWith('$')) { out += '$'; i = dollar + 2; continue; }
      let name: string | undefined;
      let consumed = 0;
      if (rest.startsWith('{')) {
        const close = rest.indexOf('}');
        const inner = close === -1 ? '' : rest.slice(1, close);
        if (close !== -1 && /^\w+$/.test(inner)) { name = inner; consumed = close + 1; }
      } else {
        const m = /^\w+/.exec(rest);
        if (m) { name = m[0]; consumed = m[0].length; }
      }
      if (name === undefined) { out += '$'; i = dollar + 1; continue; }
      const index = /^\d+$/.test(name) ? Number(name) : this.groupIndex(name);
      out += (index >= 0 ? match.groups[index] : undefined) ?? '';
      i = dollar + 1 + consumed;
    }
    return out;
  }

  #withCaptures(): { re: RegExp; groupMap: number[][] } {
    if (this.#capturing === undefined) {
      const emitted = emitRegexp(this.#parsed, true);
      this.#capturing = { re: compileJs(emitted, 'g', this.pattern), groupMap: emitted.groupMap };
    }
    return this.#capturing;
  }
}

/**
 * Compiles a Go regexp. Throws `RegexpError` naming Go's reason for an invalid pattern.
 * @example
 * compileGoRegexp('^/products/(shoes|socks)/[0-9]+$').test('/products/shoes/31') // true
 */
export function compileGoRegexp(pattern: string): GoRegexp {
  return new GoRegexp(pattern);
}

/**
 * The JavaScript form of a Go regexp (the one `GoRegexp.test` runs). Throws `RegexpError`.
 * @example
 * translateRegexp('(?i)^/a$') // { source: '^\\u002f[Aa]$', flags: '' }
 */
export function translateRegexp(pattern: string): TranslatedRegexp {
  return compileGoRegexp(pattern).translated;
}
