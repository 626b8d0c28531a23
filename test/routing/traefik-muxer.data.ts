/**
 * Traefik v3.7.9 `pkg/muxer/http/matcher_test.go` and `mux_test.go`, as data (Traefik's facts, our tables):
 * every case of the v3 matchers, `TestMuxer`, `Test_addRoutePriority`, `TestEmptyHost`, `TestGetRulePriority`,
 * `TestRoutingPath` and `TestParseDomains`. `matcher_v2_test.go` (the v2 syntax, `ruleSyntax: v2`) is not here:
 * tagway implements the v3 syntax only. Run by `traefik-muxer.test.ts`, which says per case where tagway
 * deliberately differs and why.
 */

/** One request of a case: Traefik's `httptest.NewRequest(method, url)` with its RemoteAddr and header lines. */
export interface TraefikMatchRequest { url: string; method?: string; remoteAddr?: string; headers?: Record<string, string[]>; status: number }

/** A rule and what the muxer answers (200: the route's handler, 404: no route), or `error` when AddRoute fails. */
export interface TraefikMatchCase { traefik: string; rule: string; error?: boolean; requests?: TraefikMatchRequest[] }

/** Routes added in order (priority 0: the rule's length); the request to `path` is served by `expected` (its X-From). */
export interface TraefikPriorityCase {
  traefik: string;
  path: string;
  routes: Array<{ xFrom: string; rule: string; priority: number; provider?: string }>;
  expected: string;
}

