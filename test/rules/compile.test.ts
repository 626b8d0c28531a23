import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, defaultPriority, type MatchRequest } from '../../src/rules/index.ts';

function request(over: Partial<MatchRequest> = {}): MatchRequest {
  return { method: 'GET', host: 'example.com', path: '/', rawQuery: '', clientIp: '127.0.0.1', headers: {}, ...over };
}

function mustCompile(rule: string) {
  const compiled = compileRule(rule);
  if (!compiled.ok) assert.fail(`rule should compile: ${compiled.message}`);
  return compiled;
}

describe('compileRule matching', () => {
  const cases: Array<{ desc: string; rule: string; req: Partial<MatchRequest>; want: boolean }> = [
    // Host
    { desc: 'Host exact', rule: 'Host(`example.com`)', req: {}, want: true },
    { desc: 'Host other host', rule: 'Host(`example.com`)', req: { host: 'example.org' }, want: false },
    { desc: 'Host rule is case-insensitive', rule: 'Host(`EXAMPLE.com`)', req: {}, want: true },
    { desc: 'Host rule trailing dot is ignored', rule: 'Host(`example.com.`)', req: {}, want: true },
    { desc: 'Host does not match a subdomain', rule: 'Host(`example.com`)', req: { host: 'www.example.com' }, want: false },
    { desc: 'Host never matches an empty host', rule: 'Host(`.`)', req: { host: '' }, want: false },
    { desc: 'Host IPv6 literal keeps brackets', rule: 'Host(`[::1]`)', req: { host: '[::1]' }, want: true },
    { desc: 'Host *. matches one label', rule: 'Host(`*.example.com`)', req: { host: 'foo.example.com' }, want: true },
    { desc: 'Host *. does not match two labels', rule: 'Host(`*.example.com`)', req: { host: 'a.b.example.com' }, want: false },
    { desc: 'Host *. does not match the apex', rule: 'Host(`*.example.com`)', req: { host: 'example.com' }, want: false },
    { desc: 'Host *. does not match a suffix inside a label', rule: 'Host(`*.example.com`)', req: { host: 'fooexample.com' }, want: false },
    { desc: 'Host *. with upper-case rule', rule: 'Host(`*.EXAMPLE.com`)', req: { host: 'foo.example.com' }, want: true },
    { desc: 'Host ** matches one label', rule: 'Host(`**.example.com`)', req: { host: 'foo.example.com' }, want: true },
    { desc: 'Host ** matches nested labels', rule: 'Host(`**.example.com`)', req: { host: 'a.b.c.example.com' }, want: true },
    { desc: 'Host ** does not match the apex', rule: 'Host(`**.example.com`)', req: { host: 'example.com' }, want: false },
    { desc: 'Host ** does not match an empty first label', rule: 'Host(`**.example.com`)', req: { host: '.example.com' }, want: false },
    { desc: 'Host ** does not match another domain', rule: 'Host(`**.example.com`)', req: { host: 'a.example.org' }, want: false },
    { desc: 'Host * matches a single-label host', rule: 'Host(`*`)', req: { host: 'localhost' }, want: true },
    // Traefik v3.7: `*` matches every host (matcher_test.go TestHostMatcher "* match everything").
    { desc: 'Host * matches a dotted host', rule: 'Host(`*`)', req: { host: 'example.com' }, want: true },
    { desc: 'Host * matches the empty host', rule: 'Host(`*`)', req: { host: '' }, want: true },
    { desc: 'Host *foo never matches', rule: 'Host(`*foo.com`)', req: { host: 'afoo.com' }, want: false },
    // HostRegexp
    { desc: 'HostRegexp unanchored', rule: 'HostRegexp(`example`)', req: { host: 'www.example.com' }, want: true },
    { desc: 'HostRegexp anchored subdomains', rule: 'HostRegexp(`^.+\\.example\\.com$`)', req: { host: 'a.b.example.com' }, want: true },
    { desc: 'HostRegexp anchored apex excluded', rule: 'HostRegexp(`^.+\\.example\\.com$`)', req: {}, want: false },
    { desc: 'HostRegexp alternation', rule: 'HostRegexp(`^example\\.(com|org)$`)', req: { host: 'example.org' }, want: true },
    { desc: 'HostRegexp v2 syntax is a literal-brace regexp in v3 (as in Go)', rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', req: { host: 'foo.example.com' }, want: false },
    // Path family
    { desc: 'Path exact', rule: 'Path(`/products`)', req: { path: '/products' }, want: true },
    { desc: 'Path does not match a trailing slash', rule: 'Path(`/products`)', req: { path: '/products/' }, want: false },
    { desc: 'Path does not match a sub-path', rule: 'Path(`/products`)', req: { path: '/products/shoes' }, want: false },
    { desc: 'Path matches a decoded space', rule: 'Path(`/foo bar`)', req: { path: '/foo%20bar' }, want: true },
    { desc: 'Path keeps an encoded slash apart', rule: 'Path(`/a/b`)', req: { path: '/a%2Fb' }, want: false },
    { desc: 'Path matches an encoded slash literally', rule: 'Path(`/a%2Fb`)', req: { path: '/a%2Fb' }, want: true },
    { desc: 'PathPrefix plain string prefix', rule: 'PathPrefix(`/products`)', req: { path: '/products-for-sale' }, want: true },
    { desc: 'PathPrefix sub-path', rule: 'PathPrefix(`/products`)', req: { path: '/products/shoes' }, want: true },
    { desc: 'PathPrefix other path', rule: 'PathPrefix(`/products`)', req: { path: '/product' }, want: false },
    { desc: 'PathPrefix is not a regexp', rule: 'PathPrefix(`/a.c`)', req: { path: '/abc' }, want: false },
    { desc: 'PathPrefix with a decoded UTF-8 path', rule: 'PathPrefix(`/café`)', req: { path: '/caf%C3%A9/menu' }, want: true },
    { desc: 'PathRegexp unanchored', rule: 'PathRegexp(`\\.(jpeg|jpg|png)$`)', req: { path: '/img/a.png' }, want: true },
    { desc: 'PathRegexp anchored', rule: 'PathRegexp(`^/products/(shoes|socks)/[0-9]+$`)', req: { path: '/products/socks/31' }, want: true },
    { desc: 'PathRegexp anchored mismatch', rule: 'PathRegexp(`^/products/(shoes|socks)/[0-9]+$`)', req: { path: '/products/hats/31' }, want: false },
    { desc: 'PathRegexp case-insensitive', rule: 'PathRegexp(`(?i)^/products`)', req: { path: '/PRODUCTS' }, want: true },
    // Method
    { desc: 'Method upper-cases the rule', rule: 'Method(`options`)', req: { method: 'OPTIONS' }, want: true },
    { desc: 'Method other method', rule: 'Method(`POST`)', req: {}, want: false },
    // Header
    { desc: 'Header exact value', rule: 'Header(`Content-Type`, `application/yaml`)', req: { headers: { 'content-type': 'application/yaml' } }, want: true },
    { desc: 'Header other value', rule: 'Header(`Content-Type`, `application/yaml`)', req: { headers: { 'content-type': 'text/plain' } }, want: false },
    { desc: 'Header absent', rule: 'Header(`X-A`, `1`)', req: {}, want: false },
    { desc: 'Header name is case-insensitive', rule: 'Header(`x-CUSTOM`, `1`)', req: { headers: { 'x-custom': '1' } }, want: true },
    { desc: 'Header value is case-sensitive', rule: 'Header(`X-A`, `abc`)', req: { headers: { 'x-a': 'ABC' } }, want: false },
    { desc: 'Header matches one of several values', rule: 'Header(`Set-Cookie`, `b=2`)', req: { headers: { 'set-cookie': ['a=1', 'b=2'] } }, want: true },
    { desc: 'HeaderRegexp', rule: 'HeaderRegexp(`Content-Type`, `^application/(json|yaml)$`)', req: { headers: { 'content-type': 'application/json' } }, want: true },
    { desc: 'HeaderRegexp case-insensitive', rule: 'HeaderRegexp(`Upgrade`, `(?i)websocket`)', req: { headers: { upgrade: 'WebSocket' } }, want: true },
    { desc: 'HeaderRegexp absent header', rule: 'HeaderRegexp(`Upgrade`, `.*`)', req: {}, want: false },
    // Query
    { desc: 'Query key and value', rule: 'Query(`mobile`, `true`)', req: { rawQuery: 'mobile=true' }, want: true },
    { desc: 'Query other value', rule: 'Query(`mobile`, `true`)', req: { rawQuery: 'mobile=false' }, want: false },
    { desc: 'Query one of repeated values', rule: 'Query(`a`, `2`)', req: { rawQuery: 'a=1&a=2' }, want: true },
    { desc: 'Query key without value', rule: 'Query(`mobile`)', req: { rawQuery: 'x=1&mobile' }, want: true },
    { desc: 'Query key with empty value', rule: 'Query(`mobile`)', req: { rawQuery: 'mobile=' }, want: true },
    { desc: 'Query one-argument form needs an empty value', rule: 'Query(`mobile`)', req: { rawQuery: 'mobile=true' }, want: false },
    { desc: 'Query decodes plus and escapes', rule: 'Query(`q`, `a b/c`)', req: { rawQuery: 'q=a+b%2Fc' }, want: true },
    { desc: 'Query decodes the key', rule: 'Query(`a b`, `1`)', req: { rawQuery: 'a%20b=1' }, want: true },
    { desc: 'Query drops pairs with a semicolon', rule: 'Query(`a`, `1`)', req: { rawQuery: 'a=1;b=2' }, want: false },
    { desc: 'Query drops pairs with a bad escape', rule: 'Query(`a`, `1`)', req: { rawQuery: 'a=1%zz&b=2' }, want: false },
    { desc: 'Query absent key', rule: 'Query(`a`, `1`)', req: { rawQuery: '' }, want: false },
    { desc: 'QueryRegexp', rule: 'QueryRegexp(`mobile`, `^(true|yes)$`)', req: { rawQuery: 'mobile=yes' }, want: true },
    { desc: 'QueryRegexp any value including empty', rule: 'QueryRegexp(`mobile`, `^.*$`)', req: { rawQuery: 'mobile' }, want: true },
    { desc: 'QueryRegexp one argument is Query', rule: 'QueryRegexp(`mobile`)', req: { rawQuery: 'mobile' }, want: true },
    // ClientIP
    { desc: 'ClientIP IPv4 exact', rule: 'ClientIP(`127.0.0.1`)', req: {}, want: true },
    { desc: 'ClientIP IPv4 other', rule: 'ClientIP(`127.0.0.2`)', req: {}, want: false },
    { desc: 'ClientIP IPv4 CIDR', rule: 'ClientIP(`127.0.0.0/8`)', req: { clientIp: '127.9.8.7' }, want: true },
    { desc: 'ClientIP CIDR with host bits set', rule: 'ClientIP(`192.168.1.7/24`)', req: { clientIp: '192.168.1.200' }, want: true },
    { desc: 'ClientIP IPv4 CIDR outside', rule: 'ClientIP(`192.168.1.0/24`)', req: { clientIp: '192.168.2.1' }, want: false },
    { desc: 'ClientIP IPv6 exact', rule: 'ClientIP(`::1`)', req: { clientIp: '::1' }, want: true },
    { desc: 'ClientIP IPv6 expanded form', rule: 'ClientIP(`0:0:0:0:0:0:0:1`)', req: { clientIp: '::1' }, want: true },
    { desc: 'ClientIP IPv6 CIDR', rule: 'ClientIP(`fe80::/10`)', req: { clientIp: 'fe80::1:2' }, want: true },
    { desc: 'ClientIP IPv6 CIDR outside', rule: 'ClientIP(`fe80::/10`)', req: { clientIp: 'fec0::1' }, want: false },
    { desc: 'ClientIP IPv4 rule vs IPv6 client', rule: 'ClientIP(`0.0.0.0/0`)', req: { clientIp: '::1' }, want: false },
    { desc: 'ClientIP IPv4-mapped client is IPv4', rule: 'ClientIP(`127.0.0.1`)', req: { clientIp: '::ffff:127.0.0.1' }, want: true },
    { desc: 'ClientIP zoned client never matches', rule: 'ClientIP(`fe80::/10`)', req: { clientIp: 'fe80::1%lo0' }, want: false },
    { desc: 'ClientIP empty client never matches', rule: 'ClientIP(`0.0.0.0/0`)', req: { clientIp: '' }, want: false },
    // combinations and precedence
    { desc: '&& both true', rule: 'Host(`example.com`) && Path(`/`)', req: {}, want: true },
    { desc: '&& one false', rule: 'Host(`example.com`) && Path(`/x`)', req: {}, want: false },
    { desc: '|| one true', rule: 'Host(`nope`) || Path(`/`)', req: {}, want: true },
    { desc: '&& binds tighter than || (a || b && c with a true)', rule: 'Path(`/`) || Host(`nope`) && Method(`POST`)', req: {}, want: true },
    { desc: 'parentheses override precedence', rule: '(Path(`/`) || Host(`nope`)) && Method(`POST`)', req: {}, want: false },
    { desc: '! negates a matcher', rule: '!Method(`POST`)', req: {}, want: true },
    { desc: '! binds tighter than &&', rule: '!Method(`GET`) && Path(`/`)', req: {}, want: false },
    { desc: '! over a group (De Morgan)', rule: '!(Method(`POST`) || Path(`/x`))', req: {}, want: true },
    { desc: 'double negation', rule: '!!Host(`example.com`)', req: {}, want: true },
    { desc: 'long && chain', rule: 'Host(`example.com`) && Method(`GET`) && Path(`/`) && !Query(`a`)', req: {}, want: true },
    { desc: 'long || chain', rule: 'Path(`/a`) || Path(`/b`) || Path(`/c`) || Path(`/`)', req: {}, want: true },
    // quoting and spelling
    { desc: 'double-quoted argument', rule: 'Host("example.com")', req: {}, want: true },
    { desc: 'double-quoted Go escapes', rule: 'Path("/a\\tb\\u00e9\\x41\\101")', req: { path: '/a%09b%C3%A9AA' }, want: true },
    { desc: 'double-quoted \\x bytes form UTF-8', rule: 'Path("/\\xc3\\xa9")', req: { path: '/%C3%A9' }, want: true },
    { desc: 'raw string keeps backslashes', rule: 'PathRegexp(`^/a\\d$`)', req: { path: '/a1' }, want: true },
    { desc: 'lower-case matcher name', rule: 'host(`example.com`)', req: {}, want: true },
    { desc: 'upper-case matcher name', rule: 'HOST(`example.com`)', req: {}, want: true },
    { desc: 'title-case matcher name', rule: 'Pathprefix(`/`)', req: {}, want: true },
    { desc: 'whitespace and newlines around operators', rule: ' Host(`example.com`)\n\t&&  Path( `/` ) ', req: {}, want: true },
    { desc: 'trailing comma in arguments (Go call syntax)', rule: 'Header(`X-A`, `1`,)', req: { headers: { 'x-a': '1' } }, want: true },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const rule = mustCompile(c.rule);
      assert.equal(rule.match(request(c.req)), c.want);
      assert.equal(rule.explain(request(c.req)) === undefined, c.want, 'explain agrees with match');
    });
  }
});

