import type { ReplacePath } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import type { Wrapper } from '../shared/types.ts';

/** Header carrying the original path to the upstream (Traefik's `replacepath.ReplacedPathHeader`). */
export const REPLACED_PATH_HEADER = 'x-replaced-path';

/**
 * replacePath: replaces the whole path (the query is kept) and forwards the original in X-Replaced-Path.
 * @example
 * replacePath({ path: '/health' }) // GET /anything?x=1 → upstream /health?x=1, X-Replaced-Path: /anything
 */
export function replacePath(cfg: ReplacePath): Wrapper {
  const path = cfg.path ?? '';
  return {
    wrap(next: Handler): Handler {
      return function replacePathHandler(ctx: RequestContext) {
        ctx.headers[REPLACED_PATH_HEADER] = ctx.path;
        ctx.path = path;
        next(ctx);
      };
    },
  };
}
