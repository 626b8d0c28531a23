/**
 * The only file of tagway that talks to Consul: a thin typed layer over the real `consul` npm client (node-consul
 * on papi). It adds what the watcher needs and the client leaves out: the index and leader headers of every answer,
 * a client timeout that never cuts a blocking query short, AbortSignal support, and errors with stable codes.
 */
import dns from 'node:dns';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Writable } from 'node:stream';
import Consul from 'consul';
import { createRequire } from 'node:module';
import type { ConsulCatalogConfig } from '../../static/types.ts';
import type { AnswerBuffer } from './answer-buffer.ts';

// ------------------------------------------------------------------ Consul's JSON shapes (the fields tagway reads)

export type HealthStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

export interface ConsulNode {
  ID: string; Node: string; Address: string; Datacenter: string;
  TaggedAddresses: Record<string, string> | null; Meta: Record<string, string> | null;
  CreateIndex: number; ModifyIndex: number;
}

export interface AgentService {
  ID: string; Service: string; Tags: string[] | null; Address: string; Port: number;
  Meta: Record<string, string> | null;
  TaggedAddresses?: Record<string, { Address: string; Port: number }> | null;
  Weights?: { Passing: number; Warning: number }; EnableTagOverride?: boolean;
  CreateIndex: number; ModifyIndex: number;
}

export interface HealthCheck {
  Node: string; CheckID: string; Name: string; Status: HealthStatus; Notes: string; Output: string;
  ServiceID: string; ServiceName: string; ServiceTags: string[] | null; Type?: string;
  CreateIndex: number; ModifyIndex: number;
}

/** One instance as `/v1/health/service/:name` answers: the node, the service (Address may be ''), all checks. */
export interface ServiceEntry { Node: ConsulNode; Service: AgentService; Checks: HealthCheck[] }

/** `/v1/agent/connect/ca/leaf/:service` (the fields tagway reads). */
export interface ConnectLeaf {
  SerialNumber: string; CertPEM: string; PrivateKeyPEM: string; Service: string; ServiceURI: string;
  ValidAfter: string; ValidBefore: string; ModifyIndex?: number;
}

/** `/v1/agent/connect/ca/roots` (the fields tagway reads). */
export interface ConnectRoots {
  ActiveRootID: string; TrustDomain: string;
  Roots: Array<{ ID: string; Name?: string; RootCert: string; IntermediateCerts?: string[] | null; Active: boolean }> | null;
}

// ------------------------------------------------------------------ API