describe('compileRule errors', () => {
  const cases: Array<{ desc: string; rule: string; code: string; column: number; reason: RegExp }> = [
    { desc: 'unknown matcher with suggestion', rule: 'Host(`a`) && Pat(`/`)', code: 'TAGWAY_RULE_MATCHER', column: 14, reason: /^unknown matcher "Pat" \(did you mean "Path"\?\)$/ },
    { desc: 'wrong camel case is unknown (as in Traefik)', rule: 'pathPrefix(`/`)', code: 'TAGWAY_RULE_MATCHER', column: 1, reason: /did you mean "PathPrefix"/ },
    { desc: 'v2 matcher Headers is unknown', rule: 'Headers(`a`, `b`)', code: 'TAGWAY_RULE_MATCHER', column: 1, reason: /unknown matcher "Headers" \(did you mean "Header"\?\)/ },
    { desc: 'unknown matcher far from any name', rule: 'Xyzzyq(`a`)', code: 'TAGWAY_RULE_MATCHER', column: 1, reason: /^unknown matcher "Xyzzyq"$/ },
    { desc: 'too many arguments (v2 style)', rule: 'Host(`a`, `b`)', code: 'TAGWAY_RULE_ARGUMENT', column: 1, reason: /Host takes 1 argument, got 2/ },
    { desc: 'no arguments', rule: 'Path()', code: 'TAGWAY_RULE_ARGUMENT', column: 1, reason: /Path takes 1 argument, got 0/ },
    { desc: 'Header needs two arguments', rule: 'Method(`GET`) && Header(`X`)', code: 'TAGWAY_RULE_ARGUMENT', column: 18, reason: /Header takes 2 arguments, got 1/ },
    { desc: 'Query takes one or two', rule: 'Query(`a`, `b`, `c`)', code: 'TAGWAY_RULE_ARGUMENT', column: 1, reason: /Query takes 1 or 2 arguments, got 3/ },
    { desc: 'empty argument', rule: 'Host(``)', code: 'TAGWAY_RULE_ARGUMENT', column: 6, reason: /empty argument to Host/ },
    { desc: 'empty second argument', rule: 'Header(`X`, "")', code: 'TAGWAY_RULE_ARGUMENT', column: 13, reason: /empty argument to Header/ },
    { desc: 'single quotes', rule: "Host('a')", code: 'TAGWAY_RULE_SYNTAX', column: 6, reason: /single quotes are not accepted/ },
    { desc: 'unquoted argument', rule: 'Host(a)', code: 'TAGWAY_RULE_SYNTAX', column: 6, reason: /expected a string argument/ },
    { desc: 'missing operator', rule: 'Host(`a`) Path(`/`)', code: 'TAGWAY_RULE_SYNTAX', column: 11, reason: /unexpected "Path" \(missing && or \|\|\?\)/ },
    { desc: 'single ampersand', rule: 'Host(`a`) & Path(`/`)', code: 'TAGWAY_RULE_SYNTAX', column: 11, reason: /did you mean "&&"/ },
    { desc: 'unclosed parenthesis', rule: '(Host(`a`)', code: 'TAGWAY_RULE_SYNTAX', column: 11, reason: /expected "\)", found end of rule/ },
    { desc: 'unclosed call', rule: 'Host(`a`', code: 'TAGWAY_RULE_SYNTAX', column: 9, reason: /expected "," or "\)"/ },
    { desc: 'dangling operator', rule: 'Host(`a`) &&', code: 'TAGWAY_RULE_SYNTAX', column: 13, reason: /expected a matcher/ },
    { desc: 'unterminated raw string', rule: 'Host(`a)', code: 'TAGWAY_RULE_SYNTAX', column: 6, reason: /unterminated raw string/ },
    { desc: 'unterminated double-quoted string', rule: 'Host("a)', code: 'TAGWAY_RULE_SYNTAX', column: 6, reason: /unterminated string/ },
    { desc: 'unknown escape in double quotes', rule: 'Path("/a\\q")', code: 'TAGWAY_RULE_SYNTAX', column: 9, reason: /unknown escape sequence/ },
    { desc: 'empty rule', rule: '', code: 'TAGWAY_RULE_SYNTAX', column: 1, reason: /empty rule/ },
    { desc: 'bare identifier', rule: 'Host', code: 'TAGWAY_RULE_SYNTAX', column: 5, reason: /expected "\(" after Host/ },
    { desc: 'non-ASCII host', rule: 'Host(`exämple.com`)', code: 'TAGWAY_RULE_ARGUMENT', column: 6, reason: /non-ASCII characters are not allowed/ },
    { desc: 'path without leading slash', rule: 'PathPrefix(`api`)', code: 'TAGWAY_RULE_ARGUMENT', column: 12, reason: /does not start with a '\/'/ },
    { desc: 'invalid ClientIP', rule: 'ClientIP(`10.0.0.300`)', code: 'TAGWAY_RULE_ARGUMENT', column: 10, reason: /not an IP or CIDR/ },
    { desc: 'invalid ClientIP prefix', rule: 'ClientIP(`10.0.0.0/33`)', code: 'TAGWAY_RULE_ARGUMENT', column: 10, reason: /not an IP or CIDR/ },
    { desc: 'invalid regexp points inside the argument', rule: 'PathRegexp(`^/a(b`)', code: 'TAGWAY_RULE_REGEXP', column: 16, reason: /PathRegexp: error parsing regexp: missing closing \)/ },
    { desc: 'lookaround is rejected', rule: 'HostRegexp(`^(?!www\\.)`)', code: 'TAGWAY_RULE_REGEXP', column: 14, reason: /lookarounds are not RE2/ },
    { desc: 'regexp error inside escaped double quotes points at the string', rule: 'PathRegexp("\\\\1")', code: 'TAGWAY_RULE_REGEXP', column: 12, reason: /invalid escape sequence/ },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const result = compileRule(c.rule);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.code, c.code);
      assert.match(result.reason, c.reason);
      assert.equal(result.column, c.column);
      const [line, caret] = result.message.split('\n');
      assert.equal(line, c.rule);
      assert.equal(caret, `${' '.repeat(c.column - 1)}^ ${result.reason}`);
    });
  }
});

