/**
 * The circuit breaker's condition language (vulcand/oxy's predicate syntax, as Traefik documents it):
 * `NetworkErrorRatio()`, `ResponseCodeRatio(from, to, dividedByFrom, dividedByTo)`,
 * `LatencyAtQuantileMS(quantile)`, numbers, comparisons (`<`, `<=`, `>`, `>=`, `==`, `!=`),
 * `&&`, `||` and parentheses. Compiled once into a closure; any error names the position.
 * @example
 * compileExpression('NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100')
 */

/** What an expression reads: the breaker's rolling metrics. */
export interface MetricsView {
  networkErrorRatio(): number;
  responseCodeRatio(from: number, to: number, dividedByFrom: number, dividedByTo: number): number;
  latencyAtQuantileMS(quantile: number): number;
}

export type Condition = (m: MetricsView) => boolean;

type Node =
  | { kind: 'num'; eval: (m: MetricsView) => number }
  | { kind: 'bool'; eval: (m: MetricsView) => boolean };

interface Token { type: 'num' | 'ident' | 'op' | 'punct' | 'end'; text: string; pos: number }

const TOKEN = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_]\w*)|(&&|\|\||<=|>=|==|!=|<|>)|([(),]))/y;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`unexpected character ${JSON.stringify(src.slice(pos).trimStart()[0])} at ${pos + 1}`);
    const start = pos + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) tokens.push({ type: 'num', text: m[1], pos: start });
    else if (m[2] !== undefined) tokens.push({ type: 'ident', text: m[2], pos: start });
    else if (m[3] !== undefined) tokens.push({ type: 'op', text: m[3], pos: start });
    else tokens.push({ type: 'punct', text: m[4]!, pos: start });
    pos = TOKEN.lastIndex;
  }
  tokens.push({ type: 'end', text: '', pos: src.length });
  return tokens;
}

/** A function an expression may call: its arity, what it gives (a number, or a condition) and its closure. */
export interface ExpressionFunction<V> { arity: number; returns?: 'num' | 'bool'; make: (args: number[]) => (view: V) => number | boolean }

const FUNCTIONS: Record<string, ExpressionFunction<MetricsView>> = {
  NetworkErrorRatio: { arity: 0, make: () => (m) => m.networkErrorRatio() },
  ResponseCodeRatio: { arity: 4, make: ([a, b, c, d]) => (m) => m.responseCodeRatio(a!, b!, c!, d!) },
  LatencyAtQuantileMS: { arity: 1, make: ([q]) => (m) => m.latencyAtQuantileMS(q!) },
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b,
  '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
};

/**
 * Parses `expression`; throws an Error naming what is wrong and where (1-based column). `functions` defaults to
 * the circuit breaker's; the buffering middleware's retry condition passes oxy's `Attempts()`, `ResponseCode()`
 * and `IsNetworkError()`.
 */
export function compileExpression(expression: string): Condition;
export function compileExpression<V>(expression: string, functions: Record<string, ExpressionFunction<V>>): (view: V) => boolean;
export function compileExpression(expression: string, functions: Record<string, ExpressionFunction<never>> = FUNCTIONS as never): Condition {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token => tokens[i]!;
  const fail = (msg: string, t: Token = peek()): never => {
    throw new Error(`${msg} at ${t.type === 'end' ? 'end of expression' : `column ${t.pos + 1} (${JSON.stringify(t.text)})`}`);
  };
  const expect = (text: string): void => { if (peek().text !== text) fail(`expected "${text}"`); i++; };

  function orExpr(): Node {
    let left = andExpr();
    while (peek().text === '||') {
      const op = peek(); i++;
      const right = andExpr();
      const l = asBool(left, op), r = asBool(right, op);
      left = { kind: 'bool', eval: (m) => l(m) || r(m) };
    }
    return left;
  }
  function andExpr(): Node {
    let left = comparison();
    while (peek().text === '&&') {
      const op = peek(); i++;
      const right = comparison();
      const l = asBool(left, op), r = asBool(right, op);
      left = { kind: 'bool', eval: (m) => l(m) && r(m) };
    }
    return left;
  }
  function comparison(): Node {
    const left = primary();
    const op = peek();
    if (op.type !== 'op' || !(op.text in COMPARE)) return left;
    i++;
    const right = primary();
    const l = asNum(left, op), r = asNum(right, op), cmp = COMPARE[op.text]!;
    return { kind: 'bool', eval: (m) => cmp(l(m), r(m)) };
  }
  function primary(): Node {
    const t = peek();
    if (t.type === 'num') { i++; const v = Number(t.text); return { kind: 'num', eval: () => v }; }
    if (t.text === '(') { i++; const inner = orExpr(); expect(')'); return inner; }
    if (t.type === 'ident') {
      const fn = Object.hasOwn(functions, t.text) ? functions[t.text] : undefined;
      if (!fn) fail(`unknown function, expected one of ${Object.keys(functions).join(', ')}`, t);
      i++;
      expect('(');
      const args: number[] = [];
      while (peek().text !== ')') {
        if (args.length > 0) expect(',');
        const a = peek();
        if (a.type !== 'num') fail(`${t.text} takes number arguments`);
        args.push(Number(a.text)); i++;
      }
      expect(')');
      if (args.length !== fn!.arity) fail(`${t.text} takes ${fn!.arity} argument(s), got ${args.length}`, t);
      return { kind: fn!.returns ?? 'num', eval: fn!.make(args) } as Node;
    }
    return fail('expected a number, a function or "("');
  }
  function asBool(n: Node, at: Token): (m: MetricsView) => boolean {
    if (n.kind !== 'bool') fail(`"${at.text}" needs comparisons on both sides`, at);
    return n.eval as (m: MetricsView) => boolean;
  }
  function asNum(n: Node, at: Token): (m: MetricsView) => number {
    if (n.kind !== 'num') fail(`"${at.text}" compares numbers`, at);
    return n.eval as (m: MetricsView) => number;
  }

  if (expression.trim() === '') throw new Error('the expression is empty');
  const root = orExpr();
  if (peek().type !== 'end') fail('unexpected token');
  if (root.kind !== 'bool') throw new Error('the expression must be a condition (e.g. NetworkErrorRatio() > 0.5)');
  return root.eval as Condition;
}
