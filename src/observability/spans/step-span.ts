import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { StepSpan } from '../../proxy/context.ts';
import type { SpanRuntime } from './runtime.ts';

/**
 * One INTERNAL span of a detailed trace: `Router`, a middleware (named by its type), or `Service`.
 * Each step opens under the previous one, so the tree reads Router → middlewares → Service → ReverseProxy,
 * as in Traefik, where each layer wraps the next handler.
 */
export class Step implements StepSpan {
  readonly span: Span;
  readonly context: Context;
  #ended = false;

  constructor(rt: SpanRuntime, parent: Context, name: string, attributes: Attributes) {
    this.span = rt.tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
    if (this.span.isRecording()) this.span.setAttributes(attributes);
    this.context = trace.setSpan(parent, this.span);
  }

  /** Idempotent: the request's end closes every step still open, whoever else ends it. */
  end(errorMessage?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (errorMessage !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage });
    this.span.end();
  }
}

/** Attributes of the Router span (Traefik: traefik.service.name, traefik.router.name, http.route). */
export function routerAttributes(routerName: string | undefined, serviceName: string | undefined, rule: string | undefined): Attributes {
  const attrs: Attributes = {};
  if (routerName !== undefined) attrs['traefik.router.name'] = routerName;
  if (serviceName !== undefined) attrs['traefik.service.name'] = serviceName;
  if (rule !== undefined) attrs['http.route'] = rule;
  return attrs;
}

/** Attributes of the Service span. */
export function serviceAttributes(serviceName: string | undefined): Attributes {
  return serviceName === undefined ? {} : { 'traefik.service.name': serviceName };
}
