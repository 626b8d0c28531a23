import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline, type Transform, type Writable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError } from '../http/errors.ts';
import { respond, type RequestContext } from '../http/context.ts';
import type { AttemptObserver } from '../http/hooks.ts';
import { clientGoneError, statusText, toProxyError, STATUS_CLIENT_CLOSED_REQUEST, type ProxyLogger } from './errors.ts';
import { prependSetCookie, responseHeaders } from './headers.ts';
import { closedReusedConnection, connectionEpoch } from './pool.ts';
import { endWithHeadersOnly, grpcStatusForFailure, isGrpc, respondGrpc } from './grpc.ts';

const PENDING = 0;   // nothing written to the client yet
const STREAMING = 1; // head written, body flowing
const DONE = 2;      // finished, failed or abandoned: later events are ignored

/**
 * Connection losses a replay may follow (Go: the server closed an idle connection as the request was written).
 * Timeouts and cancels never are.
 */
const LOST_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
/** A safety bound only: each replay consumes one dead pooled connection, so the pool runs out of them first. */
const MAX_REPLAYS = 16;

const kExchange = Symbol('tagway.exchange');
const kDrainHooked = Symbol('tagway.drainHooked');
interface Tagged { [kExchange]?: Exchange; [kDrainHooked]?: boolean }

/**
 * One upstream attempt of one request, and the writer of its answer to `ctx.res`. It is the undici
 * dispatch handler itself (legacy callback names: undici 7 runs them natively, the newer
 * controller API would add a wrapper and a header parse per request), and the node:http paths feed
 * it the same events. Listeners on `res` are module-level functions that find the live exchange
 * through a symbol, so a request allocates no closures here.
 */
export class Exchange {
  readonly ctx: RequestContext;
  readonly #observer: AttemptObserver | undefined;
  readonly #setCookie: string | undefined;
  readonly #logger: ProxyLogger;
  readonly #upstream: string;
  #state = PENDING;
  #sink: Writable | undefined;
  #abort: ((err: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #paused = false;
  #replayPool: Dispatcher | undefined;
  #replayOptions: Dispatcher.DispatchOptions | undefined;
  #epoch = 0;
  #replays = 0;

  constructor(ctx: RequestContext, upstream: string, observer: AttemptObserver | undefined, setCookie: string | undefined, logger: ProxyLogger) {
    this.ctx = ctx;
    this.#upstream = upstream;
    this.#observer = observer;
    this.#setCookie = setCookie;
    this.#logger = logger;
    const res = ctx.res as ServerResponse & Tagged;
    if (res[kExchange] === undefined) res.on('close', onResClose);
    res[kExchange] = this;
  }

  /** True once the exchange finished or was abandoned. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** Sets how to cancel the upstream request (node:http paths; undici passes it to `onConnect`). */
  setCancel(cancel: (err: Error) => void): void {
    this.#abort = cancel;
  }

  /**
   * Dispatches the attempt on `pool`. A replayable request (see `forward`) that loses a connection it reused
   * before any byte of the answer came back is dispatched again, on the same server, as Go's transport does
   * (`shouldRetryRequest`): the client, the retry middleware and the attempt's span never see the stale one.
   */
  dispatch(pool: Dispatcher, options: Dispatcher.DispatchOptions, replayable: boolean): void {
    if (replayable) {
      this.#replayPool = pool;
      this.#replayOptions = options;
      this.#epoch = connectionEpoch();
    }
    pool.dispatch(options, this);
  }

  // ---- undici DispatchHandler (legacy names) ----

