import type { RedirectRegex } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { goURLParseError } from '../shared/go-url.ts';
import { regexOption, statusText } from '../shared/options.ts';
import { refuser } from '../shared/refuse.ts';
import { absoluteTarget, redirect, requestHost, requestURI } from '../shared/redirect.ts';
import type { Wrapper } from '../shared/types.ts';

/**
 * redirectRegex: matches `regex` against the full request URL (`http[s]://host[:port]/path?query`, the
 * scheme from the entry point's TLS only, as in Traefik) and redirects to the expanded `replacement`.
 * A replacement equal to the URL passes the request through; one Go's url.Parse refuses answers 502, as in Traefik.
 * @example
 * redirectRegex({ regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}' })
 */
export function redirectRegex(cfg: RedirectRegex): Wrapper {
  const re = regexOption(cfg.regex, 'redirectRegex.regex');
  const replacement = cfg.replacement ?? '';
  const permanent = cfg.permanent ?? false;
  return {
    wrap(next: Handler): Handler {
      return function redirectRegexHandler(ctx: RequestContext) {
        const oldURL = rawURL(ctx);
        if (!re.test(oldURL)) { next(ctx); return; }
        const newURL = re.replaceAll(oldURL, replacement);
        const invalid = goURLParseError(newURL);
        if (invalid !== undefined) {
          refuser(ctx)(`redirectRegex: rewritten URL ${JSON.stringify(newURL)}: ${invalid}`);
          respond(ctx, 502, statusText(502));
          return;
        }
        if (newURL === oldURL) { next(ctx); return; }
        redirect(ctx, newURL, permanent);
      };
    },
  };
}

function rawURL(ctx: RequestContext): string {
  let scheme = 'http';
  let host = requestHost(ctx);
  let port = '';
  const abs = absoluteTarget(ctx);
  if (abs) {
    scheme = abs[1]!;
    if (abs[2]) host = abs[2];
    if (abs[3]) port = abs[3];
  }
  if (ctx.scheme === 'https') scheme = 'https';
  return `${scheme}://${host}${port}${requestURI(ctx)}`;
}
