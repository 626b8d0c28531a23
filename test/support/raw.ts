import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { waitFor } from './wait.ts';

/**
 * A raw TCP client for what `node:http` clients refuse to send (two Host headers, trickled headers,
 * absolute-form targets). Half-open is allowed, so `closed` only resolves once the server really dropped
 * the connection, not when it merely half-closed it.
 */
export interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /**
   * Resolves with ms since connect once the server stopped the connection (its FIN or a reset). Whether it
   * also freed it (rather than half-closing) shows on the server: `openConnections`.
   */
  closed: Promise<number>;
  /** Resolves once `received()` holds a complete response head and its Content-Length body. */
  response(): Promise<RawResponse>;
}

export interface RawResponse { status: number; head: string; headers: Record<string, string>; body: string }

export function rawConnect(t: TestContext, port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const start = Date.now();
    let data = '';
    const waiters: Array<() => void> = [];
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { data += d; for (const w of waiters.splice(0)) w(); });
    socket.on('error', () => { /* a reset is one way of being closed */ });
    const closed = new Promise<number>((r) => {
      const done = (): void => { for (const w of waiters.splice(0)) w(); r(Date.now() - start); };
      socket.once('end', done);
      socket.once('close', done);
    });
    t.after(() => { socket.destroy(); });
    const response = (): Promise<RawResponse> => new Promise((res, rej) => {
      const check = (): void => {
        const parsed = parseResponse(data);
        if (parsed) { res(parsed); return; }
        if (socket.destroyed || socket.readableEnded) { rej(new Error(`connection closed before a full response: ${JSON.stringify(data)}`)); return; }
        waiters.push(check);
      };
      check();
    });
    socket.once('connect', () => { socket.off('error', reject); resolve({ socket, received: () => data, closed, response }); });
    socket.once('error', reject);
  });
}

/** Sends `bytes` on a fresh connection and resolves with the first response. */
export async function rawRequest(t: TestContext, port: number, bytes: string): Promise<RawResponse & { client: RawClient }> {
  const client = await rawConnect(t, port);
  client.socket.write(bytes, 'latin1');
  return { ...(await client.response()), client };
}

function parseResponse(data: string): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = data.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine!.split(' ')[1]);
  const rest = data.slice(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const body = dechunk(rest);
    return body === undefined ? undefined : { status, head, headers, body };
  }
  const length = Number(headers['content-length'] ?? 0);
  if (rest.length < length) return undefined;
  return { status, head, headers, body: rest.slice(0, length) };
}

/** The body of a complete chunked encoding, undefined while incomplete. */
function dechunk(s: string): string | undefined {
  let body = '';
  let at = 0;
  for (;;) {
    const eol = s.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = parseInt(s.slice(at, eol), 16);
    if (size === 0) return s.indexOf('\r\n', eol + 2) === -1 ? undefined : body;
    if (s.length < eol + 2 + size + 2) return undefined;
    body += s.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Port of a URL such as `gateway.url('web')`. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Connections a server holds open (`server.getConnections`). */
export function openConnections(server: { getConnections(cb: (err: Error | null, n: number) => void): void }): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

