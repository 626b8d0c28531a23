/**
 * The catalog's stored rows and how Consul prints them. Rows are internal (camelCase); the JSON is Consul's.
 */
import { parseGoDuration } from '../../util/duration.ts';
import type { AgentCheckDefinition, CatalogServiceJSON, CheckStatus, HealthCheckJSON, NodeJSON, ServiceJSON } from './types.ts';

const STATUSES: readonly string[] = ['passing', 'warning', 'critical'];

/** Thrown for requests Consul would refuse; `status` is the HTTP status Consul answers with. */
export class CatalogRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CatalogRequestError';
    this.status = status;
  }
}

export function isCheckStatus(s: unknown): s is CheckStatus {
  return typeof s === 'string' && STATUSES.includes(s);
}

export interface NodeRec {
  id: string; name: string; address: string; datacenter: string;
  taggedAddresses: Record<string, string>; meta: Record<string, string>;
  createIndex: number; modifyIndex: number;
}

export interface ServiceRec {
  node: string; id: string; name: string; tags: string[]; address: string; port: number;
  meta: Record<string, string>; weights: { Passing: number; Warning: number }; enableTagOverride: boolean;
  taggedAddresses?: Record<string, { Address: string; Port: number }>;
  /** Connect: `connect-proxy` for a sidecar (Consul's ServiceKind), its `Proxy` block, `Connect.Native`. */
  kind?: string;
  proxy?: ProxyRec;
  connectNative?: boolean;
  /** The parent's ID when the agent registered this as its `sidecar_service` (deregistered with it). */
  sidecarOf?: string;
  createIndex: number; modifyIndex: number;
}

/** A connect-proxy's `Proxy` block (the fields devcatalog keeps). */
export interface ProxyRec {
  DestinationServiceName: string; DestinationServiceID: string; LocalServiceAddress: string; LocalServicePort: number;
  Upstreams: unknown[];
}

export interface CheckRec {
  node: string; checkId: string; name: string; status: CheckStatus; notes: string; output: string;
  serviceId: string; type: string; interval: string; timeout: string; definition: Record<string, unknown>;
  /** TTL in ms for TTL checks: the check goes critical when not refreshed in time. */
  ttlMs?: number;
  /** An alias check (Consul's `AliasService`): mirrors that service's health on the same node. */
  aliasService?: string;
  createIndex: number; modifyIndex: number;
}

/** A node as the health endpoints print it. */
export function nodeJSON(n: NodeRec): NodeJSON {
  return {
    ID: n.id, Node: n.name, Address: n.address, Datacenter: n.datacenter, TaggedAddresses: { ...n.taggedAddresses },
    Meta: { ...n.meta }, CreateIndex: n.createIndex, ModifyIndex: n.modifyIndex,
  };
}

/** A service as the health endpoints print it (`AgentService`). */
export function serviceJSON(s: ServiceRec): ServiceJSON {
  const out: ServiceJSON = {
    ID: s.id, Service: s.name, Tags: [...s.tags], Address: s.address, Meta: { ...s.meta }, Port: s.port,
    Weights: { ...s.weights }, EnableTagOverride: s.enableTagOverride, Proxy: proxyJSON(s),
    Connect: s.connectNative ? { Native: true } : {}, PeerName: '', CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
  };
  if (s.kind) out.Kind = s.kind;
  if (s.taggedAddresses) out.TaggedAddresses = structuredClone(s.taggedAddresses);
  return out;
}

function proxyJSON(s: ServiceRec): Record<string, unknown> {
  const base = { Mode: '', MeshGateway: {}, Expose: {} };
  return s.proxy ? { ...base, ...structuredClone(s.proxy) } : base;
}

/** A check; ServiceName and ServiceTags come from its service as it is now. */
export function checkJSON(c: CheckRec, svc: ServiceRec | undefined): HealthCheckJSON {
  return {
    Node: c.node, CheckID: c.checkId, Name: c.name, Status: c.status, Notes: c.notes, Output: c.output,
    ServiceID: c.serviceId, ServiceName: svc?.name ?? '', ServiceTags: svc ? [...svc.tags] : [], Type: c.type,
    Interval: c.interval, Timeout: c.timeout, ExposedPort: 0, Definition: { ...c.definition },
    CreateIndex: c.createIndex, ModifyIndex: c.modifyIndex,
  };
}

/** One row of `/v1/catalog/service/:name`. */
export function catalogRow(s: ServiceRec, n: NodeRec): CatalogServiceJSON {
  const row: CatalogServiceJSON = {
    ID: n.id, Node: n.name, Address: n.address, Datacenter: n.datacenter, TaggedAddresses: { ...n.taggedAddresses },
    NodeMeta: { ...n.meta }, ServiceKind: s.kind ?? '', ServiceID: s.id, ServiceName: s.name, ServiceTags: [...s.tags],
    ServiceAddress: s.address, ServiceWeights: { ...s.weights }, ServiceMeta: { ...s.meta }, ServicePort: s.port,
    ServiceEnableTagOverride: s.enableTagOverride, ServiceProxy: proxyJSON(s),
    ServiceConnect: s.connectNative ? { Native: true } : {}, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
  };
  if (s.taggedAddresses) row.ServiceTaggedAddresses = structuredClone(s.taggedAddresses);
  return row;
}

/** A check of an agent service definition, with Consul's default ID, name and status. */
export function checkFromAgentDef(c: AgentCheckDefinition, node: string, serviceId: string, serviceName: string, n: number): CheckRec {
  if (c.Status !== undefined && !isCheckStatus(c.Status)) throw new CatalogRequestError(400, `Invalid check status: "${c.Status}"`);
  let ttlMs: number | undefined;
  if (c.TTL !== undefined) {
    ttlMs = parseGoDuration(c.TTL);
    if (ttlMs === undefined || ttlMs <= 0) throw new CatalogRequestError(400, `Invalid check: TTL must be > 0 for TTL checks`);
  }
  const type = c.TTL ? 'ttl' : c.HTTP ? 'http' : c.TCP ? 'tcp' : c.AliasService ? 'alias' : '';
  return {
    node, checkId: c.CheckID || c.ID || (n > 0 ? `service:${serviceId}:${n}` : `service:${serviceId}`),
    name: c.Name ?? `Service '${serviceName}' check`, status: c.Status ?? 'critical', notes: c.Notes ?? '', output: '',
    serviceId, type, interval: c.Interval ?? '', timeout: c.Timeout ?? '',
    definition: {}, ttlMs, aliasService: c.AliasService, createIndex: 0, modifyIndex: 0,
  };
}

/** A stable UUID-shaped node ID derived from the name (Consul generates random ones; tests like stable). */
export function nodeId(name: string): string {
  let h = 0x811c9dc5;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
