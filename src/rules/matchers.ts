/**
 * The matcher builders of Traefik v3's HTTP rule syntax (pkg/muxer/http/matcher.go): a table of
 * builders with arity checks that turn arguments into closures once, when the rule is compiled, so a bad
 * argument fails at configuration time and a request only runs the closures.
 */
import type { Arg } from './parse.ts';
import type { MatchRequest, RuleErrorCode } from './types.ts';
import { networkContains, parseClientIp, parseNetwork } from '../util/ip.ts';
import { routingPath } from '../http/path.ts';
import { parseQuery } from './query.ts';
import { compileGoRegexp, RegexpError, type GoRegexp } from '../regexp/index.ts';

/** One compiled matcher call. */
export interface Leaf {
  match: (req: MatchRequest) => boolean;
  /** For `Host`: the lower-case host or host pattern the request must have. */
  host?: string;
  /** True when the result depends on the request host alone (`Host`, `HostRegexp`). */
  hostOnly?: boolean;
  /** What the matcher looked at in this request (for explanations). */
  observed(req: MatchRequest): string;
}

/** A bad argument, at a rule offset. */
export class MatcherError extends Error {
  readonly code: RuleErrorCode;
  readonly offset: number;
  constructor(code: RuleErrorCode, message: string, offset: number) {
    super(message);
    this.name = 'MatcherError';
    this.code = code;
    this.offset = offset;
  }
}

