import { isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks'; // not the global: in Node 20 that is a lazy accessor, a getter call per read
import type { TraceVerbosity } from '../../dynamic/types.ts';
import { ProxyError } from '../../http/errors.ts';
import type { AttemptObserver, RequestTrace, StepSpan } from '../../http/hooks.ts';
import type { RequestContext } from '../../http/context.ts';
import { headerGetter, headerSetter, type Carrier } from '../propagation.ts';
import { captureHeaders } from '../redact.ts';
import { isGrpc } from '../../http/grpc.ts';
import { setGrpcStatus, setRpcAttributes } from './rpc.ts';
import { Attempt, clientValues, setClientAttributes } from './client-span.ts';
import { CompactAttempt, CompactTrace, endAsFields, recordFields, type Generalizer } from './compact.ts';
import { SERVER_PATH, SERVER_STATUS } from './fields.ts';
import type { SpanRuntime } from './runtime.ts';
import { serverValues, setServerAttributes } from './server-span.ts';
import { drawContinuedBlock, drawIdBlock, drawSpanIds, idPool, KIND_CLIENT, KIND_INTERNAL, KIND_SERVER, RecordedSpan, setHttpStatus, traceparentOf, type OtlpSpanKind } from './span.ts';

/** RequestTrace plus what the entry point calls once routing has decided. */
export interface ServerTrace extends RequestTrace {
  /** W3C ids of the server span (for access logs); the trace id is the incoming one when continued. */
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  /**
   * Opens `Router` (detailed only) from ctx.routerName/serviceName/rule; later steps nest under it.
   * Done by the constructor when ctx.routerName is already set; idempotent.
   */
  enterRouter(ctx: RequestContext): void;
  /**
   * Opens `Service` (detailed only) from ctx.serviceName; the ReverseProxy spans nest under it.
   * Done by the first `startAttempt` when nobody called it; idempotent.
   */
  enterService(ctx: RequestContext): void;
  enterStep(name: string, attributes: Record<string, string>): StepSpan | undefined;
}

/** The upstream answered this attempt (its span ended). */
function answered(attempt: CompactAttempt): boolean {
  return attempt.endTime >= 0;
}

/** Status written when the client went away before the response finished (nginx's and Traefik's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The spans of one traced request. Created by `Tracing.startRequest`; ends itself when the response
 * finishes or the connection closes, closing any step left open first.
 *
 * Sampling is the runtime's sampler: by default the SDK's ParentBased(TraceIdRatioBased(sampleRate)) (an incoming
 * sampled parent records, an incoming unsampled one does not, a new trace asks the ratio), or OTEL_TRACES_SAMPLER's. A request that is not sampled records
 * nothing: it draws ids, injects `traceparent …-00` into each upstream request, and that is all.
 * Propagation goes through the configured OTel propagators, except for the common case the default
 * propagators make trivial: no trace headers in, one `traceparent` out (see isPlainTraceContext).
 */
export class RequestSpans implements ServerTrace, Generalizer {
  readonly sampled: boolean;
  readonly #rt: SpanRuntime;
  readonly #ctx: RequestContext;
  /** The extracted context when the propagators had to run (undefined on the plain fast path). */
  readonly #parentContext: Context | undefined;
  /** The incoming parent, when valid. */
  readonly #parent: SpanContext | undefined;
  readonly #traceState: string;
  /**
   * The request's ids (span.ts drawIdBlock, drawContinuedBlock): the pool they sit in and where: trace id at #at,
   * the server span's id at #at + 16, the first attempt's at #at + 24, an incoming parent's at #at + 32.
   */
  readonly #ids: Buffer;
  readonly #at: number;
  /** The server span, once the request is recorded as RecordedSpans (from the start, or after `generalize`). */
  #server: RecordedSpan | undefined;
  /**
   * The request recorded as fields (spans/compact.ts), while it keeps the common shape: minimal verbosity, attempts
   * answered, no gRPC, and a runtime that allows it (SpanRuntime.compact). Undefined otherwise.
   */
  #compact: CompactTrace | undefined;
  /** The server span's url.path (sampled requests only). */
  readonly #path: string = '';
  /** Parent of the next step or attempt: the last step opened, else the server span (pool and offset of its id). */
  #currentIds: Buffer;
  #currentAt: number;
  #steps: RecordedSpan[] | undefined;
  #attempts: Attempt[] | undefined;
  /** The first attempt takes the span id drawn with the request's ids; later ones draw their own. */
  #firstAttempt = true;
  #routerOpened = false;
  #serviceOpened = false;
  #refused: string | undefined;
  #responseHeaders: OutgoingHttpHeaders | undefined;
  #ended = false;
  #traceIdHex: string | undefined;

  /**
   * `newTrace`: where the ids of a new trace the sampler already recorded were drawn (drawIdBlock, in idPool()),
   * when the propagators are plain W3C and the request carried no trace headers (tracing.ts decides that case).
   * Otherwise the incoming headers go through the propagators and the sampler here.
   */
  constructor(rt: SpanRuntime, ctx: RequestContext, newTrace?: number) {
    this.#rt = rt;
    this.#ctx = ctx;
    let parent: SpanContext | undefined;
    let at = newTrace;
    if (at !== undefined) {
      this.#parentContext = undefined;
      this.sampled = true;
    } else {
      const h = ctx.req.headers;
      if (rt.plainTraceContext && h.traceparent === undefined && h.tracestate === undefined && h.baggage === undefined) {
        this.#parentContext = undefined;
      } else {
        this.#parentContext = rt.propagator.extract(ROOT_CONTEXT, h as Carrier, headerGetter);
        const extracted = trace.getSpanContext(this.#parentContext);
        if (extracted !== undefined && isSpanContextValid(extracted)) parent = extracted;
      }
      at = parent !== undefined ? drawContinuedBlock(parent.traceId, parent.spanId) : drawIdBlock();
      this.sampled = parent !== undefined ? rt.sample.withParent((parent.traceFlags & TraceFlags.SAMPLED) !== 0, parent.traceId) : rt.sample.newTrace(at);
    }
    const ids = this.#ids = this.#currentIds = idPool();
    this.#at = at;
    this.#currentAt = at + 16;
    this.#parent = parent;
    this.#traceState = parent?.traceState?.serialize() ?? '';
    if (!this.sampled) return;
    if (rt.compact) {
      const values = serverValues(rt, ctx);
      this.#path = values[SERVER_PATH] as string;
      this.#compact = new CompactTrace(ids, at, at + 16, parent !== undefined ? at + 32 : -1, this.#traceState, parent !== undefined, ctx.method, values, this.#path, ctx.entryPoint);
    } else {
      const server = this.#server = new RecordedSpan(rt.sink, ids, at, at + 16, parent !== undefined ? at + 32 : -1, this.#traceState, parent !== undefined, ctx.method, KIND_SERVER);
      this.#path = setServerAttributes(rt, ctx, server);
      if (rt.responseHeaders.length > 0) {
        // keep the head object: hooks registered later (headers middleware) still mutate it before it is written
        (ctx.onResponseHead ??= []).push((_status, headers) => { this.#responseHeaders = headers; });
      }
    }
    // a closure, not a property on the response: 1% of responses with one more property than the rest would give
    // node:http's code two shapes of ServerResponse to handle on every request
    const spans = this;
    ctx.res.on('close', function endRequestSpans() { spans.finish(); });
    if (ctx.routerName !== undefined) this.enterRouter(ctx);
  }

  /** W3C ids of the server span, in hex (converted when first asked: the access log). */
  get traceId(): string { return this.#traceIdHex ??= this.#ids.toString('hex', this.#at, this.#at + 16); }
  get spanId(): string { return this.#ids.toString('hex', this.#at + 16, this.#at + 24); }

  /** Read late: the matched router's verbosity is known only after routing. */
  get verbosity(): TraceVerbosity { return this.#ctx.observability?.traceVerbosity ?? 'minimal'; }

  enterRouter(ctx: RequestContext): void {
    if (this.#routerOpened || this.verbosity !== 'detailed') return;
    this.#routerOpened = true;
    const span = this.#open('Router');
    if (span === undefined) return;
    if (ctx.routerName !== undefined) span.set('traefik.router.name', ctx.routerName);
    if (ctx.serviceName !== undefined) span.set('traefik.service.name', ctx.serviceName);
    if (ctx.rule !== undefined) span.set('http.route', ctx.rule);
  }

  enterService(ctx: RequestContext): void {
    if (this.#serviceOpened || this.verbosity !== 'detailed') return;
    this.#serviceOpened = true;
    const span = this.#open('Service');
    if (span !== undefined && ctx.serviceName !== undefined) span.set('traefik.service.name', ctx.serviceName);
  }

  enterStep(name: string, attributes: Record<string, string>): StepSpan | undefined {
    const span = this.#open(name);
    if (span !== undefined) for (const key in attributes) span.set(key, attributes[key]!);
    return span;
  }

  startAttempt(server: URL, path: string, headers: Carrier, resendCount: number): AttemptObserver | undefined {
    const detailed = this.sampled && !this.#ended && this.verbosity === 'detailed';
    if (detailed) this.enterService(this.#ctx);
    // the first attempt under the server span has its id drawn with the request's; any other draws its own
    let ids = this.#ids;
    let traceAt = this.#at;
    let spanAt = traceAt + 24;
    let parentAt = traceAt + 16;
    if (!this.#firstAttempt || this.#currentAt !== parentAt || this.#currentIds !== ids) {
      traceAt = drawSpanIds(ids, traceAt, this.#currentIds, this.#currentAt);
      ids = idPool();
      spanAt = traceAt + 16;
      parentAt = traceAt + 24;
    }
    this.#firstAttempt = false;
    let attempt: AttemptObserver | undefined;
    if (this.sampled && !this.#ended) {
      const grpc = isGrpc(this.#ctx.req.headers);
      const compact = this.#compact;
      if (compact !== undefined && !grpc) {
        const values = clientValues(this.#rt, this.#ctx.method, server, path, headers, resendCount);
        const observer = new CompactAttempt(this, ids, traceAt, spanAt, parentAt, this.#traceState, values);
        compact.attempts.push(observer);
        attempt = observer;
      } else {
        this.generalize();
        const span = new RecordedSpan(this.#rt.sink, ids, traceAt, spanAt, parentAt, this.#traceState, false, 'ReverseProxy', KIND_CLIENT);
        setClientAttributes(this.#rt, span, this.#ctx.method, server, path, headers, resendCount);
        if (grpc) setRpcAttributes(span, path);
        const recorded = new Attempt(this.#rt, span, grpc);
        (this.#attempts ??= []).push(recorded);
        attempt = recorded;
      }
    }
    this.#inject(ids, spanAt, headers);
    return attempt;
  }

  startCall(name: string, server: URL, path: string, method: string, headers: Carrier): AttemptObserver | undefined {
    if (!this.sampled || this.#ended || this.verbosity !== 'detailed') return undefined;
    this.generalize();
    const span = this.#newSpan(name, KIND_CLIENT);
    setClientAttributes(this.#rt, span, method, server, path, headers, 0);
    (this.#steps ??= []).push(span); // ends with the request at the latest
    this.#inject(span.ids, span.spanAt, headers);
    return new Attempt(this.#rt, span);
  }

  refuse(reason: string): void {
    this.#refused = reason;
  }

  /**
   * Puts the attempt's context (its span id at `spanAt` in `ids`) into the upstream headers after removing every
   * field the propagators own, so a stale incoming traceparent/tracestate/b3 never reaches the upstream next to ours.
   */
  #inject(ids: Buffer, spanAt: number, headers: Carrier): void {
    if (this.#parentContext === undefined) {
      // plain W3C propagation (the constructor says when): its fields by name, cheaper than keyed reads of a list
      if (headers.traceparent !== undefined) delete headers.traceparent;
      if (headers.tracestate !== undefined) delete headers.tracestate;
      if (this.#rt.propagatesBaggage && headers.baggage !== undefined) delete headers.baggage;
      headers.traceparent = traceparentOf(this.#ids, this.#at, ids, spanAt, this.sampled);
      return;
    }
    for (const field of this.#rt.propagationFields) if (headers[field] !== undefined) delete headers[field];
    const spanId = ids.toString('hex', spanAt, spanAt + 8);
    const own: SpanContext = { traceId: this.traceId, spanId, traceFlags: this.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: false };
    if (this.#parent?.traceState !== undefined) own.traceState = this.#parent.traceState;
    this.#rt.propagator.inject(trace.setSpanContext(this.#parentContext, own), headers, headerSetter);
  }

  /** A new span of this trace, child of the current step (or the server span), with ids of its own. */
  #newSpan(name: string, kind: OtlpSpanKind): RecordedSpan {
    const at = drawSpanIds(this.#ids, this.#at, this.#currentIds, this.#currentAt);
    return new RecordedSpan(this.#rt.sink, idPool(), at, at + 16, at + 24, this.#traceState, false, name, kind);
  }

  #open(name: string): RecordedSpan | undefined {
    if (!this.sampled || this.#ended || this.verbosity !== 'detailed') return undefined;
    this.generalize();
    const span = this.#newSpan(name, KIND_INTERNAL);
    (this.#steps ??= []).push(span);
    this.#currentIds = span.ids;
    this.#currentAt = span.spanAt;
    return span;
  }

  /**
   * Turns the compact trace into RecordedSpans (a server span not ended, and an Attempt per attempt, ended when
   * answered) when the request leaves the common shape: a step or a call opens (detailed verbosity), an attempt fails
   * or is annotated, gRPC, an attempt never answered. The general path goes on from there. Idempotent.
   */
  generalize(): void {
    const compact = this.#compact;
    if (compact === undefined) return;
    this.#compact = undefined;
    const rt = this.#rt;
    this.#server = recordFields(rt.sink, compact, KIND_SERVER);
    for (const a of compact.attempts) {
      const span = recordFields(rt.sink, a, KIND_CLIENT);
      const attempt = new Attempt(rt, span);
      if (a.endTime >= 0) endAsFields(span, a);
      a.general = attempt;
      (this.#attempts ??= []).push(attempt);
    }
  }

  /** The end of a compact request: the server span's status, then its spans to the sink together, and to the ring. */
  #finishCompact(compact: CompactTrace, status: number): void {
    const ctx = this.#ctx;
    compact.values[SERVER_STATUS] = status;
    if (this.#refused !== undefined) compact.fail(this.#refused);
    else setHttpStatus(compact, status, 500);
    compact.endTime = performance.now();
    compact.httpStatus = status;
    compact.routerName = ctx.routerName;
    compact.serviceName = ctx.serviceName;
    const attempts = compact.attempts;
    for (let i = 0; i < attempts.length; i++) attempts[i]!.detach();
    this.#rt.sink.onEndRequest(compact);
    this.#rt.recent.add(compact);
  }

  /** Ends everything (once), when the response is done or the connection closed; sampled requests only. */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    const ctx = this.#ctx;
    const res = ctx.res;
    const status = res.writableFinished ? ctx.status ?? res.statusCode : CLIENT_CLOSED_REQUEST;
    const compact = this.#compact;
    if (compact !== undefined) {
      if (!isGrpc(ctx.req.headers) && compact.attempts.every(answered)) { this.#finishCompact(compact, status); return; }
      this.generalize(); // an attempt never answered (client gone): recorded as the general path records it
    }
    if (this.#attempts) {
      // an attempt the forwarder never reported (client gone mid-request, or a forwarder bug) still ends
      for (const attempt of this.#attempts) {
        if (attempt.awaitingEnd) { attempt.complete(ctx.grpcStatus); continue; }
        if (attempt.ended) continue;
        attempt.onError(status, status === CLIENT_CLOSED_REQUEST
          ? new ProxyError('TAGWAY_CLIENT_GONE', status, 'client went away before the upstream answered')
          : new ProxyError('TAGWAY_UPSTREAM_ERROR', status, 'attempt outcome never reported by the forwarder'));
      }
    }
    if (this.#steps) for (let i = this.#steps.length - 1; i >= 0; i--) this.#steps[i]!.end();
    const span = this.#server!;
    span.set('http.response.status_code', status);
    if (this.#refused !== undefined) span.fail(this.#refused);
    else setHttpStatus(span, status, 500);
    if (isGrpc(ctx.req.headers)) {
      setRpcAttributes(span, ctx.req.url ?? '');
      setGrpcStatus(span, ctx.grpcStatus);
    }
    if (this.#rt.responseHeaders.length > 0) {
      captureHeaders(span, 'http.response.header.', this.#rt.responseHeaders, this.#responseHeaders ?? res.getHeaders());
    }
    span.end();
    this.#rt.recent.add({
      server: span, steps: this.#steps, attempts: this.#attempts, httpStatus: status,
      path: this.#path, entryPoint: ctx.entryPoint, routerName: ctx.routerName, serviceName: ctx.serviceName,
    });
  }
}

/**
 * A new trace sampled out (tracing.ts decides, for W3C propagation and a request without trace headers): nothing
 * is recorded, and each upstream attempt gets `traceparent: 00-<trace id>-<attempt's span id>-00`, as an OTel SDK
 * propagates a non-recording span's context (Traefik does the same), so the upstream's own sampling may follow
 * ours. What it costs: one object and one string per attempt; the ids stay where they were drawn, as bytes.
 */
export class UnsampledRoot implements ServerTrace {
  readonly sampled = false;
  readonly #ctx: RequestContext;
  /** The request's ids (drawIdBlock): trace id at #at, the server span's at #at + 16, the first attempt's at #at + 24. */
  readonly #ids: Buffer;
  readonly #at: number;
  #attempts = 0;

  /** `at`: where the request's ids were drawn (drawIdBlock, in idPool()). */
  constructor(ctx: RequestContext, at: number) {
    this.#ctx = ctx;
    this.#ids = idPool();
    this.#at = at;
  }

  get traceId(): string { return this.#ids.toString('hex', this.#at, this.#at + 16); }
  get spanId(): string { return this.#ids.toString('hex', this.#at + 16, this.#at + 24); }
  get verbosity(): TraceVerbosity { return this.#ctx.observability?.traceVerbosity ?? 'minimal'; }

  startAttempt(_server: URL, _path: string, headers: Carrier, _resendCount: number): undefined {
    // the default propagators' fields; the request had none of them (that is how it got here)
    if (headers.traceparent !== undefined) delete headers.traceparent;
    if (headers.tracestate !== undefined) delete headers.tracestate;
    if (headers.baggage !== undefined) delete headers.baggage;
    if (this.#attempts++ === 0) {
      headers.traceparent = traceparentOf(this.#ids, this.#at, this.#ids, this.#at + 24, false);
    } else {
      const at = drawSpanIds(this.#ids, this.#at, this.#ids, this.#at + 16);
      headers.traceparent = traceparentOf(this.#ids, this.#at, idPool(), at + 16, false);
    }
    return undefined;
  }

  enterRouter(): void {}
  enterService(): void {}
  enterStep(): undefined { return undefined; }
  refuse(): void {}
}
