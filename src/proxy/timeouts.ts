/** Upstream-side timeouts in milliseconds (Traefik's `serversTransport.forwardingTimeouts`). 0 disables one. */
export interface ForwardingTimeouts {
  /** Time to establish the TCP (and TLS) connection. */
  dialTimeout?: number;
  /** Time to wait for the upstream's response head once the request is written. */
  responseHeaderTimeout?: number;
  /** How long an idle keep-alive connection stays in the pool. */
  idleConnTimeout?: number;
}

/** Traefik's defaults: dial 30s, no response-header timeout, idle connections kept 90s. */
export const DEFAULT_FORWARDING_TIMEOUTS: Readonly<Required<ForwardingTimeouts>> = Object.freeze({
  dialTimeout: 30_000,
  responseHeaderTimeout: 0,
  idleConnTimeout: 90_000,
});
