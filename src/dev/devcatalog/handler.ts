/**
 * Consul's HTTP API over the state store: routing, query options, ACL tokens and the headers Consul sends.
 * No sockets here (server.ts owns them): a request goes in, a `Reply` comes out.
 */
import { blockingQuery, effectiveWaitMs } from './blocking.ts';
import { parseGoDuration } from '../../util/duration.ts';
import { CatalogRequestError, isCheckStatus } from './state.ts';
import type { CatalogState, Query, Snapshot } from './state.ts';
import type { AgentServiceRegistration, CheckStatus } from './types.ts';
import type { KvState } from './kv.ts';
import type { ConnectCA } from './connect-ca.ts';
import { connectRoute } from './connect-routes.ts';

/** A reply body that is JSON already (server.ts writes these bytes as they are). */
export class EncodedJSON {
  constructor(readonly bytes: Buffer) {}
}

export interface Reply {
  status: number;
  /**
   * Strings go out as text/plain (Consul's error bodies); `EncodedJSON` as its bytes; anything else as JSON;
   * undefined as an empty body.
   */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface IncomingCall {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body ('' when none). */
  body: string;
  /** Aborted when the client goes away or the catalog closes: blocking queries answer at once. */
  release: AbortSignal;
}

export interface HandlerEnv {
  state: CatalogState;
  datacenter: string;
  nodeName: string;
  /** undefined: ACLs off. */
  aclTokens?: ReadonlySet<string>;
  /** Current leader state; `since` is when the leader was lost (drives X-Consul-LastContact on stale reads). */
  leader(): { known: boolean; since: number };
  /** "host:port" of the catalog's HTTP listener, echoed in /v1/agent/self. */
  httpAddress(): string;
  /** Switchable index faults of reads (see `DevCatalogFaults`). */
  indexFaults?(): { missing: boolean; backwards: boolean };
  /** KV and sessions (kv.ts). */
  kv?: KvState;
  /** Told +1 when a blocking query starts waiting and -1 when it answers (for `stats().parked`). */
  parked?(delta: number): void;
  /** The Connect CA (connect-routes.ts) and the status its endpoints answer while `faults.connectCA` is set. */
  ca?: ConnectCA;
  connectFault?(): number;
}

const text = (status: number, message: string): Reply => ({ status, body: message });
const NO_LEADER = 'No cluster leader';

/** Consul reads the token from X-Consul-Token, then `Authorization: Bearer`, then `?token=`. */
function requestToken(call: Pick<IncomingCall, 'headers' | 'url'>): string {
  const h = call.headers['x-consul-token'];
  if (typeof h === 'string' && h !== '') return h;
  const auth = call.headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  return call.url.searchParams.get('token') ?? '';
}

/** Handles one request. Never throws: failures become Consul's error replies. */
export async function handleCall(env: HandlerEnv, call: IncomingCall): Promise<Reply> {
  try {
    return await route(env, call);
  } catch (err) {
    if (err instanceof CatalogRequestError) return text(err.status, err.message);
    return text(500, (err as Error).message ?? String(err));
  }
}

async function route(env: HandlerEnv, call: IncomingCall): Promise<Reply> {
  const path = call.url.pathname;
  const m = call.method.toUpperCase();
  if (!path.startsWith('/v1/')) return text(404, '404 page not found\n');

  if (path === '/v1/status/leader') {
    if (m !== 'GET') return methodNotAllowed(m);
    return { status: 200, body: env.leader().known ? `${env.state.agentNodeInfo().address}:8300` : '', headers: { 'content-type': 'application/json' } };
  }

  // ACL: with tokens configured, a request without a known token is refused as Consul refuses unknown tokens.
  if (env.aclTokens && !env.aclTokens.has(requestToken(call))) return text(403, 'ACL not found');

  const seg = path.slice(4).split('/');
  const [a, b, c] = seg;
  const rest = (n: number): string => decodeURIComponent(seg.slice(n).join('/'));

  if (a === 'kv' && env.kv) {
    if (!env.leader().known) return text(500, NO_LEADER);
    checkDatacenter(env, call.url);
    return env.kv.kv(call, rest(1));
  }
  if (a === 'session' && env.kv && b) {
    if (!env.leader().known) return text(500, NO_LEADER);
    return env.kv.session(call, b, c ? rest(2) : '');
  }
  if (a === 'catalog' && b === 'services' && seg.length === 2) {
    return read(env, call, 'GET', () => env.state.catalogServices());
  }
  if (a === 'catalog' && b === 'service' && seg.length >= 3 && c) {
    return read(env, call, 'GET', () => env.state.catalogService(rest(2), call.url.searchParams.getAll('tag')));
  }
  if (a === 'health' && b === 'service' && seg.length >= 3 && c) {
    return read(env, call, 'GET', () => env.state.healthService(rest(2), call.url.searchParams.getAll('tag'), passingParam(call.url)));
  }
  if (a === 'health' && b === 'state' && seg.length === 3 && c) {
    const state = rest(2);
    if (state !== 'any' && !isCheckStatus(state)) return text(400, `Invalid check state: ${state}`);
    return read(env, call, 'GET', () => env.state.healthState(state as 'any' | CheckStatus));
  }
  if (a === 'agent' && b === 'self' && seg.length === 2) {
    if (m !== 'GET') return methodNotAllowed(m);
    return { status: 200, body: agentSelf(env) };
  }
  if (a === 'agent' && b === 'service' && c === 'register' && seg.length === 3) {
    return write(env, call, () => env.state.registerService(parseJSON(call.body) as AgentServiceRegistration), undefined);
  }
  if (a === 'agent' && b === 'service' && c === 'deregister' && seg.length >= 4) {
    const id = rest(3);
    return write(env, call, () => {
      if (!env.state.deregisterService(id)) {
        throw new CatalogRequestError(404, `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
      }
    }, undefined);
  }
  if (a === 'agent' && b === 'check' && seg.length >= 4 && (c === 'pass' || c === 'warn' || c === 'fail' || c === 'update')) {
    const id = rest(3);
    return write(env, call, () => {
      let status: CheckStatus;
      let output: string | undefined;
      if (c === 'update') {
        const u = parseJSON(call.body) as { Status?: string; Output?: string } | null;
        if (!u || !isCheckStatus(u.Status)) throw new CatalogRequestError(400, `Invalid check status: "${u?.Status ?? ''}"`);
        status = u.Status;
        output = u.Output ?? '';
      } else {
        status = c === 'pass' ? 'passing' : c === 'warn' ? 'warning' : 'critical';
        output = call.url.searchParams.get('note') ?? '';
      }
      if (!env.state.updateCheck(id, status, output)) {
        throw new CatalogRequestError(404, `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
      }
    }, undefined);
  }
  if (a === 'catalog' && b === 'register' && seg.length === 2) {
    return write(env, call, () => env.state.catalogRegister(parseJSON(call.body) as never), true);
  }
  if (a === 'catalog' && b === 'deregister' && seg.length === 2) {
    return write(env, call, () => env.state.catalogDeregister(parseJSON(call.body) as never), true);
  }
  if (env.ca) {
    const reply = await connectRoute({ ...env, ca: env.ca }, call, seg, (build) => read(env, call, 'GET', build), () => env.connectFault?.() ?? 0);
    if (reply) return reply;
  }
  return text(404, '404 page not found\n');
}

function methodNotAllowed(m: string): Reply {
  return text(405, `method ${m} not allowed`);
}

function parseJSON(body: string): unknown {
  if (body.trim() === '') return null;
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new CatalogRequestError(400, `Request decode failed: ${(err as Error).message}`);
  }
}

/** `?passing`, `?passing=true`, `?passing=1` filter; `?passing=false` does not (Consul parses it as a bool). */
function passingParam(url: URL): boolean {
  if (!url.searchParams.has('passing')) return false;
  const v = url.searchParams.get('passing')!.toLowerCase();
  if (v === '' || v === 'true' || v === '1' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'f') return false;
  throw new CatalogRequestError(400, `Invalid value for ?passing`);
}

function checkDatacenter(env: HandlerEnv, url: URL): void {
  const dc = url.searchParams.get('dc');
  if (dc && dc !== env.datacenter) throw new CatalogRequestError(500, 'No path to datacenter');
}

async function write(env: HandlerEnv, call: IncomingCall, apply: () => void, result: unknown): Promise<Reply> {
  if (call.method.toUpperCase() !== 'PUT') return methodNotAllowed(call.method.toUpperCase());
  checkDatacenter(env, call.url);
  if (!env.leader().known) return text(500, NO_LEADER);
  apply();
  return { status: 200, body: result };
}

/** A read with Consul's query options, consistency modes and blocking. */
async function read<T>(env: HandlerEnv, call: IncomingCall, method: 'GET', build: () => Query<T>): Promise<Reply> {
  const m = call.method.toUpperCase();
  if (m !== method) return methodNotAllowed(m);
  const q = call.url.searchParams;
  const stale = q.has('stale');
  const consistent = q.has('consistent');
  if (stale && consistent) return text(400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  checkDatacenter(env, call.url);
  let minIndex = 0;
  if (q.has('index')) {
    const raw = q.get('index')!;
    if (!/^\d+$/.test(raw)) return text(400, 'Invalid index');
    minIndex = Number(raw);
  }
  let waitMs: number | undefined;
  if (q.has('wait')) {
    waitMs = parseGoDuration(q.get('wait')!);
    if (waitMs === undefined) return text(400, 'Invalid wait time');
  }
  const leader = env.leader();
  // Default and consistent reads go through the leader; only stale reads are served without one.
  if (!leader.known && !stale) return text(500, NO_LEADER);

  const built = build();
  // A query that keeps its answer as JSON bytes answers with those (the same bytes JSON.stringify would write).
  const query: Query<unknown> = built.encoded ? { index: built.index, value: () => new EncodedJSON(built.encoded!()) } : built;
  const snap: Snapshot<unknown> = minIndex > 0 && env.indexFaults?.().backwards
    ? { index: minIndex - 1, value: query.value() }
    : minIndex > 0
      ? await parkedWhile(env, blockingQuery(env.state, query, minIndex, effectiveWaitMs(waitMs), call.release))
      : { index: query.index(), value: query.value() };
  const headers: Record<string, string> = {
    'x-consul-index': String(snap.index),
    'x-consul-knownleader': String(leader.known),
    'x-consul-lastcontact': String(leader.known ? 0 : Math.max(0, Date.now() - leader.since)),
    'x-consul-effective-consistency': consistent ? 'consistent' : stale ? 'stale' : 'leader',
  };
  if (env.indexFaults?.().missing) delete headers['x-consul-index']; // as the answer leaves, like a proxy in front
  return { status: 200, body: snap.value, headers };
}

async function parkedWhile<T>(env: HandlerEnv, waiting: Promise<T>): Promise<T> {
  env.parked?.(1);
  try {
    return await waiting;
  } finally {
    env.parked?.(-1);
  }
}

function agentSelf(env: HandlerEnv): unknown {
  const node = env.state.agentNodeInfo();
  return {
    Config: {
      Datacenter: env.datacenter, PrimaryDatacenter: env.datacenter, NodeName: env.nodeName, NodeID: node.id,
      Revision: 'devcatalog', Server: true, Version: '1.20.0', BuildDate: '2024-01-01T00:00:00Z',
    },
    DebugConfig: { ClientAddrs: [env.httpAddress()] },
    Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5 },
    Member: {
      Name: env.nodeName, Addr: node.address, Port: 8301,
      Tags: { dc: env.datacenter, role: 'consul', port: '8300', build: '1.20.0:devcatalog', vsn: '2', bootstrap: '1', id: node.id },
      Status: 1, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4,
    },
    Stats: {},
    Meta: { 'consul-network-segment': '' },
    xDS: {},
  };
}
