import type { StripPrefixRegex } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { regexOption } from '../shared/options.ts';
import { routingPath } from '../../http/path.ts';
import { encodedPrefixLength, keepsClean } from '../shared/rewritten-path.ts';
import { leadingSlash, type Wrapper } from '../shared/types.ts';

/**
 * stripPrefixRegex: the first expression whose (non-empty) match is a prefix of the path has that match
 * removed and recorded as the stripped prefix (X-Forwarded-Prefix). Expressions are Go regexes and are
 * not anchored: Traefik also checks the match starts the path, so `/[a-z]+/` on `/x/y` strips `/x/`.
 * They match the decoded path (`/t /test` matches `/t%20/test/…`; reserved escapes such as `%2F` stay encoded)
 * and the matched length is cut from the path as sent; a result that is not clean is refused with 400.
 * @example
 * stripPrefixRegex({ regex: ['/api/v[0-9]+'] }) // GET /api/v2/users → upstream /users
 */
export function stripPrefixRegex(cfg: StripPrefixRegex): Wrapper {
  const expressions = (cfg.regex ?? []).map((r, i) => regexOption(r.trim(), `stripPrefixRegex.regex[${i}]`));
  return {
    wrap(next: Handler): Handler {
      return function stripPrefixRegexHandler(ctx: RequestContext) {
        const decoded = routingPath(ctx.path);
        for (const re of expressions) {
          const prefix = re.exec(decoded)?.groups[0];
          if (prefix === undefined || prefix === '') continue;
          if (!decoded.startsWith(prefix)) continue;
          const path = leadingSlash(ctx.path.slice(encodedPrefixLength(ctx.path, Buffer.byteLength(prefix))));
          if (!keepsClean(ctx, path)) return;
          ctx.strippedPrefix = prefix;
          ctx.path = path;
          break;
        }
        next(ctx);
      };
    },
  };
}
