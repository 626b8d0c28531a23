import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PrometheusConfig } from '../static/types.ts';
import type { RequestContext } from '../http/context.ts';
import type { RequestObserver } from '../http/observer.ts';
import type { Route } from '../http/route.ts';
import type { RuntimeState } from '../dynamic/runtime.ts';

/**
 * Prometheus metrics with Traefik's names, in a registry of this gateway's own (never the global
 * one, so several gateways can share a process). Router and service series honour the merged
 * per-router `metrics` flag; entry-point series are counted for every request of an entry point
 * whose own `metrics` is not false.
 */
export class Metrics implements RequestObserver {
  readonly registry = new Registry();
  readonly #config: PrometheusConfig;
  readonly #epRequests: Counter<'code' | 'method' | 'protocol' | 'entrypoint'>;
  readonly #epDuration: Histogram<'code' | 'method' | 'protocol' | 'entrypoint'>;
  readonly #routerRequests: Counter<'code' | 'method' | 'protocol' | 'router' | 'service'>;
  readonly #routerDuration: Histogram<'code' | 'method' | 'protocol' | 'router' | 'service'>;
  readonly #serviceRequests: Counter<'code' | 'method' | 'protocol' | 'service'>;
  readonly #serviceDuration: Histogram<'code' | 'method' | 'protocol' | 'service'>;
  readonly #serviceRetries: Counter<'service'>;
  readonly #reloads: Counter;
  readonly #lastReload: Gauge;
  #entryPointMetrics: (ep: string) => boolean;

  constructor(config: PrometheusConfig, options: { state: () => RuntimeState; entryPointMetrics?: (ep: string) => boolean }) {
    this.#config = config;
    this.#entryPointMetrics = options.entryPointMetrics ?? (() => true);
    const r = this.registry;
    const buckets = config.buckets;
    this.#epRequests = new Counter({ name: 'traefik_entrypoint_requests_total', help: 'How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'entrypoint'], registers: [r] });
    this.#epDuration = new Histogram({ name: 'traefik_entrypoint_request_duration_seconds', help: 'How long it took to process the request on an entrypoint, partitioned by status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'entrypoint'], buckets, registers: [r] });
    this.#routerRequests = new Counter({ name: 'traefik_router_requests_total', help: 'How many HTTP requests are processed on a router, partitioned by service, status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'router', 'service'], registers: [r] });
    this.#routerDuration = new Histogram({ name: 'traefik_router_request_duration_seconds', help: 'How long it took to process the request on a router, partitioned by service, status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'router', 'service'], buckets, registers: [r] });
    this.#serviceRequests = new Counter({ name: 'traefik_service_requests_total', help: 'How many HTTP requests processed on a service, partitioned by status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'service'], registers: [r] });
    this.#serviceDuration = new Histogram({ name: 'traefik_service_request_duration_seconds', help: 'How long it took to process the request on a service, partitioned by status code, protocol, and method.', labelNames: ['code', 'method', 'protocol', 'service'], buckets, registers: [r] });
    this.#serviceRetries = new Counter({ name: 'traefik_service_retries_total', help: 'How many request retries happened on a service.', labelNames: ['service'], registers: [r] });
    this.#reloads = new Counter({ name: 'traefik_config_reloads_total', help: 'Config reloads.', registers: [r] });
    this.#lastReload = new Gauge({ name: 'traefik_config_last_reload_success', help: 'Last config reload success.', registers: [r] });
    const state = options.state;
    new Gauge({
      name: 'traefik_service_server_up', help: 'service server is up, described by gauge value of 0 or 1.', labelNames: ['service', 'url'], registers: [r],
      collect() {
        this.reset();
        for (const svc of Object.values(state().services)) {
          for (const [url, up] of Object.entries(svc.serverStatus ?? {})) this.set({ service: svc.name, url }, up === 'UP' ? 1 : 0);
        }
      },
    });
  }

  onReload(): void {
    this.#reloads.inc();
    this.#lastReload.set(Date.now() / 1000);
  }

  /**
   * Traefik builds the entry-point metrics layer into each router's chain, so a router's merged `metrics`
   * flag switches off its entry-point, router and service series alike; an unmatched request follows its
   * entry point. Internal routers (api, dashboard, ping, metrics) are never counted (no `addInternals`).
   */
  onRequest(ctx: RequestContext, route: Route | undefined): void {
    if (route?.internal) return;
    const on = route ? (ctx.observability?.metrics ?? true) : this.#entryPointMetrics(ctx.entryPoint);
    if (!on) return;
    const epOn = this.#config.addEntryPointsLabels;
    const routerOn = route !== undefined;
    ctx.res.once('close', () => {
      const code = String(ctx.status ?? ctx.res.statusCode);
      const method = ctx.method;
      const protocol = ctx.req.headers.upgrade ? 'websocket' : 'http';
      const seconds = Number(process.hrtime.bigint() - ctx.start) / 1e9;
      if (epOn) {
        this.#epRequests.inc({ code, method, protocol, entrypoint: ctx.entryPoint });
        this.#epDuration.observe({ code, method, protocol, entrypoint: ctx.entryPoint }, seconds);
      }
      if (!routerOn) return;
      if (this.#config.addRoutersLabels) {
        const labels = { code, method, protocol, router: route!.name, service: route!.service };
        this.#routerRequests.inc(labels);
        this.#routerDuration.observe(labels, seconds);
      }
      if (this.#config.addServicesLabels) {
        const labels = { code, method, protocol, service: route!.service };
        this.#serviceRequests.inc(labels);
        this.#serviceDuration.observe(labels, seconds);
        if (ctx.attempts > 1) this.#serviceRetries.inc({ service: route!.service }, ctx.attempts - 1);
      }
    });
  }
}
