import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer as createH2Server, type Http2Server, type Http2Session } from 'node:http2';
import { Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { MAX_CLIENT_HELLO, parseClientHello, type ClientHello } from '../tls/clienthello.ts';

/**
 * TLS options compiled for handshakes: `server` holds what `tls.Server` needs (versions, ciphers, curves, CAs,
 * ALPN, the default certificate and an SNICallback for the others). The object is immutable and identifies
 * the options set: each entry point keeps one `tls.Server` per such object.
 */
export interface HandshakeOptions {
  name: string;
  server: TlsOptions;
  /** A client certificate must be presented (RequireAnyClientCert, RequireAndVerifyClientCert). */
  requireCert: boolean;
  /** A presented client certificate must verify against the options' CAs. */
  verifyCert: boolean;
}

/** Chooses per ClientHello; `null` refuses the handshake (sniStrict without a certificate for the name). */
export type ChooseHandshake = (hello: ClientHello) => HandshakeOptions | null;

/** What a TLS connection was given, readable from a request's socket (`tlsInfo(req.socket)`). */
export interface TlsInfo { serverName: string; optionsName: string }

const kTlsInfo = Symbol('tagway.tls');

/** The handshake of the connection a request came on (h1 socket or the h2 session's socket), if TLS. */
export function tlsInfo(socket: unknown): TlsInfo | undefined {
  return (socket as { [kTlsInfo]?: TlsInfo } | null)?.[kTlsInfo];
}

export interface EntryPointServers {
  /** The listening socket. */
  listener: NetServer;
  /** HTTP/1.1, cleartext and over TLS (`req.socket.encrypted`). */
  http: HttpServer;
  /** HTTP/2: h2c by prior knowledge and h2 by ALPN. */
  h2: Http2Server;
  /** Open HTTP/2 sessions (closed gracefully on drain). */
  sessions: Set<Http2Session>;
}

export interface EntryPointServerOptions {
  /** `http2.maxConcurrentStreams` (Traefik's default 250). */
  maxConcurrentStreams: number;
  /** How long a connection may take to say what it speaks and finish a TLS handshake (readTimeout; 0: none). */
  handshakeTimeout: number;
  chooseHandshake: ChooseHandshake;
  onError?: (message: string, error?: Error) => void;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * One listener that serves cleartext HTTP/1.1, h2c and TLS (HTTP/1.1 and h2 by ALPN) on the same port, as
 * Traefik does: the first bytes of a connection tell which. The connection is then handed, with those bytes
 * put back, to the `node:http` server (`emit('connection')`, so the cleartext HTTP/1.1 path is Node's own) or to
 * the HTTP/2 server; a TLS connection first goes through a handshake whose certificate and options are chosen
 * from its ClientHello (SNI, ALPN).
 *
 * @example
 * const eps = createEntryPointServers(httpServer, { maxConcurrentStreams: 250, handshakeTimeout: 60_000, chooseHandshake });
 * eps.listener.listen(8443);
 */
export function createEntryPointServers(http: HttpServer, options: EntryPointServerOptions): EntryPointServers {
  const h2 = createH2Server({ settings: { maxConcurrentStreams: options.maxConcurrentStreams } });
  const sessions = new Set<Http2Session>();
  h2.on('session', (session: Http2Session) => { sessions.add(session); session.once('close', () => sessions.delete(session)); });
  const sniffOptions: SniffOptions = { ...options, tlsServers: new WeakMap() };
  const listener = createNetServer({ noDelay: true }, function onConnection(raw) { sniff(raw, http, h2, sniffOptions); });
  // node:http tracks its connections (closeIdleConnections, the requestTimeout/headersTimeout checks) from its
  // own 'listening' event; this server never listens itself, so it hears the listener's.
  listener.once('listening', () => http.emit('listening'));
  return { listener, http, h2, sessions };
}

/** One tls.Server per options set (keys are the immutable options of the current build). */
interface SniffOptions extends EntryPointServerOptions { tlsServers: WeakMap<HandshakeOptions, TlsServer> }

function sniff(raw: Socket, http: HttpServer, h2: Http2Server, options: SniffOptions): void {
  let buffered: Buffer | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (options.handshakeTimeout > 0) {
    timer = setTimeout(() => raw.destroy(), options.handshakeTimeout);
    timer.unref();
  }
  raw.on('error', noop); // a reset before the hand-off is nobody's business
  const handOff = (to: 'http' | 'h2' | 'tls', hello?: ClientHello): void => {
    raw.removeListener('data', onData);
    raw.pause();
    if (buffered) raw.unshift(buffered);
    if (to === 'tls') { handshake(raw, hello!, http, h2, options, timer); return; }
    clearTimeout(timer);
    raw.removeListener('error', noop);
    if (to === 'h2') { h2.emit('connection', raw); return; } // the session takes the buffered bytes itself
    http.emit('connection', raw);
    raw.resume();
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
    if (buffered[0] === 0x16) {
      const hello = parseClientHello(buffered);
      if (hello === undefined) {
        if (buffered.length > MAX_CLIENT_HELLO) raw.destroy();
        return;
      }
      if (hello === null) { raw.destroy(); return; }
      handOff('tls', hello);
      return;
    }
    const n = Math.min(buffered.length, H2_PREFACE.length);
    if (buffered.compare(H2_PREFACE, 0, n, 0, n) !== 0) { handOff('http'); return; }
    if (n === H2_PREFACE.length) handOff('h2');
  };
  raw.on('data', onData);
}

function handshake(raw: Socket, hello: ClientHello, http: HttpServer, h2: Http2Server, options: SniffOptions, timer: NodeJS.Timeout | undefined): void {
  let chosen: HandshakeOptions | null;
  try {
    chosen = options.chooseHandshake(hello);
  } catch (err) {
    options.onError?.('TLS: choosing the certificate failed', err as Error);
    chosen = null;
  }
  if (!chosen) { clearTimeout(timer); raw.destroy(); return; }
  let server = options.tlsServers.get(chosen);
  if (!server) {
    server = tlsServer(chosen, http, h2);
    options.tlsServers.set(chosen, server);
  }
  (raw as Socket & { [kTimer]?: NodeJS.Timeout })[kTimer] = timer;
  // tls.Server's own connection handling: it reads the bytes put back and runs the handshake.
  server.emit('connection', raw);
}

const kTimer = Symbol('tagway.handshakeTimer');

function tlsServer(chosen: HandshakeOptions, http: HttpServer, h2: Http2Server): TlsServer {
  const server = new TlsServer({ ...chosen.server, rejectUnauthorized: false /* decided below, per clientAuthType */ });
  const info = (socket: TLSSocket): TlsInfo => {
    const name = (socket as TLSSocket & { servername?: string | false }).servername;
    return { serverName: typeof name === 'string' ? name.toLowerCase() : '', optionsName: chosen.name };
  };
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => { socket.destroy(); });
  server.on('secureConnection', function secureConnection(socket: TLSSocket) {
    const parent = (socket as TLSSocket & { _parent?: Socket & { [kTimer]?: NodeJS.Timeout } })._parent;
    if (parent) { clearTimeout(parent[kTimer]); parent.removeListener('error', noop); }
    (socket as unknown as Record<symbol, TlsInfo>)[kTlsInfo] = info(socket);
    if (chosen.server.requestCert) {
      const cert = socket.getPeerCertificate();
      const presented = cert !== null && Object.keys(cert).length > 0;
      if ((chosen.requireCert && !presented) || (chosen.verifyCert && presented && !socket.authorized)) { socket.destroy(); return; }
    }
    // A TLS-ALPN-01 validation (RFC 8737 §3) ends with the handshake: no application data follows.
    if (socket.alpnProtocol === 'acme-tls/1') { socket.end(); return; }
    (socket.alpnProtocol === 'h2' ? h2 : http).emit('connection', socket);
  });
  return server;
}

function noop(): void {}
