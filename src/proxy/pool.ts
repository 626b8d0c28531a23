import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { buildConnector, Pool } from 'undici';
import { refusedConnection } from './mesh.ts';
import { defaultTransport, tlsConnectOptions, type UpstreamTransport } from './transport.ts';
import { H2Pool } from './h2-pool.ts';

import { DEFAULT_FORWARDING_TIMEOUTS, type ForwardingTimeouts } from './timeouts.ts';
export { DEFAULT_FORWARDING_TIMEOUTS, type ForwardingTimeouts };

const DEFAULT_TRANSPORT = defaultTransport();

/**
 * The undici pool of one origin and transport. `maxIdleConnsPerHost` < 0 turns keep-alive off (undici's
 * `pipelining: 0`); a positive bound is not enforced for HTTP/1.1 (undici keeps every idle connection until
 * `idleConnTimeout`).
 */
function createH1Pool(origin: string, transport: UpstreamTransport): Pool {
  const { dialTimeout: dial, idleConnTimeout: idle } = transport.timeouts;
  const tls = origin.startsWith('https:') ? tlsConnectOptions(transport, new URL(origin), ['http/1.1']) : {};
  const mesh = transport.mesh;
  let connect: Pool.Options['connect'] = { timeout: dial, ...tls } as Pool.Options['connect'];
  if (mesh !== undefined) {
    // Consul Connect: a refused handshake names the identity expected (502), see mesh.ts.
    const connector = buildConnector(connect as buildConnector.BuildOptions);
    const server = new URL(origin).host;
    connect = function meshConnect(opts, callback) {
      connector(opts, (err, socket) => (err ? callback(refusedConnection(mesh, server, err), null) : callback(null, socket!)));
    };
  }
  return new Pool(origin, {
    connect,
    // The response-header timeout is per request (services on one origin may differ); no body
    // timeout: Traefik has none either, long polls and streams must live.
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: idle > 0 ? idle : 4_000,
    keepAliveMaxTimeout: idle > 0 ? idle : 600_000,
    ...(transport.maxIdleConnsPerHost < 0 ? { pipelining: 0 } : {}),
  });
}

/** A counted reference to a shared pool; `release` is idempotent. */
export interface PoolLease {
  readonly pool: Pool;
  release(): void;
}

interface Slot { pool: Pool; refs: number }
interface H2Slot { pool: H2Pool; refs: number }

/** A counted reference to shared HTTP/2 sessions; `release` is idempotent. */
export interface H2Lease {
  readonly h2: H2Pool;
  release(): void;
}

/**
 * Which connections were reused, for Go's transport retry (`shouldRetryRequest`: only a request that failed on a
 * connection it did not open may go again). Every connection any pool opens takes the next number; a request
 * remembers the last number given out when it was dispatched. undici hands a request's failure to its handler
 * and, synchronously right after, emits 'disconnect' with the same error object: that error is mapped to the
 * number of the connection it closed.
 */
let connectionSeq = 0;
const openedAs = new WeakMap<object, number>();
const closedOpenedAs = new WeakMap<object, number>();

function onPoolConnect(_origin: unknown, targets: readonly object[]): void {
  const client = targets[targets.length - 1];
  if (client !== undefined) openedAs.set(client, ++connectionSeq);
}

function onPoolDisconnect(_origin: unknown, targets: readonly object[], err: unknown): void {
  const client = targets[targets.length - 1];
  const seq = client === undefined ? undefined : openedAs.get(client);
  if (seq !== undefined && err !== null && typeof err === 'object') closedOpenedAs.set(err, seq);
}

/** The current connection epoch: connections numbered up to it exist already (read it when dispatching). */
export function connectionEpoch(): number {
  return connectionSeq;
}

/**
 * True when `err` closed a pooled connection that was opened at or before `epoch`, i.e. a connection reused by
 * the request dispatched at `epoch`. Call it after the handler's `onError` has returned (a microtask later): the
 * 'disconnect' that carries the connection comes right after.
 */
