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

/** How much of a long line the caret message shows on each side of the column. */
const CONTEXT = 60;

function ruleError(rule: string, code: RuleErrorCode, reason: string, offset: number): RuleError {
  const at = Math.max(0, Math.min(offset, rule.length));
  // (lastIndexOf treats a negative start as 0: at 0 it would find a newline at 0, after the column.)
  let lineStart = at === 0 ? 0 : rule.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = rule.indexOf('\n', at);
  if (lineEnd === -1) lineEnd = rule.length;
  // A long line is cut around the column so the message stays readable (and small in the API and the log).
  const head = at - lineStart > CONTEXT ? '…' : '';
  const tail = lineEnd - at > CONTEXT ? '…' : '';
  if (head) lineStart = at - CONTEXT;
  if (tail) lineEnd = at + CONTEXT;
  const line = head + rule.slice(lineStart, lineEnd) + tail;
  const message = `${line}\n${' '.repeat(at - lineStart + head.length)}^ ${reason}`;
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
  return e.kind === 'call' || e.kind === 'not' ? e.start : startOf(e.items[0]!);
}

function endOf(e: Expr): number {
  return e.kind === 'call' ? e.end : e.kind === 'not' ? endOf(e.expr) : endOf(e.items[e.items.length - 1]!);
}

/** Flattens parenthesized chains of the same operator (`(a && b) && c`) so they are one loop. */
function operands(e: Expr, kind: 'and' | 'or', out: Expr[]): Expr[] {
  if (e.kind === kind) { for (const item of e.items) operands(item, kind, out); } else out.push(e);
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
      const parts = e.items.map((item) => hostConstraint(item, positive, leaves));
      if ((e.kind === 'and') === positive) {
        // A conjunction: each operand's condition is sound, so fold them into the tightest.
        let best: HostSet | undefined;
        for (const p of parts) if (p !== undefined) best = best === undefined ? p : tighter(best, p);
        return best;
      }
      // A disjunction constrains the host only when every operand does: the union, built once.
      const union: HostSet = { exact: new Set(), patterns: new Set() };
      for (const p of parts) {
        if (p === undefined) return undefined;
        for (const h of p.exact) union.exact.add(h);
        for (const h of p.patterns) union.patterns.add(h);
      }
      return union;
    }
  }
}

/** Of two sound conditions: their intersection when both are exact-only, else the smaller one. */
function tighter(l: HostSet, r: HostSet): HostSet {
  if (l.patterns.size === 0 && r.patterns.size === 0) {
    const exact = new Set<string>();
    for (const h of l.exact) if (r.exact.has(h)) exact.add(h);
    return { exact, patterns: new Set() };
  }
  if (l.patterns.size === 0) return l;
  if (r.patterns.size === 0) return r;
  return l.exact.size + l.patterns.size <= r.exact.size + r.patterns.size ? l : r;
}

/**
 * The operands of an && / || chain with its exact `Host` matchers set apart: the route table specializes a
 * rule once per host it names, so ``Host(`a`) || Host(`b`) || …`` must not cost a scan of every matcher per host.
 */
interface Chain { hosts: Set<string>; rest: Expr[] }

function chainOf(e: Extract<Expr, { kind: 'and' | 'or' }>, leaves: Map<Expr, Leaf>, chains: Map<Expr, Chain>): Chain {
  let chain = chains.get(e);
  if (chain === undefined) {
    chain = { hosts: new Set(), rest: [] };
    for (const operand of operands(e, e.kind, [])) {
      const host = operand.kind === 'call' ? leaves.get(operand)!.host : undefined;
      if (host !== undefined && !host.startsWith('*')) chain.hosts.add(host);
      else chain.rest.push(operand);
    }
    chains.set(e, chain);
  }
  return chain;
}

/** Folds the host matchers of `e` for requests with host `host`; see CompiledRule.specialize. */
function specialize(e: Expr, leaves: Map<Expr, Leaf>, host: string, chains: Map<Expr, Chain>): boolean | MatchFn {
  switch (e.kind) {
    case 'call': {
      const leaf = leaves.get(e)!;
      if (!leaf.hostOnly) return leaf.match;
      const probe: MatchRequest = { method: '', host, path: '/', rawQuery: '', clientIp: '', headers: {} };
      return leaf.match(probe);
    }
    case 'not': {
      const inner = specialize(e.expr, leaves, host, chains);
      if (typeof inner === 'boolean') return !inner;
      return function not(req) { return !inner(req); };
    }
    case 'and': case 'or': {
      const isAnd = e.kind === 'and';
      const chain = chainOf(e, leaves, chains);
      // Exact Host(h) is true exactly when the request host is h (hosts are lower-case, never empty).
      if (chain.hosts.size > 0) {
        if (isAnd && (chain.hosts.size > 1 || !chain.hosts.has(host))) return false;
        if (!isAnd && chain.hosts.has(host)) return true;
      }
      const fns: MatchFn[] = [];
      for (const operand of chain.rest) {
        const r = specialize(operand, leaves, host, chains);
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
      case 'and': {
        for (const item of e.items) { const r = why(item, req); if (r !== undefined) return r; }
        return undefined;
      }
      case 'or': {
        const reasons: string[] = [];
        for (const item of e.items) { const r = why(item, req); if (r === undefined) return undefined; reasons.push(r); }
        return reasons.join('; ');
      }
    }
  };
  return function explain(req) { return why(root, req); };
}

function collectCalls(e: Expr, out: Array<Extract<Expr, { kind: 'call' }>>): typeof out {
  if (e.kind === 'call') out.push(e);
  else if (e.kind === 'not') collectCalls(e.expr, out);
  else for (const item of e.items) collectCalls(item, out);
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
    if (error instanceof RuleSyntaxError) return ruleError(rule, error.code, error.message, error.offset);
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
  return new Compiled(rule, root, leaves, toMatcher(root, leaves), constraint);
}

/**
 * A compiled rule. `explain` and `specialize` are methods, and what they need beyond the tree (the explainer, the
 * chains of host matchers) is made on their first call: a route table of 5,000 `Host` rules asks each rule to
 * specialize once and never to explain, so a rule holds its matcher and its tree, not five closures (issue 17).
 */
class Compiled implements CompiledRuleWithHelpers {
  readonly ok = true;
  readonly rule: string;
  readonly match: MatchFn;
  readonly hosts: string[] | undefined;
  declare hostPatterns?: string[];
  readonly #root: Expr;
  readonly #leaves: Map<Expr, Leaf>;
  #chains: Map<Expr, Chain> | undefined;
  #explain: ((req: MatchRequest) => string | undefined) | undefined;

  constructor(rule: string, root: Expr, leaves: Map<Expr, Leaf>, match: MatchFn, constraint: HostSet | undefined) {
    this.rule = rule;
    this.match = match;
    this.hosts = constraint === undefined ? undefined : [...constraint.exact];
    if (constraint !== undefined && constraint.patterns.size > 0) this.hostPatterns = [...constraint.patterns];
    this.#root = root;
    this.#leaves = leaves;
  }

  explain(req: MatchRequest): string | undefined {
    this.#explain ??= explainer(this.rule, this.#root, this.#leaves);
    return this.#explain(req);
  }

  specialize(host: string): boolean | MatchFn {
    return specialize(this.#root, this.#leaves, host, this.#chains ??= new Map());
  }
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