export interface BlockingOptions {
  /** The `X-Consul-Index` of the previous answer; 0 or absent answers at once. */
  index?: number;
  /** Longest wait for a change (server default 5 min, cap 10 min). */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface Result<T> {
  value: T;
  /** `X-Consul-Index`: pass it back as `index` to block for the next change. May go backwards (restore). */
  index: number;
  /** `X-Consul-KnownLeader` */
  knownLeader: boolean;
  /** `X-Consul-LastContact`, ms since the answering server heard from the leader. */
  lastContactMs: number;
}

export interface ConsulApi {
  /** `/v1/catalog/services`: service name → tags. */
  catalogServices(q: BlockingOptions): Promise<Result<Record<string, string[]>>>;
  /** `/v1/health/state/:state` ("any", "passing", "warning", "critical"). */
  healthState(state: string, q: BlockingOptions): Promise<Result<HealthCheck[]>>;
  /**
   * `/v1/health/state/:state` as the bytes Consul sent, unparsed: the watcher reads only what changed since the last
   * answer (checks.ts). An empty answer is an empty buffer. With `into`, the bytes are received into that buffer's
   * memory (reused from answer to answer: answer-buffer.ts) and the value is a view of it.
   */
  healthStateRaw(state: string, q: BlockingOptions & { into?: AnswerBuffer }): Promise<Result<Buffer>>;
  /** `/v1/health/service/:name`, with `passing` for `?passing`. */
  healthService(name: string, q: BlockingOptions & { passing?: boolean }): Promise<Result<ServiceEntry[]>>;
  /** `/v1/health/connect/:name`: the service's Connect-capable instances (its sidecar proxies, or itself when native). */
  healthConnect(name: string, q: BlockingOptions): Promise<Result<ServiceEntry[]>>;
  /** `/v1/agent/connect/ca/leaf/:service`: this gateway's mesh certificate (blocks until it is renewed). */
  connectLeaf(service: string, q: BlockingOptions): Promise<Result<ConnectLeaf>>;
  /** `/v1/agent/connect/ca/roots`: the CA roots a mesh peer's certificate must chain to. */
  connectRoots(q: BlockingOptions): Promise<Result<ConnectRoots>>;
  /** `/v1/kv/<prefix>?recurse` (values decoded as UTF-8); an empty list when nothing is there (Consul's 404). */
  kvList(prefix: string, q: BlockingOptions): Promise<Result<KvEntry[]>>;
  /** `PUT /v1/kv/<key>` with `cas`, `acquire` or `release`: whether Consul applied it. */
  kvPut(key: string, value: string, o?: { cas?: number; acquire?: string; release?: string; signal?: AbortSignal }): Promise<boolean>;
  /** `DELETE /v1/kv/<key>`. */
  kvDelete(key: string, o?: { signal?: AbortSignal }): Promise<void>;
  /** `PUT /v1/session/create`: the session ID. */
  sessionCreate(o: { name: string; ttl: string; lockDelay: string; behavior: 'release' | 'delete'; signal?: AbortSignal }): Promise<string>;
  /** `PUT /v1/session/renew/<id>`: false when the session is gone (Consul's 404). */
  sessionRenew(id: string, o?: { signal?: AbortSignal }): Promise<boolean>;
  /** `PUT /v1/session/destroy/<id>`. */
  sessionDestroy(id: string, o?: { signal?: AbortSignal }): Promise<void>;
  /** Destroys the connection pool; calls still in flight fail, so abort them (their signal) first. Idempotent. */
  close(): void;
}

/** One `/v1/kv` entry as node-consul hands it (Value decoded). */
export interface KvEntry { Key: string; Value: string | null; Flags: number; LockIndex: number; Session?: string; CreateIndex: number; ModifyIndex: number }

export interface ConsulApiOptions {
  stale: boolean;
  requireConsistent: boolean;
  /** Client timeout of a non-blocking call, ms. Default 10 s. */
  requestTimeoutMs?: number;
  /** Slack on top of a blocking call's longest legitimate hold (wait × 17/16), ms. Default 5 s. */
  timeoutMarginMs?: number;
}

export type ConsulErrorCode =
  | 'TAGWAY_CONSUL_ACL' | 'TAGWAY_CONSUL_NO_LEADER' | 'TAGWAY_CONSUL_HTTP' | 'TAGWAY_CONSUL_TIMEOUT'
  | 'TAGWAY_CONSUL_UNREACHABLE' | 'TAGWAY_CONSUL_RATE_LIMITED' | 'TAGWAY_CONSUL_ABORTED' | 'TAGWAY_CONSUL_CONFIG'
  | 'TAGWAY_CONSUL_INDEX' | 'TAGWAY_CONSUL_TRUNCATED';

/**
 * Every failure of this module. Match on `code`; `status` and `body` are Consul's answer when there was one (the
 * body cut to `MAX_BODY_EXCERPT` characters: it reaches the log and `/api/overview`).
 */
export class ConsulError extends Error {
  readonly code: ConsulErrorCode;
  readonly status?: number;
  readonly body?: string;
  constructor(code: ConsulErrorCode, message: string, opts: { status?: number; body?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConsulError';
    this.code = code;
    this.status = opts.status;
    this.body = opts.body;
  }
}

/** Consul's default and maximum blocking wait, and its jitter (up to wait/16) — see api-docs/features/blocking. */
const SERVER_DEFAULT_WAIT_MS = 5 * 60_000;
const SERVER_MAX_WAIT_MS = 10 * 60_000;
/** Slack on top of wait × 17/16 for the answer to travel. */
const TIMEOUT_MARGIN_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Longest part of an error body Consul (or whatever answers in its place) sent that is kept. */
export const MAX_BODY_EXCERPT = 200;

/**
 * The client timeout for a call: above the longest time Consul may legitimately hold it.
 *
 * @example
 * blockingTimeoutMs(42, 60_000, 30_000) // 68750 = 60 s × 17/16 + 5 s
 */
export function blockingTimeoutMs(index: number | undefined, waitMs: number | undefined, requestTimeoutMs: number, marginMs = TIMEOUT_MARGIN_MS): number {
  if (!index) return requestTimeoutMs;
  const wait = Math.min(waitMs && waitMs > 0 ? waitMs : SERVER_DEFAULT_WAIT_MS, SERVER_MAX_WAIT_MS);
  return Math.ceil((wait * 17) / 16) + marginMs;
}

/**
 * Builds the client for `providers.consulCatalog.endpoint`. TLS files are read here, so a missing file fails at
 * startup with the option's name, not at the first poll.
 *
 * @example
 * const api = createConsulApi({ address: '127.0.0.1:8500', scheme: 'http', datacenter: '', token: '', endpointWaitTime: 0 },
 *                             { stale: false, requireConsistent: false });
 * let r = await api.catalogServices({});
 * r = await api.catalogServices({ index: r.index, waitMs: 60_000, signal });   // returns on change or after ~60 s
 */
export function createConsulApi(endpoint: ConsulCatalogConfig['endpoint'], options: ConsulApiOptions): ConsulApi {
  const target = parseAddress(endpoint.address, endpoint.scheme);
  const secure = target.scheme === 'https';
  const tls = secure ? readTls(endpoint.tls) : {};
  const agent = secure ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
  failCutAnswers(agent);
  const auth = endpoint.httpAuth?.username
    ? `${encodeURIComponent(endpoint.httpAuth.username)}:${encodeURIComponent(endpoint.httpAuth.password ?? '')}@`
    : '';
  const baseUrl = `${target.scheme}://${auth}${target.host}:${target.port}/v1`;
  const defaults: Record<string, unknown> = {};
  if (endpoint.token) defaults.token = endpoint.token; // sent as X-Consul-Token by the client
  if (endpoint.datacenter) defaults.dc = endpoint.datacenter;
  if (options.requireConsistent) defaults.consistent = true;
  else if (options.stale) defaults.stale = true;
  const consul = new Consul({
    baseUrl, agent, defaults, ...tls,
    // papi hands URL.hostname to http.request, brackets included for IPv6; resolve those literals ourselves.
    lookup: bracketAwareLookup,
  } as never) as unknown as RawConsul;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const marginMs = options.timeoutMarginMs ?? TIMEOUT_MARGIN_MS;
  const where = `${target.scheme}://${target.host}:${target.port}`;

  async function call<T>(q: BlockingOptions, run: (o: RawCallOptions) => Promise<unknown>): Promise<Result<T>> {
    if (q.signal?.aborted) throw aborted(q.signal, where);
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const o: RawCallOptions = { ctx, timeout: blockingTimeoutMs(q.index, q.waitMs, requestTimeoutMs, marginMs) };
    if (q.index) o.index = String(q.index);
    if (q.index && q.waitMs && q.waitMs > 0) o.wait = `${Math.ceil(q.waitMs)}ms`;
    const onAbort = (): void => { ctx.emit('cancel'); };
    q.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [res, body] = (await run(o)) as [http.IncomingMessage, unknown];
      // Consul's Go client refuses an answer without a readable index (parseQueryMeta): a loop that went on
      // with a made-up index would ask again at once, forever.
      const rawIndex = header(res, 'x-consul-index');
      if (rawIndex === undefined || !/^\d+$/.test(rawIndex)) {
        throw new ConsulError('TAGWAY_CONSUL_INDEX', `Consul at ${where} answered ${rawIndex === undefined ? 'without an X-Consul-Index header' : `an unreadable X-Consul-Index "${excerpt(rawIndex, 40)}"`}; a proxy in front of Consul may strip or rewrite it`);
      }
      return {
        value: body as T,
        index: Number(rawIndex),
        knownLeader: header(res, 'x-consul-knownleader') === 'true',
        lastContactMs: Number.parseInt(header(res, 'x-consul-lastcontact') ?? '0', 10) || 0,
      };
    } catch (err) {
      if (err instanceof ConsulError) throw err;
      throw toConsulError(err, where, q.signal);
    } finally {
      q.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A write (or a non-blocking call Consul answers without an index): its body. */
  async function write<T>(signal: AbortSignal | undefined, run: (o: RawCallOptions) => Promise<unknown>): Promise<T> {
    if (signal?.aborted) throw aborted(signal, where);
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const onAbort = (): void => { ctx.emit('cancel'); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [, body] = (await run({ ctx, timeout: requestTimeoutMs })) as [http.IncomingMessage, unknown];
      return body as T;
    } catch (err) {
      if (err instanceof ConsulError) throw err;
      throw toConsulError(err, where, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    catalogServices(q) {
      return call<Record<string, string[]>>(q, (o) => consul.catalog.service.list(o)).then(function nullToEmpty(r) {
        return { ...r, value: r.value ?? {} };
      });
    },
    healthState(state, q) {
      return call<HealthCheck[]>(q, (o) => consul.health.state({ ...o, state })).then(nullToList);
    },
    healthStateRaw(state, q) {
      const into = q.into;
      if (into) {
        return call<unknown>(q, (o) => rawGet(consul, o, 'health.state', '/health/state/{state}', { state }, { pipe: () => receiveInto(into) })).then(function received(r) {
          return { ...r, value: into.bytes() };
        });
      }
      return call<Buffer | undefined>(q, (o) => rawGet(consul, o, 'health.state', '/health/state/{state}', { state }, { buffer: true })).then(function bytes(r) {
        return { ...r, value: Buffer.isBuffer(r.value) ? r.value : Buffer.alloc(0) };
      });
    },
    kvList(prefix, q) {
      return call<KvEntry[]>(q, (o) => consul.kv.get({ ...o, key: prefix, recurse: true })).then(nullToList);
    },
    kvPut(key, value, o = {}) {
      return write<boolean>(o.signal, (w) => consul.kv.set({ ...w, key, value, ...(o.cas !== undefined ? { cas: o.cas } : {}), ...(o.acquire ? { acquire: o.acquire } : {}), ...(o.release ? { release: o.release } : {}) })).then((v) => v === true);
    },
    kvDelete(key, o = {}) {
      return write<unknown>(o.signal, (w) => consul.kv.del({ ...w, key })).then(() => undefined);
    },
    sessionCreate(o) {
      return write<{ ID: string }>(o.signal, (w) => consul.session.create({ ...w, name: o.name, ttl: o.ttl, lockdelay: o.lockDelay, behavior: o.behavior })).then((v) => v.ID);
    },
    sessionRenew(id, o = {}) {
      return write<unknown>(o.signal, (w) => consul.session.renew({ ...w, id })).then(() => true, (err: unknown) => {
        if (err instanceof ConsulError && err.status === 404) return false;
        throw err;
      });
    },
    sessionDestroy(id, o = {}) {
      return write<unknown>(o.signal, (w) => consul.session.destroy({ ...w, id })).then(() => undefined);
    },
    healthService(name, q) {
      return call<ServiceEntry[]>(q, (o) => consul.health.service({ ...o, service: name, passing: q.passing === true })).then(nullToList);
    },
    healthConnect(name, q) {
      return call<ServiceEntry[]>(q, (o) => rawGet(consul, o, 'health.connect', '/health/connect/{service}', { service: name })).then(nullToList);
    },
    connectLeaf(service, q) {
      return call<ConnectLeaf>(q, (o) => rawGet(consul, o, 'agent.connect.ca.leaf', '/agent/connect/ca/leaf/{service}', { service })).then(function present(r) {
        if (!r.value || typeof r.value.CertPEM !== 'string' || typeof r.value.PrivateKeyPEM !== 'string') {
          throw new ConsulError('TAGWAY_CONSUL_HTTP', `Consul at ${where} answered a leaf certificate without CertPEM or PrivateKeyPEM`);
        }
        return r;
      });
    },
    connectRoots(q) {
      return call<ConnectRoots>(q, (o) => rawGet(consul, o, 'agent.connect.ca.roots', '/agent/connect/ca/roots', {})).then(function present(r) {
        if (!r.value || typeof r.value.TrustDomain !== 'string') throw new ConsulError('TAGWAY_CONSUL_HTTP', `Consul at ${where} answered CA roots without a TrustDomain`);
        return r;
      });
    },
    close() {
      agent.destroy();
    },
  };
}

// ------------------------------------------------------------------ internals

/** node-consul has no Connect calls; its own request helpers build them the way its health.service does. */
const consulUtils: unknown = createRequire(import.meta.url)('consul/lib/utils.js');

const kCut = Symbol('tagway.consul.cut');

/**
 * node-consul's HTTP layer (papi) waits for 'end' and never listens for a response that stops halfway (the
 * connection cut mid-body): such a call would hang until its timeout, minutes for a blocking query. Every request
 * of this agent fails at once instead, through the request's 'error' event that papi does listen to.
 */
function failCutAnswers(agent: http.Agent): void {
  const a = agent as http.Agent & { addRequest(req: http.ClientRequest, options: unknown): void };
  const addRequest = a.addRequest;
  a.addRequest = function addRequestFailingCutAnswers(req, options) {
    req.once('response', function watchAnswer(res: http.IncomingMessage) {
      res.once('close', function answerClosed() {
        if (res.complete) return;
        req.emit('error', Object.assign(new Error('the connection was cut in the middle of the answer'), { code: 'ECONNRESET', [kCut]: true }));
      });
    });
    addRequest.call(this, req, options);
  };
}

/** At most `max` characters of `text`, control characters as spaces, with the length when it was cut. */
export function excerpt(text: string, max = MAX_BODY_EXCERPT): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length <= max ? clean : `${clean.slice(0, max)}… (${clean.length} characters)`;
}

interface RawCallOptions {
  index?: string;
  wait?: string;
  timeout?: number;
  ctx?: EventEmitter & { includeResponse: boolean };
}

/**
 * papi's `pipe` for one answer: each chunk is copied into `into` as it arrives (papi then keeps no chunk list and
 * concatenates nothing). An error answer's body is also handed to papi's response, as without the pipe, so that
 * `toConsulError` reads Consul's words ("No cluster leader", "ACL not found").
 */
function receiveInto(into: AnswerBuffer): Writable {
  into.reset();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) { into.append(chunk); done(); },
  });
  sink.once('pipe', function answerStarts(res: http.IncomingMessage & { body?: unknown }) {
    // Registered before papi's own 'end' listener (pipe() runs first), so papi sees the body when it makes its error.
    res.once('end', function errorBody() {
      if (Math.floor((res.statusCode ?? 0) / 100) !== 2) res.body = Buffer.from(into.bytes());
    });
  });
  return sink;
}

/** A GET node-consul has no method for, through its own request path (papi `_get`, its options and defaults). */
function rawGet(consul: RawConsul, o: RawCallOptions, name: string, path: string, params: Record<string, string>, extra: { buffer?: boolean; pipe?: () => Writable } = {}): Promise<unknown> {
  // papi's `buffer`: the body as received, not decoded; `pipe`: the body streamed there instead
  const req: Record<string, unknown> = { name, path, params, query: {}, ...extra };
  const utils = consulUtils as { options(req: unknown, opts: unknown): void; defaults(o: unknown, d: unknown): unknown; body: unknown };
  utils.options(req, utils.defaults({ ...o }, consul._defaults));
  return consul._get(req, utils.body);
}

/** The part of node-consul tagway calls (its bundled typings omit ctx, index and timeout). */
interface RawConsul {
  _defaults: Record<string, unknown>;
  _get(req: unknown, next: unknown): Promise<unknown>;
  catalog: { service: { list(o: RawCallOptions): Promise<unknown> } };
  kv: {
    get(o: RawCallOptions & { key: string; recurse: boolean }): Promise<unknown>;
    set(o: RawCallOptions & { key: string; value: string; cas?: number; acquire?: string; release?: string }): Promise<unknown>;
    del(o: RawCallOptions & { key: string }): Promise<unknown>;
  };
  session: {
    create(o: RawCallOptions & { name: string; ttl: string; lockdelay: string; behavior: string }): Promise<unknown>;
    renew(o: RawCallOptions & { id: string }): Promise<unknown>;
    destroy(o: RawCallOptions & { id: string }): Promise<unknown>;
  };
  health: {
    service(o: RawCallOptions & { service: string; passing: boolean }): Promise<unknown>;
    state(o: RawCallOptions & { state: string }): Promise<unknown>;
  };
}

function nullToList<T>(r: Result<T[]>): Result<T[]> {
  return { ...r, value: r.value ?? [] };
}

function header(res: http.IncomingMessage | undefined, name: string): string | undefined {
  const v = res?.headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/** "host:port", "[::1]:8500", "host" (port 8500), or with a scheme prefix, which wins over `scheme` as in Consul's Go client. */
export function parseAddress(address: string, scheme: string): { scheme: 'http' | 'https'; host: string; port: number } {
  let s = (scheme || 'http').toLowerCase();
  let rest = address.trim();
  const m = /^([a-z]+):\/\/(.*)$/i.exec(rest);
  if (m) {
    s = m[1]!.toLowerCase();
    rest = m[2]!.replace(/\/+$/, '');
  }
  if (s !== 'http' && s !== 'https') {
    throw new ConsulError('TAGWAY_CONSUL_CONFIG', `providers.consulCatalog.endpoint.scheme: "${s}" is not supported (use http or https)`);
  }
  let host: string;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = `[${v6[1]}]`;
    port = v6[2] ? Number(v6[2]) : undefined;
  } else if (net.isIPv6(rest)) {
    host = `[${rest}]`;
  } else {
    const i = rest.lastIndexOf(':');
    host = i >= 0 ? rest.slice(0, i) : rest;
    port = i >= 0 ? Number(rest.slice(i + 1)) : undefined;
  }
  if (!host || (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))) {
    throw new ConsulError('TAGWAY_CONSUL_CONFIG', `providers.consulCatalog.endpoint.address: "${address}" is not host:port`);
  }
  return { scheme: s, host, port: port ?? 8500 };
}

