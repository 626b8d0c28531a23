import type { OutgoingHttpHeaders } from 'node:http';
import type { Headers } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { regexOption, headerValue } from '../shared/options.ts';
import { answer, getOut, onHead, setOut, delOut } from '../shared/outheaders.ts';
import { requestHost, requestURI } from '../shared/redirect.ts';
import type { Wrapper } from '../shared/types.ts';
import { refuser } from '../shared/refuse.ts';

/**
 * headers: Traefik's Headers middleware, in its two layers (outer: custom headers and CORS; inner: the
 * security headers of unrolled/secure).
 *
 * - `customRequestHeaders` set request headers; an empty value removes the header (`Host` sets the host).
 * - `customResponseHeaders` set response headers over the upstream's; an empty value removes one.
 * - CORS: an `OPTIONS` with `Origin` and `Access-Control-Request-Method` is a preflight and is answered here
 *   (200, no body, Allow-* headers, Max-Age when set, Expose-Headers); other responses get Allow-Origin (when
 *   `Origin` is in `accessControlAllowOriginList`, `*` included, or matches one of
 *   `accessControlAllowOriginListRegex`), Allow-Credentials, Expose-Headers and, with `addVaryHeader`,
 *   `Vary: Origin`. With credentials a `*` is never answered literally: the origin, the requested headers and
 *   the requested method are echoed instead, and a `*` in Expose-Headers is not sent (as Traefik).
 * - Security: `allowedHosts` (500 "Bad Host" otherwise; `hostsProxyHeaders` name headers that carry the
 *   host), `sslRedirect`, HSTS (`stsSeconds`, only over https unless `forceSTSHeader`), frame options,
 *   nosniff, XSS filter, CSP, Referrer-Policy, Permissions-Policy. `isDevelopment` disables the host check,
 *   the redirect and HSTS.
 * A configuration setting none of these is a build error, as in Traefik.
 * @example
 * headers({ customResponseHeaders: { 'X-Powered-By': '' }, frameDeny: true })
 */
