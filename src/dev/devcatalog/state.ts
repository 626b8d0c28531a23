/**
 * The catalog's state store: nodes, service instances and checks, with Consul's index bookkeeping.
 *
 * Consul keeps one raft index that grows with every write, and per-table indexes ("nodes", "services",
 * "checks", "service.<name>") that take the raft index of the last write that actually changed them. An
 * idempotent write (same service, same check status and output) moves the raft index but no table index,
 * so blocking queries on unchanged results keep waiting. Which index an endpoint reports is documented on
 * each query method below.
 */
import { CatalogRequestError, catalogRow, checkFromAgentDef, checkJSON, isCheckStatus, nodeId, nodeJSON, serviceJSON } from './records.ts';
import type { CheckRec, NodeRec, ServiceRec } from './records.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;
import type {
  AgentServiceRegistration, CatalogCheckRegistration, CatalogServiceJSON, CheckStatus,
  HealthCheckJSON, ServiceEntryJSON,
} from './types.ts';

export { CatalogRequestError, isCheckStatus } from './records.ts';

/** A query result with the index Consul would send as `X-Consul-Index` (never 0: Consul turns 0 into 1). */
export interface Snapshot<T> { index: number; value: T }

/**
 * A query that a blocking request re-evaluates: the index is cheap, the value is built once at the end. A large one
 * can also give its answer as JSON bytes (`encoded`), the same bytes `JSON.stringify(value())` gives, assembled from
 * parts kept between answers.
 */
export interface Query<T> { index(): number; value(): T; encoded?(): Buffer }

const SERF_CHECK_ID = 'serfHealth';

