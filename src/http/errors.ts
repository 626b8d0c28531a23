/**
 * The error an upstream attempt fails with, as the request's hooks (`onAttemptFailed`, tracing) see it.
 * `proxy/errors.ts` maps raw failures onto it.
 */

/** Stable error codes for upstream failures (match on `code`, not on class). */
export type ProxyErrorCode =
  | 'TAGWAY_UPSTREAM_REFUSED'
  | 'TAGWAY_UPSTREAM_RESET'
  | 'TAGWAY_UPSTREAM_TIMEOUT'
  | 'TAGWAY_CLIENT_GONE'
  | 'TAGWAY_NO_SERVER'
  | 'TAGWAY_UPSTREAM_ERROR'
  /** A Consul Connect sidecar's certificate did not chain to the mesh roots or carried another identity (502). */
  | 'TAGWAY_UPSTREAM_IDENTITY';

export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  readonly status: number;
  constructor(code: ProxyErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.status = status;
  }
}
