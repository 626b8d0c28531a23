/**
 * The devcatalog listener: a net.Server that admits connections (per-IP limit), hands them to a node:http server,
 * applies the switchable faults, and turns `Reply` values into responses.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionTracker } from './connections.ts';
import { EncodedJSON, handleCall } from './handler.ts';
import type { HandlerEnv, Reply } from './handler.ts';
import { CatalogState } from './state.ts';
import { KvState } from './kv.ts';
import { ConnectCA } from './connect-ca.ts';
import { withDefaults } from './types.ts';
import type { AgentServiceRegistration, CheckStatus, DevCatalog, DevCatalogFaults, DevCatalogOptions, DevCatalogStats } from './types.ts';

const MAX_BODY_BYTES = 1 << 20;
/** How long close() lets released blocking queries write their answer before cutting connections. */
const CLOSE_GRACE_MS = 250;

/**
 * Starts an in-process, Consul-compatible HTTP API on loopback: the real `consul` client cannot tell it from an agent
 * for the endpoints tagway uses (catalog, health, agent service/check registration, blocking queries, ACL tokens).
 *
 * @example
 * const dc = await startDevCatalog({ aclTokens: ['secret'] });
 * dc.register({ Name: 'web', Port: 8080, Tags: ['traefik.enable=true'], Check: { TTL: '30s', Status: 'passing' } });
 * dc.faults.noLeader = true;   // reads now answer 500 "No cluster leader"
 * await dc.close();
 */