describe('compileRule host constraint', () => {
  const cases: Array<{ desc: string; rule: string; hosts: string[] | undefined; patterns?: string[] }> = [
    { desc: 'single Host', rule: 'Host(`API.example.com`)', hosts: ['api.example.com'] },
    { desc: 'Host with trailing dot', rule: 'Host(`a.com.`)', hosts: ['a.com'] },
    { desc: 'Host && other matchers', rule: 'Host(`a`) && PathPrefix(`/x`) && Method(`GET`)', hosts: ['a'] },
    { desc: 'Host || Host', rule: 'Host(`a`) || Host(`b`)', hosts: ['a', 'b'] },
    { desc: 'Host || non-host is not bound', rule: 'Host(`a`) || Path(`/`)', hosts: undefined },
    { desc: 'no Host at all', rule: 'PathPrefix(`/`)', hosts: undefined },
    { desc: 'negated Host is not bound', rule: '!Host(`a`)', hosts: undefined },
    { desc: 'double negation binds', rule: '!!Host(`a`)', hosts: ['a'] },
    { desc: 'negated || of negations binds (De Morgan)', rule: '!(!Host(`a`) || Path(`/x`))', hosts: ['a'] },
    { desc: 'Host && !Host keeps the positive one', rule: 'Host(`a`) && !Host(`b`)', hosts: ['a'] },
    { desc: 'conflicting Hosts can never match', rule: 'Host(`a`) && Host(`b`)', hosts: [] },
    { desc: 'grouped alternatives under &&', rule: '(Host(`a`) || Host(`b`)) && Path(`/`)', hosts: ['a', 'b'] },
    { desc: 'intersection of alternatives', rule: '(Host(`a`) || Host(`b`)) && (Host(`b`) || Host(`c`))', hosts: ['b'] },
    { desc: 'HostRegexp is not bound', rule: 'HostRegexp(`^a$`)', hosts: undefined },
    { desc: 'wildcard goes to patterns', rule: 'Host(`*.Example.com`)', hosts: [], patterns: ['*.example.com'] },
    { desc: 'exact and wildcard alternatives', rule: 'Host(`a.com`) || Host(`**.a.com`)', hosts: ['a.com'], patterns: ['**.a.com'] },
    { desc: 'exact side preferred under &&', rule: 'Host(`*.a.com`) && Host(`x.a.com`)', hosts: ['x.a.com'] },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const rule = mustCompile(c.rule);
      assert.deepEqual(rule.hosts, c.hosts);
      assert.deepEqual(rule.hostPatterns, c.patterns);
    });
  }
});

