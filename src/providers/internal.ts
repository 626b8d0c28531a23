import type { Message, Middleware, Router, Service } from '../dynamic/types.ts';
import type { StaticConfig } from '../static/types.ts';

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * The routers Traefik creates for itself (provider "internal"): the API and dashboard on the admin
 * entry point when `api.insecure` is set, `ping` on its entry point, Prometheus on its entry point.
 * Their priorities are the highest so no user rule shadows them on that entry point; `ruleSyntax: default` is what
 * Traefik's API shows on them.
 * The services exist whenever their feature is on, routed or not, as Traefik lists them; they carry no
 * configuration (their handlers are the gateway's own).
 */
export function internalMessage(config: StaticConfig, boundPorts?: ReadonlyMap<string, number>): Message {
  const routers: Record<string, Router> = {};
  const services: Record<string, Service> = {};
  const middlewares: Record<string, Middleware> = {};
  redirections(config, boundPorts, routers, services, middlewares);
  acmeHttp(config, routers, services);
  if (config.api) {
    services['api'] = {};
    if (config.api.dashboard) services['dashboard'] = {};
  }
  if (config.ping) services['ping'] = {};
  if (config.metrics?.prometheus) services['prometheus'] = {};
  if (config.api?.insecure) {
    routers['api'] = { entryPoints: ['traefik'], rule: 'PathPrefix(`/api`)', ruleSyntax: 'default', service: 'api@internal', priority: MAX - 1 };
    if (config.api.dashboard) {
      routers['dashboard'] = { entryPoints: ['traefik'], rule: 'PathPrefix(`/`)', ruleSyntax: 'default', service: 'dashboard@internal', priority: MAX - 2 };
    }
  }
  if (config.ping) {
    routers['ping'] = { entryPoints: [config.ping.entryPoint], rule: 'PathPrefix(`/ping`)', ruleSyntax: 'default', service: 'ping@internal', priority: MAX };
  }
  const prom = config.metrics?.prometheus;
  if (prom) {
    routers['prometheus'] = { entryPoints: [prom.entryPoint], rule: 'PathPrefix(`/metrics`)', ruleSyntax: 'default', service: 'prometheus@internal', priority: MAX };
  }
  return { providerName: 'internal', configuration: { http: { routers, services, middlewares } }, issues: [] };
}

/**
 * Traefik's `entryPoints.<ep>.http.redirections.entryPoint`: a router `<ep>-to-<to>` on the entry point
 * matching every host, with a redirectScheme middleware `redirect-<ep>-to-<to>` to the target entry point's
 * port (dropped when it is the scheme's default), and the `noop@internal` service behind it.
 */
function redirections(config: StaticConfig, boundPorts: ReadonlyMap<string, number> | undefined, routers: Record<string, Router>, services: Record<string, Service>, middlewares: Record<string, Middleware>): void {
  for (const [name, ep] of Object.entries(config.entryPoints)) {
    const def = ep.http.redirections?.entryPoint;
    if (!def || def.to === '') continue;
    const port = redirectPort(def.to, config, boundPorts);
    if (port === undefined) continue; // refused at start (validateRedirections)
    const rtName = normalizeName(`${name}-to-${def.to}`);
    const mdName = `redirect-${rtName}`;
    const rule = ep.allowACMEByPass ? 'HostRegexp(`^.+$`) && !PathPrefix(`/.well-known/acme-challenge/`)' : 'HostRegexp(`^.+$`)';
    routers[rtName] = { rule, ruleSyntax: 'default', entryPoints: [name], middlewares: [mdName], service: 'noop@internal', priority: def.priority };
    middlewares[mdName] = { redirectScheme: { scheme: def.scheme, port, permanent: def.permanent } };
    services['noop'] = {};
  }
}

/**
 * Traefik's internal `acme` routers: `acme-http` answers HTTP-01 challenges on every resolver's
 * `httpChallenge.entryPoint`, above every other router; on an entry point with `allowACMEByPass`, the
 * `acme-http-bypass` router has the default priority instead, so the operator's routers may answer first.
 */
function acmeHttp(config: StaticConfig, routers: Record<string, Router>, services: Record<string, Service>): void {
  const eps: string[] = [];
  const bypass: string[] = [];
  for (const r of Object.values(config.certificatesResolvers ?? {})) {
    const ep = r.acme?.httpChallenge?.entryPoint;
    if (!ep || eps.includes(ep) || bypass.includes(ep)) continue;
    if (config.entryPoints[ep]?.allowACMEByPass) bypass.push(ep); else if (config.entryPoints[ep]) eps.push(ep);
  }
  if (eps.length > 0) routers['acme-http'] = { rule: 'PathPrefix(`/.well-known/acme-challenge/`)', ruleSyntax: 'default', entryPoints: eps, service: 'acme-http@internal', priority: MAX };
  if (bypass.length > 0) routers['acme-http-bypass'] = { rule: 'PathPrefix(`/.well-known/acme-challenge/`)', entryPoints: bypass, service: 'acme-http@internal' };
  if (eps.length > 0 || bypass.length > 0) services['acme-http'] = {};
}

/** The port a redirection points at: `:443` as written, or the target entry point's (as bound, for port 0). */
export function redirectPort(to: string, config: StaticConfig, boundPorts?: ReadonlyMap<string, number>): string | undefined {
  const literal = /^:(\d+)$/.exec(to);
  if (literal) return literal[1];
  const target = config.entryPoints[to];
  if (!target) return undefined;
  const bound = boundPorts?.get(to);
  if (bound !== undefined) return String(bound);
  return /:(\d+)(?:\/tcp)?$/.exec(target.address)?.[1];
}

/** Traefik's provider.Normalize: every run of characters other than letters and digits becomes one "-". */
function normalizeName(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter((f) => f !== '').join('-');
}