export async function startDevCatalog(options?: DevCatalogOptions): Promise<DevCatalog> {
  const o = withDefaults(options);
  const state = new CatalogState(o.datacenter, o.nodeName, o.nodeAddress);
  const kv = new KvState(o.nodeName, options?.sessionTtlMinMs);
  const ca = new ConnectCA(state, o.datacenter);
  const tracker = new ConnectionTracker(o.maxConnsPerClient);
  const closing = new AbortController();
  const parked = new Set<() => void>();
  const inFlight = new Set<Promise<void>>();
  let stats = { requests: 0, byPath: {} as Record<string, number> };
  let parkedQueries = 0;
  let leaderLostAt = 0;

  const faults = new (class Faults implements DevCatalogFaults {
    #noLeader = false;
    #hang = false;
    resetConnections = false;
    delayMs = 0;
    missingIndex = false;
    indexBackwards = false;
    truncateBody = false;
    connectCA = 0;
    get noLeader(): boolean { return this.#noLeader; }
    set noLeader(v: boolean) {
      if (v && !this.#noLeader) leaderLostAt = Date.now();
      this.#noLeader = v;
    }
    get hang(): boolean { return this.#hang; }
    set hang(v: boolean) {
      this.#hang = v;
      if (!v) releaseParked();
    }
    resetIndex(): void { state.resetIndex(); }
  })();

  function releaseParked(): void {
    for (const wake of [...parked]) wake();
  }

  let listenAddress = '';
  const env: HandlerEnv = {
    state, datacenter: o.datacenter, nodeName: o.nodeName,
    aclTokens: o.aclTokens ? new Set(o.aclTokens) : undefined,
    leader: () => ({ known: !faults.noLeader, since: leaderLostAt }),
    httpAddress: () => listenAddress,
    indexFaults: () => ({ missing: faults.missingIndex, backwards: faults.indexBackwards }),
    parked: (delta) => { parkedQueries += delta; },
    ca, connectFault: () => faults.connectCA,
    kv,
  };

  const httpServer = http.createServer();
  // Consul's Go server keeps idle keep-alive connections open; Node's 5 s default would race client reuse.
  httpServer.keepAliveTimeout = 0;
  httpServer.on('request', function onRequest(req, res) {
    const p = serve(req, res).catch(() => { req.socket.destroy(); });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://devcatalog');
    stats.requests++;
    stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1;
    if (closing.signal.aborted || faults.resetConnections) {
      req.socket.destroy();
      return;
    }
    while (faults.hang && !closing.signal.aborted && !req.socket.destroyed) {
      await new Promise<void>((resolve) => {
        const wake = (): void => { parked.delete(wake); req.socket.off('close', wake); resolve(); };
        parked.add(wake);
        req.socket.once('close', wake);
      });
    }
    if (faults.delayMs > 0) await sleep(faults.delayMs, closing.signal);
    if (closing.signal.aborted || req.socket.destroyed) {
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    // One signal per request for "client gone or catalog closing" (AbortSignal.any would keep a listener per request
    // on the long-lived closing signal; this one is removed when the response ends).
    const release = new AbortController();
    const onClosing = (): void => release.abort();
    closing.signal.addEventListener('abort', onClosing, { once: true });
    res.once('close', () => {
      closing.signal.removeEventListener('abort', onClosing);
      release.abort();
    });
    const reply = await handleCall(env, { method: req.method ?? 'GET', url, headers: req.headers, body, release: release.signal });
    if (!res.destroyed) send(res, reply, faults.truncateBody);
  }

  function onConnection(socket: net.Socket): void {
    if (closing.signal.aborted) {
      socket.destroy();
      return;
    }
    if (tracker.admit(socket)) httpServer.emit('connection', socket);
  }
  let netServer: net.Server;
  if (o.tls) {
    const t = o.tls;
    const tlsServer = tls.createServer({
      cert: t.cert, key: t.key, ca: t.ca, requestCert: t.requireClientCert === true, rejectUnauthorized: t.requireClientCert === true,
    });
    tlsServer.on('secureConnection', onConnection);
    // A failed handshake is the client's problem (it sees the TLS error); the listener carries on.
    tlsServer.on('tlsClientError', (_err, socket) => socket.destroy());
    netServer = tlsServer;
  } else {
    netServer = net.createServer(onConnection);
  }
  await new Promise<void>((resolve, reject) => {
    netServer.once('error', reject);
    netServer.listen(o.port, o.host, () => {
      netServer.off('error', reject);
      resolve();
    });
  });
  const addr = netServer.address() as net.AddressInfo;
  const hostPart = net.isIPv6(o.host) ? `[${o.host}]` : o.host;
  listenAddress = `${hostPart}:${addr.port}`;

  let closed: Promise<void> | undefined;
  return {
    url: `${o.tls ? 'https' : 'http'}://${listenAddress}`,
    port: addr.port,
    address: listenAddress,
    register(def: AgentServiceRegistration, node?: { name: string; address: string }): void {
      state.registerService(def, node);
    },
    deregister(id: string): void {
      state.deregisterService(id);
    },
    setCheck(checkId: string, status: CheckStatus, output?: string): void {
      if (!state.updateCheck(checkId, status, output)) throw new Error(`devcatalog: unknown check ID "${checkId}"`);
    },
    setNodeCheck(node: string, status: CheckStatus): void {
      if (!state.setNodeHealth(node, status)) throw new Error(`devcatalog: unknown node "${node}"`);
    },
    faults,
    connect: ca,
    stats(): DevCatalogStats {
      return { requests: stats.requests, byPath: { ...stats.byPath }, openConnections: tracker.open, maxOpenConnections: tracker.maxOpen, parked: parkedQueries };
    },
    resetStats(): void {
      stats = { requests: 0, byPath: {} };
      tracker.resetMax();
    },
    close(): Promise<void> {
      closed ??= (async function closeCatalog() {
        closing.abort();
        releaseParked();
        const netClosed = new Promise<void>((resolve) => netServer.close(() => resolve()));
        // Released blocking queries answer with the current state; give them a moment to be written.
        // The grace timer stays ref'd: close() must finish even when nothing else keeps the process alive.
        await Promise.race([Promise.allSettled([...inFlight]), sleep(CLOSE_GRACE_MS, undefined, true)]);
        tracker.destroyAll();
        httpServer.close(() => {});
        state.dispose();
        kv.dispose();
        await netClosed;
      })();
      return closed;
    },
  };
}

function send(res: http.ServerResponse, reply: Reply, truncate: boolean): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | Buffer = '';
  if (typeof reply.body === 'string' && reply.status >= 400) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    payload = reply.body;
  } else if (reply.body instanceof EncodedJSON) {
    headers['content-type'] = 'application/json';
    payload = reply.body.bytes;
  } else if (reply.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(reply.body);
  }
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  headers['content-length'] = String(bytes.length);
  res.writeHead(reply.status, headers);
  if (truncate && reply.status < 300) {
    res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
    return;
  }
  res.end(bytes);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => reject(new Error('client went away')));
  });
}

/** A sleep (unref'd unless `keepAlive`) that ends early when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal, keepAlive = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    if (!keepAlive) t.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
