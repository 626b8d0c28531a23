import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tlsConnectOptions, type UpstreamTransport } from './transport.ts';
import { refusedConnection } from './mesh.ts';

/** What a caller gets: a session to open its stream on, 'h1' (the TLS server chose HTTP/1.1 by ALPN), or an error. */
export type H2Pick = (err: Error | undefined, session: ClientHttp2Session | 'h1' | undefined) => void;

interface Entry {
  session: ClientHttp2Session;
  /** Streams open on it. */
  active: number;
  /** Ready for new streams (connected, no GOAWAY, not closing). */
  usable: boolean;
  idle: NodeJS.Timeout | undefined;
  /** Carried at least one stream. */
  served: boolean;
}

/**
 * HTTP/2 sessions to one server, made with one transport: `h2c` (prior knowledge) or `https` with ALPN `h2`,
 * `http/1.1`. Streams share a session up to the peer's `maxConcurrentStreams`, then a new session opens; a
 * session with no stream closes after `idleConnTimeout` (immediately when `maxIdleConnsPerHost` < 0, and idle
 * sessions beyond `maxIdleConnsPerHost` close at once). A GOAWAY or a socket error retires a session; streams
 * in flight on it finish or fail on their own. When a TLS server picks `http/1.1`, the pool remembers it and
 * answers 'h1' from then on (the caller uses its HTTP/1.1 pool), as Go negotiates per connection.
 *
 * @example
 * const h2 = new H2Pool(new URL('h2c://10.0.0.7:50051'), transport);
 * h2.pick((err, s) => { if (s && s !== 'h1') s.request({ ':method': 'POST', ':path': '/pkg.Svc/Call' }); });
 */
export class H2Pool {
  readonly #authority: string;
  readonly #url: URL;
  readonly #transport: UpstreamTransport;
  readonly #secure: boolean;
  #entries: Entry[] = [];
  #waiting: H2Pick[] = [];
  #connecting = false;
  #protocol: 'h2' | 'h1' | undefined;
  #closed = false;

  constructor(url: URL, transport: UpstreamTransport) {
    this.#secure = url.protocol === 'https:';
    this.#url = url;
    this.#authority = `${this.#secure ? 'https' : 'http'}://${url.host}`;
    this.#transport = transport;
  }

  /** 'h1' once a TLS server chose HTTP/1.1; 'h2' once it chose h2; undefined before the first connection. */
  get protocol(): 'h2' | 'h1' | undefined {
    return this.#secure ? this.#protocol : 'h2';
  }

