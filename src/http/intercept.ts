import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * What an interceptor sees of a response written to `ctx.res` by whatever runs inside it (the forwarder,
 * `respond`, another middleware): the head, each body chunk, the end. Nothing reaches the client until the
 * interceptor calls `release()` and writes through the returned `ServerResponse` itself.
 */
export interface ResponseTap {
  head(status: number, headers: OutgoingHttpHeaders): void;
  /** Returning false makes `res.write` return false: the writer waits for a 'drain' the tap emits on `res`. */
  data(chunk: Buffer): boolean | void;
  end(): void;
  /** When set, `res.addTrailers` comes here too (the forwarder relays upstream trailers with it). */
  trailers?(trailers: OutgoingHttpHeaders): void;
}

type Patched = ServerResponse & { writeHead: unknown; write: unknown; end: unknown; flushHeaders: unknown; addTrailers: unknown };

/**
 * Takes over `res.writeHead`, `res.write`, `res.end` and `res.flushHeaders` on this one response object (Traefik's
 * middlewares wrap the `http.ResponseWriter` for the same purpose: customerrors' codeCatcher, buffering, failover).
 * Writes are accepted at once unless `data` returns false (then the tap emits 'drain' on `res` when it can take
 * more, as a socket would), so a tap must bound what it keeps or push back. `release()` gives the
 * response back (idempotent); until then `res.headersSent` stays false, so whatever runs next may answer.
 *
 * @example
 * const release = tapResponse(ctx.res, { head(s, h) { ... }, data(c) { ... }, end() { release(); ctx.res.end(); } });
 */
export function tapResponse(res: ServerResponse, tap: ResponseTap): () => void {
  const r = res as Patched;
  let released = false;
  // A tap inside another (errors or contentType inside buffering) hands the response back to the outer tap, not
  // past it to the client: what was there before is put back on release.
  const own = r as unknown as Record<string, unknown>;
  const before = TAPPED.map((name) => Object.getOwnPropertyDescriptor(own, name));
  r.writeHead = function tappedWriteHead(status: number, a?: unknown, b?: unknown): ServerResponse {
    const headers = (typeof a === 'object' && a !== null ? a : typeof b === 'object' && b !== null ? b : {}) as OutgoingHttpHeaders;
    tap.head(status, Array.isArray(headers) ? pairs(headers as unknown as string[]) : headers);
    return res;
  };
  r.flushHeaders = function tappedFlushHeaders(): void { /* held until released */ };
  r.write = function tappedWrite(chunk: unknown, a?: unknown, b?: unknown): boolean {
    const bytes = toBuffer(chunk, typeof a === 'string' ? a as BufferEncoding : undefined);
    const more = bytes.length === 0 || tap.data(bytes) !== false;
    const cb = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    if (cb) queueMicrotask(() => (cb as () => void)());
    return more;
  };
  r.end = function tappedEnd(chunk?: unknown, a?: unknown, b?: unknown): ServerResponse {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      const bytes = toBuffer(chunk, typeof a === 'string' ? a as BufferEncoding : undefined);
      if (bytes.length > 0) tap.data(bytes);
    }
    tap.end();
    return res;
  };
  if (tap.trailers !== undefined) {
    const onTrailers = tap.trailers;
    r.addTrailers = function tappedAddTrailers(t: OutgoingHttpHeaders): void { onTrailers(t); };
  }
  return function release(): void {
    if (released) return;
    released = true;
    for (let i = 0; i < TAPPED.length; i++) {
      const previous = before[i];
      if (previous !== undefined) Object.defineProperty(own, TAPPED[i]!, previous);
      else delete own[TAPPED[i]!];
    }
  };
}

const TAPPED = ['writeHead', 'write', 'end', 'flushHeaders', 'addTrailers'] as const;

/**
 * The response's write and end as they are before the caller taps it (the client's, or an outer tap's), for a tap
 * that writes while it still holds the response. Call it before `tapResponse`.
 */
export function writeThrough(res: ServerResponse): { write(chunk: Buffer): boolean; end(): void; writeHead(status: number, headers: OutgoingHttpHeaders): void } {
  const current = res as unknown as { write(this: ServerResponse, chunk: Buffer): boolean; end(this: ServerResponse): void; writeHead(this: ServerResponse, status: number, headers: OutgoingHttpHeaders): void };
  const { write, end, writeHead } = current;
  return {
    write: (chunk) => write.call(res, chunk),
    end: () => { end.call(res); },
    writeHead: (status, headers) => { writeHead.call(res, status, headers); },
  };
}

function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.alloc(0);
}

/** A flat [name, value, name, value…] header list (writeHead's raw form) as an object. */
function pairs(list: string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    const prev = out[name];
    out[name] = prev === undefined ? list[i + 1]! : [...(Array.isArray(prev) ? prev : [String(prev)]), list[i + 1]!];
  }
  return out;
}
