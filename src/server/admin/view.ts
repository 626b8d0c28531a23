import type { RuntimeState } from '../../dynamic/runtime.ts';
import type { StaticConfig } from '../../static/types.ts';
import type { ProviderStatus } from '../../providers/provider.ts';
import type { Tracing } from '../../observability/tracing.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { RouteTable } from '../../routing/index.ts';
import type { Route } from '../../http/route.ts';
import type { TlsTable } from '../../tls/table.ts';
import type { TrafficStore } from '../../metrics/traffic.ts';
import type { ServerHealth } from '../../proxy/healthcheck.ts';
import type { OverviewSource } from '../../dynamic/runtime.ts';

/** What the admin endpoints read from the running gateway. */
export interface GatewayView {
  readonly config: StaticConfig;
  readonly startDate: Date;
  readonly tracing: Tracing | undefined;
  readonly metrics: Metrics | undefined;
  /** Live traffic per router and service (the dashboard's charts); undefined without the API. */
  readonly traffic?: TrafficStore | undefined;
  state(): RuntimeState;
  /** The overview's figures kept by the runtime (a change costs its items); without it they are counted from `state()`. */
  overview?(): OverviewSource;
  providerStatuses(): ProviderStatus[];
  reloads(): { count: number; lastAt: number | undefined };
  table(entryPoint: string): RouteTable<Route> | undefined;
  /** True from the stop signal on (while `requestAcceptGraceTimeout` runs): /ping answers `terminatingStatusCode`. */
  terminating(): boolean;
  /** A service's active health checks per server: last probe, last failure (tagway addition to a service's page). */
  serverHealth?(service: string): Record<string, ServerHealth> | undefined;
  /** The TLS world in force: certificates (and their problems), options by host. */
  tls?(): TlsTable;
  /** The route table of an entry point's TLS routers (TLS connections). */
  tlsRouteTable?(entryPoint: string): RouteTable<Route> | undefined;
}