export function closedReusedConnection(err: unknown, epoch: number): boolean {
  if (err === null || typeof err !== 'object') return false;
  const seq = closedOpenedAs.get(err);
  return seq !== undefined && seq <= epoch;
}

/**
 * Keep-alive connection pools, one undici `Pool` per upstream origin and connection settings, shared by
 * every service that targets that origin. Services `acquire` a lease per server and release it on close;
 * a pool nobody holds any more is closed gracefully (in-flight requests finish), so servers that leave
 * the catalog do not leak sockets. The node:http agents serve the requests undici cannot carry
 * (`Expect: 100-continue`, protocol upgrades).
 *
 * @example
 * const pools = new PoolRegistry();
 * const lease = pools.acquire('http://127.0.0.1:8080');
 * lease.pool.dispatch({ path: '/', method: 'GET' }, handler);
 * lease.release();
 * await pools.close();
 */
export class PoolRegistry {
  #slots = new Map<string, Slot>();
  #h2 = new Map<string, H2Slot>();
  #httpAgent: HttpAgent | undefined;
  #httpsAgent: HttpsAgent | undefined;
  #closing: Promise<void> | undefined;

  /** Number of live pools (for tests and the API). */
  get size(): number {
    return this.#slots.size + this.#h2.size;
  }

  /**
   * A lease on the HTTP/1.1 pool for `origin` ("http://host:port" or "https://host:port") made with `transport`
   * (TLS options, timeouts, connection reuse; default: Traefik's `default@internal`). Services whose transports
   * have the same `key` share the pool.
   * @throws {Error} after `close()`.
   */
  acquire(origin: string, transport: UpstreamTransport = DEFAULT_TRANSPORT): PoolLease {
    if (this.#closing) throw new Error('PoolRegistry is closed: a service was built after the gateway started shutting down');
    const key = `${origin} ${transport.key}`;
    let slot = this.#slots.get(key);
    if (!slot) {
      const pool = createH1Pool(origin, transport);
      pool.on('connect', onPoolConnect).on('disconnect', onPoolDisconnect);
      slot = { pool, refs: 0 };
      this.#slots.set(key, slot);
    }
    slot.refs++;
    const held = slot;
    let released = false;
    return {
      pool: held.pool,
      release: () => {
        if (released) return;
        released = true;
        if (--held.refs > 0 || this.#slots.get(key) !== held) return;
        this.#slots.delete(key);
        held.pool.close().catch(() => { /* already destroyed: nothing left to close */ });
      },
    };
  }

  /**
   * A lease on the HTTP/2 sessions to `url`'s server (`h2c://host:port` or `https://host:port`) made with
   * `transport`. Shared like `acquire`; the last release closes the sessions gracefully.
   * @throws {Error} after `close()`.
   */
  acquireH2(url: URL, transport: UpstreamTransport = DEFAULT_TRANSPORT): H2Lease {
    if (this.#closing) throw new Error('PoolRegistry is closed: a service was built after the gateway started shutting down');
    const key = `${url.protocol}//${url.host} ${transport.key}`;
    let slot = this.#h2.get(key);
    if (!slot) {
      slot = { pool: new H2Pool(url, transport), refs: 0 };
      this.#h2.set(key, slot);
    }
    slot.refs++;
    const held = slot;
    let released = false;
    return {
      h2: held.pool,
      release: () => {
        if (released) return;
        released = true;
        if (--held.refs > 0 || this.#h2.get(key) !== held) return;
        this.#h2.delete(key);
        held.pool.close();
      },
    };
  }

  /** Keep-alive node:http(s) agent for requests undici cannot carry. */
  agent(protocol: string): HttpAgent {
    if (protocol === 'https:') return (this.#httpsAgent ??= new HttpsAgent({ keepAlive: true }));
    return (this.#httpAgent ??= new HttpAgent({ keepAlive: true }));
  }

  /** Closes every pool gracefully and destroys the agents. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    const pools = [...this.#slots.values()].map((s) => s.pool);
    this.#slots.clear();
    for (const s of this.#h2.values()) s.pool.close();
    this.#h2.clear();
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }
}
