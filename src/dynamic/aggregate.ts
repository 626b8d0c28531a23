import type { TLSConfiguration } from './tls.ts';
import { emptyConfiguration, type Configuration, type ItemIssue, type Message, type Router, type RouterTLS } from './types.ts';

/** `name@provider`, unless the name is already qualified. */
export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** The provider part of a qualified name ("whoami@consulcatalog" → "consulcatalog"). */
export function providerOf(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at === -1 ? '' : qualified.slice(at + 1);
}

export interface QualifiedIssue extends Omit<ItemIssue, 'name'> { name: string; provider: string }

export interface Aggregated {
  /** Every item keyed by its qualified name; references inside items are left as written. */
  configuration: Configuration;
  issues: QualifiedIssue[];
}

/**
 * Merges the last message of every provider into one configuration with qualified names, as
 * Traefik's aggregator does. Providers are visited in name order so the result does not depend on
 * which provider spoke last.
 */
export function aggregate(messages: ReadonlyMap<string, Message>): Aggregated {
  const out: Configuration = emptyConfiguration();
  const issues: QualifiedIssue[] = [];
  for (const provider of [...messages.keys()].sort()) {
    const msg = messages.get(provider)!;
    const http = msg.configuration.http;
    for (const [name, v] of Object.entries(http.routers)) out.http.routers[qualify(name, provider)] = v;
    for (const [name, v] of Object.entries(http.services)) out.http.services[qualify(name, provider)] = v;
    for (const [name, v] of Object.entries(http.middlewares)) out.http.middlewares[qualify(name, provider)] = v;
    for (const [name, v] of Object.entries(http.serversTransports ?? {})) (out.http.serversTransports ??= {})[qualify(name, provider)] = v;
    for (const issue of msg.issues) issues.push({ ...issue, name: qualify(issue.name, provider), provider });
    if (msg.configuration.tls) aggregateTLS(out, msg.configuration.tls, provider);
  }
  return { configuration: out, issues };
}

/** What an entry point imposes on the routers that use it (Traefik's HTTP "model"). */
export interface EntryPointModel {
  /** Middlewares run before the router's own (`entryPoints.<ep>.http.middlewares`). */
  middlewares: string[];
  /** `entryPoints.<ep>.http.tls`: routers without their own `tls` get it. */
  tls?: RouterTLS;
}

/**
 * Traefik's aggregator and `applyModel` for one HTTP router (names qualified): a router without entry points gets
 * the default ones; then, on each entry point that has a model, the router is copied with that entry point
 * alone and the model's middlewares first, named `<entryPoint>-<name>` when it had several entry points.
 * Entry points without a model stay together on the original router. Returns the routers it becomes as
 * [name, router] pairs (no object keyed by name: a runtime that builds routers one by one makes no throwaway
 * object shape per router).
 *
 * @example
 * routerCopies('r@file', { rule: 'Path(`/`)', entryPoints: ['web', 'admin'] }, ['web'], new Map([['web', { middlewares: ['auth@file'] }]]))
 * // [['web-r@file', { …, entryPoints: ['web'], middlewares: ['auth@file'] }], ['r@file', { …, entryPoints: ['admin'] }]]
 */
export function routerCopies(name: string, router: Router, defaultEntryPoints: string[], models: ReadonlyMap<string, EntryPointModel>): Array<[string, Router]> {
  const eps = router.entryPoints && router.entryPoints.length > 0 ? router.entryPoints : defaultEntryPoints;
  if (models.size === 0 || !eps.some((ep) => models.has(ep))) return [[name, { ...router, entryPoints: [...eps] }]];
  const out: Array<[string, Router]> = [];
  let base: Router | undefined;
  for (const ep of eps) {
    const model = models.get(ep);
    if (!model) {
      base ??= { ...router, entryPoints: [] };
      base.entryPoints!.push(ep);
      continue;
    }
    const copyName = eps.length > 1 ? `${ep}-${name}` : name;
    out.push([copyName, { ...router, entryPoints: [ep], middlewares: [...model.middlewares, ...(router.middlewares ?? [])], ...(model.tls && !router.tls ? { tls: model.tls } : {}) }]);
  }
  if (base) out.push([name, base]);
  return out;
}

/**
 * Traefik's aggregation of `tls`: certificates from every provider add up, options are qualified by their
 * provider (`modern@file`) except `default`, stores keep their names.
 */
function aggregateTLS(out: Configuration, tls: TLSConfiguration, provider: string): void {
  const into = (out.tls ??= {});
  if (tls.certificates?.length) into.certificates = [...(into.certificates ?? []), ...tls.certificates];
  for (const [name, o] of Object.entries(tls.options ?? {})) (into.options ??= {})[name === 'default' ? name : qualify(name, provider)] = o;
  for (const [name, st] of Object.entries(tls.stores ?? {})) (into.stores ??= {})[name] = st;
}
