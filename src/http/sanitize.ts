/**
 * Request sanitation at the entry point: what Go's `net/http` refuses while reading a request, what
 * Traefik's entry point adds (`sanitizePath`, `encodedCharacters`, no fragment), and one rule of our own:
 * an encoding never moves a request to another router than its decoded, cleaned path would reach.
 *
 * Two steps, both cheap for an ordinary request (a few comparisons, no allocation):
 * - `refuseHead` (HTTP/1 only, before the context is built): two `Host` headers → 400, a
 *   `Transfer-Encoding` other than exactly `chunked` → 501 (Go answers both so); a raw `#` in the target
 *   → 400 (Traefik's denyFragment); an absolute-form target (`GET http://a.test/p`) becomes origin-form
 *   and its authority becomes the Host, which wins over the Host header (RFC 9112 §3.2.2, as Go sets
 *   `req.Host` from the URL).
 * - `refuseRoute` (after matching): when the path holds an escape or a backslash (or, without
 *   sanitizePath, a dot segment or a repeated slash), the route table is asked again with the canonical
 *   path (`canonicalPath`: every escape decoded once, `\` as `/`, cleaned); another answer → 400. So
 *   `/%2Fadmin`, `/%5Cadmin` or `/x/%2E%2E%2Fadmin` cannot skip a ``PathPrefix(`/admin`)`` router's
 *   middlewares for a lower-priority catch-all, while `/api/a%2Fb` still reaches `/api` like Traefik. Then
 *   the entry point's denied escapes (`encodedCharacters`, all allowed by default since Traefik v3.6.7)
 *   refuse a matched request with 400, as Traefik's router-level check does.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from './context.ts';
import { canonicalPath, routingPath } from './path.ts';

/** Traefik's `entryPoints.<ep>.http.encodedCharacters` (every one allowed by default). */
export interface EncodedCharacters {
  allowEncodedSlash: boolean;
  allowEncodedBackSlash: boolean;
  allowEncodedNullCharacter: boolean;
  allowEncodedSemicolon: boolean;
  allowEncodedPercent: boolean;
  allowEncodedQuestionMark: boolean;
  allowEncodedHash: boolean;
}

/** How an entry point treats request paths, built once from its configuration. */
export interface PathPolicy {
  /** `http.sanitizePath`: dot segments and repeated slashes removed before routing (default true). */
  readonly sanitizePath: boolean;
  /** Escapes refused with 400 (upper-case hex, as paths are normalized); undefined when none. */
  readonly denied: ReadonlySet<string> | undefined;
}

/** Why a request is refused: the status and a short body. `close` ends the connection after it (Go does for head errors). */
export interface Refusal { status: number; body: string; close: boolean }

/**
 * @example
 * pathPolicy(true, { ...allAllowed, allowEncodedSlash: false }).denied // Set { '%2F' }
 */
export function pathPolicy(sanitizePath: boolean, chars: EncodedCharacters): PathPolicy {
  const denied = new Set<string>();
  if (!chars.allowEncodedSlash) denied.add('%2F');
  if (!chars.allowEncodedBackSlash) denied.add('%5C');
  if (!chars.allowEncodedNullCharacter) denied.add('%00');
  if (!chars.allowEncodedSemicolon) denied.add('%3B');
  if (!chars.allowEncodedPercent) denied.add('%25');
  if (!chars.allowEncodedQuestionMark) denied.add('%3F');
  if (!chars.allowEncodedHash) denied.add('%23');
  return { sanitizePath, denied: denied.size > 0 ? denied : undefined };
}

const BAD_REQUEST = (reason: string): Refusal => ({ status: 400, body: `400 Bad Request: ${reason}`, close: true });

/** scheme "://" authority, then the rest of an absolute-form target. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s;

/**
 * Checks an HTTP/1 request head before anything else reads it; may rewrite an absolute-form target in
 * place (`req.url` to origin-form, `req.headers.host` to its authority). Returns a refusal or undefined.
 */
export function refuseHead(req: IncomingMessage): Refusal | undefined {
  if (req.httpVersionMajor !== 1) return undefined;
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host') && ++hosts > 1) return BAD_REQUEST('too many Host headers');
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && req.httpVersionMinor >= 1 && te.toLowerCase() !== 'chunked') {
    // Go: "too many transfer encodings" / "unsupported transfer encoding" → 501, RFC 9112 §6.1.
    return { status: 501, body: 'Unsupported transfer encoding', close: true };
  }
  const target = req.url ?? '/';
  if (target.indexOf('#') !== -1) return BAD_REQUEST('fragment in the request target');
  if (target.charCodeAt(0) !== 0x2f && target !== '*') {
    const m = ABSOLUTE_FORM.exec(target);
    if (m === null) return BAD_REQUEST('invalid URI for request');
    const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
    const rest = m[2]!;
    if (authority !== '') req.headers.host = authority;
    req.url = rest === '' ? '/' : rest.charCodeAt(0) === 0x3f ? '/' + rest : rest;
  }
  return undefined;
}

/** The part of a route table `refuseRoute` asks again. */
export interface RouteLookup<R> { match(ctx: RequestContext): R | undefined }

/**
 * After matching: refuses (400) a request whose encoding changes the router it reaches, or that holds an
 * escape the entry point denies. `route` is what `table` answered for `ctx`.
 */
export function refuseRoute<R>(table: RouteLookup<R> | undefined, ctx: RequestContext, route: R | undefined, policy: PathPolicy): Refusal | undefined {
  const path = ctx.path;
  const escaped = path.indexOf('%') !== -1;
  if (escaped || path.indexOf('\\') !== -1 || (!policy.sanitizePath && unclean(path))) {
    const canonical = canonicalPath(path);
    if (canonical !== routingPath(path) && table !== undefined) {
      ctx.path = canonical;
      let other: R | undefined;
      try { other = table.match(ctx); } finally { ctx.path = path; }
      if (other !== route) return { status: 400, body: '400 Bad Request: the path\'s encoding changes the router it reaches\n', close: false };
    }
  }
  if (route !== undefined && escaped && policy.denied !== undefined) {
    for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 3)) {
      if (policy.denied.has(path.slice(i, i + 3))) return { status: 400, body: `400 Bad Request: encoded character ${path.slice(i, i + 3)} refused\n`, close: false };
    }
  }
  return undefined;
}

/** A dot segment or a repeated slash (only possible when sanitizePath is off). */
function unclean(path: string): boolean {
  return path.indexOf('//') !== -1 || path.indexOf('/.') !== -1;
}
