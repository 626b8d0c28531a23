import type { Handler } from './context.ts';
import type { EffectiveObservability } from './observability.ts';

/** What a matched request runs: one per (router, entry point), compiled by the runtime stage. */
export interface Route {
  name: string;
  rule: string;
  /** Qualified service name (`whoami@consulcatalog`). */
  service: string;
  /** An `@internal` router (api, dashboard, ping, prometheus). */
  internal: boolean;
  observability: EffectiveObservability;
  handler: Handler;
  /** TLS routers: the options the request's handshake must have used (Traefik answers 421 otherwise). */
  tlsOptions?: string;
}
