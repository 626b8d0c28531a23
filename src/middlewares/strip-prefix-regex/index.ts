import type { StripPrefixRegex } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { regexOption } from '../shared/options.ts';
import { leadingSlash, type Wrapper } from '../shared/types.ts';

/**
 * stripPrefixRegex: the first expression whose (non-empty) match is a prefix of the path has that match
 * removed and recorded as the stripped prefix (X-Forwarded-Prefix). Expressions are Go regexes and are
 * not anchored: Traefik also checks the match starts the path, so `/[a-z]+/` on `/x/y` strips `/x/`.
 * @example
 * stripPrefixRegex({ regex: ['/api/v[0-9]+'] }) // GET /api/v2/users → upstream /users
 */
export function stripPrefixRegex(cfg: StripPrefixRegex): Wrapper {
  const expressions = (cfg.regex ?? []).map((r, i) => regexOption(r.trim(), `stripPrefixRegex.regex[${i}]`));
  return {
    wrap(next: Handler): Handler {
      return function stripPrefixRegexHandler(ctx: RequestContext) {
        for (const re of expressions) {
          const prefix = re.exec(ctx.path)?.groups[0];
          if (prefix === undefined || prefix === '') continue;
          if (!ctx.path.startsWith(prefix)) continue;
          ctx.strippedPrefix = prefix;
          ctx.path = leadingSlash(ctx.path.slice(prefix.length));
          break;
        }
        next(ctx);
      };
    },
  };
}
