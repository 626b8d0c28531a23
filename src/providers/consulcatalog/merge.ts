import type { Configuration, ItemKind, Middleware, Router, Service } from '../../dynamic/types.ts';
import { emptyConfiguration } from '../../dynamic/types.ts';

/**
 * Traefik's `provider.Merge` for HTTP: per item name, the first definition wins; a later identical
 * definition is merged (services: servers appended, unique by URL, when everything but the servers is
 * equal); a different definition marks the item as conflicting and it is removed at the end.
 * Unlike Traefik, each conflict is returned with the contributors and the first differing path.
 */

/** One instance's configuration, keyed as Traefik keys it (normalize(node-name-id)). */
export interface Fragment { root: string; service: string; instance: string; configuration: Configuration }

export interface Conflict {
  kind: ItemKind;
  name: string;
  /** Every fragment that declared the item (Consul service / instance ID). */
  contributors: Array<{ service: string; instance: string }>;
  /** First disagreement found: the path inside the item and both values. */
  path: string;
  first: unknown;
  other: unknown;
  firstInstance: string;
  otherInstance: string;
}

export function mergeFragments(fragments: readonly Fragment[]): { configuration: Configuration; conflicts: Conflict[] } {
  const out = emptyConfiguration();
  const conflicts = new Map<string, Conflict>();
  const contributors = new Map<string, Array<{ service: string; instance: string }>>();
  const owner = new Map<string, Fragment>();
  const sorted = [...fragments].sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));

  function note(kind: ItemKind, name: string, frag: Fragment, diff: { path: string; a: unknown; b: unknown } | undefined): void {
    const key = `${kind}\0${name}`;
    const list = contributors.get(key) ?? [];
    list.push({ service: frag.service, instance: frag.instance });
    contributors.set(key, list);
    if (!owner.has(key)) { owner.set(key, frag); return; }
    if (!diff || conflicts.has(key)) return;
    conflicts.set(key, {
      kind, name, contributors: list, path: diff.path, first: diff.a, other: diff.b,
      firstInstance: owner.get(key)!.instance, otherInstance: frag.instance,
    });
  }

  for (const frag of sorted) {
    const http = frag.configuration.http;
    for (const [name, svc] of Object.entries(http.services)) {
      const existing = out.http.services[name];
      if (!existing) { out.http.services[name] = cloneService(svc); note('service', name, frag, undefined); continue; }
      // Traefik's `ServersLoadBalancer.Mergeable`: equal but for the servers.
      const diff = firstDifference(existing, svc, SERVERS);
      if (!diff) appendServers(existing, svc);
      note('service', name, frag, diff);
    }
    for (const [name, router] of Object.entries(http.routers)) {
      const existing = out.http.routers[name];
      if (!existing) { out.http.routers[name] = router; note('router', name, frag, undefined); continue; }
      note('router', name, frag, firstDifference(existing, router));
    }
    for (const [name, mw] of Object.entries(http.middlewares)) {
      const existing = out.http.middlewares[name];
      if (!existing) { out.http.middlewares[name] = mw; note('middleware', name, frag, undefined); continue; }
      note('middleware', name, frag, firstDifference(existing, mw));
    }
  }
  for (const c of conflicts.values()) {
    const table: Record<string, Router | Service | Middleware> =
      c.kind === 'router' ? out.http.routers : c.kind === 'service' ? out.http.services : out.http.middlewares;
    delete table[c.name];
  }
  return { configuration: out, conflicts: [...conflicts.values()] };
}

function cloneService(svc: Service): Service {
  if (!svc.loadBalancer) return svc;
  return { ...svc, loadBalancer: { ...svc.loadBalancer, servers: [...(svc.loadBalancer.servers ?? [])] } };
}

const SERVERS = 'loadBalancer.servers';

function appendServers(into: Service, from: Service): void {
  const lb = into.loadBalancer;
  if (!lb) return;
  const servers = (lb.servers ??= []);
  const seen = new Set(servers.map((s) => s.url));
  for (const server of from.loadBalancer?.servers ?? []) {
    if (seen.has(server.url)) continue;
    seen.add(server.url);
    servers.push(server);
  }
}

/** Structural equality where an undefined property equals a missing one (Go's nil pointer). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return firstDifference(a, b) === undefined;
}

/**
 * The first path where two values differ ("loadBalancer.passHostHeader", "entryPoints.1"), or
 * undefined. `ignore` names one path left out of the comparison. Allocation-free on the equal path:
 * it runs once per instance and item on every rebuild.
 */
export function firstDifference(a: unknown, b: unknown, ignore?: string, path = ''): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b || (ignore !== undefined && path === ignore)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return { path, a, b };
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return { path, a, b };
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], ignore, join(path, String(i)));
      if (d) return d;
    }
    return undefined;
  }
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  for (const key in ra) {
    const d = firstDifference(ra[key], rb[key], ignore, join(path, key));
    if (d) return d;
  }
  for (const key in rb) {
    if (key in ra) continue;
    const d = firstDifference(undefined, rb[key], ignore, join(path, key));
    if (d) return d;
  }
  return undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
