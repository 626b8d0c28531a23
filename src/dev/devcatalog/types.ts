/**
 * Shapes of devcatalog: what callers send (Consul's registration JSON), what the catalog answers
 * (Consul's read JSON, field for field) and the handle returned by `startDevCatalog`.
 *
 * Field names are Consul's own (PascalCase), because these objects go over the wire unchanged.
 */

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** A check as Consul's agent accepts it inside a service definition (`Check` / `Checks`). */
export interface AgentCheckDefinition {
  CheckID?: string;
  /** Consul also accepts `ID` for `CheckID`. */
  ID?: string;
  Name?: string;
  Notes?: string;
  /** Initial status; Consul starts checks `critical` unless told otherwise. */
  Status?: CheckStatus;
  /** "10s", "1m": the check goes critical ("TTL expired") when not refreshed in time. */
  TTL?: string;
  /** Accepted and echoed, never executed (devcatalog runs no probes). */
  HTTP?: string;
  TCP?: string;
  /** Mirrors the health of this service ID on the same node (Consul's alias check). */
  AliasService?: string;
  Interval?: string;
  Timeout?: string;
}

/** `PUT /v1/agent/service/register` body. */
export interface AgentServiceRegistration {
  ID?: string;
  Name: string;
  Tags?: string[];
  /** Empty means "use the node's address" — resolving that is the client's job. */
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
  EnableTagOverride?: boolean;
  Weights?: { Passing: number; Warning: number };
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  Check?: AgentCheckDefinition;
  Checks?: AgentCheckDefinition[];
  /** `connect-proxy` registers a sidecar directly (with `Proxy.DestinationServiceName`). */
  Kind?: string;
  Proxy?: { DestinationServiceName?: string; DestinationServiceID?: string; LocalServiceAddress?: string; LocalServicePort?: number; Upstreams?: unknown[] };
  /** `Native`: the service speaks Connect itself; `SidecarService`: the agent registers `<name>-sidecar-proxy` too. */
  Connect?: { Native?: boolean; SidecarService?: Partial<AgentServiceRegistration> };
}

/** `PUT /v1/catalog/register` body (external nodes, with their own address). */
export interface CatalogRegistration {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  SkipNodeUpdate?: boolean;
  Service?: {
    ID?: string; Service: string; Tags?: string[]; Address?: string; Port?: number; Meta?: Record<string, string>;
    EnableTagOverride?: boolean; Weights?: { Passing: number; Warning: number };
  };
  Check?: CatalogCheckRegistration;
  Checks?: CatalogCheckRegistration[];
}

export interface CatalogCheckRegistration {
  Node?: string; CheckID: string; Name?: string; Notes?: string; Status?: CheckStatus; ServiceID?: string;
  Definition?: Record<string, unknown>;
}

/** `PUT /v1/catalog/deregister` body. */
export interface CatalogDeregistration { Node: string; ServiceID?: string; CheckID?: string; Datacenter?: string }

/** Node as the health endpoints print it. */
export interface NodeJSON {
  ID: string; Node: string; Address: string; Datacenter: string;
  TaggedAddresses: Record<string, string>; Meta: Record<string, string>;
  CreateIndex: number; ModifyIndex: number;
}

/** Service as the health endpoints print it (`AgentService` in Consul's Go API). */
export interface ServiceJSON {
  Kind?: string;
  ID: string; Service: string; Tags: string[]; Address: string; Port: number; Meta: Record<string, string>;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  Weights: { Passing: number; Warning: number }; EnableTagOverride: boolean;
  Proxy: Record<string, unknown>; Connect: Record<string, unknown>; PeerName?: string;
  Datacenter?: string; CreateIndex: number; ModifyIndex: number;
}

/** Health check as `/v1/health/*` prints it. */
export interface HealthCheckJSON {
  Node: string; CheckID: string; Name: string; Status: CheckStatus; Notes: string; Output: string;
  ServiceID: string; ServiceName: string; ServiceTags: string[]; Type: string;
  Interval: string; Timeout: string; ExposedPort: number; Definition: Record<string, unknown>;
  CreateIndex: number; ModifyIndex: number;
}

export interface ServiceEntryJSON { Node: NodeJSON; Service: ServiceJSON; Checks: HealthCheckJSON[] }

/** One row of `/v1/catalog/service/:name` (`CatalogService` in Consul's Go API). */
export interface CatalogServiceJSON {
  ID: string; Node: string; Address: string; Datacenter: string;
  TaggedAddresses: Record<string, string>; NodeMeta: Record<string, string>;
  ServiceKind: string; ServiceID: string; ServiceName: string; ServiceTags: string[]; ServiceAddress: string;
  ServiceTaggedAddresses?: Record<string, { Address: string; Port: number }>;
  ServiceWeights: { Passing: number; Warning: number }; ServiceMeta: Record<string, string>; ServicePort: number;
  ServiceEnableTagOverride: boolean; ServiceProxy: Record<string, unknown>; ServiceConnect: Record<string, unknown>;
  CreateIndex: number; ModifyIndex: number;
}