export const matcherCases: TraefikMatchCase[] = [
  { traefik: 'TestClientIPMatcher: invalid ClientIP matcher', rule: 'ClientIP(`1`)', error: true },
  { traefik: 'TestClientIPMatcher: invalid ClientIP matcher (no parameter)', rule: 'ClientIP()', error: true },
  { traefik: 'TestClientIPMatcher: invalid ClientIP matcher (empty parameter)', rule: 'ClientIP(``)', error: true },
  {
    traefik: 'TestClientIPMatcher: invalid ClientIP matcher (too many parameters)',
    rule: 'ClientIP(`127.0.0.1`, `192.168.1.0/24`)',
    error: true,
  },
  {
    traefik: 'TestClientIPMatcher: valid ClientIP matcher',
    rule: 'ClientIP(`127.0.0.1`)',
    requests: [
      { url: 'https://example.com', remoteAddr: '127.0.0.1', status: 200 },
      { url: 'https://example.com', remoteAddr: '192.168.1.1', status: 404 },
    ],
  },
  {
    traefik: 'TestClientIPMatcher: valid ClientIP matcher but invalid remote address',
    rule: 'ClientIP(`127.0.0.1`)',
    requests: [{ url: 'https://example.com', remoteAddr: '1', status: 404 }],
  },
  {
    traefik: 'TestClientIPMatcher: valid ClientIP matcher using CIDR',
    rule: 'ClientIP(`192.168.1.0/24`)',
    requests: [
      { url: 'https://example.com', remoteAddr: '192.168.1.1', status: 200 },
      { url: 'https://example.com', remoteAddr: '192.168.1.100', status: 200 },
      { url: 'https://example.com', remoteAddr: '192.168.2.1', status: 404 },
    ],
  },
  { traefik: 'TestMethodMatcher: invalid Method matcher (no parameter)', rule: 'Method()', error: true },
  { traefik: 'TestMethodMatcher: invalid Method matcher (empty parameter)', rule: 'Method(``)', error: true },
  {
    traefik: 'TestMethodMatcher: invalid Method matcher (too many parameters)',
    rule: 'Method(`GET`, `POST`)',
    error: true,
  },
  {
    traefik: 'TestMethodMatcher: valid Method matcher',
    rule: 'Method(`GET`)',
    requests: [
      { url: 'https://example.com', method: 'GET', status: 200 },
      { url: 'https://example.com', method: 'POST', status: 404 },
      { url: 'https://example.com', method: 'get', status: 404 },
    ],
  },
  {
    traefik: 'TestMethodMatcher: valid Method matcher (lower case)',
    rule: 'Method(`get`)',
    requests: [
      { url: 'https://example.com', method: 'GET', status: 200 },
      { url: 'https://example.com', method: 'POST', status: 404 },
      { url: 'https://example.com', method: 'get', status: 404 },
    ],
  },
  { traefik: 'TestHostMatcher: invalid Host matcher (no parameter)', rule: 'Host()', error: true },
  { traefik: 'TestHostMatcher: invalid Host matcher (empty parameter)', rule: 'Host(``)', error: true },
  { traefik: 'TestHostMatcher: invalid Host matcher (non-ASCII)', rule: 'Host(`🦭.com`)', error: true },
  {
    traefik: 'TestHostMatcher: invalid Host matcher (too many parameters)',
    rule: 'Host(`example.com`, `example.org`)',
    error: true,
  },
  {
    traefik: 'TestHostMatcher: valid Host matcher',
    rule: 'Host(`example.com`)',
    requests: [
      { url: 'https://example.com', status: 200 },
      { url: 'https://example.com:8080', status: 200 },
      { url: 'https://example.com/path', status: 200 },
      { url: 'https://EXAMPLE.COM/path', status: 200 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: valid Host matcher - matcher ending with a dot',
    rule: 'Host(`example.com.`)',
    requests: [
      { url: 'https://example.com', status: 200 },
      { url: 'https://example.com/path', status: 200 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
      { url: 'https://example.com.', status: 200 },
      { url: 'https://example.com./path', status: 200 },
      { url: 'https://example.org.', status: 404 },
      { url: 'https://example.org./path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: valid Host matcher - URL ending with a dot',
    rule: 'Host(`example.com`)',
    requests: [
      { url: 'https://example.com.', status: 200 },
      { url: 'https://example.com./path', status: 200 },
      { url: 'https://example.org.', status: 404 },
      { url: 'https://example.org./path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: valid Host matcher - matcher with UPPER case',
    rule: 'Host(`EXAMPLE.COM`)',
    requests: [
      { url: 'https://example.com', status: 200 },
      { url: 'https://example.com/path', status: 200 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: valid Host matcher - puny-coded emoji',
    rule: 'Host(`xn--9t9h.com`)',
    requests: [
      { url: 'https://xn--9t9h.com', status: 200 },
      { url: 'https://xn--9t9h.com/path', status: 200 },
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/path', status: 404 },
      { url: 'https://🦭.com', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: wildcard matcher',
    rule: 'Host(`*.example.com`)',
    requests: [
      { url: 'https://test.example.com', status: 200 },
      { url: 'https://other.example.com', status: 200 },
      { url: 'https://example.com', status: 404 },
      { url: 'https://test.otherexample.com', status: 404 },
    ],
  },
  {
    traefik: 'TestHostMatcher: * match everything',
    rule: 'Host(`*`)',
    requests: [
      { url: 'https://test.example.com', status: 200 },
      { url: 'https://other.example.com', status: 200 },
      { url: 'https://example.com', status: 200 },
      { url: 'https://test.otherexample.com', status: 200 },
      { url: 'https://localhost', status: 200 },
    ],
  },
  { traefik: 'TestHostRegexpMatcher: invalid HostRegexp matcher (no parameter)', rule: 'HostRegexp()', error: true },
  {
    traefik: 'TestHostRegexpMatcher: invalid HostRegexp matcher (empty parameter)',
    rule: 'HostRegexp(``)',
    error: true,
  },
  {
    traefik: 'TestHostRegexpMatcher: invalid HostRegexp matcher (non-ASCII)',
    rule: 'HostRegexp(`🦭.com`)',
    error: true,
  },
  {
    traefik: 'TestHostRegexpMatcher: invalid HostRegexp matcher (invalid regexp)',
    rule: 'HostRegexp(`(example.com`)',
    error: true,
  },
  {
    traefik: 'TestHostRegexpMatcher: invalid HostRegexp matcher (too many parameters)',
    rule: 'HostRegexp(`example.com`, `example.org`)',
    error: true,
  },
  {
    traefik: 'TestHostRegexpMatcher: valid HostRegexp matcher',
    rule: 'HostRegexp(`^[a-zA-Z-]+\\.com$`)',
    requests: [
      { url: 'https://example.com', status: 200 },
      { url: 'https://example.com:8080', status: 200 },
      { url: 'https://example.com/path', status: 200 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostRegexpMatcher: valid HostRegexp matcher with case sensitive regexp',
    rule: 'HostRegexp(`^[A-Z]+\\.com$`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://EXAMPLE.com', status: 404 },
      { url: 'https://example.com/path', status: 404 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
    ],
  },
  {
    traefik: 'TestHostRegexpMatcher: valid HostRegexp matcher with Traefik v2 syntax',
    rule: 'HostRegexp(`{domain:[a-zA-Z-]+\\.com}`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/path', status: 404 },
      { url: 'https://example.org', status: 404 },
      { url: 'https://example.org/path', status: 404 },
    ],
  },
  { traefik: 'TestPathMatcher: invalid Path matcher (no parameter)', rule: 'Path()', error: true },
  { traefik: 'TestPathMatcher: invalid Path matcher (empty parameter)', rule: 'Path(``)', error: true },
  { traefik: 'TestPathMatcher: invalid Path matcher (no leading /)', rule: 'Path(`css`)', error: true },
  { traefik: 'TestPathMatcher: invalid Path matcher (too many parameters)', rule: 'Path(`/css`, `/js`)', error: true },
  {
    traefik: 'TestPathMatcher: valid Path matcher',
    rule: 'Path(`/css`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/html', status: 404 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/css/', status: 404 },
      { url: 'https://example.com/css/main.css', status: 404 },
    ],
  },
  { traefik: 'TestPathRegexpMatcher: invalid PathRegexp matcher (no parameter)', rule: 'PathRegexp()', error: true },
  {
    traefik: 'TestPathRegexpMatcher: invalid PathRegexp matcher (empty parameter)',
    rule: 'PathRegexp(``)',
    error: true,
  },
  {
    traefik: 'TestPathRegexpMatcher: invalid PathRegexp matcher (invalid regexp)',
    rule: 'PathRegexp(`/(css`)',
    error: true,
  },
  {
    traefik: 'TestPathRegexpMatcher: invalid PathRegexp matcher (too many parameters)',
    rule: 'PathRegexp(`/css`, `/js`)',
    error: true,
  },
  {
    traefik: 'TestPathRegexpMatcher: valid PathRegexp matcher',
    rule: 'PathRegexp(`^/(css|js)`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/html', status: 404 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.com/CSS', status: 404 },
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/css/', status: 200 },
      { url: 'https://example.com/css/main.css', status: 200 },
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.com/js/', status: 200 },
      { url: 'https://example.com/js/main.js', status: 200 },
    ],
  },
  {
    traefik: 'TestPathRegexpMatcher: valid PathRegexp matcher with Traefik v2 syntax',
    rule: 'PathRegexp("/{path:(css|js)}")',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/html', status: 404 },
      { url: 'https://example.org/css', status: 404 },
      { url: 'https://example.com/{path:css}', status: 200 },
      { url: 'https://example.com/{path:css}/', status: 200 },
      { url: 'https://example.com/%7Bpath:css%7D', status: 200 },
      { url: 'https://example.com/%7Bpath:css%7D/', status: 200 },
      { url: 'https://example.com/{path:js}', status: 200 },
      { url: 'https://example.com/{path:js}/', status: 200 },
      { url: 'https://example.com/%7Bpath:js%7D', status: 200 },
      { url: 'https://example.com/%7Bpath:js%7D/', status: 200 },
    ],
  },
  { traefik: 'TestPathPrefixMatcher: invalid PathPrefix matcher (no parameter)', rule: 'PathPrefix()', error: true },
  {
    traefik: 'TestPathPrefixMatcher: invalid PathPrefix matcher (empty parameter)',
    rule: 'PathPrefix(``)',
    error: true,
  },
  {
    traefik: 'TestPathPrefixMatcher: invalid PathPrefix matcher (no leading /)',
    rule: 'PathPrefix(`css`)',
    error: true,
  },
  {
    traefik: 'TestPathPrefixMatcher: invalid PathPrefix matcher (too many parameters)',
    rule: 'PathPrefix(`/css`, `/js`)',
    error: true,
  },
  {
    traefik: 'TestPathPrefixMatcher: valid PathPrefix matcher',
    rule: 'PathPrefix("/css")',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com/html', status: 404 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/css/', status: 200 },
      { url: 'https://example.com/css/main.css', status: 200 },
    ],
  },
  { traefik: 'TestHeaderMatcher: invalid Header matcher (no parameter)', rule: 'Header()', error: true },
  {
    traefik: 'TestHeaderMatcher: invalid Header matcher (missing value parameter)',
    rule: 'Header(`X-Forwarded-Host`)',
    error: true,
  },
  {
    traefik: 'TestHeaderMatcher: invalid Header matcher (missing value parameter)',
    rule: 'Header(`X-Forwarded-Host`, ``)',
    error: true,
  },
  {
    traefik: 'TestHeaderMatcher: invalid Header matcher (missing key parameter)',
    rule: 'Header(``, `example.com`)',
    error: true,
  },
  {
    traefik: 'TestHeaderMatcher: invalid Header matcher (too many parameters)',
    rule: 'Header(`X-Forwarded-Host`, `example.com`, `example.org`)',
    error: true,
  },
  {
    traefik: 'TestHeaderMatcher: valid Header matcher',
    rule: 'Header(`X-Forwarded-Proto`, `https`)',
    requests: [
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'x-forwarded-proto': ['https'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http', 'https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https', 'http'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Host': ['example.com'] }, status: 404 },
    ],
  },
  {
    traefik: 'TestHeaderMatcher: valid Header matcher (non-canonical form)',
    rule: 'Header(`x-forwarded-proto`, `https`)',
    requests: [
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'x-forwarded-proto': ['https'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http', 'https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https', 'http'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Host': ['example.com'] }, status: 404 },
    ],
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (no parameter)',
    rule: 'HeaderRegexp()',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (missing value parameter)',
    rule: 'HeaderRegexp(`X-Forwarded-Host`)',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (missing value parameter)',
    rule: 'HeaderRegexp(`X-Forwarded-Host`, ``)',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (missing key parameter)',
    rule: 'HeaderRegexp(``, `example.com`)',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (invalid regexp)',
    rule: 'HeaderRegexp(`X-Forwarded-Host`,`(example.com`)',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: invalid HeaderRegexp matcher (too many parameters)',
    rule: 'HeaderRegexp(`X-Forwarded-Host`, `example.com`, `example.org`)',
    error: true,
  },
  {
    traefik: 'TestHeaderRegexpMatcher: valid HeaderRegexp matcher',
    rule: 'HeaderRegexp(`X-Forwarded-Proto`, `^https?$`)',
    requests: [
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http'] }, status: 200 },
      { url: 'https://example.com', headers: { 'x-forwarded-proto': ['http'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['HTTPS'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['ws', 'https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Host': ['example.com'] }, status: 404 },
    ],
  },
  {
    traefik: 'TestHeaderRegexpMatcher: valid HeaderRegexp matcher (non-canonical form)',
    rule: 'HeaderRegexp(`x-forwarded-proto`, `^https?$`)',
    requests: [
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http'] }, status: 200 },
      { url: 'https://example.com', headers: { 'x-forwarded-proto': ['http'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['HTTPS'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['ws', 'https'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Host': ['example.com'] }, status: 404 },
    ],
  },
  {
    traefik: 'TestHeaderRegexpMatcher: valid HeaderRegexp matcher with Traefik v2 syntax',
    rule: 'HeaderRegexp(`X-Forwarded-Proto`, `http{secure:s?}`)',
    requests: [
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['https'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http{secure:}'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['HTTP{secure:}'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http{secure:s}'] }, status: 200 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['http{secure:S}'] }, status: 404 },
      { url: 'https://example.com', headers: { 'X-Forwarded-Proto': ['HTTPS'] }, status: 404 },
      {
        url: 'https://example.com',
        headers: { 'X-Forwarded-Proto': ['ws', 'http{secure:s}'] },
        status: 200,
      },
      { url: 'https://example.com', headers: { 'X-Forwarded-Host': ['example.com'] }, status: 404 },
    ],
  },
  { traefik: 'TestQueryMatcher: invalid Query matcher (no parameter)', rule: 'Query()', error: true },
  { traefik: 'TestQueryMatcher: invalid Query matcher (empty key, one parameter)', rule: 'Query(``)', error: true },
  { traefik: 'TestQueryMatcher: invalid Query matcher (empty key)', rule: 'Query(``, `traefik`)', error: true },
  { traefik: 'TestQueryMatcher: invalid Query matcher (empty value)', rule: 'Query(`q`, ``)', error: true },
  {
    traefik: 'TestQueryMatcher: invalid Query matcher (too many parameters)',
    rule: 'Query(`q`, `traefik`, `proxy`)',
    error: true,
  },
  {
    traefik: 'TestQueryMatcher: valid Query matcher',
    rule: 'Query(`q`, `traefik`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com?q=traefik', status: 200 },
      { url: 'https://example.com?rel=ddg&q=traefik', status: 200 },
      { url: 'https://example.com?q=traefik&q=proxy', status: 200 },
      { url: 'https://example.com?q=awesome&q=traefik', status: 200 },
      { url: 'https://example.com?q=nginx', status: 404 },
      { url: 'https://example.com?rel=ddg', status: 404 },
      { url: 'https://example.com?q=TRAEFIK', status: 404 },
      { url: 'https://example.com?Q=traefik', status: 404 },
      { url: 'https://example.com?rel=traefik', status: 404 },
    ],
  },
  {
    traefik: 'TestQueryMatcher: valid Query matcher with empty value',
    rule: 'Query(`mobile`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com?mobile', status: 200 },
      { url: 'https://example.com?mobile=true', status: 404 },
    ],
  },
  {
    traefik: 'TestQueryRegexpMatcher: invalid QueryRegexp matcher (no parameter)',
    rule: 'QueryRegexp()',
    error: true,
  },
  {
    traefik: 'TestQueryRegexpMatcher: invalid QueryRegexp matcher (empty parameter)',
    rule: 'QueryRegexp(``)',
    error: true,
  },
  {
    traefik: 'TestQueryRegexpMatcher: invalid QueryRegexp matcher (invalid regexp)',
    rule: 'QueryRegexp(`q`, `(traefik`)',
    error: true,
  },
  {
    traefik: 'TestQueryRegexpMatcher: invalid QueryRegexp matcher (too many parameters)',
    rule: 'QueryRegexp(`q`, `traefik`, `proxy`)',
    error: true,
  },
  {
    traefik: 'TestQueryRegexpMatcher: valid QueryRegexp matcher',
    rule: 'QueryRegexp(`q`, `^(traefik|nginx)$`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com?q=traefik', status: 200 },
      { url: 'https://example.com?rel=ddg&q=traefik', status: 200 },
      { url: 'https://example.com?q=traefik&q=proxy', status: 200 },
      { url: 'https://example.com?q=awesome&q=traefik', status: 200 },
      { url: 'https://example.com?q=TRAEFIK', status: 404 },
      { url: 'https://example.com?Q=traefik', status: 404 },
      { url: 'https://example.com?rel=traefik', status: 404 },
      { url: 'https://example.com?q=nginx', status: 200 },
      { url: 'https://example.com?rel=ddg&q=nginx', status: 200 },
      { url: 'https://example.com?q=nginx&q=proxy', status: 200 },
      { url: 'https://example.com?q=awesome&q=nginx', status: 200 },
      { url: 'https://example.com?q=NGINX', status: 404 },
      { url: 'https://example.com?Q=nginx', status: 404 },
      { url: 'https://example.com?rel=nginx', status: 404 },
      { url: 'https://example.com?q=haproxy', status: 404 },
      { url: 'https://example.com?rel=ddg', status: 404 },
    ],
  },
  {
    traefik: 'TestQueryRegexpMatcher: valid QueryRegexp matcher',
    rule: 'QueryRegexp(`q`, `^.*$`)',
    requests: [
      { url: 'https://example.com', status: 404 },
      { url: 'https://example.com?q=traefik', status: 200 },
      { url: 'https://example.com?rel=ddg&q=traefik', status: 200 },
      { url: 'https://example.com?q=traefik&q=proxy', status: 200 },
      { url: 'https://example.com?q=awesome&q=traefik', status: 200 },
      { url: 'https://example.com?q=TRAEFIK', status: 200 },
      { url: 'https://example.com?Q=traefik', status: 404 },
      { url: 'https://example.com?rel=traefik', status: 404 },
      { url: 'https://example.com?q=nginx', status: 200 },
      { url: 'https://example.com?rel=ddg&q=nginx', status: 200 },
      { url: 'https://example.com?q=nginx&q=proxy', status: 200 },
      { url: 'https://example.com?q=awesome&q=nginx', status: 200 },
      { url: 'https://example.com?q=NGINX', status: 200 },
      { url: 'https://example.com?Q=nginx', status: 404 },
      { url: 'https://example.com?rel=nginx', status: 404 },
      { url: 'https://example.com?q=haproxy', status: 200 },
      { url: 'https://example.com?rel=ddg', status: 404 },
    ],
  },
  {
    traefik: 'TestQueryRegexpMatcher: valid QueryRegexp matcher with Traefik v2 syntax',
    rule: 'QueryRegexp(`q`, `{value:(traefik|nginx)}`)',
    requests: [
      { url: 'https://example.com?q=traefik', status: 404 },
      { url: 'https://example.com?q={value:traefik}', status: 200 },
    ],
  },
  { traefik: 'TestMuxer: no tree', rule: '', error: true },
  { traefik: 'TestMuxer: Rule with no matcher', rule: 'rulewithnotmatcher', error: true },
  { traefik: 'TestMuxer: Rule without quote', rule: 'Host(example.com)', error: true },
  {
    traefik: 'TestMuxer: Host IPv4',
    rule: 'Host(`127.0.0.1`)',
    requests: [{ url: 'http://127.0.0.1/foo', status: 200 }],
  },
  { traefik: 'TestMuxer: Host IPv6', rule: 'Host(`10::10`)', requests: [{ url: 'http://[10::10]/foo', status: 200 }] },
  {
    traefik: 'TestMuxer: Host and PathPrefix',
    rule: 'Host(`localhost`) && PathPrefix(`/css`)',
    requests: [{ url: 'https://localhost/css', status: 200 }, { url: 'https://localhost/js', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule with Host OR Host',
    rule: 'Host(`example.com`) || Host(`example.org`)',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.org/js', status: 200 },
      { url: 'https://example.eu/html', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with host OR (host AND path)',
    rule: 'Host("example.com") || (Host("example.org") && Path("/css"))',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/js', status: 404 },
      { url: 'https://example.eu/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with host OR host AND path',
    rule: 'Host("example.com") || Host("example.org") && Path("/css")',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/js', status: 404 },
      { url: 'https://example.eu/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with (host OR host) AND path',
    rule: '(Host("example.com") || Host("example.org")) && Path("/css")',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/js', status: 404 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/js', status: 404 },
      { url: 'https://example.eu/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with (host AND path) OR (host AND path)',
    rule: '(Host("example.com") && Path("/js")) || ((Host("example.org")) && Path("/css"))',
    requests: [
      { url: 'https://example.com/css', status: 404 },
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/js', status: 404 },
      { url: 'https://example.eu/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule case UPPER',
    rule: 'PATHPREFIX("/css")',
    requests: [{ url: 'https://example.com/css', status: 200 }, { url: 'https://example.com/js', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule case lower',
    rule: 'pathprefix("/css")',
    requests: [{ url: 'https://example.com/css', status: 200 }, { url: 'https://example.com/js', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule case CamelCase',
    rule: 'PathPrefix("/css")',
    requests: [{ url: 'https://example.com/css', status: 200 }, { url: 'https://example.com/js', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule case Title',
    rule: 'Pathprefix("/css")',
    requests: [{ url: 'https://example.com/css', status: 200 }, { url: 'https://example.com/js', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule with not',
    rule: '!Host("example.com")',
    requests: [{ url: 'https://example.org', status: 200 }, { url: 'https://example.com', status: 404 }],
  },
  {
    traefik: 'TestMuxer: Rule with not on multiple route with or',
    rule: '!(Host("example.com") || Host("example.org"))',
    requests: [
      { url: 'https://example.eu/js', status: 200 },
      { url: 'https://example.com/css', status: 404 },
      { url: 'https://example.org/js', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with not on multiple route with and',
    rule: '!(Host("example.com") && Path("/css"))',
    requests: [
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.eu/css', status: 200 },
      { url: 'https://example.com/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with not on multiple route with and another not',
    rule: '!(Host("example.com") && !Path("/css"))',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.com/js', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with not on two rule',
    rule: '!Host("example.com") || !Path("/css")',
    requests: [
      { url: 'https://example.com/js', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.com/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule case with double not',
    rule: '!(!(Host("example.com") && Pathprefix("/css")))',
    requests: [
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.com/js', status: 404 },
      { url: 'https://example.org/css', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule case with not domain',
    rule: '!Host("example.com") && Pathprefix("/css")',
    requests: [
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/js', status: 404 },
      { url: 'https://example.com/css', status: 404 },
      { url: 'https://example.com/js', status: 404 },
    ],
  },
  {
    traefik: 'TestMuxer: Rule with multiple host AND multiple path AND not',
    rule: '!(Host("example.com") && Path("/js"))',
    requests: [
      { url: 'https://example.com/js', status: 404 },
      { url: 'https://example.com/html', status: 200 },
      { url: 'https://example.org/js', status: 200 },
      { url: 'https://example.com/css', status: 200 },
      { url: 'https://example.org/css', status: 200 },
      { url: 'https://example.org/html', status: 200 },
      { url: 'https://example.eu/images', status: 200 },
    ],
  },
];

export const priorityCases: TraefikPriorityCase[] = [
  {
    traefik: 'Test_addRoutePriority: Higher priority on second rule',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10 },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 20 },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Higher priority on first rule',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 20 },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10 },
    ],
    expected: 'header1',
  },
  {
    traefik: 'Test_addRoutePriority: Higher priority on second rule with different rule',
    path: '/mypath',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/mypath`)', priority: 10 },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 20 },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Higher priority on longest rule (longest first)',
    path: '/mypath',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/mypath`)', priority: 0 },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 0 },
    ],
    expected: 'header1',
  },
  {
    traefik: 'Test_addRoutePriority: Higher priority on longest rule (longest second)',
    path: '/mypath',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 0 },
      { xFrom: 'header2', rule: 'PathPrefix(`/mypath`)', priority: 0 },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Higher priority on longest rule (longest third)',
    path: '/mypath',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 0 },
      { xFrom: 'header2', rule: 'PathPrefix(`/mypa`)', priority: 0 },
      { xFrom: 'header3', rule: 'PathPrefix(`/mypath`)', priority: 0 },
    ],
    expected: 'header3',
  },
  {
    traefik: 'Test_addRoutePriority: Same priority and rule, kubernetescrd wins over kubernetes',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetes' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetescrd' },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Same priority and rule, kubernetesgateway wins over kubernetescrd',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetescrd' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetesgateway' },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Same priority and rule, kubernetesgateway wins over kubernetes',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetesgateway' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetes' },
    ],
    expected: 'header1',
  },
  {
    traefik: 'Test_addRoutePriority: Same priority and rule, kubernetescrd wins over kubernetesingressnginx',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetesingressnginx' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetescrd' },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Same priority and rule, known provider wins over unknown provider',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'unknownprovider' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetes' },
    ],
    expected: 'header2',
  },
  {
    traefik: 'Test_addRoutePriority: Higher numeric priority wins regardless of provider',
    path: '/my',
    routes: [
      { xFrom: 'header1', rule: 'PathPrefix(`/my`)', priority: 20, provider: 'kubernetesingressnginx' },
      { xFrom: 'header2', rule: 'PathPrefix(`/my`)', priority: 10, provider: 'kubernetesgateway' },
    ],
    expected: 'header1',
  },
];

export const emptyHostCases: Array<{ traefik: string; rule: string; raw: string; status: number }> = [
  {
    traefik: 'TestEmptyHost: HostRegexp with absolute-form URL with empty host with non-matching host header',
    rule: 'HostRegexp(`example.com`)',
    raw: 'GET http://@/ HTTP/1.1\r\nHost: example.com\r\n\r\n',
    status: 200,
  },
  {
    traefik: 'TestEmptyHost: Host with absolute-form URL with empty host with non-matching host header',
    rule: 'Host(`example.com`)',
    raw: 'GET http://@/ HTTP/1.1\r\nHost: example.com\r\n\r\n',
    status: 200,
  },
  {
    traefik: 'TestEmptyHost: HostRegexp with absolute-form URL with matching host header',
    rule: 'HostRegexp(`example.com`)',
    raw: 'GET http://example.com/ HTTP/1.1\r\nHost: example.org\r\n\r\n',
    status: 200,
  },
  {
    traefik: 'TestEmptyHost: Host with absolute-form URL with matching host header',
    rule: 'Host(`example.com`)',
    raw: 'GET http://example.com/ HTTP/1.1\r\nHost: example.org\r\n\r\n',
    status: 200,
  },
  {
    traefik: 'TestEmptyHost: HostRegexp with absolute-form URL with non-matching host header',
    rule: 'HostRegexp(`example.org`)',
    raw: 'GET http://example.com/ HTTP/1.1\r\nHost: example.org\r\n\r\n',
    status: 404,
  },
  {
    traefik: 'TestEmptyHost: Host with absolute-form URL with non-matching host header',
    rule: 'Host(`example.org`)',
    raw: 'GET http://example.com/ HTTP/1.1\r\nHost: example.org\r\n\r\n',
    status: 404,
  },
];

export const rulePriorityCases: Array<{ traefik: string; rule: string; priority: number }> = [{ traefik: 'TestGetRulePriority: simple rule', rule: 'Host(`example.org`)', priority: 19 }];

export const routingPathCases: Array<{ traefik: string; path: string; routingPath: string }> = [
  {
    traefik: 'TestRoutingPath: unallowed percent-encoded character is decoded',
    path: '/foo%20bar',
    routingPath: '/foo bar',
  },
  {
    traefik: 'TestRoutingPath: reserved percent-encoded character is kept encoded',
    path: '/foo%2Fbar',
    routingPath: '/foo%2Fbar',
  },
  {
    traefik: 'TestRoutingPath: multiple mixed characters',
    path: '/foo%20bar%2Fbaz%23qux',
    routingPath: '/foo bar%2Fbaz%23qux',
  },
];

export const parseDomainsCases: Array<{ traefik: string; rule: string; error?: boolean; domains: string[] }> = [
  { traefik: 'TestParseDomains: Unknown rule', rule: 'Foobar(`foo.bar`,`test.bar`)', error: true, domains: [] },
  { traefik: 'TestParseDomains: No host rule', rule: 'Path(`/test`)', domains: [] },
  {
    traefik: 'TestParseDomains: Host rule and another rule',
    rule: 'Host(`foo.bar`) && Path(`/test`)',
    domains: ['foo.bar'],
  },
  {
    traefik: 'TestParseDomains: Host rule to trim and another rule',
    rule: 'Host(`Foo.Bar`) || Host(`bar.buz`) && Path(`/test`)',
    domains: ['foo.bar', 'bar.buz'],
  },
  {
    traefik: 'TestParseDomains: Host rule to trim and another rule',
    rule: 'Host(`Foo.Bar`) && Path(`/test`)',
    domains: ['foo.bar'],
  },
  { traefik: 'TestParseDomains: Host rule with no domain', rule: 'Host() && Path(`/test`)', domains: [] },
];
