import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Abort } from './abort.ts';
import type { ClientTlsOptions } from './send.ts';
import { isDigits } from '../../util/digits.ts';

/** What the collector answered to one POST. */
export interface CollectorAnswer {
  status: number;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body, when it arrived whole and within the size the caller allows (undefined otherwise). */
  body: Buffer | undefined;
}

/** A transport failure, coded as node:net and node:http code theirs (ECONNRESET, HPE_…) so callers classify both alike. */
export class CollectorConnectionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CollectorConnectionError';
    this.code = code;
  }
}

/** A head larger than this is refused (node:http's default maxHeaderSize). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Idle keep-alive connections kept for the next POST. */
const MAX_IDLE = 2;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values as node:http accepts them: tab, visible ASCII, obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * POSTs export bodies to one OTLP/HTTP collector over keep-alive HTTP/1.1 connections of its own (TLS when the URL
 * is https). Why not node:http's client: an exporter posts a few dozen times a second, too rarely for V8 to
 * optimize node:http's client code (ClientRequest, the agent, IncomingMessage, the parser's callbacks), and a
 * 512-span POST cost ~0.5 ms of CPU there, taken from the serving loop on a one-core gateway. This client writes the
 * request head it prepared once with the body (in pieces, writeInPieces), and reads the answer with the small parser
 * below: ~0.1 ms per POST (README, tracing). It does what an OTLP exporter needs of HTTP/1.1: status, headers,
 * bodies framed by Content-Length, chunked or the connection's end, 1xx answers skipped, `Connection: close`
 * honoured, and a reused connection the collector closed meanwhile tried again once on a new one.
 *
 * @example
 * const client = new CollectorClient(new URL('http://127.0.0.1:4318/v1/traces'), { 'content-type': 'application/x-protobuf' });
 * const answer = await client.post(body, new Abort().timeout(10_000, () => new Error('deadline')), 64 * 1024); // { status: 200, headers, body }
 * client.close();
 */
export class CollectorClient {
  readonly #url: URL;
  readonly #tls: ClientTlsOptions | undefined;
  /** The request head up to the body's length: `POST … HTTP/1.1`, host, the caller's headers, `content-length: `. */
  readonly #head: string;
  readonly #idle: Connection[] = [];
  readonly #open = new Set<Connection>();

  /** `tls` for https URLs (ignored for http). Throws on a header node:http would refuse. */
  constructor(url: URL, headers: Record<string, string>, tls?: ClientTlsOptions) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`OTLP/HTTP endpoint must be http or https: ${url.href}`);
    this.#url = url;
    this.#tls = url.protocol === 'https:' ? tls ?? { rejectUnauthorized: true } : undefined;
    let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      if (!TOKEN.test(name)) throw new Error(`invalid OTLP header name ${JSON.stringify(name)}`);
      const lower = name.toLowerCase();
      if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue; // ours
      if (!FIELD_VALUE.test(value)) throw new Error(`invalid character in the value of OTLP header ${JSON.stringify(name)}`);
      head += `${name}: ${value}\r\n`;
    }
    this.#head = `${head}content-length: `;
  }

  /**
   * Posts `body` and resolves with the answer; rejects with the socket's error, a CollectorConnectionError, or
   * `signal`'s reason once it aborts (the connection is then destroyed). An answer body above `maxAnswerBytes` is
   * not kept (body undefined) and its connection not reused.
   */
  async post(body: Uint8Array, signal: Abort, maxAnswerBytes: number): Promise<CollectorAnswer> {
    const reused = this.#idle.pop();
    try {
      return await this.#exchange(reused ?? this.#connect(), body, signal, maxAnswerBytes);
    } catch (error) {
      // a kept connection the collector closed while it waited: nothing was answered, try once on a new one
      if (reused === undefined || signal.aborted || !(error instanceof StaleConnection)) throw unwrap(error);
      return await this.#exchange(this.#connect(), body, signal, maxAnswerBytes); // a new connection is never stale
    }
  }

  /** Destroys every connection (exchanges in flight fail). */
  close(): void {
    for (const c of this.#open) c.socket.destroy();
    this.#open.clear();
    this.#idle.length = 0;
  }

  #connect(): Connection {
    const url = this.#url;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const tls = this.#tls;
    const socket = tls === undefined
      ? netConnect({ host, port })
      : tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ALPNProtocols: ['http/1.1'], ...tls });
    socket.setNoDelay(true);
    const connection = new Connection(socket, (c) => this.#forget(c));
    this.#open.add(connection);
    return connection;
  }

  #forget(c: Connection): void {
    this.#open.delete(c);
    const i = this.#idle.indexOf(c);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  #exchange(c: Connection, body: Uint8Array, signal: Abort, maxAnswerBytes: number): Promise<CollectorAnswer> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) { this.#release(c, false); reject(signal.reason); return; }
      const off = signal.onAbort((reason) => { c.abandon(); reject(reason); });
      const written = writeInPieces(c.socket, `${this.#head}${body.byteLength}\r\n\r\n`, body);
      c.start(new AnswerParser(maxAnswerBytes), (error, answer, keepAlive) => {
        off();
        if (error !== undefined) { reject(error); return; }
        // answered before the whole body went out (a refusal): the rest must not follow a later request on it
        this.#release(c, keepAlive && written());
        resolve(answer!);
      });
    });
  }

  /** Back to the idle list when the answer allows it, else closed. */
  #release(c: Connection, keepAlive: boolean): void {
    if (keepAlive && !c.socket.destroyed && this.#open.has(c) && this.#idle.length < MAX_IDLE) { this.#idle.push(c); return; }
    c.socket.destroy();
  }
}