const key = (node: string, id: string): string => `${node}\u0000${id}`;
const max1 = (n: number): number => (n < 1 ? 1 : n);
const sameJSON = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const byNodeThenId = (a: { node: string; id: string }, b: { node: string; id: string }): number =>
  a.node < b.node ? -1 : a.node > b.node ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export class CatalogState {
  readonly datacenter: string;
  readonly agentNode: string;
  #raft = 0;
  #tables = { nodes: 0, services: 0, checks: 0 };
  /** Consul's "service.<name>" indexes; removed when the last instance goes. */
  #serviceIdx = new Map<string, number>();
  /** Consul's "service_last_extinction": the index reported for services that do not exist. */
  #extinction = 0;
  #nodes = new Map<string, NodeRec>();
  #services = new Map<string, ServiceRec>();
  #checks = new Map<string, CheckRec>();
  /** Secondary indexes, so that one service's or one node's rows are found without scanning the catalog. */
  #serviceKeysByName = new Map<string, Set<string>>();
  #checkKeysByNode = new Map<string, Set<string>>();
  #listeners = new Set<(abandoned: boolean) => void>();
  #ttlTimers = new Map<string, NodeJS.Timeout>();
  /** Alias checks (a sidecar's "Connect Sidecar Aliasing"), re-evaluated after each write that changed something. */
  #aliasKeys = new Set<string>();
  #dirty = false;
  /**
   * `/v1/health/state/*` at thousands of services is megabytes of JSON on every change, and a change is one check:
   * the last answer per state is kept with where each check's JSON lies in it and the records it was made from (a
   * record is replaced, never changed, on a write); the next answer copies the unchanged runs from it and encodes
   * only the checks whose record (or service's record) is new. The checks' order is kept until one comes or goes.
   */
  #stateAnswers = new Map<string, StateAnswer>();
  #sortedCheckKeys: string[] | undefined;
  /**
   * The checks whose JSON may differ from the last `any` answer's (their record, or their service's, was written),
   * while the order stands: the next `any` answer re-encodes these and copies everything else from the last one.
   */
  #anyChanges = new Set<string>();
  /** Moves on `resetIndex`, which rewrites the indexes of the records in place. */
  #epoch = 0;

  constructor(datacenter: string, agentNode: string, agentAddress: string) {
    this.datacenter = datacenter;
    this.agentNode = agentNode;
    this.#write((idx) => this.#ensureAgentNode(agentNode, agentAddress, idx));
  }

  /**
   * Calls `fn` after every write that changed something, with `abandoned` true after `resetIndex` (Consul abandons
   * its state store on a snapshot restore, which ends every blocking query). Returns the unsubscribe function.
   */
  subscribe(fn: (abandoned: boolean) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Stops TTL timers; the state stays readable. */
  dispose(): void {
    for (const t of this.#ttlTimers.values()) clearTimeout(t);
    this.#ttlTimers.clear();
    this.#listeners.clear();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Agent service registration: replaces the instance and its checks on `node` (default: the agent's node). With
   * `Connect.SidecarService`, the agent registers the sidecar too, with Consul's defaults (see `#sidecarOf`).
   */
  registerService(def: AgentServiceRegistration, node?: { name: string; address: string }): void {
    if (!def || typeof def.Name !== 'string' || def.Name === '') throw new CatalogRequestError(400, 'Missing service name');
    const nodeName = node?.name ?? this.agentNode;
    const defs: Array<{ def: AgentServiceRegistration; sidecarOf?: string }> = [{ def }];
    if (def.Connect?.SidecarService) defs.push({ def: this.#sidecarOf(def, nodeName), sidecarOf: def.ID || def.Name });
    const prepared = defs.map(({ def: d, sidecarOf }) => {
      const id = d.ID || d.Name;
      const list = d.Checks ?? (d.Check ? [d.Check] : []);
      return { d, id, conn: connectFields(d, sidecarOf), checks: list.map((c, i) => checkFromAgentDef(c, nodeName, id, d.Name, list.length > 1 ? i + 1 : 0)) };
    });
    this.#write((idx) => {
      if (node) this.#ensureAgentNode(node.name, node.address, idx);
      else if (!this.#nodes.has(nodeName)) throw new CatalogRequestError(500, 'Agent node missing');
      for (const { d, id, conn, checks } of prepared) {
        this.#ensureService({
          node: nodeName, id, name: d.Name, tags: [...(d.Tags ?? [])], address: d.Address ?? '',
          port: d.Port ?? 0, meta: { ...(d.Meta ?? {}) }, weights: d.Weights ?? { Passing: 1, Warning: 1 },
          enableTagOverride: d.EnableTagOverride ?? false, taggedAddresses: d.TaggedAddresses,
          ...conn,
          createIndex: idx, modifyIndex: idx,
        }, idx);
        // The agent owns the service's checks: the new definition replaces the old set.
        const keep = new Set(checks.map((c) => c.checkId));
        for (const c of this.#nodeChecks(nodeName)) {
          if (c.serviceId === id && !keep.has(c.checkId)) this.#deleteCheck(c, idx);
        }
        for (const c of checks) {
          // Consul's agent restores a re-registered check's status and output, so re-registering is idempotent.
          const old = this.#checks.get(key(nodeName, c.checkId));
          const status = old ? old.status : c.status;
          const output = old ? old.output : c.output;
          this.#ensureCheck({ ...c, status, output, createIndex: idx, modifyIndex: idx }, idx, 'register');
          this.#armTtl(key(nodeName, c.checkId), c.ttlMs);
        }
      }
    });
  }

  /**
   * Consul's `sidecarServiceFromNodeService`: ID `<id>-sidecar-proxy`, name `<name>-sidecar-proxy`, kind
   * connect-proxy, the parent's tags and meta when the sidecar sets none (the trap tag-driven gateways fall into),
   * the parent's address, a port from 21000-21255, and two checks: "Connect Sidecar Listening" (devcatalog runs no
   * probes: it starts passing) and an alias of the parent.
   */
  #sidecarOf(def: AgentServiceRegistration, nodeName: string): AgentServiceRegistration {
    const sc = def.Connect!.SidecarService!;
    const parentId = def.ID || def.Name;
    const id = `${parentId}-sidecar-proxy`;
    let port = sc.Port ?? 0;
    if (!port) {
      const mine = this.#services.get(key(nodeName, id));
      const used = new Set([...this.#services.values()].filter((s) => s.node === nodeName && s.id !== id).map((s) => s.port));
      port = mine && mine.port >= 21000 && mine.port <= 21255 ? mine.port : 21000;
      while (used.has(port) && port < 21255) port++;
    }
    return {
      ...sc, ID: id, Name: sc.Name || `${def.Name}-sidecar-proxy`, Kind: 'connect-proxy',
      Tags: sc.Tags && sc.Tags.length > 0 ? sc.Tags : def.Tags, Meta: sc.Meta && Object.keys(sc.Meta).length > 0 ? sc.Meta : def.Meta,
      Address: sc.Address || def.Address, Port: port,
      Proxy: {
        DestinationServiceName: def.Name, DestinationServiceID: parentId, LocalServiceAddress: sc.Proxy?.LocalServiceAddress ?? '127.0.0.1',
        LocalServicePort: sc.Proxy?.LocalServicePort ?? def.Port ?? 0, Upstreams: sc.Proxy?.Upstreams ?? [],
      },
      Connect: undefined,
      Checks: sc.Checks ?? (sc.Check ? [sc.Check] : [
        { Name: 'Connect Sidecar Listening', TCP: `${sc.Address || def.Address || '127.0.0.1'}:${port}`, Interval: '10s', Status: 'passing' },
        { Name: `Connect Sidecar Aliasing ${parentId}`, AliasService: parentId },
      ]),
    };
  }

  /** Agent deregistration. Returns false when no instance has that ID. */
  deregisterService(id: string): boolean {
    const svc = this.#services.get(key(this.agentNode, id)) ?? [...this.#services.values()].find((s) => s.id === id);
    if (!svc) return false;
    // The agent removes the sidecar it registered with the service.
    const sidecars = [...this.#services.values()].filter((s) => s.node === svc.node && s.sidecarOf === svc.id);
    this.#write((idx) => { for (const s of [svc, ...sidecars]) this.#deleteService(s, idx); });
    return true;
  }

  /** A write to a table kept outside this store (the Connect CA): the next raft index, then blocking queries wake. */
  writeOther(fn: (idx: number) => void): void {
    this.#write((idx) => {
      fn(idx);
      this.#dirty = true;
    });
  }

  /** `PUT /v1/catalog/register`: an external node (no serfHealth), with an optional service and checks. */
  catalogRegister(body: {
    Node?: string; Address?: string; ID?: string; TaggedAddresses?: Record<string, string>; NodeMeta?: Record<string, string>;
    SkipNodeUpdate?: boolean; Service?: Record<string, unknown>; Check?: CatalogCheckRegistration; Checks?: CatalogCheckRegistration[];
  }): void {
    if (!body || typeof body.Node !== 'string' || body.Node === '') throw new CatalogRequestError(400, 'Must provide node');
    if (!body.SkipNodeUpdate && (typeof body.Address !== 'string' || body.Address === '')) {
      throw new CatalogRequestError(400, 'Must provide address if SkipNodeUpdate is not set');
    }
    const nodeName = body.Node;
    const s = body.Service as AgentServiceRegistration & { Service?: string } | undefined;
    if (s && !(s.Service || s.Name)) throw new CatalogRequestError(400, 'Must provide service name with ID');
    this.#write((idx) => {
      if (!body.SkipNodeUpdate || !this.#nodes.has(nodeName)) {
        this.#ensureNode({
          id: body.ID ?? '', name: nodeName, address: body.Address ?? '', datacenter: this.datacenter,
          taggedAddresses: { ...(body.TaggedAddresses ?? {}) }, meta: { ...(body.NodeMeta ?? {}) },
          createIndex: idx, modifyIndex: idx,
        }, idx);
      }
      if (s) {
        const name = (s.Service || s.Name)!;
        this.#ensureService({
          node: nodeName, id: s.ID || name, name, tags: [...(s.Tags ?? [])], address: s.Address ?? '', port: s.Port ?? 0,
          meta: { ...(s.Meta ?? {}) }, weights: s.Weights ?? { Passing: 1, Warning: 1 },
          enableTagOverride: s.EnableTagOverride ?? false, taggedAddresses: s.TaggedAddresses, ...connectFields(s, undefined),
          createIndex: idx, modifyIndex: idx,
        }, idx);
      }
      for (const c of body.Checks ?? (body.Check ? [body.Check] : [])) {
        if (!c.CheckID && !c.Name) throw new CatalogRequestError(400, 'Missing check ID');
        if (c.ServiceID && !this.#services.has(key(nodeName, c.ServiceID))) {
          throw new CatalogRequestError(500, `Unknown service ID "${c.ServiceID}" for check ID "${c.CheckID}"`);
        }
        if (c.Status !== undefined && !isCheckStatus(c.Status)) throw new CatalogRequestError(400, `Invalid check status: "${c.Status}"`);
        this.#ensureCheck({
          node: nodeName, checkId: c.CheckID || c.Name!, name: c.Name ?? c.CheckID, status: c.Status ?? 'critical',
          notes: c.Notes ?? '', output: '', serviceId: c.ServiceID ?? '', type: '', interval: '', timeout: '',
          definition: c.Definition ?? {}, createIndex: idx, modifyIndex: idx,
        }, idx, 'register');
      }
    });
  }

  /** `PUT /v1/catalog/deregister`: a check, a service, or the whole node. */
  catalogDeregister(body: { Node?: string; ServiceID?: string; CheckID?: string }): void {
    if (!body || typeof body.Node !== 'string' || body.Node === '') throw new CatalogRequestError(400, 'Must provide node');
    const node = body.Node;
    this.#write((idx) => {
      if (body.CheckID) {
        const c = this.#checks.get(key(node, body.CheckID));
        if (c) this.#deleteCheck(c, idx);
      } else if (body.ServiceID) {
        const s = this.#services.get(key(node, body.ServiceID));
        if (s) this.#deleteService(s, idx);
      } else {
        this.#deleteNode(node, idx);
      }
    });
  }

  /**
   * Sets a check's status, as the agent's `/v1/agent/check/{pass,warn,fail,update}` do. Looks on the agent's node
   * first, then on any node. Returns false for an unknown check.
   */
  updateCheck(checkId: string, status: CheckStatus, output?: string): boolean {
    const c = this.#checks.get(key(this.agentNode, checkId)) ?? [...this.#checks.values()].find((x) => x.checkId === checkId);
    if (!c) return false;
    this.#write((idx) => this.#ensureCheck({ ...c, status, output: output ?? c.output }, idx, 'update'));
    this.#armTtl(key(c.node, c.checkId), c.ttlMs);
    return true;
  }

  /** Sets a node's serfHealth check (as if the node failed or came back). Returns false for an unknown node. */
  setNodeHealth(node: string, status: CheckStatus): boolean {
    const c = this.#checks.get(key(node, SERF_CHECK_ID));
    if (!c) return false;
    const output = status === 'passing' ? 'Agent alive and reachable' : 'Agent not live or unreachable';
    this.#write((idx) => this.#ensureCheck({ ...c, status, output }, idx, 'update'));
    return true;
  }

  /** Every index back to 1, as after restoring an old snapshot. Ends blocking queries, as Consul's restore does. */
  resetIndex(): void {
    this.#raft = 1;
    this.#tables = { nodes: 1, services: 1, checks: 1 };
    for (const k of this.#serviceIdx.keys()) this.#serviceIdx.set(k, 1);
    if (this.#extinction > 0) this.#extinction = 1;
    for (const r of [...this.#nodes.values(), ...this.#services.values(), ...this.#checks.values()]) {
      r.createIndex = 1;
      r.modifyIndex = 1;
    }
    this.#stateAnswers.clear();
    this.#epoch++;
    this.#notify(true);
  }

  // ---------------------------------------------------------------- reads

  /** `/v1/catalog/services`: name → unique tags. Index: the "services" table. */
  catalogServices(): Query<Record<string, string[]>> {
    return {
      index: () => max1(this.#tables.services),
      value: () => {
        const out: Record<string, Set<string>> = {};
        for (const s of this.#sortedServices()) {
          const tags = (out[s.name] ??= new Set());
          for (const t of s.tags) tags.add(t);
        }
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
      },
    };
  }

  /** `/v1/catalog/service/:name`. Index: the service's own index (see `#serviceIndex`). */
  catalogService(name: string, tags: string[]): Query<CatalogServiceJSON[]> {
    return {
      index: () => this.#serviceIndex(name, false),
      value: () => this.#instances(name, tags).map((s) => catalogRow(s, this.#nodes.get(s.node)!)),
    };
  }

  /** `/v1/health/service/:name`. Index: the service's own index, which node and check changes also move. */
  healthService(name: string, tags: string[], passingOnly: boolean): Query<ServiceEntryJSON[]> {
    return {
      index: () => this.#serviceIndex(name, true),
      value: () => this.#entries(this.#instances(name, tags), passingOnly),
    };
  }

  /**
   * `/v1/health/connect/:name`: the Connect-capable instances of a service, i.e. the connect-proxy instances whose
   * `Proxy.DestinationServiceName` is `name`, and the instances of `name` with `Connect.Native`. Each entry is the
   * proxy's own (its address, port, tags and checks). Index: the highest of the services involved.
   */
  healthConnect(name: string, tags: string[], passingOnly: boolean): Query<ServiceEntryJSON[]> {
    const members = (): ServiceRec[] => [...this.#services.values()]
      .filter((s) => (s.kind === 'connect-proxy' && s.proxy?.DestinationServiceName === name) || (s.name === name && s.connectNative === true))
      .sort(byNodeThenId).filter((s) => tags.every((t) => s.tags.includes(t)));
    return {
      index: () => Math.max(this.#serviceIndex(name, true), ...members().map((s) => this.#serviceIndex(s.name, true))),
      value: () => this.#entries(members(), passingOnly),
    };
  }

  /** `/v1/health/state/:state` ("any" or a status). Index: the "checks" table. */
  healthState(state: 'any' | CheckStatus): Query<HealthCheckJSON[]> {
    return {
      index: () => max1(this.#tables.checks),
      value: () => this.#sortedChecks().filter((c) => state === 'any' || c.status === state).map((c) => this.#checkJSON(c)),
      encoded: () => this.#healthStateBytes(state),
    };
  }

  /** `JSON.stringify` of `healthState(state).value()`, from the last answer's bytes (see `#stateAnswers`). */
  #healthStateBytes(state: 'any' | CheckStatus): Buffer {
    const answerKey = `${this.#raft}\0${this.#epoch}`;
    const last = this.#stateAnswers.get(state);
    if (last?.key === answerKey) return last.bytes;
    if (state === 'any' && last !== undefined && last.order === this.#sortedCheckKeys) {
      const out = this.#patchAny(last);
      last.key = answerKey;
      return out;
    }
    if (state === 'any') this.#anyChanges.clear();
    const parts = new Map<string, StatePart>();
    const order: StatePart[] = [];
    let length = 2;
    for (const k of this.#sortedKeys()) {
      const c = this.#checks.get(k)!;
      if (state !== 'any' && c.status !== state) continue;
      let part = last?.parts.get(k);
      if (part === undefined || part.rec !== c || (part.svcKey !== '' && this.#services.get(part.svcKey) !== part.svc)) {
        const svcKey = c.serviceId ? key(c.node, c.serviceId) : '';
        const svc = svcKey ? this.#services.get(svcKey) : undefined;
        const fresh = Buffer.from(JSON.stringify(checkJSON(c, svc)));
        part = { rec: c, svc, svcKey, at: -1, length: fresh.length, fresh };
      }
      parts.set(k, part);
      order.push(part);
      length += part.length + (order.length > 1 ? 1 : 0);
    }
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    out[at++] = 0x5b; // [
    // Runs of checks that lie one after the other in the last answer are copied from it at once.
    let runFrom = -1, runTo = -1;
    const flush = (): void => { if (runFrom >= 0) at += last!.bytes.copy(out, at, runFrom, runTo); runFrom = -1; };
    for (let i = 0; i < order.length; i++) {
      const part = order[i]!;
      const was = part.at;
      if (part.fresh === undefined && was >= 0 && (runFrom < 0 || was === runTo + 1)) {
        if (runFrom < 0) { if (i > 0) out[at++] = 0x2c; runFrom = was; } // a run starts: its comma is ours
        runTo = was + part.length;
        part.at = at + (runTo - runFrom) - part.length;
        continue;
      }
      flush();
      if (i > 0) out[at++] = 0x2c; // ,
      part.at = at;
      at += part.fresh !== undefined ? part.fresh.copy(out, at) : last!.bytes.copy(out, at, was, was + part.length);
      part.fresh = undefined;
    }
    flush();
    out[at++] = 0x5d; // ]
    this.#stateAnswers.set(state, { key: answerKey, bytes: out, parts, order: this.#sortedKeys() });
    return out;
  }

  /**
   * The next `any` answer when no check came or went: the changed checks re-encoded (their JSON may be the same),
   * everything between copied from the last answer in runs. Costs the changes and one copy of the bytes.
   */
  #patchAny(last: StateAnswer): Buffer {
    const changed: StatePart[] = [];
    for (const k of this.#anyChanges) {
      const part = last.parts.get(k);
      const c = this.#checks.get(k);
      if (part === undefined || c === undefined) continue; // gone again (then the order moved too)
      const svc = part.svcKey ? this.#services.get(part.svcKey) : undefined;
      if (part.rec === c && part.svc === svc) continue;
      const fresh = Buffer.from(JSON.stringify(checkJSON(c, svc)));
      part.rec = c;
      part.svc = svc;
      part.fresh = fresh;
      changed.push(part);
    }
    this.#anyChanges.clear();
    if (changed.length === 0) return last.bytes;
    changed.sort((a, b) => a.at - b.at);
    let length = last.bytes.length;
    for (const part of changed) length += part.fresh!.length - part.length;
    const out = Buffer.allocUnsafe(length);
    let from = 0, at = 0;
    for (const part of changed) {
      at += last.bytes.copy(out, at, from, part.at);
      at += part.fresh!.copy(out, at);
      from = part.at + part.length;
    }
    last.bytes.copy(out, at, from);
    // Offsets after a changed check move by what its length did.
    let shift = 0, next = 0;
    for (const k of last.order) {
      const part = last.parts.get(k)!;
      if (next < changed.length && changed[next] === part) {
        part.at += shift;
        shift += part.fresh!.length - part.length;
        part.length = part.fresh!.length;
        part.fresh = undefined;
        next++;
      } else if (shift !== 0) part.at += shift;
    }
    last.bytes = out;
    return out;
  }

  /** The agent node's record, for `/v1/agent/self`. */
  agentNodeInfo(): { id: string; address: string } {
    const n = this.#nodes.get(this.agentNode)!;
    return { id: n.id, address: n.address };
  }

  /** The current raft index (tests compare it across writes). */
  get raftIndex(): number { return this.#raft; }

  // ---------------------------------------------------------------- internals

  #write(fn: (idx: number) => void): void {
    const idx = ++this.#raft;
    this.#dirty = false;
    try {
      fn(idx);
      if (this.#dirty && this.#aliasKeys.size > 0) this.#syncAliases(idx);
    } finally {
      if (this.#dirty) this.#notify();
    }
  }

  #notify(abandoned = false): void {
    for (const fn of [...this.#listeners]) fn(abandoned);
  }

  /**
   * Consul's maxIndexForService: the "service.<name>" index while the service exists; for a service that does not,
   * the last extinction index, or else the max of the tables the query reads.
   */
  #serviceIndex(name: string, withChecks: boolean): number {
    const own = this.#serviceIdx.get(name);
    if (own !== undefined) return max1(own);
    if (this.#extinction > 0) return this.#extinction;
    const t = this.#tables;
    return max1(Math.max(t.nodes, t.services, withChecks ? t.checks : 0));
  }

  #entries(instances: ServiceRec[], passingOnly: boolean): ServiceEntryJSON[] {
    const out: ServiceEntryJSON[] = [];
    for (const s of instances) {
      const node = this.#nodes.get(s.node);
      if (!node) continue;
      const checks = this.#nodeChecks(s.node).filter((c) => c.serviceId === '' || c.serviceId === s.id);
      // ?passing drops an instance when any of its checks, node checks included, is not passing.
      if (passingOnly && checks.some((c) => c.status !== 'passing')) continue;
      out.push({ Node: nodeJSON(node), Service: serviceJSON(s), Checks: checks.map((c) => this.#checkJSON(c)) });
    }
    return out;
  }

  #instances(name: string, tags: string[]): ServiceRec[] {
    const keys = this.#serviceKeysByName.get(name) ?? new Set<string>();
    return [...keys].map((k) => this.#services.get(k)!).sort(byNodeThenId).filter((s) => tags.every((t) => s.tags.includes(t)));
  }

  #nodeChecks(node: string): CheckRec[] {
    const keys = this.#checkKeysByNode.get(node) ?? new Set<string>();
    return [...keys].map((k) => this.#checks.get(k)!).sort((a, b) => (a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0));
  }

  #sortedServices(): ServiceRec[] {
    return [...this.#services.values()].sort(byNodeThenId);
  }

  /** Every check by node, then ID; the order is kept until a check comes or goes. */
  #sortedChecks(): CheckRec[] {
    return this.#sortedKeys().map((k) => this.#checks.get(k)!);
  }

  #sortedKeys(): string[] {
    return this.#sortedCheckKeys ??= [...this.#checks.values()]
      .sort((a, b) => byNodeThenId({ node: a.node, id: a.checkId }, { node: b.node, id: b.checkId }))
      .map((c) => key(c.node, c.checkId));
  }

  #ensureAgentNode(name: string, address: string, idx: number): void {
    const existing = this.#nodes.get(name);
    this.#ensureNode({
      id: existing?.id ?? nodeId(name), name, address, datacenter: this.datacenter, taggedAddresses: { lan: address, wan: address },
      meta: existing?.meta ?? { 'consul-network-segment': '' }, createIndex: idx, modifyIndex: idx,
    }, idx);
    if (!this.#checks.has(key(name, SERF_CHECK_ID))) {
      this.#ensureCheck({
        node: name, checkId: SERF_CHECK_ID, name: 'Serf Health Status', status: 'passing', notes: '',
        output: 'Agent alive and reachable', serviceId: '', type: '', interval: '', timeout: '', definition: {},
        createIndex: idx, modifyIndex: idx,
      }, idx, 'register');
    }
  }

  #ensureNode(n: NodeRec, idx: number): void {
    const old = this.#nodes.get(n.name);
    if (old && old.address === n.address && old.id === n.id && sameJSON(old.meta, n.meta) && sameJSON(old.taggedAddresses, n.taggedAddresses)) return;
    this.#nodes.set(n.name, { ...n, createIndex: old?.createIndex ?? idx, modifyIndex: idx });
    this.#tables.nodes = idx;
    this.#touchNodeServices(n.name, idx);
    this.#dirty = true;
  }

  #ensureService(s: ServiceRec, idx: number): void {
    const k = key(s.node, s.id);
    const old = this.#services.get(k);
    if (old && sameJSON({ ...old, createIndex: 0, modifyIndex: 0 }, { ...s, createIndex: 0, modifyIndex: 0 })) return;
    this.#services.set(k, { ...s, createIndex: old?.createIndex ?? idx, modifyIndex: idx });
    // Its checks print its name and tags.
    for (const ck of this.#checkKeysByNode.get(s.node) ?? []) if (this.#checks.get(ck)?.serviceId === s.id) this.#anyChanges.add(ck);
    if (old && old.name !== s.name) removeFrom(this.#serviceKeysByName, old.name, k);
    addTo(this.#serviceKeysByName, s.name, k);
    this.#tables.services = idx;
    this.#serviceIdx.set(s.name, idx);
    if (old && old.name !== s.name) this.#serviceGone(old.name, idx);
    this.#dirty = true;
  }

  #ensureCheck(c: CheckRec, idx: number, why: 'register' | 'update'): void {
    const k = key(c.node, c.checkId);
    const old = this.#checks.get(k);
    const same = old && old.status === c.status && old.output === c.output && old.name === c.name &&
      old.notes === c.notes && old.serviceId === c.serviceId && (why === 'update' || old.type === c.type);
    if (same) return;
    if (!old) this.#sortedCheckKeys = undefined;
    this.#anyChanges.add(k);
    this.#checks.set(k, { ...c, createIndex: old?.createIndex ?? idx, modifyIndex: idx });
    if (c.aliasService) this.#aliasKeys.add(k);
    addTo(this.#checkKeysByNode, c.node, k);
    this.#tables.checks = idx;
    this.#touchCheckOwner(c, idx);
    this.#dirty = true;
  }

  #deleteCheck(c: CheckRec, idx: number): void {
    const k = key(c.node, c.checkId);
    if (!this.#checks.delete(k)) return;
    this.#sortedCheckKeys = undefined;
    this.#aliasKeys.delete(k);
    removeFrom(this.#checkKeysByNode, c.node, k);
    clearTimeout(this.#ttlTimers.get(k));
    this.#ttlTimers.delete(k);
    this.#tables.checks = idx;
    this.#touchCheckOwner(c, idx);
    this.#dirty = true;
  }

  #deleteService(s: ServiceRec, idx: number): void {
    for (const c of this.#nodeChecks(s.node)) {
      if (c.serviceId === s.id) this.#deleteCheck(c, idx);
    }
    this.#services.delete(key(s.node, s.id));
    removeFrom(this.#serviceKeysByName, s.name, key(s.node, s.id));
    this.#tables.services = idx;
    this.#serviceGone(s.name, idx);
    this.#dirty = true;
  }

  #deleteNode(node: string, idx: number): void {
    for (const s of [...this.#services.values()]) if (s.node === node) this.#deleteService(s, idx);
    for (const c of this.#nodeChecks(node)) this.#deleteCheck(c, idx);
    if (this.#nodes.delete(node)) {
      this.#tables.nodes = idx;
      this.#dirty = true;
    }
  }

  /** After an instance of `name` went away: bump its index, or record its extinction when none is left. */
  #serviceGone(name: string, idx: number): void {
    if (this.#serviceKeysByName.has(name)) {
      this.#serviceIdx.set(name, idx);
    } else {
      this.#serviceIdx.delete(name);
      this.#extinction = idx;
    }
  }

  /** A service check moves its service's index; a node check moves every service on that node. */
  #touchCheckOwner(c: CheckRec, idx: number): void {
    if (c.serviceId) {
      const s = this.#services.get(key(c.node, c.serviceId));
      if (s) this.#serviceIdx.set(s.name, idx);
    } else {
      this.#touchNodeServices(c.node, idx);
    }
  }

  #touchNodeServices(node: string, idx: number): void {
    for (const s of this.#services.values()) if (s.node === node) this.#serviceIdx.set(s.name, idx);
  }

  /** Consul's alias check: critical when the aliased service is gone, else the worst of its checks and its node's. */
  #syncAliases(idx: number): void {
    for (const k of this.#aliasKeys) {
      const c = this.#checks.get(k)!;
      const target = this.#services.get(key(c.node, c.aliasService!));
      let status: CheckStatus = 'critical';
      if (target) {
        const own = this.#nodeChecks(c.node).filter((x) => !x.aliasService && (x.serviceId === '' || x.serviceId === target.id));
        status = own.some((x) => x.status === 'critical') ? 'critical' : own.some((x) => x.status === 'warning') ? 'warning' : 'passing';
      }
      const output = target ? `Aliased service "${target.id}" is ${status}` : `Service "${c.aliasService}" could not be found`;
      if (c.status !== status || c.output !== output) this.#ensureCheck({ ...c, status, output }, idx, 'update');
    }
  }

  #armTtl(k: string, ttlMs: number | undefined): void {
    clearTimeout(this.#ttlTimers.get(k));
    this.#ttlTimers.delete(k);
    if (ttlMs === undefined || ttlMs <= 0) return;
    // setTimeout holds at most 2^31-1 ms (~24.8 days); a longer TTL never expires within a process's life here.
    if (ttlMs > MAX_TIMER_MS) return;
    const timer = setTimeout(function ttlExpired(this: CatalogState) {
      this.#ttlTimers.delete(k);
      const c = this.#checks.get(k);
      if (!c) return;
      // Consul's CheckTTL: a missed heartbeat turns the check critical with this output.
      this.#write((idx) => this.#ensureCheck({ ...c, status: 'critical', output: 'TTL expired' }, idx, 'update'));
    }.bind(this), ttlMs);
    timer.unref();
    this.#ttlTimers.set(k, timer);
  }

  #checkJSON(c: CheckRec): HealthCheckJSON {
    return checkJSON(c, c.serviceId ? this.#services.get(key(c.node, c.serviceId)) : undefined);
  }
}

/** One check in a kept `/v1/health/state` answer: the records its JSON was made from and where that JSON lies. */
interface StatePart {
  rec: CheckRec;
  svc: ServiceRec | undefined;
  /** The key of its service's record ('' for a node check). */
  svcKey: string;
  /** Offset of its JSON in the answer it was last written to, and its length. */
  at: number;
  length: number;
  /** Its JSON when just encoded (not yet in an answer). */
  fresh?: Buffer;
}

interface StateAnswer {
  key: string;
  bytes: Buffer;
  parts: Map<string, StatePart>;
  /** The sorted check keys the answer was made in (the same array while no check comes or goes). */
  order: readonly string[];
}

function addTo(index: Map<string, Set<string>>, group: string, k: string): void {
  let set = index.get(group);
  if (!set) index.set(group, (set = new Set()));
  set.add(k);
}

/** Removes `k`, and the group once empty (so "has" means "has rows"). */
function removeFrom(index: Map<string, Set<string>>, group: string, k: string): void {
  const set = index.get(group);
  if (!set) return;
  set.delete(k);
  if (set.size === 0) index.delete(group);
}


/** The Connect fields of a service record from a registration. */
function connectFields(d: AgentServiceRegistration, sidecarOf: string | undefined): Pick<ServiceRec, 'kind' | 'proxy' | 'connectNative' | 'sidecarOf'> {
  const out: Pick<ServiceRec, 'kind' | 'proxy' | 'connectNative' | 'sidecarOf'> = {};
  if (d.Kind) out.kind = d.Kind;
  if (d.Kind === 'connect-proxy') {
    const p = d.Proxy ?? {};
    if (!p.DestinationServiceName) throw new CatalogRequestError(400, 'Invalid Proxy configuration: Proxy.DestinationServiceName must be set for Kind=connect-proxy');
    out.proxy = {
      DestinationServiceName: p.DestinationServiceName, DestinationServiceID: p.DestinationServiceID ?? p.DestinationServiceName,
      LocalServiceAddress: p.LocalServiceAddress ?? '', LocalServicePort: p.LocalServicePort ?? 0, Upstreams: p.Upstreams ?? [],
    };
  }
  if (d.Connect?.Native) out.connectNative = true;
  if (sidecarOf !== undefined) out.sidecarOf = sidecarOf;
  return out;
}