describe('compileRule specialize (host folded to constants)', () => {
  const cases: Array<{ desc: string; rule: string; host: string; want: boolean | 'fn' }> = [
    { desc: 'pure Host is decided true for its host', rule: 'Host(`a.com`)', host: 'a.com', want: true },
    { desc: 'pure Host is decided false for another host', rule: 'Host(`a.com`)', host: 'b.com', want: false },
    { desc: 'Host alternatives are decided', rule: 'Host(`a.com`) || Host(`b.com`)', host: 'b.com', want: true },
    { desc: 'Host && PathPrefix leaves the path test', rule: 'Host(`a.com`) && PathPrefix(`/api`)', host: 'a.com', want: 'fn' },
    { desc: 'Host && PathPrefix with another host is false', rule: 'Host(`a.com`) && PathPrefix(`/api`)', host: 'b.com', want: false },
    { desc: 'negated Host folds', rule: '!Host(`a.com`)', host: 'a.com', want: false },
    { desc: 'HostRegexp folds', rule: 'HostRegexp(`^a\\.`) && Host(`a.com`)', host: 'a.com', want: true },
    { desc: 'wildcard Host folds', rule: 'Host(`*.com`)', host: 'a.com', want: true },
    { desc: 'empty host never satisfies Host', rule: 'Host(`.`)', host: '', want: false },
    { desc: 'non-host matchers stay', rule: 'Method(`GET`)', host: 'a.com', want: 'fn' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const r = mustCompile(c.rule).specialize(c.host);
      if (c.want === 'fn') assert.equal(typeof r, 'function'); else assert.equal(r, c.want);
    });
  }
  it('the specialized matcher agrees with the full rule for that host', () => {
    const rule = mustCompile('(Host(`a.com`) && PathPrefix(`/api`)) || (Host(`b.com`) && Method(`POST`))');
    const special = rule.specialize('a.com');
    assert.equal(typeof special, 'function');
    if (typeof special !== 'function') return;
    for (const path of ['/api/x', '/web']) for (const method of ['GET', 'POST']) {
      const req = request({ host: 'a.com', path, method });
      assert.equal(special(req), rule.match(req), `${method} ${path}`);
    }
  });
});

