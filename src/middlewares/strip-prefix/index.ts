import type { StripPrefix } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { keepsClean } from '../shared/rewritten-path.ts';
import { leadingSlash, type Wrapper } from '../shared/types.ts';

/**
 * stripPrefix: removes the first matching prefix from the path and records it in `ctx.strippedPrefix`
 * (the forwarder sends it as X-Forwarded-Prefix). Prefixes are tried in order; matching is a plain
 * string prefix, so `/api` also strips `/apiv2` to `/v2`, as in Traefik.
 * `forceSlash` (deprecated in Traefik) is accepted: the stripped path is always at least "/", which is what
 * an upstream receives in both of Traefik's modes.
 * A stripped path that is not clean (`/api./foo` stripped of `/api`) is refused with 400, as Traefik does.
 * A second stripPrefix in the same chain overwrites the recorded prefix (Traefik adds a second header value).
 * @example
 * stripPrefix({ prefixes: ['/api'] }).wrap(next) // GET /api/users → upstream /users, X-Forwarded-Prefix: /api
 */
export function stripPrefix(cfg: StripPrefix): Wrapper {
  const prefixes = cfg.prefixes ?? [];
  prefixes.forEach((p, i) => { if (typeof p !== 'string') throw optionError(`stripPrefix.prefixes[${i}]`, 'must be a string'); });
  return {
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
