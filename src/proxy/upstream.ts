import type { Dispatcher } from 'undici';
import type { ProxyLogger } from './errors.ts';
import type { PoolRegistry } from './pool.ts';
import type { UpstreamScheme } from './transport.ts';
import type { H2Pool } from './h2-pool.ts';
import type { MeshIdentity } from './mesh.ts';

/** One server of a service, resolved once when the service is built. */
export interface Upstream {
  /** The server URL as configured: the key for WRR, health, sticky cookies and `ctx.upstream`. */
  readonly name: string;
  readonly url: URL;
  /** How the server is spoken to (from the URL's scheme). */
  readonly scheme: UpstreamScheme;
  /** Consul Connect: the server is a sidecar of the mesh (its transport's identities). */
  readonly mesh?: MeshIdentity;
  /** `host[:port]` of the server, sent as Host when `passHostHeader` is false. */
  readonly host: string;
  /** Prefix joined before `ctx.path` (the URL path when `preservePath`, else ''), no trailing slash. */
  readonly basePath: string;
  /** Keep-alive HTTP/1.1 pool for the server's origin. */
  readonly pool: Dispatcher;
  /** HTTP/2 sessions: `h2c` servers, and `https` ones unless the transport disables HTTP/2 (ALPN decides). */
  readonly h2?: H2Pool;
}

export interface ForwardOptions {
  /** Send the client's Host upstream (Traefik's default) instead of the server's. */
  readonly passHostHeader: boolean;
  /** ms to wait for the response head (0: no limit). */
  readonly responseHeaderTimeout: number;
  /** For the node:http agents used by 100-continue and upgrades. */
  readonly pools: PoolRegistry;
  readonly logger?: ProxyLogger;
}