export interface DevCatalogOptions {
  /** Consul's `session_ttl_min` (default 10 s): the shortest session TTL accepted. */
  sessionTtlMinMs?: number;
  /** Listen address. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default "dc1". */
  datacenter?: string;
  /** The agent's own node. Default "devcatalog". */
  nodeName?: string;
  /** Default 127.0.0.1. */
  nodeAddress?: string;
  /** When set, ACLs are enforced: every /v1 request needs one of these tokens. */
  aclTokens?: string[];
  /** Consul's `limits.http_max_conns_per_client`. Default 200. */
  maxConnsPerClient?: number;
  /** Serve HTTPS with these PEM contents; `requireClientCert` is Consul's `verify_incoming`. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer; requireClientCert?: boolean };
}

/** Switchable failures. Setting a field takes effect on the next request. */
export interface DevCatalogFaults {
  /** Default and consistent reads and all writes answer 500 "No cluster leader"; stale reads still answer. */
  noLeader: boolean;
  /** Requests get no answer until this is cleared (then they proceed) or the catalog closes. */
  hang: boolean;
  /** Each request's socket is destroyed without an answer. */
  resetConnections: boolean;
  /** Added before each request is handled. */
  delayMs: number;
  /** Reads answer without `X-Consul-Index` (a proxy in front of Consul that strips it). */
  missingIndex: boolean;
  /** A blocking read answers at once with an index below the one it was given (the index going backwards). */
  indexBackwards: boolean;
  /** Successful answers announce their whole length, send half of the body, then the connection is cut. */
  truncateBody: boolean;
  /** Non-zero: the Connect CA endpoints (roots, leaf) answer this status, also when a parked query wakes. */
  connectCA: number;
  /** Every index goes back to 1, as after a snapshot restore; the next write continues from there. */
  resetIndex(): void;
}

export interface DevCatalogStats {
  requests: number;
  byPath: Record<string, number>;
  openConnections: number;
  maxOpenConnections: number;
  /** Blocking queries waiting for a change right now. */
  parked: number;
}

export interface DevCatalog {
  /** "http://127.0.0.1:PORT" ("https://…" with `tls`) */
  url: string;
  port: number;
  /** "127.0.0.1:PORT" (the form `endpoint.address` takes). */
  address: string;
  /** Registers (or replaces) a service on the agent's node, or on `node`, which is created with a serfHealth check. */
  register(def: AgentServiceRegistration, node?: { name: string; address: string }): void;
  /** Removes a service instance by ID (the agent's node first, then any node). Unknown IDs are ignored. */
  deregister(id: string): void;
  /** Sets a check's status (the agent's node first, then any node); throws for an unknown check ID. */
  setCheck(checkId: string, status: CheckStatus, output?: string): void;
  /** Sets a node's serfHealth check; throws for an unknown node. */
  setNodeCheck(node: string, status: CheckStatus): void;
  faults: DevCatalogFaults;
  /** The Connect CA: trust domain, SPIFFE IDs, leaves for stand-in sidecars, leaf and root rotation. */
  connect: DevConnectCA;
  stats(): DevCatalogStats;
  resetStats(): void;
  /** Idempotent: releases pending blocking queries and hung requests, then closes every connection. */
  close(): Promise<void>;
}

/** Fills the defaults, in one place. */
export function withDefaults(o: DevCatalogOptions = {}): Required<Omit<DevCatalogOptions, 'aclTokens' | 'tls' | 'sessionTtlMinMs'>> & Pick<DevCatalogOptions, 'aclTokens' | 'tls' | 'sessionTtlMinMs'> {
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    datacenter: o.datacenter ?? 'dc1',
    nodeName: o.nodeName ?? 'devcatalog',
    nodeAddress: o.nodeAddress ?? '127.0.0.1',
    aclTokens: o.aclTokens,
    maxConnsPerClient: o.maxConnsPerClient ?? 200,
    tls: o.tls,
  };
}

/** What tests and the demo drive (exposed as `DevCatalog.connect`). */
export interface DevConnectCA {
  /** `<cluster-id>.consul` */
  readonly trustDomain: string;
  readonly datacenter: string;
  /** The SPIFFE ID Consul gives `service` (namespace `default`). */
  spiffeId(service: string, namespace?: string): string;
  /** PEM of every root listed (the active one first). */
  rootsPem(): string[];
  /**
   * A leaf for `service` signed by the active root, as the agent gives a sidecar for its service (not stored: the
   * caller, a stand-in sidecar, holds it). `trustDomain`/`foreignCA` make deliberately wrong identities for tests.
   */
  issue(service: string, options?: { namespace?: string; ttlMs?: number }): { certPem: string; keyPem: string; serviceURI: string };
  /** New leaves for `service` (default: every service that asked for one); their blocking queries wake. */
  rotateLeaf(service?: string): void;
  /**
   * A new active root; the old ones stay listed (inactive) until `pruneRoots`. Leaves move to it at the next
   * `rotateLeaf` (or the next non-blocking leaf request, which finds its leaf signed by an inactive root).
   */
  rotateRoot(): void;
  /** Drops the inactive roots from the list. */
  pruneRoots(): void;
  /** How many leaves were issued for `service` so far (tests compare before and after a rotation). */
  issued(service: string): number;
  /** Calls `fn` after each change: new leaves (`leaf`) or a change of the roots (`roots`). Returns the unsubscribe. */
  onChange(fn: (what: 'leaf' | 'roots') => void): () => void;
}
