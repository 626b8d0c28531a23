/**
 * The rule language's syntax: Go expression syntax as Traefik reads it (through vulcand/predicate and
 * go/parser): matcher calls with string arguments combined by `&&`, `||`, `!` and parentheses, `&&`
 * binding tighter than `||`. Arguments are Go string literals: backtick raw strings or double-quoted
 * strings with Go escapes. Single quotes are Go rune literals, which Traefik refuses.
 */

/** A string argument with where it sits in the rule. */
export interface Arg {
  value: string;
  /** Offset of the opening quote in the rule. */
  start: number;
  /** Offset in the rule of value index 0, when the literal had no escapes (so offsets map 1:1). */
  rawStart: number | undefined;
}

/**
 * The expression tree. A chain of one operator is one node (`a || b || c` has three `items`), so walking
 * the tree recurses only as deep as the parentheses and `!` nest, which MAX_RULE_DEPTH bounds.
 */
export type Expr =
  | { kind: 'call'; name: string; args: Arg[]; start: number; end: number }
  | { kind: 'not'; expr: Expr; start: number }
  | { kind: 'and' | 'or'; items: Expr[] };

/**
 * The longest rule accepted, in characters (UTF-16 code units). Real rules are well under 1 KiB; this bounds
 * what one tag can make the compiler and the route table do.
 */
export const MAX_RULE_LENGTH = 16384;
/** How deep parentheses and `!` may nest (real rules: two or three levels). */
export const MAX_RULE_DEPTH = 100;

/** A syntax error at a rule offset (0-based); `code` TAGWAY_RULE_LIMIT when a limit above was exceeded. */
export class RuleSyntaxError extends Error {
  readonly offset: number;
  readonly code: 'TAGWAY_RULE_SYNTAX' | 'TAGWAY_RULE_LIMIT';
  constructor(message: string, offset: number, code: 'TAGWAY_RULE_SYNTAX' | 'TAGWAY_RULE_LIMIT' = 'TAGWAY_RULE_SYNTAX') {
    super(message);
    this.name = 'RuleSyntaxError';
    this.offset = offset;
    this.code = code;
  }
}

type Token =
  | { t: 'ident'; value: string; start: number; end: number }
  | { t: 'string'; arg: Arg; end: number }
  | { t: '(' | ')' | ',' | '&&' | '||' | '!' | 'eof'; start: number; end: number };

const utf8 = new TextDecoder('utf-8');

function describe(tok: Token): string {
  if (tok.t === 'eof') return 'end of rule';
  if (tok.t === 'ident') return `"${tok.value}"`;
  if (tok.t === 'string') return 'a string';
  return `"${tok.t}"`;
}

/** Tokenizer + recursive-descent parser for one rule. */
class RuleParser {
  readonly #src: string;
  #pos = 0;
  #tok: Token;
  #depth = 0;

  constructor(src: string) {
    this.#src = src;
    this.#tok = this.#scan();
  }

  parse(): Expr {
    if (this.#tok.t === 'eof') throw new RuleSyntaxError('empty rule', 0);
    const expr = this.#or();
    if (this.#cur().t !== 'eof') {
      const tok = this.#cur();
      const hint = tok.t === 'ident' || tok.t === '(' || tok.t === '!' ? ' (missing && or ||?)' : '';
      throw new RuleSyntaxError(`unexpected ${describe(tok)}${hint}`, 'start' in tok ? tok.start : tok.arg.start);
    }
    return expr;
  }

  /** The current token (a method, so TypeScript does not keep a narrowing across #advance()). */
  #cur(): Token { return this.#tok; }

  #advance(): Token {
    const tok = this.#tok;
    this.#tok = this.#scan();
    return tok;
  }

