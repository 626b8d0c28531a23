import type { Handler } from '../../http/context.ts';

/** What every middleware factory returns: a wrapper around the next handler, and an optional release. */
export interface Wrapper {
  wrap(next: Handler): Handler;
  /** Releases what the instance holds (caches, buckets). Idempotent. */
  close?(): void;
  /** Accepted but worth telling the operator (a deprecated option): shown on the middleware as a warning. */
  warnings?: readonly string[];
}

/** "" → "/", "x" → "/x" (Traefik's ensureLeadingSlash; an empty path is sent upstream as "/" anyway). */
export function leadingSlash(path: string): string {
  return path.startsWith('/') ? path : '/' + path;
}
