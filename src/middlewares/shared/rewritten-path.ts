import { respond, type RequestContext } from '../../http/context.ts';
import { refuser } from './refuse.ts';

/** A `.` or `..` segment, or an empty segment inside the path (`//`). */
const UNCLEAN = /(?:^|\/)\.\.?(?:\/|$)|\/\//;

/**
 * After stripPrefix, stripPrefixRegex or replacePathRegex rewrote the path: Traefik cleans the result
 * (`URL.JoinPath`) and answers 400 when cleaning would change it (`/api./foo` stripped of `/api` is `/./foo`),
 * so a rewrite never smuggles dot segments upstream. Returns false after answering 400.
 * @example
 * if (!keepsClean(ctx, ctx.path)) return; // `/./foo` → 400 Bad Request
 */
export function keepsClean(ctx: RequestContext, path: string): boolean {
  if (!UNCLEAN.test(path)) return true;
  refuser(ctx)(`Rejecting request, rewritten path ${JSON.stringify(path)} is not clean`);
  respond(ctx, 400, 'Bad Request\n');
  return false;
}

/**
 * How many characters of `path` (escapes counted as one byte each, other characters as their UTF-8 bytes)
 * spell a prefix of `decodedLength` decoded bytes: Traefik matches on the decoded path and cuts the raw one.
 * @example
 * encodedPrefixLength('/t%20/test/a%2Fb', 8) // 10 ('/t%20/test')
 */
export function encodedPrefixLength(path: string, decodedLength: number): number {
  let decoded = 0;
  let i = 0;
  while (i < path.length && decoded < decodedLength) {
    if (path[i] === '%' && i + 2 < path.length) i += 3;
    else i++;
    decoded++;
  }
  return i;
}
