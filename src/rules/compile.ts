/**
 * Rule compilation: parse, check every matcher call (name, arity, arguments), build one closure tree,
 * and derive the host constraint the route table indexes on. Errors point at the column.
 */
import { canonicalMatcher, MATCHERS, MatcherError, suggestMatcher, type Leaf } from './matchers.ts';
import { parseRule, RuleSyntaxError, type Expr } from './parse.ts';
import type { CompiledRuleWithHelpers, MatchRequest, RuleError, RuleErrorCode } from './types.ts';

type MatchFn = (req: MatchRequest) => boolean;

/** Exact hosts plus wildcard patterns one of which the request host must satisfy. */
interface HostSet { exact: Set<string>; patterns: Set<string> }

function ruleError(rule: string, code: RuleErrorCode, reason: string, offset: number): RuleError {
  const at = Math.max(0, Math.min(offset, rule.length));
  const lineStart = rule.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = rule.indexOf('\n', at);
  const line = rule.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const message = `${line}\n${' '.repeat(at - lineStart)}^ ${reason}`;
  return { ok: false, code, rule, message, reason, column: at + 1 };
}

/** Checks a call and builds its leaf; throws MatcherError. */
function buildLeaf(call: Extract<Expr, { kind: 'call' }>): Leaf {
  const name = canonicalMatcher(call.name);
  if (name === undefined) {
    const hint = suggestMatcher(call.name);
    throw new MatcherError('TAGWAY_RULE_MATCHER',
      `unknown matcher ${JSON.stringify(call.name)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`, call.start);
  }
  const builder = MATCHERS[name]!;
  if (!builder.arity.includes(call.args.length)) {
    const want = builder.arity.join(' or ');
    const plural = builder.arity.length === 1 && builder.arity[0] === 1 ? 'argument' : 'arguments';
    throw new MatcherError('TAGWAY_RULE_ARGUMENT', `${name} takes ${want} ${plural}, got ${call.args.length}`, call.start);
  }
  for (const arg of call.args) {
    if (arg.value === '') throw new MatcherError('TAGWAY_RULE_ARGUMENT', `empty argument to ${name}`, arg.start);
  }
  return builder.build(call.args);
}

function startOf(e: Expr): number {
  return e.kind === 'call' || e.kind === 'not' ? e.start : startOf(e.left);
}

function endOf(e: Expr): number {
  return e.kind === 'call' ? e.end : e.kind === 'not' ? endOf(e.expr) : endOf(e.right);
}

/** Flattens a chain of the same operator so `a && b && c` is one loop, not nested calls. */
function operands(e: Expr, kind: 'and' | 'or', out: Expr[]): Expr[] {
  if (e.kind === kind) { operands(e.left, kind, out); operands(e.right, kind, out); } else out.push(e);
  return out;
}

function toMatcher(e: Expr, leaves: Map<Expr, Leaf>): MatchFn {
  switch (e.kind) {
    case 'call': return leaves.get(e)!.match;
    case 'not': {
      const inner = toMatcher(e.expr, leaves);
      return function not(req) { return !inner(req); };
    }
    case 'and': {
      const fns = operands(e, 'and', []).map((x) => toMatcher(x, leaves));
      if (fns.length === 2) {
        const [a, b] = fns as [MatchFn, MatchFn];
        return function and(req) { return a(req) && b(req); };
      }
      return function andAll(req) {
        for (let i = 0; i < fns.length; i++) if (!fns[i]!(req)) return false;
        return true;
      };
    }
    case 'or': {
      const fns = operands(e, 'or', []).map((x) => toMatcher(x, leaves));
      if (fns.length === 2) {
        const [a, b] = fns as [MatchFn, MatchFn];
        return function or(req) { return a(req) || b(req); };
      }
      return function orAny(req) {
        for (let i = 0; i < fns.length; i++) if (fns[i]!(req)) return true;
        return false;
      };
    }
  }
}

/**
 * The hosts a request must have for `e` to be `positive` (a sound, necessary condition), or undefined
 * when `e` does not constrain the host. `!` flips the polarity, which swaps && and || (De Morgan).
 */
function hostConstraint(e: Expr, positive: boolean, leaves: Map<Expr, Leaf>): HostSet | undefined {
  switch (e.kind) {
    case 'call': {
      const host = leaves.get(e)!.host;
      if (!positive || host === undefined) return undefined;
      return host.startsWith('*') ? { exact: new Set(), patterns: new Set([host]) } : { exact: new Set([host]), patterns: new Set() };
    }
    case 'not': return hostConstraint(e.expr, !positive, leaves);
    case 'and': case 'or': {
      const l = hostConstraint(e.left, positive, leaves);
      const r = hostConstraint(e.right, positive, leaves);
      const conjunction = (e.kind === 'and') === positive;
      if (conjunction) {
        if (l === undefined) return r;
        if (r === undefined) return l;
        // Either side is a sound condition; intersect when both are exact-only, else keep the tighter one.
        if (l.patterns.size === 0 && r.patterns.size === 0) return { exact: new Set([...l.exact].filter((h) => r.exact.has(h))), patterns: new Set() };
        if (l.patterns.size === 0) return l;
        if (r.patterns.size === 0) return r;
        return l.exact.size + l.patterns.size <= r.exact.size + r.patterns.size ? l : r;
      }
      if (l === undefined || r === undefined) return undefined;
      return { exact: new Set([...l.exact, ...r.exact]), patterns: new Set([...l.patterns, ...r.patterns]) };
    }
  }
}

