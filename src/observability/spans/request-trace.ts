import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { OutgoingHttpHeaders } from 'node:http';
import type { TraceVerbosity } from '../../dynamic/types.ts';
import { ProxyError, type AttemptObserver, type RequestContext, type RequestTrace, type StepSpan } from '../../proxy/context.ts';
import { headerGetter, type Carrier } from '../propagation.ts';
import { captureHeaders } from '../redact.ts';
import { startClientSpan, type Attempt } from './client-span.ts';
import { setHttpStatus, type SpanRuntime } from './runtime.ts';
import { startServerSpan } from './server-span.ts';
import { routerAttributes, serviceAttributes, Step } from './step-span.ts';

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

/** Status written when the client went away before the response finished (nginx's and Traefik's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The spans of one traced request. Created by `Tracing.startRequest`; ends itself when the response
 * finishes or the connection closes, closing any step left open first.
 */
export class RequestSpans implements ServerTrace {
  readonly #rt: SpanRuntime;
  readonly #ctx: RequestContext;
  readonly #server: Span;
  readonly #serverContext: Context;
  /** Parent of the next step or attempt: the last step opened, else the server span. */
  #current: Context;
  #steps: Step[] | undefined;
  #attempts: Attempt[] | undefined;
  #routerOpened = false;
  #serviceOpened = false;
  #refused: string | undefined;
  #responseHeaders: OutgoingHttpHeaders | undefined;
  #ended = false;

  constructor(rt: SpanRuntime, ctx: RequestContext) {
    this.#rt = rt;
    this.#ctx = ctx;
    const parent = rt.propagator.extract(ROOT_CONTEXT, ctx.req.headers as Carrier, headerGetter);
    this.#server = startServerSpan(rt, ctx, parent);
    this.#serverContext = trace.setSpan(parent, this.#server);
    this.#current = this.#serverContext;
    if (rt.responseHeaders.length > 0 && this.#server.isRecording()) {
      // keep the head object: hooks registered later (headers middleware) still mutate it before it is written
      (ctx.onResponseHead ??= []).push((_status, headers) => { this.#responseHeaders = headers; });
    }
    ctx.res.once('close', () => this.#finish());
    if (ctx.routerName !== undefined) this.enterRouter(ctx);
  }

  /** Read late: the matched router's verbosity is known only after routing. */
  get verbosity(): TraceVerbosity { return this.#ctx.observability?.traceVerbosity ?? 'minimal'; }
  get traceId(): string { return this.#server.spanContext().traceId; }
  get spanId(): string { return this.#server.spanContext().spanId; }
  get sampled(): boolean { return this.#server.isRecording(); }

  enterRouter(ctx: RequestContext): void {
    if (this.#routerOpened || this.verbosity !== 'detailed') return;
    this.#routerOpened = true;
    this.#open('Router', routerAttributes(ctx.routerName, ctx.serviceName, ctx.rule));
  }

  enterService(ctx: RequestContext): void {
    if (this.#serviceOpened || this.verbosity !== 'detailed') return;
    this.#serviceOpened = true;
    this.#open('Service', serviceAttributes(ctx.serviceName));
  }

  enterStep(name: string, attributes: Record<string, string>): StepSpan | undefined {
    return this.#open(name, attributes);
  }

  startAttempt(target: () => URL, headers: Carrier, resendCount: number): AttemptObserver {
    let parent = this.#serverContext;
    if (this.verbosity === 'detailed') {
      this.enterService(this.#ctx);
      parent = this.#current;
    }
    const attempt = startClientSpan(this.#rt, parent, this.#ctx.method, target, headers, resendCount);
    (this.#attempts ??= []).push(attempt);
    return attempt;
  }

  refuse(reason: string): void {
    this.#refused = reason;
  }

  #open(name: string, attributes: Attributes): Step | undefined {
    if (this.#ended || this.verbosity !== 'detailed') return undefined;
    const step = new Step(this.#rt, this.#current, name, attributes);
    (this.#steps ??= []).push(step);
    this.#current = step.context;
    return step;
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    const { res } = this.#ctx;
    const status = res.writableFinished ? this.#ctx.status ?? res.statusCode : CLIENT_CLOSED_REQUEST;
    if (this.#attempts) {
      // an attempt the forwarder never reported (client gone mid-request, or a forwarder bug) still ends
      for (const attempt of this.#attempts) {
        if (attempt.ended) continue;
        attempt.onError(status, status === CLIENT_CLOSED_REQUEST
          ? new ProxyError('TAGWAY_CLIENT_GONE', status, 'client went away before the upstream answered')
          : new ProxyError('TAGWAY_UPSTREAM_ERROR', status, 'attempt outcome never reported by the forwarder'));
      }
    }
    if (this.#steps) for (let i = this.#steps.length - 1; i >= 0; i--) this.#steps[i]!.end();
    const span = this.#server;
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', status);
      if (this.#refused !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: this.#refused });
      else setHttpStatus(span, status, 500);
      if (this.#rt.responseHeaders.length > 0) {
        const attrs: Record<string, string[]> = {};
        captureHeaders(attrs, 'http.response.header.', this.#rt.responseHeaders, this.#responseHeaders ?? res.getHeaders());
        span.setAttributes(attrs);
      }
    }
    span.end();
  }
}
