import type { ReplacePathRegex } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { regexOption } from '../shared/options.ts';
import { REPLACED_PATH_HEADER } from '../replace-path/index.ts';
import { keepsClean } from '../shared/rewritten-path.ts';
import type { Wrapper } from '../shared/types.ts';

/**
 * replacePathRegex: when `regex` matches the path, every match is replaced with `replacement` (Go template:
 * `$1`, `${1}`, `${name}`), and the original path goes upstream in X-Replaced-Path. No match: unchanged.
 * A result that is not clean (`/foo../bar` → `/./bar`) is refused with 400, as Traefik does.
 * @example
 * replacePathRegex({ regex: '^/foo/(.*)', replacement: '/bar/$1' }) // /foo/x → /bar/x
 */
export function replacePathRegex(cfg: ReplacePathRegex): Wrapper {
  const re = regexOption(cfg.regex?.trim(), 'replacePathRegex.regex');
  const replacement = cfg.replacement?.trim() ?? '';
  return {
    wrap(next: Handler): Handler {
      return function replacePathRegexHandler(ctx: RequestContext) {
        if (re.test(ctx.path)) {
          const path = re.replaceAll(ctx.path, replacement);
          if (!keepsClean(ctx, path)) return;
          ctx.headers[REPLACED_PATH_HEADER] = ctx.path;
          ctx.path = path;
        }
        next(ctx);
      };
    },
  };
}