/** Folds the host matchers of `e` for requests with host `host`; see CompiledRule.specialize. */
function specialize(e: Expr, leaves: Map<Expr, Leaf>, host: string): boolean | MatchFn {
  switch (e.kind) {
    case 'call': {
      const leaf = leaves.get(e)!;
      if (!leaf.hostOnly) return leaf.match;
      const probe: MatchRequest = { method: '', host, path: '/', rawQuery: '', clientIp: '', headers: {} };
      return leaf.match(probe);
    }
    case 'not': {
      const inner = specialize(e.expr, leaves, host);
      if (typeof inner === 'boolean') return !inner;
      return function not(req) { return !inner(req); };
    }
    case 'and': case 'or': {
      const isAnd = e.kind === 'and';
      const fns: MatchFn[] = [];
      for (const operand of operands(e, e.kind, [])) {
        const r = specialize(operand, leaves, host);
        if (r === !isAnd) return r; // false decides an &&, true decides an ||
        if (typeof r !== 'boolean') fns.push(r);
      }
      if (fns.length === 0) return isAnd;
      if (fns.length === 1) return fns[0]!;
      if (isAnd) return function andAll(req) { for (let i = 0; i < fns.length; i++) if (!fns[i]!(req)) return false; return true; };
      return function orAny(req) { for (let i = 0; i < fns.length; i++) if (fns[i]!(req)) return true; return false; };
    }
  }
}

function explainer(rule: string, root: Expr, leaves: Map<Expr, Leaf>): (req: MatchRequest) => string | undefined {
  const text = (e: Expr): string => rule.slice(startOf(e), endOf(e));
  const why = (e: Expr, req: MatchRequest): string | undefined => {
    switch (e.kind) {
      case 'call': {
        const leaf = leaves.get(e)!;
        return leaf.match(req) ? undefined : `${text(e)} is false (${leaf.observed(req)})`;
      }
      case 'not': return why(e.expr, req) === undefined ? `${text(e)} is false (${text(e.expr)} matches)` : undefined;
      case 'and': return why(e.left, req) ?? why(e.right, req);
      case 'or': {
        const a = why(e.left, req);
        if (a === undefined) return undefined;
        const b = why(e.right, req);
        return b === undefined ? undefined : `${a}; ${b}`;
      }
    }
  };
  return function explain(req) { return why(root, req); };
}

function collectCalls(e: Expr, out: Array<Extract<Expr, { kind: 'call' }>>): typeof out {
  if (e.kind === 'call') out.push(e);
  else if (e.kind === 'not') collectCalls(e.expr, out);
  else { collectCalls(e.left, out); collectCalls(e.right, out); }
  return out;
}

/**
 * Compiles a Traefik v3 rule. Never throws: a bad rule yields `{ ok: false, message, column }` with the
 * message pointing at the column.
 *
 * @example
 * const r = compileRule('Host(`api.example.com`) && PathPrefix(`/v1`)');
 * if (r.ok) r.match({ method: 'GET', host: 'api.example.com', path: '/v1/x', rawQuery: '', clientIp: '127.0.0.1', headers: {} }); // true
 * compileRule('Host(`a`) && Pat(`/`)');
 * // { ok: false, column: 14, message: 'Host(`a`) && Pat(`/`)\n             ^ unknown matcher "Pat" (did you mean "Path"?)', ... }
 */
export function compileRule(rule: string): CompiledRuleWithHelpers | RuleError {
  let root: Expr;
  try {
    root = parseRule(rule);
  } catch (error) {
    if (error instanceof RuleSyntaxError) return ruleError(rule, 'TAGWAY_RULE_SYNTAX', error.message, error.offset);
    throw error;
  }
  const leaves = new Map<Expr, Leaf>();
  try {
    for (const call of collectCalls(root, [])) leaves.set(call, buildLeaf(call));
  } catch (error) {
    if (error instanceof MatcherError) return ruleError(rule, error.code, error.message, error.offset);
    throw error;
  }
  const constraint = hostConstraint(root, true, leaves);
  const compiled: CompiledRuleWithHelpers = {
    ok: true,
    rule,
    match: toMatcher(root, leaves),
    hosts: constraint === undefined ? undefined : [...constraint.exact],
    explain: explainer(rule, root, leaves),
    specialize: (host) => specialize(root, leaves, host),
  };
  if (constraint !== undefined && constraint.patterns.size > 0) compiled.hostPatterns = [...constraint.patterns];
  return compiled;
}

/** The lower-cased `Host(...)` arguments of a rule, or undefined when the rule does not parse. */
export function ruleHostArguments(rule: string): string[] | undefined {
  try {
    return collectCalls(parseRule(rule), [])
      .filter((c) => canonicalMatcher(c.name) === 'Host')
      .flatMap((c) => c.args.map((a) => a.value.toLowerCase()));
  } catch (error) {
    if (error instanceof RuleSyntaxError) return undefined;
    throw error;
  }
}
