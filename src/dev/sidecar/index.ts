/**
 * A stand-in for a Connect sidecar (Envoy in a Nomad task group): a TLS listener that requires a client certificate
 * from the mesh CA, presents its service's leaf, applies an intentions table to the client's SPIFFE ID, and passes
 * allowed requests to the local application over HTTP with Envoy's `x-forwarded-client-cert` header. Its leaf and
 * trusted roots follow devcatalog's CA (rotation included) the moment it changes, as Envoy's do over xDS.
 *
 * For tests and `tagway demo` only: it is the mesh's side of the wire, never part of the gateway.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { DevConnectCA } from '../devcatalog/types.ts';

/** One row of Consul's intentions: `source` → this service, allowed or denied. `*` matches any source. */
export interface Intention { source: string; action: 'allow' | 'deny' }

export interface SidecarOptions {
  /** The mesh CA (devcatalog's `connect`): the sidecar's leaf and the roots it trusts. */
  ca: DevConnectCA;
  /** The service this sidecar fronts (its identity). */
  service: string;
  /** The application behind it, e.g. "http://127.0.0.1:8080". */
  upstream: string;
  /**
   * Consul's precedence: an exact source before `*`; no match falls to `defaultAllow` (Consul's default with ACLs
   * off: allow).
   */
  intentions?: Intention[];
  defaultAllow?: boolean;
  /**
   * How a denied client learns it: `http` (an L7 service: Envoy's RBAC filter answers 403 "RBAC: access denied") or
   * `tcp` (an L4 service: the connection is closed right after the handshake).
   */
  protocol?: 'http' | 'tcp';
  /** Present this certificate instead of the service's leaf (tests: another identity, a foreign CA). */
  present?: { certPem: string; keyPem: string };
  /** Trust these roots instead of the CA's (tests). */
  trust?: string[];
}

export interface SidecarStats {
  /** Completed mTLS handshakes. */
  handshakes: number;
  /** Failed handshakes (a client without a certificate the roots verify). */
  refusedHandshakes: number;
  /** Requests or connections refused by an intention. */
  denied: number;
  /** SPIFFE IDs of the clients seen, in order of first appearance. */
  clients: string[];
  /** Serial numbers (hex) of the client certificates seen, in order of first appearance. */
  clientSerials: string[];
}

export interface Sidecar {
  /** "127.0.0.1:PORT": register it as the sidecar service's address and port. */
  readonly address: string;
  readonly port: number;
  /** The SPIFFE ID it presents (its service's unless `present` says otherwise). */
  identity(): string;
  setIntentions(intentions: Intention[], defaultAllow?: boolean): void;
  stats(): SidecarStats;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * @example
 * const sc = await startSidecar({ ca: dc.connect, service: 'web', upstream: app.url, intentions: [{ source: 'traefik', action: 'allow' }], defaultAllow: false });
 * dc.register({ Name: 'web', Port: app.port, Connect: { SidecarService: { Port: sc.port } } });
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const { ca, service } = options;
  let intentions = options.intentions ?? [];
  let defaultAllow = options.defaultAllow ?? true;
  const protocol = options.protocol ?? 'http';
  const stats: SidecarStats = { handshakes: 0, refusedHandshakes: 0, denied: 0, clients: [], clientSerials: [] };
  let leaf = options.present ?? ca.issue(service);

  const context = (): tls.SecureContextOptions => ({
    cert: leaf.certPem, key: leaf.keyPem, ca: options.trust ?? ca.rootsPem(),
  });
  const server = tls.createServer({ ...context(), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] });
  const unsubscribe = ca.onChange(function follow(what) {
    if (what === 'leaf' && !options.present) leaf = ca.issue(service);
    server.setSecureContext(context());
  });

  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true });
  const app = http.createServer({ keepAliveTimeout: 0 }, function forwardToApp(req, res) {
    const socket = req.socket as tls.TLSSocket;
    const client = clientId(socket);
    if (!allowed(client)) {
      stats.denied++;
      // Envoy's RBAC filter: 403, text/plain, this body.
      res.writeHead(403, { 'content-type': 'text/plain', 'content-length': '19' }).end('RBAC: access denied');
      return;
    }
    const headers = { ...req.headers, 'x-forwarded-client-cert': `By=${spiffe(leaf.certPem)};URI=${client}` };
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(503).end('upstream connect error'); else res.destroy(); });
    req.pipe(up);
  });

  server.on('secureConnection', function admit(socket: tls.TLSSocket) {
    stats.handshakes++;
    const client = clientId(socket);
    if (!stats.clients.includes(client)) stats.clients.push(client);
    const serial = socket.getPeerCertificate()?.serialNumber ?? '';
    if (serial && !stats.clientSerials.includes(serial)) stats.clientSerials.push(serial);
    if (protocol === 'tcp' && !allowed(client)) {
      stats.denied++;
      socket.destroy(); // Envoy's RBAC network filter closes the connection
      return;
    }
    app.emit('connection', socket);
  });
  server.on('tlsClientError', (_err, socket) => { stats.refusedHandshakes++; socket.destroy(); });

  function allowed(client: string): boolean {
    const source = /\/svc\/([^/]+)$/.exec(client)?.[1] ?? '';
    const exact = intentions.find((i) => i.source === source);
    const wildcard = intentions.find((i) => i.source === '*');
    const rule = exact ?? wildcard;
    return rule ? rule.action === 'allow' : defaultAllow;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: tls.TLSSocket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${port}`,
    port,
    identity: () => spiffe(leaf.certPem),
    setIntentions(list, allow) {
      intentions = list;
      if (allow !== undefined) defaultAllow = allow;
    },
    stats: () => ({ ...stats, clients: [...stats.clients], clientSerials: [...stats.clientSerials] }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        unsubscribe();
        agent.destroy();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}

function clientId(socket: tls.TLSSocket): string {
  const cert = socket.getPeerCertificate();
  return (cert?.subjectaltname ?? '').split(/,\s*/).find((s) => s.startsWith('URI:'))?.slice(4) ?? '';
}

function spiffe(certPem: string): string {
  return (new X509Certificate(certPem).subjectAltName ?? '').split(/,\s*/).find((s) => s.startsWith('URI:'))?.slice(4) ?? '';
}