interface Builder {
  /** Accepted argument counts. */
  arity: readonly number[];
  build(args: Arg[]): Leaf;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function regexpOf(matcher: string, arg: Arg): GoRegexp {
  try {
    return compileGoRegexp(arg.value);
  } catch (error) {
    if (!(error instanceof RegexpError)) throw error;
    const offset = arg.rawStart !== undefined ? arg.rawStart + error.offset : arg.start;
    throw new MatcherError('TAGWAY_RULE_REGEXP', `${matcher}: ${error.message}`, offset);
  }
}

function headerValue(req: MatchRequest, key: string): string {
  const v = req.headers[key];
  return v === undefined ? `header ${key} absent` : `header ${key}: ${JSON.stringify(v)}`;
}

/** What a host matcher looked at (one function for every `Host` leaf: it captures nothing). */
function observedHost(req: MatchRequest): string { return `host ${JSON.stringify(req.host)}`; }

/** Traefik's `Host`: exact, `*.` one label, `**.` one or more labels (DomainMatchHostExpression). */
function buildHost([arg]: Arg[]): Leaf {
  if (!isAscii(arg!.value)) {
    throw new MatcherError('TAGWAY_RULE_ARGUMENT', `invalid value ${JSON.stringify(arg!.value)} for Host matcher, non-ASCII characters are not allowed (use punycode)`, arg!.start);
  }
  let expr = arg!.value.toLowerCase();
  if (expr.endsWith('.')) expr = expr.slice(0, -1);
  const observed = observedHost;
  if (expr.startsWith('**.')) {
    const tail = expr.slice(2);
    return {
      host: expr, hostOnly: true, observed,
      match: function hostSubdomains(req) { return req.host.length > tail.length && req.host.endsWith(tail); },
    };
  }
  if (expr === '*') {
    // Traefik v3.7: `Host(\`*\`)` matches every request, with or without a host (as HostSNI(`*`) on TCP).
    return { host: expr, hostOnly: true, observed, match: function anyHost() { return true; } };
  }
  if (expr.startsWith('*')) {
    // The first label of the request host is replaced by '*' and the result compared.
    const rest = expr.slice(1);
    return {
      host: expr, hostOnly: true, observed,
      match: function hostWildcard(req) {
        const h = req.host;
        if (h === '') return false;
        const dot = h.indexOf('.');
        return dot === -1 ? rest === '' : h.length - dot === rest.length && h.endsWith(rest);
      },
    };
  }
  return {
    host: expr, hostOnly: true, observed,
    match: function host(req) { return req.host === expr && expr !== ''; },
  };
}

function buildHostRegexp([arg]: Arg[]): Leaf {
  if (!isAscii(arg!.value)) {
    throw new MatcherError('TAGWAY_RULE_ARGUMENT', `invalid value ${JSON.stringify(arg!.value)} for HostRegexp matcher, non-ASCII characters are not allowed`, arg!.start);
  }
  const re = regexpOf('HostRegexp', arg!);
  return { hostOnly: true, observed: (req) => `host ${JSON.stringify(req.host)}`, match: function hostRegexp(req) { return re.test(req.host); } };
}

function rootedPath(matcher: string, arg: Arg): string {
  if (!arg.value.startsWith('/')) {
    throw new MatcherError('TAGWAY_RULE_ARGUMENT', `${matcher}: path ${JSON.stringify(arg.value)} does not start with a '/'`, arg.start);
  }
  return arg.value;
}

const observePath = (req: MatchRequest): string => `path ${JSON.stringify(routingPath(req.path))}`;

function buildPath([arg]: Arg[]): Leaf {
  const p = rootedPath('Path', arg!);
  return { observed: observePath, match: function path(req) { return routingPath(req.path) === p; } };
}

function buildPathPrefix([arg]: Arg[]): Leaf {
  const p = rootedPath('PathPrefix', arg!);
  return { observed: observePath, match: function pathPrefix(req) { return routingPath(req.path).startsWith(p); } };
}

function buildPathRegexp([arg]: Arg[]): Leaf {
  const re = regexpOf('PathRegexp', arg!);
  return { observed: observePath, match: function pathRegexp(req) { return re.test(routingPath(req.path)); } };
}

function buildMethod([arg]: Arg[]): Leaf {
  const m = arg!.value.toUpperCase();
  return { observed: (req) => `method ${JSON.stringify(req.method)}`, match: function method(req) { return req.method === m; } };
}

/**
 * A header's values as Traefik's matchers see them (Go's `Header.Values`: one value per header line). Node joins
 * repeated lines with ", ", so a value with a comma that is the one received is split back into its lines.
 */
function headerValues(req: MatchRequest, key: string): string | readonly string[] | undefined {
  const v = req.headers[key];
  if (typeof v !== 'string' || !v.includes(',') || req.req === undefined || req.req.headers[key] !== v) return v;
  return req.req.headersDistinct[key] ?? v;
}

function buildHeader([name, value]: Arg[]): Leaf {
  const key = name!.value.toLowerCase();
  const want = value!.value;
  return {
    observed: (req) => headerValue(req, key),
    match: function header(req) {
      const v = headerValues(req, key);
      if (v === undefined) return false;
      return typeof v === 'string' ? v === want : v.includes(want);
    },
  };
}

function buildHeaderRegexp([name, value]: Arg[]): Leaf {
  const key = name!.value.toLowerCase();
  const re = regexpOf('HeaderRegexp', value!);
  return {
    observed: (req) => headerValue(req, key),
    match: function headerRegexp(req) {
      const v = headerValues(req, key);
      if (v === undefined) return false;
      if (typeof v === 'string') return re.test(v);
      for (const item of v) if (re.test(item)) return true;
      return false;
    },
  };
}

const observeQuery = (req: MatchRequest): string => `query ${JSON.stringify(req.rawQuery)}`;

function buildQuery([key, value]: Arg[]): Leaf {
  const k = key!.value;
  const want = value?.value ?? '';
  return {
    observed: observeQuery,
    match: function query(req) {
      if (req.rawQuery === '') return false;
      const values = parseQuery(req.rawQuery).get(k);
      return values !== undefined && values.includes(want);
    },
  };
}

function buildQueryRegexp(args: Arg[]): Leaf {
  if (args.length === 1) return buildQuery(args);
  const k = args[0]!.value;
  const re = regexpOf('QueryRegexp', args[1]!);
  return {
    observed: observeQuery,
    match: function queryRegexp(req) {
      if (req.rawQuery === '') return false;
      const values = parseQuery(req.rawQuery).get(k);
      if (values === undefined) return false;
      for (const v of values) if (re.test(v)) return true;
      return false;
    },
  };
}

function buildClientIp([arg]: Arg[]): Leaf {
  const net = parseNetwork(arg!.value);
  if (!net) throw new MatcherError('TAGWAY_RULE_ARGUMENT', `invalid value ${JSON.stringify(arg!.value)} for ClientIP matcher: not an IP or CIDR`, arg!.start);
  return {
    observed: (req) => `client IP ${JSON.stringify(req.clientIp)}`,
    match: function clientIp(req) {
      const ip = parseClientIp(req.clientIp);
      return ip !== undefined && networkContains(net, ip);
    },
  };
}

/** The v3 matchers, by canonical name. */
export const MATCHERS: Readonly<Record<string, Builder>> = {
  ClientIP: { arity: [1], build: buildClientIp },
  Method: { arity: [1], build: buildMethod },
  Host: { arity: [1], build: buildHost },
  HostRegexp: { arity: [1], build: buildHostRegexp },
  Path: { arity: [1], build: buildPath },
  PathRegexp: { arity: [1], build: buildPathRegexp },
  PathPrefix: { arity: [1], build: buildPathPrefix },
  Header: { arity: [2], build: buildHeader },
  HeaderRegexp: { arity: [2], build: buildHeaderRegexp },
  Query: { arity: [1, 2], build: buildQuery },
  QueryRegexp: { arity: [1, 2], build: buildQueryRegexp },
};

/**
 * Spellings Traefik accepts for each matcher (pkg/rules/parser.go): as written, lower-case, upper-case and
 * Title-case of the lower-case name; `pathPrefix` is not among them.
 */
const SPELLINGS = new Map<string, string>();
for (const name of Object.keys(MATCHERS)) {
  const lower = name.toLowerCase();
  for (const s of [name, lower, name.toUpperCase(), lower[0]!.toUpperCase() + lower.slice(1)]) SPELLINGS.set(s, name);
}

/** The canonical matcher name for a spelling Traefik accepts, or undefined. */
export function canonicalMatcher(spelling: string): string | undefined {
  return SPELLINGS.get(spelling);
}

/** The closest matcher name for a "did you mean" hint, or undefined when nothing is close. */
export function suggestMatcher(spelling: string): string | undefined {
  const lower = spelling.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of Object.keys(MATCHERS)) {
    const d = distance(lower, name.toLowerCase());
    if (d < bestDistance) { bestDistance = d; best = name; }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(spelling.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