/** The most of a body written to the socket in one turn of the event loop (writeInPieces). */
export const WRITE_PIECE_BYTES = 32 * 1024;

/**
 * Writes `head` and `body` to `socket`, at most WRITE_PIECE_BYTES of the body per turn of the event loop (the head
 * with the first piece, in one write); stops once the socket is destroyed. Returns whether the whole body has been
 * handed to the socket. Why pieces: the gateway posts from its serving loop, and one write of a 512-span batch
 * (~190 KB) held that loop for the whole copy into the kernel, which on a collector at 127.0.0.1 (a node's agent) also
 * runs the receiving side of loopback TCP: ~80 µs at once, in the middle of the requests in flight. In 32 KB pieces
 * each turn pays ~15 µs and requests are served between them (bench/run.ts A/B against the export thread, README).
 */
export function writeInPieces(socket: Socket, head: string, body: Uint8Array, piece = WRITE_PIECE_BYTES): () => boolean {
  let at = Math.min(piece, body.byteLength);
  socket.cork();
  socket.write(head, 'latin1');
  socket.write(at === body.byteLength ? body : body.subarray(0, at));
  socket.uncork();
  const next = (): void => {
    if (socket.destroyed) return;
    const end = Math.min(at + piece, body.byteLength);
    socket.write(body.subarray(at, end));
    at = end;
    if (at < body.byteLength) setImmediate(next);
  };
  if (at < body.byteLength) setImmediate(next);
  return () => at === body.byteLength;
}

/** The failure of an exchange on a reused connection that was closed before any byte of an answer. */
class StaleConnection extends Error {
  readonly error: Error;
  constructor(error: Error) { super(error.message); this.error = error; }
}

function unwrap(error: unknown): unknown {
  return error instanceof StaleConnection ? error.error : error;
}

type Done = (error: Error | undefined, answer: CollectorAnswer | undefined, keepAlive: boolean) => void;

/** One socket and the exchange running on it; idle, any byte or close from the collector ends the connection. */
class Connection {
  readonly socket: Socket;
  #parser: AnswerParser | undefined;
  #done: Done | undefined;
  /** This socket has carried an exchange before the current one. */
  #used = false;

