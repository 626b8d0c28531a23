import type { Readable } from 'node:stream';
import type { RequestContext } from './context.ts';

/**
 * Reads the request body, at most `max` bytes (-1: no limit); 'tooLarge' past it (the rest is left unread).
 * A body another middleware already read (`ctx.body`) is reused; a stored one (buffering's, partly on disk) is read
 * into memory. A Content-Length above `max` is refused before reading anything. With `keepOnTooLarge` the bytes
 * read are put back into the request stream (mirroring: the main service still gets the whole body).
 */
export function readBody(ctx: RequestContext, max: number, done: (err: 'tooLarge' | string | undefined, body: Buffer) => void, options: { keepOnTooLarge?: boolean } = {}): void {
  const read = ctx.body;
  if (read !== undefined) {
    if (max >= 0 && read.length > max) done('tooLarge', Buffer.alloc(0));
    else if (Buffer.isBuffer(read)) done(undefined, read);
    else collect(read.reader(), done);
    return;
  }
  const req = ctx.req;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (max >= 0 && Number.isFinite(declared) && declared > max) { done('tooLarge', Buffer.alloc(0)); return; }
  if (req.readableEnded) { done(undefined, Buffer.alloc(0)); return; }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  function onData(chunk: Buffer): void {
    size += chunk.length;
    if (max >= 0 && size > max) {
      over = true;
      cleanup();
      req.pause();
      if (options.keepOnTooLarge) req.unshift(Buffer.concat([...chunks, chunk]));
      done('tooLarge', Buffer.alloc(0));
      return;
    }
    chunks.push(chunk);
  }
  function onEnd(): void { cleanup(); if (!over) done(undefined, Buffer.concat(chunks, size)); }
  function onError(err: Error): void { cleanup(); done(err.message, Buffer.alloc(0)); }
  function cleanup(): void { req.off('data', onData); req.off('end', onEnd); req.off('error', onError); }
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/** Reads a whole stream into one buffer. */
function collect(stream: Readable, done: (err: string | undefined, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => { chunks.push(chunk); size += chunk.length; });
  stream.once('end', () => done(undefined, Buffer.concat(chunks, size)));
  stream.once('error', (err: Error) => done(err.message, Buffer.alloc(0)));
}

/** What the middlewares inside may change on the context; restored before each new attempt (retry, buffering, failover). */
export interface ContextSnapshot {
  path: string;
  rawQuery: string;
  headers: RequestContext['headers'];
  strippedPrefix: string | undefined;
  onResponseHead: RequestContext['onResponseHead'];
  responseTransforms: RequestContext['responseTransforms'];
}

export function snapshotContext(ctx: RequestContext): ContextSnapshot {
  return {
    path: ctx.path, rawQuery: ctx.rawQuery, headers: Object.assign({}, ctx.headers), strippedPrefix: ctx.strippedPrefix,
    onResponseHead: ctx.onResponseHead?.slice(), responseTransforms: ctx.responseTransforms?.slice(),
  };
}

export function restoreContext(ctx: RequestContext, s: ContextSnapshot): void {
  ctx.path = s.path;
  ctx.rawQuery = s.rawQuery;
  ctx.headers = Object.assign({}, s.headers);
  ctx.strippedPrefix = s.strippedPrefix;
  ctx.onResponseHead = s.onResponseHead?.slice();
  ctx.responseTransforms = s.responseTransforms?.slice();
}
