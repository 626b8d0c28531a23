/**
 * Per-client-IP connection accounting, as Consul's `limits.http_max_conns_per_client` (default 200): a client
 * past the limit gets a bare 429 written on the socket, which is then closed — the request is never read.
 */
import type { Socket } from 'node:net';

/** Consul answers this, with these words, past the limit. */
const TOO_MANY = 'Your IP is issuing too many concurrent connections, please rate limit your calls\n';
const TOO_MANY_RESPONSE =
  'HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n' +
  `Content-Length: ${Buffer.byteLength(TOO_MANY)}\r\nConnection: close\r\n\r\n${TOO_MANY}`;

export class ConnectionTracker {
  readonly #maxPerClient: number;
  #perIp = new Map<string, number>();
  #sockets = new Set<Socket>();
  #max = 0;

  constructor(maxPerClient: number) {
    this.#maxPerClient = maxPerClient;
  }

  /** Counts the socket in, or answers 429 and closes it. Returns whether the socket may be served. */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? '';
    const n = this.#perIp.get(ip) ?? 0;
    if (n >= this.#maxPerClient) {
      reject(socket);
      return false;
    }
    this.#perIp.set(ip, n + 1);
    this.#sockets.add(socket);
    if (this.#sockets.size > this.#max) this.#max = this.#sockets.size;
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    });
    return true;
  }

  get open(): number { return this.#sockets.size; }
  get maxOpen(): number { return this.#max; }

  /** Restarts the high-water mark from the current count. */
  resetMax(): void { this.#max = this.#sockets.size; }

  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

function reject(socket: Socket): void {
  // Drain whatever the client sends so closing does not turn into a reset before it reads the 429.
  socket.on('error', () => {});
  socket.resume();
  socket.end(TOO_MANY_RESPONSE);
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