  #or(): Expr {
    const first = this.#and();
    if (this.#tok.t !== '||') return first;
    const items = [first];
    while (this.#tok.t === '||') {
      this.#advance();
      items.push(this.#and());
    }
    return { kind: 'or', items };
  }

  #and(): Expr {
    const first = this.#unary();
    if (this.#tok.t !== '&&') return first;
    const items = [first];
    while (this.#tok.t === '&&') {
      this.#advance();
      items.push(this.#unary());
    }
    return { kind: 'and', items };
  }

  /** One more level of `(` or `!`; refused past MAX_RULE_DEPTH so no walk of the tree can overflow the stack. */
  #enter(at: number): void {
    if (++this.#depth > MAX_RULE_DEPTH) {
      throw new RuleSyntaxError(`parentheses and "!" nest more than ${MAX_RULE_DEPTH} levels deep (the limit)`, at, 'TAGWAY_RULE_LIMIT');
    }
  }

  #unary(): Expr {
    const tok = this.#tok;
    if (tok.t === '!') {
      this.#enter(tok.start);
      this.#advance();
      const expr: Expr = { kind: 'not', expr: this.#unary(), start: tok.start };
      this.#depth--;
      return expr;
    }
    if (tok.t === '(') {
      this.#enter(tok.start);
      this.#advance();
      const inner = this.#or();
      if (this.#cur().t !== ')') throw this.#expected('")"');
      this.#advance();
      this.#depth--;
      return inner;
    }
    if (tok.t === 'ident') return this.#call();
    throw this.#expected('a matcher such as Host(`example.com`)');
  }

  #call(): Expr {
    const name = this.#advance() as Extract<Token, { t: 'ident' }>;
    if (this.#cur().t !== '(') throw this.#expected(`"(" after ${name.value}`);
    this.#advance();
    const args: Arg[] = [];
    while (this.#cur().t !== ')') {
      const tok = this.#cur();
      if (tok.t !== 'string') throw this.#expected(args.length === 0 ? 'a string argument or ")"' : 'a string argument');
      args.push(tok.arg);
      this.#advance();
      if (this.#cur().t === ',') { this.#advance(); continue; }
      if (this.#cur().t !== ')') throw this.#expected('"," or ")"');
    }
    const end = this.#cur().end;
    this.#advance();
    return { kind: 'call', name: name.value, args, start: name.start, end };
  }

  #expected(what: string): RuleSyntaxError {
    const tok = this.#tok;
    return new RuleSyntaxError(`expected ${what}, found ${describe(tok)}`, tok.t === 'string' ? tok.arg.start : tok.start);
  }

  #scan(): Token {
    const s = this.#src;
    while (this.#pos < s.length && (s[this.#pos] === ' ' || s[this.#pos] === '\t' || s[this.#pos] === '\n' || s[this.#pos] === '\r')) this.#pos++;
    const start = this.#pos;
    if (start >= s.length) return { t: 'eof', start, end: start };
    const c = s[start]!;
    const two = s.slice(start, start + 2);
    if (two === '&&' || two === '||') { this.#pos += 2; return { t: two, start, end: start + 2 }; }
    if (c === '(' || c === ')' || c === ',' || c === '!') { this.#pos++; return { t: c, start, end: start + 1 }; }
    if (/[A-Za-z_]/.test(c)) {
      let end = start + 1;
      while (end < s.length && /[A-Za-z0-9_]/.test(s[end]!)) end++;
      this.#pos = end;
      return { t: 'ident', value: s.slice(start, end), start, end };
    }
    if (c === '`') {
      const close = s.indexOf('`', start + 1);
      if (close === -1) throw new RuleSyntaxError('unterminated raw string (missing closing `)', start);
      this.#pos = close + 1;
      // Go drops carriage returns from raw string literals.
      const raw = s.slice(start + 1, close);
      const value = raw.replace(/\r/g, '');
      return { t: 'string', arg: { value, start, rawStart: value === raw ? start + 1 : undefined }, end: close + 1 };
    }
    if (c === '"') return this.#quoted(start);
    if (c === "'") {
      throw new RuleSyntaxError("single quotes are not accepted (Go rune literal): use backticks ` or double quotes \"", start);
    }
    if (c === '&' || c === '|') throw new RuleSyntaxError(`unexpected "${c}" (did you mean "${c}${c}"?)`, start);
    throw new RuleSyntaxError(`unexpected character ${JSON.stringify(c)}`, start);
  }

  /** A Go interpreted string literal: escapes produce bytes, decoded as UTF-8 at the end. */
  #quoted(start: number): Token {
    const s = this.#src;
    const bytes: number[] = [];
    let escaped = false;
    let i = start + 1;
    const pushText = (text: string): void => { for (const b of Buffer.from(text, 'utf8')) bytes.push(b); };
    for (;;) {
      if (i >= s.length || s[i] === '\n') throw new RuleSyntaxError('unterminated string (missing closing ")', start);
      const c = s[i]!;
      if (c === '"') break;
      if (c !== '\\') {
        const cp = s.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        pushText(ch);
        i += ch.length;
        continue;
      }
      escaped = true;
      const e = s[i + 1];
      const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
      if (e !== undefined && e in simple) { bytes.push(simple[e]!); i += 2; continue; }
      const hexOf = (len: number): number | undefined => {
        const h = s.slice(i + 2, i + 2 + len);
        return h.length === len && /^[0-9a-fA-F]+$/.test(h) ? parseInt(h, 16) : undefined;
      };
      if (e === 'x') {
        const v = hexOf(2);
        if (v === undefined) throw new RuleSyntaxError('invalid \\x escape in string (needs two hex digits)', i);
        bytes.push(v); i += 4; continue;
      }
      if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const v = hexOf(len);
        if (v === undefined || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
          throw new RuleSyntaxError(`invalid \\${e} escape in string`, i);
        }
        pushText(String.fromCodePoint(v)); i += 2 + len; continue;
      }
      if (e !== undefined && e >= '0' && e <= '7') {
        const o = s.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new RuleSyntaxError('invalid octal escape in string (needs three octal digits)', i);
        bytes.push(parseInt(o, 8)); i += 4; continue;
      }
      throw new RuleSyntaxError(`unknown escape sequence ${JSON.stringify('\\' + (e ?? ''))} in string`, i);
    }
    this.#pos = i + 1;
    const value = utf8.decode(Uint8Array.from(bytes));
    return { t: 'string', arg: { value, start, rawStart: escaped ? undefined : start + 1 }, end: i + 1 };
  }
}

/**
 * Parses a rule into its expression tree. Throws `RuleSyntaxError` with the offending offset, also for a rule
 * longer than MAX_RULE_LENGTH or nested deeper than MAX_RULE_DEPTH (code TAGWAY_RULE_LIMIT).
 *
 * @example
 * parseRule('Host(`a`) || !PathPrefix("/b")') // { kind: 'or', items: [call Host, not call PathPrefix] }
 */
export function parseRule(rule: string): Expr {
  if (rule.length > MAX_RULE_LENGTH) {
    throw new RuleSyntaxError(`rule is ${rule.length} characters long, more than the limit of ${MAX_RULE_LENGTH}`, MAX_RULE_LENGTH, 'TAGWAY_RULE_LIMIT');
  }
  return new RuleParser(rule).parse();
}
