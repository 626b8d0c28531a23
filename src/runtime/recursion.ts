import { respond, type Handler, type RequestContext } from '../http/context.ts';

/** Go's hash/fnv New64 (FNV-1, 64 bits) of the UTF-8 bytes, in lower-case hex (`strconv.FormatUint(h, 16)`). */
export function routerNameHash(name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(name)) h = ((h * 0x100000001b3n) & 0xffffffffffffffffn) ^ BigInt(byte);
  return h.toString(16);
}

/**
 * Traefik's DenyRouterRecursion, put before the middlewares of routers made from the Consul provider's
 * `defaultRule`: the request is sent upstream with `X-Traefik-Router: <hash of the router name>`, and a request
 * that arrives with that same value (it went through this router already: a loop) gets 400 with no body.
 *
 * @example
 * handler = denyRouterRecursion('whoami@consulcatalog', handler);
 */
export function denyRouterRecursion(routerName: string, next: Handler): Handler {
  const hash = routerNameHash(routerName);
  return function denyRouterRecursionHandler(ctx: RequestContext) {
    if (ctx.headers['x-traefik-router'] === hash) { respond(ctx, 400, ''); return; }
    ctx.headers['x-traefik-router'] = hash;
    next(ctx);
  };
}
