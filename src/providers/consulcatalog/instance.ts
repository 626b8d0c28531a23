/**
 * One Consul service instance as the builder sees it: Traefik's `itemData`, built from one entry of
 * `/v1/health/service/<name>`. Pure conversions only; no I/O.
 */

export type HealthStatus = 'passing' | 'warning' | 'critical' | 'maintenance' | 'any' | string;

export interface ServiceInstance {
  /** Consul service ID (unique per agent). */
  id: string;
  node: string;
  datacenter: string;
  /** Consul service name (not normalized). */
  name: string;
  namespace: string;
  /** Service address, else node address. */
  address: string;
  /** As Traefik: the decimal port, "0" when the service has none. */
  port: string;
  tags: string[];
  /** Aggregated over all checks of the instance, node checks included (Consul's AggregatedStatus). */
  status: HealthStatus;
  /** Tags split on the first '=' (tags without '=' are not labels). Later tags win. */
  labels: Record<string, string>;
  /** Consul's ServiceKind (`connect-proxy` for a sidecar), when not a typical service. */
  kind?: string;
  /** A connect-proxy's destination (`Proxy.DestinationServiceName`). */
  proxyDestination?: string;
  /**
   * Set when the instance came from `/v1/health/connect/<name>` (a Connect service): it is then the sidecar's entry
   * (`sidecar` its Consul name), with the sidecar's address, port and tags, as Traefik reads them.
   */
  connect?: { sidecar: string; parentTags?: readonly string[] };
}

/** The fields of a `/v1/health/service/<name>` entry that tagway reads (Consul's JSON names). */
export interface HealthCheckEntry {
  Node?: string;
  CheckID?: string;
  Status?: string;
  ServiceID?: string;
  ServiceName?: string;
  ServiceTags?: string[] | null;
  ModifyIndex?: number;
}
export interface HealthServiceEntry {
  Node?: { ID?: string; Node?: string; Address?: string; Datacenter?: string } | null;
  Service?: {
    ID?: string; Service?: string; Tags?: string[] | null; Address?: string; Port?: number; Namespace?: string;
    Kind?: string; Proxy?: { DestinationServiceName?: string } | null;
  } | null;
  Checks?: HealthCheckEntry[] | null;
}

/**
 * Consul's `HealthChecks.AggregatedStatus`: maintenance (node or service) wins, then critical,
 * warning, passing; no checks at all counts as passing; an unknown status makes the result "".
 */
export function aggregateStatus(checks: readonly HealthCheckEntry[] | null | undefined): HealthStatus {
  let passing = false, warning = false, critical = false;
  for (const check of checks ?? []) {
    const id = check.CheckID ?? '';
    if (id === '_node_maintenance' || id.startsWith('_service_maintenance:')) return 'maintenance';
    switch (check.Status) {
      case 'passing': passing = true; break;
      case 'warning': warning = true; break;
      case 'critical': critical = true; break;
      default: return '';
    }
  }
  if (critical) return 'critical';
  if (warning) return 'warning';
  void passing;
  return 'passing';
}

/** Tags → labels: split on the first '='; later tags win, as a Go map assignment would. */
export function tagsToLabels(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    const eq = tag.indexOf('=');
    if (eq > 0) labels[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  return labels;
}

/**
 * Converts the entries of `/v1/health/service/<name>` to instances (entries without a Service or Node
 * are skipped, as Traefik does).
 *
 * @example
 * const instances = toInstances('api', entries);
 */
export function toInstances(name: string, entries: readonly HealthServiceEntry[], via?: { parentTags?: readonly string[] }): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (const entry of entries) {
    const svc = entry.Service, node = entry.Node;
    if (!svc || !node) continue;
    const tags = [...(svc.Tags ?? [])];
    const inst: ServiceInstance = {
      id: svc.ID ?? '',
      node: node.Node ?? '',
      datacenter: node.Datacenter ?? '',
      name,
      namespace: svc.Namespace || 'default',
      address: svc.Address || node.Address || '',
      port: String(svc.Port ?? 0),
      tags,
      status: aggregateStatus(entry.Checks),
      labels: tagsToLabels(tags),
    };
    if (svc.Kind) inst.kind = svc.Kind;
    if (svc.Proxy?.DestinationServiceName) inst.proxyDestination = svc.Proxy.DestinationServiceName;
    if (via) inst.connect = via.parentTags ? { sidecar: svc.Service ?? '', parentTags: via.parentTags } : { sidecar: svc.Service ?? '' };
    out.push(inst);
  }
  return out;
}

/**
 * `next` with every instance equal to one of `previous` (same ID, same fields) replaced by that earlier object, and
 * `previous` itself when nothing differs: the builder keeps what it built per instance object (and per list), so a
 * health flip builds the one instance that changed, not its siblings fetched again with it.
 *
 * @example
 * const kept = keepUnchanged(last, toInstances('api', entries)); // kept[i] === last[j] where equal
 */
export function keepUnchanged(previous: readonly ServiceInstance[] | undefined, next: ServiceInstance[]): ServiceInstance[] {
  if (!previous || previous.length === 0) return next;
  const byId = new Map<string, ServiceInstance>();
  for (const p of previous) byId.set(`${p.node}\0${p.id}`, p); // an ID is unique per node (agent), not per catalog
  let all = next.length === previous.length;
  const out = next.map((inst, i) => {
    const was = byId.get(`${inst.node}\0${inst.id}`);
    const same = was !== undefined && sameInstance(was, inst) ? was : inst;
    if (same !== previous[i]) all = false;
    return same;
  });
  return all ? (previous as ServiceInstance[]) : out;
}

function sameInstance(a: ServiceInstance, b: ServiceInstance): boolean {
  if (a.id !== b.id || a.node !== b.node || a.datacenter !== b.datacenter || a.name !== b.name || a.namespace !== b.namespace ||
    a.address !== b.address || a.port !== b.port || a.status !== b.status || a.kind !== b.kind || a.proxyDestination !== b.proxyDestination) return false;
  if (a.tags.length !== b.tags.length || a.tags.some((t, i) => t !== b.tags[i])) return false;
  if (a.connect === undefined || b.connect === undefined) return a.connect === b.connect;
  const pa = a.connect.parentTags, pb = b.connect.parentTags;
  return a.connect.sidecar === b.connect.sidecar && (pa === pb || (pa !== undefined && pb !== undefined && pa.length === pb.length && pa.every((t, i) => t === pb[i])));
}
