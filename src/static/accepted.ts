import type { StaticConfig } from './types.ts';

/**
 * Traefik options tagway accepts so a Traefik static file starts unchanged, without implementing them. Each one
 * set to something other than its default gets a warning saying what tagway does instead: never ignored silently.
 *
 * @example
 * for (const w of unimplementedOptionWarnings(config)) log.warn(w);
 * // entryPoints.web.reusePort: accepted, SO_REUSEPORT is not set ...
 */
export function unimplementedOptionWarnings(config: StaticConfig): string[] {
  const out: string[] = [];
  for (const [name, ep] of Object.entries(config.entryPoints)) {
    const at = `entryPoints.${name}`;
    if (ep.reusePort) out.push(`${at}.reusePort: accepted, not applied: tagway does not set SO_REUSEPORT (Node.js 20 cannot), so another process cannot bind ${ep.address} while tagway runs; use workers for several processes`);
    if (ep.forwardedHeaders.connection.length > 0) out.push(`${at}.forwardedHeaders.connection: accepted, not applied: headers named in Connection are still removed as hop-by-hop (only the X-Forwarded-* ones Traefik manages are kept)`);
    if (ep.forwardedHeaders.notAppendXForwardedFor) out.push(`${at}.forwardedHeaders.notAppendXForwardedFor: accepted, not applied: tagway appends the client address to X-Forwarded-For`);
    if (ep.transport.keepAliveMaxRequests > 0) out.push(`${at}.transport.keepAliveMaxRequests: accepted, not applied: client connections are not closed after a number of requests (only idleTimeout closes them)`);
    if (ep.transport.keepAliveMaxTime > 0) out.push(`${at}.transport.keepAliveMaxTime: accepted, not applied: client connections are not closed after a maximum time (only idleTimeout closes them)`);
  }
  const cc = config.providers.consulCatalog;
  if (cc?.connectByDefault && !cc.connectAware) out.push('providers.consulCatalog.connectByDefault: changes nothing without connectAware=true (every service would be a Connect one, and Connect services are filtered out)');
  return out;
}