describe('compileRule explain', () => {
  it('names the failing matcher and what it saw', () => {
    const rule = mustCompile('Host(`a.com`) && PathPrefix(`/api`)');
    assert.equal(rule.explain(request({ host: 'a.com', path: '/web' })), 'PathPrefix(`/api`) is false (path "/web")');
  });
  it('lists both sides of a failing ||', () => {
    const rule = mustCompile('Method(`POST`) || Header(`X-A`, `1`)');
    assert.equal(rule.explain(request()), 'Method(`POST`) is false (method "GET"); Header(`X-A`, `1`) is false (header x-a absent)');
  });
  it('explains a failing negation', () => {
    const rule = mustCompile('!ClientIP(`127.0.0.0/8`)');
    assert.equal(rule.explain(request()), '!ClientIP(`127.0.0.0/8`) is false (ClientIP(`127.0.0.0/8`) matches)');
  });
});

describe('defaultPriority', () => {
  const cases: Array<{ desc: string; rule: string; want: number }> = [
    { desc: 'rule length (docs example, Host)', rule: 'Host(`foobar.traefik.com`)', want: 26 },
    { desc: 'rule length (docs example, HostRegexp)', rule: 'HostRegexp(`[a-z]+\\.traefik\\.com`)', want: 34 },
    { desc: 'length in UTF-8 bytes like Go len()', rule: 'Path(`/é`)', want: 11 },
    { desc: 'single wildcard counts fully', rule: 'Host(`*.example.com`)', want: 21 },
    { desc: 'double wildcard stars do not count', rule: 'Host(`**.example.com`)', want: 20 },
    { desc: 'each double wildcard Host is discounted', rule: 'Host(`**.a.com`) || Host(`**.b.com`)', want: 36 - 4 },
    { desc: 'invalid rule still gets its length', rule: 'Host(`a`', want: 8 },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(defaultPriority(c.rule), c.want));
});