  onConnect(abort: (err?: Error) => void): void {
    if (this.#state === DONE) { abort(clientGoneError()); return; }
    this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[] | string[], resume: () => void): boolean {
    if (status < 200) return true; // 1xx informational answers are not relayed
    if (this.#state !== PENDING) return false;
    if (this.ctx.res.headersSent) {
      // Someone else answered meanwhile (an entry-point timeout): drop the upstream answer.
      this.#state = DONE;
      this.#abort?.(clientGoneError());
      return false;
    }
    this.#resume = resume;
    this.writeHead(status, responseHeaders(raw, false));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#state !== STREAMING) return false;
    if (this.#sink!.write(chunk)) return true;
    this.#paused = true;
    this.#hookDrain();
    return false;
  }

  /**
   * The answer is complete. `trailers` (name/value pairs, undici's or HTTP/2's) are relayed: to an HTTP/2 client
   * as a trailing HEADERS frame, to an HTTP/1.1 client in the last chunk (Node writes them when chunked).
   */
  onComplete(trailers?: ReadonlyArray<Buffer | string> | null): void {
    if (this.#state !== STREAMING) return;
    this.#state = DONE;
    if (trailers != null && trailers.length > 0) {
      const t = responseHeaders(trailers, false);
      const status = t['grpc-status'];
      if (status !== undefined) this.ctx.grpcStatus = Number(status);
      this.ctx.res.addTrailers(t as Record<string, string>);
    }
    this.#sink!.end();
  }

  /**
   * A final answer made of its head alone (an HTTP/2 HEADERS frame that ended the stream: gRPC's trailers-only
   * answer). Relayed the same way to an HTTP/2 client, so its `grpc-status` stays where gRPC reads it.
   */
  headersOnly(status: number, raw: ReadonlyArray<Buffer | string>): void {
    if (this.#state !== PENDING) return;
    const ctx = this.ctx;
    if (ctx.res.headersSent) { this.#state = DONE; this.#abort?.(clientGoneError()); return; }
    const headers = responseHeaders(raw, false);
    const grpc = headers['grpc-status'];
    if (grpc !== undefined) ctx.grpcStatus = Number(grpc);
    const transforms = ctx.responseTransforms;
    if (transforms !== undefined && transforms.length > 0) {
      this.writeHead(status, headers);
      this.onComplete();
      return;
    }
    this.announce(status, headers);
    this.#state = DONE;
    endWithHeadersOnly(ctx, status, headers);
  }

  onError(err: Error): void {
    if (this.#state === PENDING && this.#replayPool !== undefined && this.#replays < MAX_REPLAYS
      && LOST_CONNECTION_CODES.has((err as { code?: string }).code ?? '')) {
      // Whether the connection was a reused one is known once undici's 'disconnect' has run, right after this.
      queueMicrotask(() => this.#afterLostConnection(err));
      return;
    }
    this.#fail(err);
  }

  #afterLostConnection(err: Error): void {
    if (this.#state !== PENDING) return; // the client left meanwhile
    const ctx = this.ctx;
    if (!ctx.res.headersSent && !clientIsGone(ctx) && closedReusedConnection(err, this.#epoch)) {
      this.#replays++;
      this.#abort = undefined;
      this.#epoch = connectionEpoch();
      this.#logger.debug('reused upstream connection closed before the response; sending the request again', { upstream: this.#upstream, error: err });
      this.#replayPool!.dispatch(this.#replayOptions!, this);
      return;
    }
    this.#fail(err);
  }

  #fail(err: Error): void {
    const state = this.#state;
    this.#state = DONE;
    if (state === DONE) return;
    const ctx = this.ctx;
    if (state === STREAMING) {
      // The head is out: the only honest signal left is to cut the client connection.
      this.#logger.debug('upstream failed while streaming the response', { upstream: this.#upstream, error: err });
      if (this.#sink !== ctx.res) this.#sink!.destroy();
      ctx.res.destroy();
      return;
    }
    if (clientIsGone(ctx)) {
      this.#clientGone();
      return;
    }
    if (ctx.res.headersSent) return; // answered elsewhere meanwhile: nothing left to say
    const perr = toProxyError(err);
    this.#observer?.onError(perr.status, perr);
    this.#logger.debug(`${perr.status} ${statusText(perr.status)}`, { upstream: this.#upstream, code: perr.code, error: err });
    if (ctx.onAttemptFailed?.(perr) === true) return;
    if (isGrpc(ctx.headers)) {
      respondGrpc(ctx, grpcStatusForFailure(perr.status), `${statusText(perr.status)}: ${perr.message}`, this.#setCookie === undefined ? undefined : { 'set-cookie': this.#setCookie });
      return;
    }
    respond(ctx, perr.status, statusText(perr.status), this.#setCookie === undefined ? undefined : { 'set-cookie': this.#setCookie });
  }

  // ---- shared by every path ----

  /** Writes the response head: sticky cookie, attempt observer, head hooks, body transforms. */
  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    const ctx = this.ctx;
    this.announce(status, headers);
    const transforms = ctx.responseTransforms;
    this.#sink = transforms !== undefined && transforms.length > 0 ? this.#transformChain(status, headers, transforms) : ctx.res;
    ctx.res.writeHead(status, headers);
    this.#state = STREAMING;
  }

  /** Head bookkeeping without writing it: sticky cookie, attempt observer, `ctx.status`, head hooks (they may mutate `headers`). */
  announce(status: number, headers: OutgoingHttpHeaders): void {
    const ctx = this.ctx;
    if (this.#setCookie !== undefined) prependSetCookie(headers, this.#setCookie);
    this.#observer?.onResponse(status, headers);
    ctx.status = status;
    const hooks = ctx.onResponseHead;
    if (hooks !== undefined) for (let i = 0; i < hooks.length; i++) hooks[i]!(status, headers);
  }

  /** Marks the exchange finished without a body to stream (protocol switched). */
  finish(): void {
    this.#state = DONE;
  }

  /** The client went away (res 'close' before the answer was complete). */
  clientClosed(): void {
    const state = this.#state;
    if (state === DONE) return;
    this.#state = DONE;
    if (state === PENDING && this.ctx.res.writableFinished) {
      // Not the client: someone else (an entry-point timeout) answered in full. Drop the upstream side.
      const err = new ProxyError('TAGWAY_CLIENT_GONE', this.ctx.status ?? STATUS_CLIENT_CLOSED_REQUEST, 'the response was written elsewhere before the upstream answered');
      this.#observer?.onError(err.status, err);
      this.#abort?.(err);
      return;
    }
    if (state === STREAMING) {
      this.#logger.debug('client closed the connection during the response', { upstream: this.#upstream });
      this.#abort?.(clientGoneError());
      if (this.#sink !== this.ctx.res) this.#sink?.destroy();
      return;
    }
    this.#clientGone();
  }

  drained(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resume?.();
  }

  /** Lets the node:http path resume its upstream response on drain. */
  setResume(resume: () => void): void {
    this.#resume = resume;
  }

  #clientGone(): void {
    const err: ProxyError = clientGoneError();
    this.ctx.status = STATUS_CLIENT_CLOSED_REQUEST;
    this.#observer?.onError(STATUS_CLIENT_CLOSED_REQUEST, err);
    this.#logger.debug(`${STATUS_CLIENT_CLOSED_REQUEST} ${statusText(STATUS_CLIENT_CLOSED_REQUEST)}`, { upstream: this.#upstream });
    // Before onConnect there is nothing to abort yet: onConnect sees DONE and aborts then.
    this.#abort?.(err);
  }

  #hookDrain(): void {
    const sink = this.#sink as Writable & Tagged;
    sink[kExchange] = this;
    if (sink[kDrainHooked] === true) return;
    sink[kDrainHooked] = true;
    sink.on('drain', onSinkDrain);
  }

  #transformChain(status: number, headers: OutgoingHttpHeaders, factories: NonNullable<RequestContext['responseTransforms']>): Writable {
    const chain: Transform[] = [];
    for (const make of factories) {
      const t = make(status, headers);
      if (t !== undefined) chain.push(t);
    }
    if (chain.length === 0) return this.ctx.res;
    const logger = this.#logger;
    pipeline([...chain, this.ctx.res], function transformDone(err) {
      if (err) logger.debug('response transform failed', { error: err });
    });
    return chain[0]!;
  }
}

function onResClose(this: ServerResponse & Tagged): void {
  this[kExchange]?.clientClosed();
}

function onSinkDrain(this: Writable & Tagged): void {
  this[kExchange]?.drained();
}

/** The client is gone when its request stream errored (aborted upload) or its socket is closed. */
function clientIsGone(ctx: RequestContext): boolean {
  if (ctx.req.errored != null) return true;
  const socket = ctx.res.socket;
  return socket == null || socket.destroyed;
}