function readTls(t: ConsulCatalogConfig['endpoint']['tls']): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } {
  if (!t) return {};
  const read = (field: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const file = t[field];
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConsulError('TAGWAY_CONSUL_CONFIG', `providers.consulCatalog.endpoint.tls.${field}: cannot read "${file}"`, { cause: err });
    }
  };
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } = {};
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (t.insecureSkipVerify) out.rejectUnauthorized = false;
  return out;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

function bracketAwareLookup(hostname: string, opts: { all?: boolean }, cb: LookupCallback): void {
  const literal = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const family = net.isIP(literal);
  if (family) {
    if (opts?.all) cb(null, [{ address: literal, family }]);
    else cb(null, literal, family);
    return;
  }
  dns.lookup(literal, opts as never, cb as never);
}

function aborted(signal: AbortSignal, where: string): ConsulError {
  return new ConsulError('TAGWAY_CONSUL_ABORTED', `request to Consul at ${where} aborted`, { cause: signal.reason });
}

interface PapiError extends Error {
  isResponse?: boolean; isTimeout?: boolean; isAbort?: boolean; code?: string;
  response?: { statusCode?: number; body?: unknown };
}

/** One place that turns the client's failures into coded errors, with a hint at the likely fix. */
function toConsulError(err: unknown, where: string, signal?: AbortSignal): ConsulError {
  const e = err as PapiError;
  if (e?.isAbort || signal?.aborted) return aborted(signal ?? new AbortController().signal, where);
  if (e?.isResponse && e.response) {
    const status = e.response.statusCode ?? 0;
    const raw = e.response.body;
    const full = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : raw === undefined ? '' : JSON.stringify(raw);
    const body = excerpt(full);
    const said = body || excerpt(e.message);
    if (status === 403) {
      return new ConsulError('TAGWAY_CONSUL_ACL', `Consul at ${where} refused the ACL token (403 ${said}); check providers.consulCatalog.endpoint.token`, { status, body, cause: err });
    }
    if (status === 429) {
      return new ConsulError('TAGWAY_CONSUL_RATE_LIMITED', `Consul at ${where} limits this client (429 ${said}); fewer concurrent connections or a higher limits.http_max_conns_per_client`, { status, body, cause: err });
    }
    if (status === 500 && /no cluster leader/i.test(body)) {
      return new ConsulError('TAGWAY_CONSUL_NO_LEADER', `Consul at ${where} has no cluster leader (500); stale reads (providers.consulCatalog.stale) still answer`, { status, body, cause: err });
    }
    return new ConsulError('TAGWAY_CONSUL_HTTP', `Consul at ${where} answered ${status}: ${said}`, { status, body, cause: err });
  }
  if (e?.isTimeout) return new ConsulError('TAGWAY_CONSUL_TIMEOUT', `Consul at ${where} did not answer in time`, { cause: err });
  if ((e as { [kCut]?: boolean } | undefined)?.[kCut] === true) {
    return new ConsulError('TAGWAY_CONSUL_TRUNCATED', `Consul at ${where} cut the connection in the middle of an answer`, { cause: err });
  }
  const why = excerpt(String(e?.code ?? e?.message ?? String(err)));
  if (/CERT|SIGNATURE|SSL|TLS|ALERT/i.test(String(e?.code ?? ''))) {
    return new ConsulError('TAGWAY_CONSUL_UNREACHABLE', `TLS with Consul at ${where} failed (${why}); check providers.consulCatalog.endpoint.tls`, { cause: err });
  }
  return new ConsulError('TAGWAY_CONSUL_UNREACHABLE', `cannot reach Consul at ${where} (${why}); check providers.consulCatalog.endpoint.address`, { cause: err });
}
