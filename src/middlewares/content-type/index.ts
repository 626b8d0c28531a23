import type { OutgoingHttpHeaders } from 'node:http';
import type { ContentType } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { tapResponse } from '../../http/intercept.ts';
import type { Wrapper } from '../shared/types.ts';
import { detectContentType } from './sniff.ts';

/**
 * contentType: lets a response without `Content-Type` get one guessed from its first bytes (Go's
 * `DetectContentType`), as Go's server does when Traefik's contentType middleware re-enables detection. Without
 * the middleware tagway, like Traefik v3, sends such a response without the header. A response that has one, or
 * has no body, is untouched. `autoDetect` is deprecated in Traefik: `false` makes the middleware do nothing.
 * @example
 * contentType({}) // upstream answers "Test" without Content-Type → client sees "text/plain; charset=utf-8"
 */
export function contentType(cfg: ContentType): Wrapper {
  const enabled = cfg.autoDetect !== false;
  return {
    wrap(next: Handler): Handler {
      if (!enabled) return next;
      return function contentTypeHandler(ctx: RequestContext) {
        const res = ctx.res;
        let held: { status: number; headers: OutgoingHttpHeaders } | undefined;
        const release = tapResponse(res, {
          head(status, headers) {
            if (hasContentType(headers) || status === 204 || status === 304 || ctx.method === 'HEAD') {
              release();
              res.writeHead(status, headers);
              return;
            }
            held = { status, headers };
          },
          data(chunk) {
            release();
            if (held) {
              held.headers['content-type'] = detectContentType(chunk);
              res.writeHead(held.status, held.headers);
              held = undefined;
            }
            res.write(chunk);
          },
          end() {
            release();
            if (held) res.writeHead(held.status, held.headers);
            res.end();
          },
        });
        next(ctx);
      };
    },
  };
}

function hasContentType(headers: OutgoingHttpHeaders): boolean {
  for (const name in headers) if (name.toLowerCase() === 'content-type' && headers[name] !== undefined) return true;
  return false;
}