export function headers(cfg: Headers): Wrapper {
  const requestHeaders = Object.entries(cfg.customRequestHeaders ?? {});
  const responseHeaders = Object.entries(cfg.customResponseHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  const originList = cfg.accessControlAllowOriginList ?? [];
  const originRegexes = (cfg.accessControlAllowOriginListRegex ?? []).map((r, i) => regexOption(r, `headers.accessControlAllowOriginListRegex[${i}]`));
  const allowHeaders = (cfg.accessControlAllowHeaders ?? []).join(',');
  const allowMethods = (cfg.accessControlAllowMethods ?? []).join(',');
  const exposeHeaders = (cfg.accessControlExposeHeaders ?? []).join(',');
  const credentials = cfg.accessControlAllowCredentials ?? false;
  const maxAge = cfg.accessControlMaxAge;
  const addVary = cfg.addVaryHeader ?? false;
  // With credentials a `*` cannot be answered literally (Fetch §3.2.5): Traefik echoes what the request asked.
  const echoHeaders = credentials && (cfg.accessControlAllowHeaders ?? []).includes('*');
  const echoMethod = credentials && (cfg.accessControlAllowMethods ?? []).includes('*');
  const expose = exposeHeaders !== '' && !(credentials && (cfg.accessControlExposeHeaders ?? []).includes('*')) ? exposeHeaders : '';

  const hasCustom = requestHeaders.length > 0 || responseHeaders.length > 0;
  const hasCors = credentials || allowHeaders !== '' || allowMethods !== '' || originList.length > 0 || originRegexes.length > 0
    || exposeHeaders !== '' || maxAge !== undefined || addVary;
  const secure = secureOptions(cfg);
  if (!hasCustom && !hasCors && !secure) throw optionError('headers', 'headers configuration not valid: no option is set');

  function allowedOrigin(origin: string): string | undefined {
    for (const item of originList) {
      if (item === origin) return item;
      if (item === '*') return credentials ? origin : item;
    }
    for (const re of originRegexes) if (re.test(origin)) return origin;
    return undefined;
  }

  function preflight(ctx: RequestContext, method: string): void {
    const head: OutgoingHttpHeaders = {};
    if (credentials) head['access-control-allow-credentials'] = 'true';
    if (echoHeaders) {
      const asked = headerValue(ctx.headers, 'access-control-request-headers');
      if (asked !== '') head['access-control-allow-headers'] = asked;
    } else if (allowHeaders !== '') head['access-control-allow-headers'] = allowHeaders;
    if (echoMethod) head['access-control-allow-methods'] = method;
    else if (allowMethods !== '') head['access-control-allow-methods'] = allowMethods;
    const origin = allowedOrigin(headerValue(ctx.headers, 'origin'));
    if (origin !== undefined) head['access-control-allow-origin'] = origin;
    if (maxAge !== undefined) head['access-control-max-age'] = String(Math.trunc(maxAge));
    if (expose !== '') head['access-control-expose-headers'] = expose;
    answer(ctx, 200, head);
  }

  function customResponse(ctx: RequestContext, head: OutgoingHttpHeaders): void {
    for (const [name, value] of responseHeaders) {
      if (value === '') delOut(head, name);
      else setOut(head, name, value);
    }
    const origin = allowedOrigin(headerValue(ctx.headers, 'origin'));
    if (origin !== undefined) setOut(head, 'access-control-allow-origin', origin);
    if (credentials) setOut(head, 'access-control-allow-credentials', 'true');
    if (expose !== '') setOut(head, 'access-control-expose-headers', expose);
    if (!addVary) return;
    const vary = getOut(head, 'vary');
    if (vary === 'Origin') return;
    setOut(head, 'vary', vary === '' ? 'Origin' : `${vary},Origin`);
  }

  return {
    wrap(next: Handler): Handler {
      return function headersHandler(ctx: RequestContext) {
        if (hasCors && ctx.method === 'OPTIONS') {
          const method = headerValue(ctx.headers, 'access-control-request-method');
          if (method !== '' && headerValue(ctx.headers, 'origin') !== '') { preflight(ctx, method); return; }
        }
        for (const [name, value] of requestHeaders) {
          const lname = name.toLowerCase();
          if (value === '') delete ctx.headers[lname];
          else ctx.headers[lname] = value;
        }
        if (hasCustom || hasCors) onHead(ctx, function customResponseHeaders(_status, head) { customResponse(ctx, head); });
        if (secure && !secure.check(ctx)) return;
        next(ctx);
      };
    },
  };
}

interface Secure {
  /** Runs the request-side checks; false when it answered (bad host, redirect). Registers the response hook. */
  check(ctx: RequestContext): boolean;
}

function secureOptions(cfg: Headers): Secure | undefined {
  const allowedHosts = (cfg.allowedHosts ?? []).map((h) => h.toLowerCase());
  const proxyHeaders = (cfg.hostsProxyHeaders ?? []).map((h) => h.toLowerCase());
  const dev = cfg.isDevelopment ?? false;
  const sslRedirect = cfg.sslRedirect ?? false;
  const stsSeconds = cfg.stsSeconds ?? 0;
  const stsSet = cfg.stsSeconds !== undefined; // Traefik's *int64: set to 0 still counts as a security option
  if (!Number.isInteger(stsSeconds) || stsSeconds < 0) throw optionError('headers.stsSeconds', `must be a non-negative integer, got ${stsSeconds}`);
  const sts = `max-age=${stsSeconds}${cfg.stsIncludeSubdomains ? '; includeSubDomains' : ''}${cfg.stsPreload ? '; preload' : ''}`;
  const fixed: Array<[string, string]> = [];
  const frame = cfg.customFrameOptionsValue || (cfg.frameDeny ? 'DENY' : '');
  if (frame) fixed.push(['x-frame-options', frame]);
  if (cfg.contentTypeNosniff) fixed.push(['x-content-type-options', 'nosniff']);
  const xss = cfg.customBrowserXSSValue || (cfg.browserXssFilter ? '1; mode=block' : '');
  if (xss) fixed.push(['x-xss-protection', xss]);
  if (cfg.contentSecurityPolicy) fixed.push(['content-security-policy', cfg.contentSecurityPolicy]);
  if (cfg.referrerPolicy) fixed.push(['referrer-policy', cfg.referrerPolicy]);
  if (cfg.permissionsPolicy) fixed.push(['permissions-policy', cfg.permissionsPolicy]);

  const any = allowedHosts.length > 0 || proxyHeaders.length > 0 || dev || sslRedirect || stsSet || cfg.stsIncludeSubdomains
    || cfg.stsPreload || cfg.forceSTSHeader || fixed.length > 0;
  if (!any) return undefined;
  const forceSTS = cfg.forceSTSHeader ?? false;

  return {
    check(ctx) {
      if (allowedHosts.length > 0 && !dev) {
        let host = requestHost(ctx);
        for (const h of proxyHeaders) {
          const v = headerValue(ctx.headers, h);
          if (v !== '') { host = v; break; }
        }
        if (!allowedHosts.includes(host.toLowerCase())) {
          refuser(ctx)(`host ${JSON.stringify(host)} is not in headers.allowedHosts`);
          respond(ctx, 500, 'Bad Host\n', { 'x-content-type-options': 'nosniff' });
          return false;
        }
      }
      const ssl = ctx.scheme === 'https';
      if (sslRedirect && !dev && !ssl) {
        respond(ctx, 301, 'Moved Permanently', { location: `https://${requestHost(ctx)}${requestURI(ctx)}` });
        return false;
      }
      const withSTS = !dev && stsSeconds !== 0 && (ssl || forceSTS);
      if (withSTS || fixed.length > 0) {
        onHead(ctx, function secureResponseHeaders(_status, head) {
          if (withSTS) setOut(head, 'strict-transport-security', sts);
          for (const [name, value] of fixed) setOut(head, name, value);
        });
      }
      return true;
    },
  };
}