  constructor(socket: Socket, forget: (c: Connection) => void) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const parser = this.#parser;
      if (parser === undefined) { socket.destroy(); return; } // nothing was asked
      let finished: boolean;
      try {
        finished = parser.feed(chunk);
      } catch (error) {
        this.#finish(error as Error);
        socket.destroy();
        return;
      }
      if (finished) this.#finish(undefined);
    });
    socket.on('error', (error) => { this.#fail(error); });
    socket.on('close', () => {
      forget(this);
      this.#fail(new CollectorConnectionError('ECONNRESET', 'socket hang up'));
    });
    // the collector ending its side: an answer read to the end is complete, anything else a hang-up
    socket.on('end', () => { if (this.#parser?.endOfInput() === true) this.#finish(undefined); socket.destroy(); });
  }

  start(parser: AnswerParser, done: Done): void {
    this.#parser = parser;
    this.#done = done;
  }

  /** The caller gave up (deadline): no answer will be read. */
  abandon(): void {
    this.#parser = undefined;
    this.#done = undefined;
    this.socket.destroy();
  }

  #fail(error: Error): void {
    const parser = this.#parser;
    if (parser === undefined) return;
    this.#finish(this.#used && !parser.started ? new StaleConnection(error) : error);
  }

  #finish(error: Error | undefined): void {
    const parser = this.#parser!;
    const done = this.#done!;
    this.#parser = undefined;
    this.#done = undefined;
    this.#used = true;
    if (error !== undefined) { done(error, undefined, false); return; }
    done(undefined, { status: parser.status, headers: parser.headers, body: parser.body() }, parser.keepAlive);
  }
}

/** Where the parser is in an answer. */
const State = { Head: 0, Length: 1, ChunkSize: 2, ChunkData: 3, ChunkEnd: 4, Trailers: 5, UntilClose: 6, Done: 7 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Reads one HTTP/1.1 answer from the bytes fed to it: status line and headers (1xx answers skipped), then the body
 * by Content-Length, chunked coding, or the connection's end. Malformed input throws a CollectorConnectionError
 * coded as node:http's parser codes it (HPE_…).
 */
export class AnswerParser {
  status = 0;
  headers: Record<string, string> = {};
  keepAlive = false;
  /** A byte of the answer arrived. */
  started = false;
  readonly #maxBody: number;
  #state: State = State.Head;
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  readonly #chunks: Buffer[] = [];
  #bodyBytes = 0;
  #tooLarge = false;

  constructor(maxBody: number) { this.#maxBody = maxBody; }

  /** Takes the next bytes; true once the answer is complete (bytes after it are ignored). */
  feed(chunk: Buffer): boolean {
    this.started = true;
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      switch (this.#state) {
        case State.Head: {
          const head = this.#take('\r\n\r\n', 'HPE_HEADER_OVERFLOW', 'collector answer head too large');
          if (head === undefined) return false;
          this.#readHead(head);
          break;
        }
        case State.Length:
        case State.ChunkData: { // `remaining` bytes of the body, then the end or the chunk's CRLF
          const n = Math.min(this.#remaining, this.#pending.length);
          this.#keep(this.#pending.subarray(0, n));
          this.#pending = this.#pending.subarray(n);
          this.#remaining -= n;
          if (this.#remaining > 0) return false;
          this.#state = this.#state === State.Length ? State.Done : State.ChunkEnd;
          break;
        }
        case State.ChunkSize:
        case State.Trailers:
        case State.ChunkEnd: {
          const line = this.#take('\r\n', 'HPE_INVALID_CHUNK_SIZE', 'collector answer: chunk line too long');
          if (line === undefined) return false;
          if (this.#state === State.ChunkEnd) {
            if (line !== '') throw new CollectorConnectionError('HPE_STRICT', 'collector answer: chunk not followed by CRLF');
            this.#state = State.ChunkSize;
          } else if (this.#state === State.Trailers) {
            if (line === '') this.#state = State.Done;
          } else {
            const semicolon = line.indexOf(';');
            const size = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
            if (size.length === 0 || size.length > 12 || !Number.isInteger(parseInt(size, 16)) || /[^0-9a-fA-F]/.test(size)) throw new CollectorConnectionError('HPE_INVALID_CHUNK_SIZE', `collector answer: bad chunk size ${JSON.stringify(size)}`);
            this.#remaining = parseInt(size, 16);
            this.#state = this.#remaining === 0 ? State.Trailers : State.ChunkData;
          }
          break;
        }
        case State.UntilClose:
          this.#keep(this.#pending);
          this.#pending = Buffer.alloc(0);
          return false;
        case State.Done:
          return true;
      }
    }
  }

  /** The connection ended: true when that completes the answer (a body read to the end). */
  endOfInput(): boolean {
    if (this.#state !== State.UntilClose) return this.#state === State.Done;
    this.#state = State.Done;
    return true;
  }

  /** The body, when complete and not too large. */
  body(): Buffer | undefined {
    if (this.#tooLarge || this.#chunks.length === 0) return undefined;
    return this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
  }

  /** The pending bytes before `separator`, taken out with it; undefined until it arrives (past MAX_HEAD_BYTES: throws `code`). */
  #take(separator: string, code: string, tooLong: string): string | undefined {
    const end = this.#pending.indexOf(separator, 0, 'latin1');
    if (end === -1) {
      if (this.#pending.length > MAX_HEAD_BYTES) throw new CollectorConnectionError(code, tooLong);
      return undefined;
    }
    const text = this.#pending.toString('latin1', 0, end);
    this.#pending = this.#pending.subarray(end + separator.length);
    return text;
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0 || this.#tooLarge) return;
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > this.#maxBody) { this.#tooLarge = true; this.#chunks.length = 0; this.keepAlive = false; return; }
    this.#chunks.push(Buffer.from(bytes)); // a copy: the socket's chunk may be a slice of a larger pooled buffer
  }

  #readHead(head: string): void {
    // plain string work, no regular expressions: this runs a few dozen times a second, never hot enough to be optimized
    const lineEnd = head.indexOf('\r\n');
    const statusLine = lineEnd === -1 ? head : head.slice(0, lineEnd);
    const minor = statusLine.charCodeAt(7);
    const status = Number(statusLine.slice(9, 12));
    if (!statusLine.startsWith('HTTP/1.') || (minor !== 0x30 && minor !== 0x31) || statusLine.charCodeAt(8) !== 0x20
      || !Number.isInteger(status) || status < 100 || status > 999 || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20)) {
      throw new CollectorConnectionError('HPE_INVALID_CONSTANT', `collector answer: bad status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    }
    const headers: Record<string, string> = {};
    for (let at = lineEnd; at !== -1;) {
      const next = head.indexOf('\r\n', at + 2);
      const line = head.slice(at + 2, next === -1 ? head.length : next);
      at = next;
      const colon = line.indexOf(':');
      if (colon <= 0 || line.charCodeAt(colon - 1) === 0x20 || line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09) {
        throw new CollectorConnectionError('HPE_INVALID_HEADER_TOKEN', `collector answer: bad header line ${JSON.stringify(line.slice(0, 80))}`);
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = headers[name];
      headers[name] = seen === undefined ? value : `${seen}, ${value}`;
    }
    if (status === 101) throw new CollectorConnectionError('HPE_UNEXPECTED_UPGRADE', 'collector answer: 101 Switching Protocols to a POST');
    if (status < 200) return; // 100 Continue, 103 Early Hints…: the final answer follows
    this.status = status;
    this.headers = headers;
    const connection = headers.connection === undefined ? [] : tokens(headers.connection);
    this.keepAlive = minor === 0x31 ? !connection.includes('close') : connection.includes('keep-alive');
    const coding = headers['transfer-encoding'];
    const length = headers['content-length'];
    if (status === 204 || status === 304) {
      this.#state = State.Done;
    } else if (coding !== undefined) {
      const chunked = tokens(coding).pop() === 'chunked';
      this.#state = chunked ? State.ChunkSize : State.UntilClose;
      if (!chunked) this.keepAlive = false;
    } else if (length !== undefined) {
      const values = tokens(length);
      const only = values[0]!;
      if (values.some((v) => v !== only) || !isDigits(only) || only.length > 15) {
        throw new CollectorConnectionError('HPE_UNEXPECTED_CONTENT_LENGTH', `collector answer: bad content-length ${JSON.stringify(length)}`);
      }
      this.#remaining = Number(only);
      this.#state = this.#remaining === 0 ? State.Done : State.Length;
    } else {
      this.#state = State.UntilClose;
      this.keepAlive = false;
    }
  }
}

/** A comma-separated header value's items, trimmed and lower-cased. */
function tokens(value: string): string[] {
  return value.split(',').map((v) => v.trim().toLowerCase());
}

