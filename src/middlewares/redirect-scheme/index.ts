import type { RedirectScheme } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { compileGoRegexp } from '../../regexp/index.ts';
import { headerValue } from '../shared/options.ts';
import { absoluteTarget, redirect, requestHost, requestURI } from '../shared/redirect.ts';
import type { Wrapper } from '../shared/types.ts';

/** Traefik's uriPattern (pkg/middlewares/redirect/redirect_scheme.go), `.` also matching newlines. */
const URI_PATTERN = compileGoRegexp('(?s)^(https?://)?(\\[[\\w:.]+\\]|[\\w._-]+)?(:\\d+)?(.*)$');

/**
 * redirectScheme: redirects to `scheme` (and `port`, dropped when it is the scheme's default; when unset the
 * client's port is dropped too, as in Traefik). The client's scheme is read from X-Forwarded-Proto
 * (ws/wss count as http/https), else the entry point. A request already on the target URL passes through.
 * @example
 * redirectScheme({ scheme: 'https', permanent: true }) // GET http://a.test:80/x → 301 Location: https://a.test/x
 */
export function redirectScheme(cfg: RedirectScheme): Wrapper {
  const scheme = cfg.scheme ?? '';
  if (scheme === '') throw optionError('redirectScheme.scheme', 'you must provide a target scheme');
  const port = cfg.port ?? '';
  if (port !== '' && !/^\d+$/.test(port)) throw optionError('redirectScheme.port', `invalid port ${JSON.stringify(port)}`);
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  const replacement = `${scheme}://\${2}${port !== '' && !defaultPort ? ':' + port : ''}\${4}`;
  const permanent = cfg.permanent ?? false;
  return {
    wrap(next: Handler): Handler {
      return function redirectSchemeHandler(ctx: RequestContext) {
        const oldURL = clientRequestURL(ctx);
        const newURL = URI_PATTERN.replaceAll(oldURL, replacement);
        if (newURL === oldURL) { next(ctx); return; }
        redirect(ctx, newURL, permanent);
      };
    },
  };
}

/** The URL the client believes it requested (Traefik's clientRequestURL). */
function clientRequestURL(ctx: RequestContext): string {
  let scheme = 'http';
  const hostHeader = requestHost(ctx);
  let host = hostHeader;
  let port = '';
  const colon = hostHeader.lastIndexOf(':');
  if (colon !== -1 && !hostHeader.endsWith(']') && /^\d*$/.test(hostHeader.slice(colon + 1))) {
    host = hostHeader.slice(0, colon);
    port = hostHeader.slice(colon);
  }
  let uri = requestURI(ctx);
  const abs = absoluteTarget(ctx);
  if (abs) {
    scheme = abs[1]!;
    if (abs[2]) host = abs[2];
    if (abs[3]) port = abs[3];
  }
  if (ctx.scheme === 'https') scheme = 'https';
  const proto = headerValue(ctx.headers, 'x-forwarded-proto').toLowerCase();
  if (proto === 'http' || proto === 'ws') scheme = 'http';
  else if (proto === 'https' || proto === 'wss') scheme = 'https';
  if ((scheme === 'http' && port === ':80') || (scheme === 'https' && port === ':443')) port = '';
  if (abs && uri === '') uri = '/';
  return `${scheme}://${host}${port}${uri}`;
}