  /** Calls `pick` with a session that has room for one more stream (synchronously when one is ready). */
  pick(pick: H2Pick): void {
    if (this.#closed) { pick(Object.assign(new Error('upstream HTTP/2 pool closed'), { code: 'UND_ERR_CLOSED' }), undefined); return; }
    if (this.#protocol === 'h1') { pick(undefined, 'h1'); return; }
    for (const e of this.#entries) {
      if (e.usable && e.active < maxStreams(e.session)) { pick(undefined, e.session); return; }
    }
    if (!this.#secure) { pick(undefined, this.#open(h2connect(this.#authority, this.#sessionOptions())).session); return; }
    this.#waiting.push(pick);
    if (!this.#connecting) this.#connectTls();
  }

  /** Counts a stream on `session` until it closes (keeps the session out of the idle sweep). */
  track(session: ClientHttp2Session, stream: { once(event: 'close', l: () => void): unknown }): void {
    const e = this.#entries.find((x) => x.session === session);
    if (!e) return;
    e.active++;
    e.served = true;
    if (e.idle) { clearTimeout(e.idle); e.idle = undefined; }
    stream.once('close', () => {
      e.active--;
      if (e.active === 0) this.#onIdle(e);
    });
  }

  /** Closes every session gracefully (streams in flight finish). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#entries) { clearTimeout(e.idle); e.session.close(); }
    this.#entries = [];
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w(Object.assign(new Error('upstream HTTP/2 pool closed'), { code: 'UND_ERR_CLOSED' }), undefined);
  }

  #sessionOptions(): Parameters<typeof h2connect>[1] {
    return { settings: { enablePush: false }, maxSessionMemory: 64 };
  }

  /** TLS first, so that ALPN decides between a session and the HTTP/1.1 pool. */
  #connectTls(): void {
    this.#connecting = true;
    const url = this.#url;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const alpn = this.#transport.http2 ? ['h2', 'http/1.1'] : ['http/1.1'];
    const socket: TLSSocket = tlsConnect({ host, port: Number(url.port || 443), ...tlsConnectOptions(this.#transport, url, alpn) });
    const dial = this.#transport.timeouts.dialTimeout;
    const timer = dial > 0 ? setTimeout(() => socket.destroy(connectTimeout(dial)), dial) : undefined;
    timer?.unref();
    const settle = (err: Error | undefined, session: ClientHttp2Session | 'h1' | undefined): void => {
      clearTimeout(timer);
      this.#connecting = false;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const w of waiting) w(err, session);
    };
    // Consul Connect: a refused sidecar is a 502 naming the identity expected (mesh.ts), as in the HTTP/1.1 pool.
    const mesh = this.#transport.mesh;
    socket.once('error', (err) => settle(mesh ? refusedConnection(mesh, url.host, err) : err, undefined));
    socket.once('secureConnect', () => {
      socket.removeAllListeners('error');
      if (this.#closed) { socket.destroy(); settle(Object.assign(new Error('upstream HTTP/2 pool closed'), { code: 'UND_ERR_CLOSED' }), undefined); return; }
      if (socket.alpnProtocol !== 'h2') {
        this.#protocol = 'h1';
        socket.destroy();
        settle(undefined, 'h1');
        return;
      }
      this.#protocol = 'h2';
      const e = this.#open(h2connect(this.#authority, { ...this.#sessionOptions(), createConnection: () => socket }), false);
      settle(undefined, e.session);
      // Callers beyond this session's room wait for the next one.
    });
  }

  #open(session: ClientHttp2Session, dialTimer = true): Entry {
    const e: Entry = { session, active: 0, usable: true, idle: undefined, served: false };
    this.#entries.push(e);
    const retire = (): void => {
      e.usable = false;
      clearTimeout(e.idle);
      const i = this.#entries.indexOf(e);
      if (i !== -1) this.#entries.splice(i, 1);
    };
    session.on('error', retire);
    session.once('goaway', retire);
    session.once('close', retire);
    const dial = this.#transport.timeouts.dialTimeout;
    if (dialTimer && dial > 0) {
      const timer = setTimeout(() => { retire(); session.destroy(connectTimeout(dial)); }, dial);
      timer.unref();
      session.once('connect', () => clearTimeout(timer));
      session.once('close', () => clearTimeout(timer));
    }
    this.#onIdle(e);
    return e;
  }

  #onIdle(e: Entry): void {
    if (!e.usable) return;
    const max = this.#transport.maxIdleConnsPerHost;
    const surplus = max >= 0 && this.#entries.filter((x) => x.usable && x.active === 0).length > max;
    // No reuse: a session that served its stream closes (a fresh one is about to get its first).
    if ((max < 0 && e.served) || surplus) {
      e.usable = false;
      e.session.close();
      return;
    }
    const idle = this.#transport.timeouts.idleConnTimeout;
    if (idle > 0) {
      e.idle = setTimeout(() => { e.usable = false; e.session.close(); }, idle);
      e.idle.unref();
    }
  }
}

/** The peer's limit on concurrent streams (Node reports 2^32-1 until the peer's SETTINGS arrive). */
function maxStreams(session: ClientHttp2Session): number {
  return session.remoteSettings?.maxConcurrentStreams ?? 100;
}

function connectTimeout(ms: number): Error {
  return Object.assign(new Error(`connecting to the upstream took longer than ${ms}ms (dialTimeout)`), { code: 'UND_ERR_CONNECT_TIMEOUT' });
}
