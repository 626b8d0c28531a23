/**
 * The `constraints` expression of the Consul Catalog provider, as Traefik's `constraints.MatchTags`:
 * `Tag(\`x\`)`, `TagRegex(\`re\`)`, `!`, `&&`, `||` and parentheses. Arguments are Go string literals
 * (backquoted raw strings or double-quoted). `TagRegex` is a Go regexp (src/regexp/), unanchored like Go's `MatchString`.
 * An empty expression matches everything. Parse errors throw `ConstraintError` naming the column.
 */
import { compileGoRegexp, type GoRegexp } from '../../regexp/index.ts';

/** A compiled constraint: does this list of tags satisfy the expression? */
export type TagPredicate = (tags: readonly string[]) => boolean;

/** The longest expression accepted (characters) and how deep parentheses and `!` may nest. */
export const MAX_CONSTRAINTS_LENGTH = 16384;
export const MAX_CONSTRAINTS_DEPTH = 100;

export class ConstraintError extends Error {
  readonly code = 'TAGWAY_CONSTRAINT_SYNTAX';
  constructor(message: string, readonly expression: string, readonly position: number) {
    super(`invalid constraints expression ${JSON.stringify(expression)} at column ${position + 1}: ${message}`);
    this.name = 'ConstraintError';
  }
}

type Token =
  | { kind: 'ident'; value: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'op'; value: '!' | '&&' | '||' | '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

/**
 * Compiles a constraints expression once; the predicate is then cheap to call per service.
 *
 * @example
 * const match = compileConstraints('Tag(`public`) && !TagRegex(`^env=dev`)');
 * match(['public', 'env=prod']) // true
 */
export function compileConstraints(expression: string): TagPredicate {
  if (expression.length > MAX_CONSTRAINTS_LENGTH) {
    // The message names the length, not the whole expression.
    throw new ConstraintError(`expression is ${expression.length} characters long, more than the limit of ${MAX_CONSTRAINTS_LENGTH}`, expression.slice(0, 40) + '…', MAX_CONSTRAINTS_LENGTH);
  }
  if (expression.trim() === '') return function matchAll() { return true; };
  const tokens = tokenize(expression);
  let i = 0;
  let depth = 0;
  const peek = (): Token => tokens[i]!;
  const fail = (message: string, tok: Token = peek()): never => { throw new ConstraintError(message, expression, tok.pos); };
  const isOp = (v: string): boolean => { const t = peek(); return t.kind === 'op' && t.value === v; };
  const enter = (): void => { if (++depth > MAX_CONSTRAINTS_DEPTH) fail(`parentheses and "!" nest more than ${MAX_CONSTRAINTS_DEPTH} levels deep (the limit)`); };

  // A chain of one operator is one predicate over a list, so matching recurses only as deep as the nesting.
  function parseOr(): TagPredicate {
    const items = [parseAnd()];
    while (isOp('||')) { i++; items.push(parseAnd()); }
    if (items.length === 1) return items[0]!;
    return function any(tags) { for (const p of items) if (p(tags)) return true; return false; };
  }
  function parseAnd(): TagPredicate {
    const items = [parseUnary()];
    while (isOp('&&')) { i++; items.push(parseUnary()); }
    if (items.length === 1) return items[0]!;
    return function all(tags) { for (const p of items) if (!p(tags)) return false; return true; };
  }
  function parseUnary(): TagPredicate {
    if (isOp('!')) { enter(); i++; const inner = parseUnary(); depth--; return (tags) => !inner(tags); }
    if (isOp('(')) {
      enter();
      i++;
      const inner = parseOr();
      if (!isOp(')')) fail('expected ")"');
      i++;
      depth--;
      return inner;
    }
    const tok = peek();
    if (tok.kind !== 'ident') return fail(tok.kind === 'end' ? 'unexpected end of expression' : 'expected Tag(...) or TagRegex(...)');
    i++;
    if (!isOp('(')) fail(`expected "(" after ${tok.value}`);
    i++;
    const arg = peek();
    if (arg.kind !== 'string') return fail(`${tok.value} expects one string argument`);
    i++;
    if (!isOp(')')) fail(`${tok.value} expects exactly one argument`);
    i++;
    if (tok.value === 'Tag') { const want = arg.value; return (tags) => tags.includes(want); }
    if (tok.value === 'TagRegex') {
      let re: GoRegexp;
      try { re = compileGoRegexp(arg.value); } catch (err) { return fail(`invalid regular expression: ${(err as Error).message}`, arg); }
      return (tags) => tags.some((t) => re.test(t));
    }
    return fail(`unknown function ${tok.value} (known: Tag, TagRegex)`, tok);
  }

  const predicate = parseOr();
  if (peek().kind !== 'end') fail('unexpected token');
  return predicate;
}

/** An identifier at a position (sticky: no copy of the rest of the expression per token). */
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '&' || c === '|') {
      if (src[i + 1] !== c) throw new ConstraintError(`expected "${c}${c}"`, src, i);
      out.push({ kind: 'op', value: (c + c) as '&&' | '||', pos: i });
      i += 2;
      continue;
    }
    if (c === '!' || c === '(' || c === ')' || c === ',') { out.push({ kind: 'op', value: c, pos: i }); i++; continue; }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ConstraintError('unterminated raw string', src, i);
      out.push({ kind: 'string', value: src.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) { value += unescape(src[j + 1]!); j += 2; continue; }
        value += src[j];
        j++;
      }
      if (j >= src.length) throw new ConstraintError('unterminated string', src, i);
      out.push({ kind: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (!m) throw new ConstraintError(`unexpected character ${JSON.stringify(c)}`, src, i);
    out.push({ kind: 'ident', value: m[0], pos: i });
    i += m[0].length;
  }
  out.push({ kind: 'end', pos: src.length });
  return out;
}

function unescape(c: string): string {
  return c === 'n' ? '\n' : c === 't' ? '\t' : c;
}
