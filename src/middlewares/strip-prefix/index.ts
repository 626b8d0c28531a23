import type { StripPrefix } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { keepsClean } from '../shared/rewritten-path.ts';
import { leadingSlash, type Wrapper } from '../shared/types.ts';

/** Traefik's log line when `forceSlash` is set (any value). */
export const FORCE_SLASH_DEPRECATED = '`ForceSlash` option is deprecated, please remove any usage of this option.';

/**
 * stripPrefix: removes the first matching prefix from the path and records it in `ctx.strippedPrefix`
 * (the forwarder sends it as X-Forwarded-Prefix). Prefixes are tried in order; matching is a plain
 * string prefix, so `/api` also strips `/apiv2` to `/v2`, as in Traefik.
 * `forceSlash` (deprecated in Traefik) is accepted, with Traefik's deprecation warning (on the middleware in the
 * API, status "warning"), whatever its value: the two modes differ only for a path that is exactly the prefix
 * (Traefik strips it to "" without, "/" with), and Traefik then sends the request-target "/" either way
 * (`URL.RequestURI()`), with a server path (`preservePath`) too. So the upstream sees the same in both modes.
 * A stripped path that is not clean (`/api./foo` stripped of `/api`) is refused with 400, as Traefik does.
 * A second stripPrefix in the same chain overwrites the recorded prefix (Traefik adds a second header value).
 * @example
 * stripPrefix({ prefixes: ['/api'] }).wrap(next) // GET /api/users → upstream /users, X-Forwarded-Prefix: /api
 */
export function stripPrefix(cfg: StripPrefix): Wrapper {
  const prefixes = cfg.prefixes ?? [];
  prefixes.forEach((p, i) => { if (typeof p !== 'string') throw optionError(`stripPrefix.prefixes[${i}]`, 'must be a string'); });
  return {
    ...(cfg.forceSlash !== undefined ? { warnings: [FORCE_SLASH_DEPRECATED] } : {}),
    wrap(next: Handler): Handler {
      return function stripPrefixHandler(ctx: RequestContext) {
        for (const prefix of prefixes) {
          if (prefix !== '' && ctx.path.startsWith(prefix)) {
            const path = leadingSlash(ctx.path.slice(prefix.length));
            if (!keepsClean(ctx, path)) return;
            ctx.path = path;
            ctx.strippedPrefix = prefix.trim();
            break;
          }
        }
        next(ctx);
      };
    },
  };
}
