import type { EntryPointConfig } from '../../static/types.ts';
import { DEFAULT_COMPRESS_ENCODINGS, type Compress, type ServersLoadBalancer } from '../../dynamic/types.ts';

/**
 * JSON representations that match what Traefik's API prints. Traefik marshals Go structs whose fields are
 * `omitempty`, so empty lists, empty strings and a zero priority never appear; our runtime records keep
 * them for convenience, and these functions drop them at the edge.
 */

/**
 * A runtime item (router, service, middleware) as Traefik prints it: top-level `undefined`, `""`, `[]`
 * and `priority: 0` left out (Go's omitempty), everything else as is.
 *
 * @example
 * represent({ name: 'a@file', type: '', usedBy: [], priority: 0, status: 'enabled' }) // { name: 'a@file', status: 'enabled' }
 */
export function represent<T extends object>(item: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    if (k === 'priority' && v === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

/** Go's `ptypes.Duration` JSON form: nanoseconds with an `ns` suffix ("60000000000ns"). */
export function goDurationJson(ms: number): string {
  return `${Math.round(ms * 1e6)}ns`;
}

/**
 * An entry point as Traefik's `/api/entrypoints` prints `static.EntryPoint`: durations in Go's JSON form,
 * zero durations and empty lists left out, observability with its defaults applied (true, true, true,
 * minimal) as Traefik's SetDefaults does, then `name`.
 */
export function representEntryPoint(name: string, ep: EntryPointConfig): Record<string, unknown> {
  const dur = (ms: number): string | undefined => (ms > 0 ? goDurationJson(ms) : undefined);
  const { respondingTimeouts: rt, lifeCycle: lc } = ep.transport;
  return {
    address: ep.address,
    transport: {
      lifeCycle: represent({ requestAcceptGraceTimeout: dur(lc.requestAcceptGraceTimeout), graceTimeOut: dur(lc.graceTimeOut) }),
      respondingTimeouts: represent({ readTimeout: dur(rt.readTimeout), writeTimeout: dur(rt.writeTimeout), idleTimeout: dur(rt.idleTimeout) }),
    },
    forwardedHeaders: represent({ insecure: ep.forwardedHeaders.insecure || undefined, trustedIPs: ep.forwardedHeaders.trustedIPs }),
    http: represent({
      // Traefik prints the entry point's default TLS for its routers (options, certResolver, domains).
      tls: ep.http.tls,
      middlewares: ep.http.middlewares, maxHeaderBytes: ep.http.maxHeaderBytes, sanitizePath: ep.http.sanitizePath,
      // Traefik prints encodedCharacters only when configured; here: when it denies something.
      encodedCharacters: Object.values(ep.http.encodedCharacters).includes(false) ? ep.http.encodedCharacters : undefined,
    }),
    observability: {
      accessLogs: ep.observability.accessLogs ?? true,
      tracing: ep.observability.tracing ?? true,
      metrics: ep.observability.metrics ?? true,
      traceVerbosity: ep.observability.traceVerbosity ?? 'minimal',
    },
    name,
  };
}

/** A name as Traefik's `provider.GetQualifiedName` writes it: kept when it has a provider, else `name@provider`. */
function qualified(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/**
 * A router as Traefik's runtime shows it once its handler is built: `middlewares` qualified with the router's
 * provider (`auth` → `auth@file`; Traefik's buildHTTPHandler rewrites them in place). `service` stays as written.
 */
export function representRouter<T extends { provider: string; middlewares?: string[] }>(r: T): T {
  return r.middlewares ? { ...r, middlewares: r.middlewares.map((m) => qualified(m, r.provider)) } : r;
}

/**
 * A service with the load-balancer defaults Traefik's SetDefaults gives every provider's configuration
 * (`strategy: wrr`, `passHostHeader: true`, `responseForwarding.flushInterval: 100ms`): the values the proxy uses.
 */
export function representService<T extends { loadBalancer?: ServersLoadBalancer }>(s: T): T {
  const lb = s.loadBalancer;
  if (!lb) return s;
  return { ...s, loadBalancer: { ...lb, strategy: lb.strategy ?? 'wrr', passHostHeader: lb.passHostHeader ?? true, responseForwarding: lb.responseForwarding ?? { flushInterval: '100ms' } } };
}

/** A middleware with Traefik's SetDefaults: `compress` lists its default encodings (gzip, br, zstd) when none are set. */
export function representMiddleware<T extends { compress?: Compress }>(m: T): T {
  return m.compress && !(m.compress.encodings?.length) ? { ...m, compress: { ...m.compress, encodings: [...DEFAULT_COMPRESS_ENCODINGS] } } : m;
}
