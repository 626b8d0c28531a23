import type { AddPrefix } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { leadingSlash, type Wrapper } from '../shared/types.ts';

/**
 * addPrefix: prepends `prefix` to the path (a missing leading slash is added, as Traefik does).
 * @example
 * addPrefix({ prefix: '/v1' }) // GET /users → upstream /v1/users
 */
export function addPrefix(cfg: AddPrefix): Wrapper {
  const prefix = cfg.prefix ?? '';
  if (prefix === '') throw optionError('addPrefix.prefix', 'prefix cannot be empty');
  return {
    wrap(next: Handler): Handler {
      return function addPrefixHandler(ctx: RequestContext) {
        ctx.path = leadingSlash(prefix + ctx.path);
        next(ctx);
      };
    },
  };
}
