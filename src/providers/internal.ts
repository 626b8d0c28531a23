import type { Message, Router, Service } from '../dynamic/types.ts';
import type { StaticConfig } from '../static/types.ts';

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * The routers Traefik creates for itself (provider "internal"): the API and dashboard on the admin
 * entry point when `api.insecure` is set, `ping` on its entry point, Prometheus on its entry point.
 * Their priorities are the highest so no user rule shadows them on that entry point; `ruleSyntax: v3` is what
 * Traefik's API shows on them.
 * The services exist whenever their feature is on, routed or not, as Traefik lists them; they carry no
 * configuration (their handlers are the gateway's own).
 */
export function internalMessage(config: StaticConfig): Message {
  const routers: Record<string, Router> = {};
  const services: Record<string, Service> = {};
  if (config.api) {
    services['api'] = {};
    if (config.api.dashboard) services['dashboard'] = {};
  }
  if (config.ping) services['ping'] = {};
  if (config.metrics?.prometheus) services['prometheus'] = {};
  if (config.api?.insecure) {
    routers['api'] = { entryPoints: ['traefik'], rule: 'PathPrefix(`/api`)', ruleSyntax: 'v3', service: 'api@internal', priority: MAX - 1 };
    if (config.api.dashboard) {
      routers['dashboard'] = { entryPoints: ['traefik'], rule: 'PathPrefix(`/`)', ruleSyntax: 'v3', service: 'dashboard@internal', priority: MAX - 2 };
    }
  }
  if (config.ping) {
    routers['ping'] = { entryPoints: [config.ping.entryPoint], rule: 'PathPrefix(`/ping`)', ruleSyntax: 'v3', service: 'ping@internal', priority: MAX };
  }
  const prom = config.metrics?.prometheus;
  if (prom) {
    routers['prometheus'] = { entryPoints: [prom.entryPoint], rule: 'PathPrefix(`/metrics`)', ruleSyntax: 'v3', service: 'prometheus@internal', priority: MAX };
  }
  return { providerName: 'internal', configuration: { http: { routers, services, middlewares: {} } }, issues: [] };
}
