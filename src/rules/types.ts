/**
 * What a rule looks at. `RequestContext` (src/http/context.ts) satisfies it structurally.
 * `host` must already be lower-case without port and without one trailing dot (see `matchingHost`),
 * `path` must be the clean path (see `cleanPath`), `clientIp` the TCP peer address.
 */
export interface MatchRequest {
  method: string;
  host: string;
  path: string;
  rawQuery: string;
  clientIp: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The request as received (a node `IncomingMessage` satisfies it), when there is one. Node joins repeated header
   * lines with ", " where Go keeps one value per line; header matchers read the lines from here when a value they
   * see has a comma and is the one received (not set by the gateway, like X-Forwarded-Proto).
   */
  req?: { readonly headers: Record<string, string | string[] | undefined>; readonly headersDistinct: Record<string, string[] | undefined> };
}

/** A rule compiled into a matcher. */
export interface CompiledRule {
  ok: true;
  /** The rule as written. */
  rule: string;
  /** Whether the request satisfies the rule. Synchronous, allocation-free in the common case. */
  match(req: MatchRequest): boolean;
  /**
   * `undefined` when the rule does not pin the host. Otherwise the request host must be one of these exact
   * lower-case hosts, or match one of `hostPatterns`, for the rule to match (a necessary condition derived
   * from `Host(...)` matchers under `&&`, `||` and `!`). An empty list with no patterns means the rule can
   * never match.
   */
  hosts: string[] | undefined;
  /** Wildcard host patterns (`*.example.com`, `**.example.com`, `*`), lower-case, completing `hosts`. */
  hostPatterns?: string[];
  /**
   * The rule specialized for requests whose host is `host`: host matchers (`Host`, `HostRegexp`) folded to
   * constants. `true`/`false` when that decides the rule, else a smaller matcher for the rest (for
   * ``Host(`a`) && PathPrefix(`/api`)`` and host `a`, just the PathPrefix test). The route table calls it
   * once per exact-host bucket. Always set by `compileRule`; without it the table uses `match`.
   */
  specialize?(host: string): boolean | ((req: MatchRequest) => boolean);
  /**
   * Why the request does not match (the failing matchers and what they saw), or undefined when it matches.
   * Always set by `compileRule`; optional so hand-made rules (tests, internal routers) stay simple.
   */
  explain?(req: MatchRequest): string | undefined;
}

/** What `compileRule` returns on success: a CompiledRule whose optional helpers are all set. */
export interface CompiledRuleWithHelpers extends CompiledRule {
  explain(req: MatchRequest): string | undefined;
  specialize(host: string): boolean | ((req: MatchRequest) => boolean);
}

/** Stable codes for rule errors: match on `code`. */
export type RuleErrorCode = 'TAGWAY_RULE_SYNTAX' | 'TAGWAY_RULE_LIMIT' | 'TAGWAY_RULE_MATCHER' | 'TAGWAY_RULE_ARGUMENT' | 'TAGWAY_RULE_REGEXP';

/** A rule that failed to compile, with the column (1-based) of the problem. */
export interface RuleError {
  ok: false;
  code: RuleErrorCode;
  rule: string;
  /** The rule, a caret line pointing at the column, and the reason. */
  message: string;
  /** The reason alone (one line). */
  reason: string;
  /** 1-based position in the rule (in UTF-16 code units). */
  column: number;
}
