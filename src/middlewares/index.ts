/**
 * The middleware registry: turns one dynamic-config `Middleware` into a wrapper of handlers.
 * Options are validated here, once (regexes compiled, CIDRs and durations parsed); a bad value is
 * returned as an Error naming the option, never thrown at request time.
 */
import type { Middleware } from '../dynamic/types.ts';
import type { Handler, RequestContext } from '../http/context.ts';
import type { Logger } from '../util/log.ts';
import { suggest } from '../util/didyoumean.ts';
import { addPrefix } from './add-prefix/index.ts';
import { basicAuth } from './basic-auth/index.ts';
import { chain } from './chain/index.ts';
import { circuitBreaker } from './circuit-breaker/index.ts';
import { compress } from './compress/index.ts';
import { buffering } from './buffering/index.ts';
import { contentType } from './content-type/index.ts';
import { digestAuth } from './digest-auth/index.ts';
import { errorPages, type ServiceLookup } from './errors/index.ts';
import { grpcWeb } from './grpc-web/index.ts';
import { inFlightReq } from './in-flight-req/index.ts';
import { passTLSClientCert } from './pass-tls-client-cert/index.ts';
import { forwardAuth } from './forward-auth/index.ts';
import { headers } from './headers/index.ts';
import { ipAllowList } from './ip-allow-list/index.ts';
import { rateLimit } from './rate-limit/index.ts';
import { redirectRegex } from './redirect-regex/index.ts';
import { redirectScheme } from './redirect-scheme/index.ts';
import { replacePath } from './replace-path/index.ts';
import { replacePathRegex } from './replace-path-regex/index.ts';
import { retry } from './retry/index.ts';
import { MiddlewareError } from './shared/errors.ts';
import { withStep } from './shared/refuse.ts';
import type { Wrapper } from './shared/types.ts';
import { stripPrefix } from './strip-prefix/index.ts';
import { stripPrefixRegex } from './strip-prefix-regex/index.ts';

export { MiddlewareError, type MiddlewareErrorCode } from './shared/errors.ts';

/** A middleware ready to wrap handlers. `type` is the config key (`stripPrefix`). */
export interface BuiltMiddleware {
  name: string;
  type: MiddlewareType;
  wrap(next: Handler): Handler;
  /** Releases buckets and caches; call when the middleware leaves the configuration. Idempotent. */
  close?(): void;
  /** What the operator should know although it builds (deprecated options): the API shows them as warnings. */
  warnings?: readonly string[];
}

export type MiddlewareType = keyof Middleware;
type Resolve = (ref: string) => BuiltMiddleware | Error;
/**
 * What a middleware may use besides its options: the gateway's logger (forwardAuth logs its auth server faults),
 * and the services of the configuration by name, qualified with the middleware's provider (errors' pages).
 */
export interface MiddlewareEnv { logger?: Logger; service?: ServiceLookup }

/** Builders by config key, with the span name Traefik gives the type (its `typeName`). */
const TYPES: { [K in MiddlewareType]-?: { span: string; build(cfg: NonNullable<Middleware[K]>, resolve: Resolve, env: MiddlewareEnv): Wrapper } } = {
  addPrefix: { span: 'AddPrefix', build: (c) => addPrefix(c) },
  stripPrefix: { span: 'StripPrefix', build: (c) => stripPrefix(c) },
  stripPrefixRegex: { span: 'StripPrefixRegex', build: (c) => stripPrefixRegex(c) },
  replacePath: { span: 'ReplacePath', build: (c) => replacePath(c) },
  replacePathRegex: { span: 'ReplacePathRegex', build: (c) => replacePathRegex(c) },
  chain: { span: 'Chain', build: (c, resolve) => chain(c, resolve) },
  ipAllowList: { span: 'IPAllowLister', build: (c) => ipAllowList(c) },
  headers: { span: 'Headers', build: (c) => headers(c) },
  redirectRegex: { span: 'RedirectRegex', build: (c) => redirectRegex(c) },
  redirectScheme: { span: 'RedirectScheme', build: (c) => redirectScheme(c) },
  basicAuth: { span: 'BasicAuth', build: (c) => basicAuth(c) },
  rateLimit: { span: 'RateLimiter', build: (c) => rateLimit(c) },
  retry: { span: 'Retry', build: (c) => retry(c) },
  circuitBreaker: { span: 'CircuitBreaker', build: (c) => circuitBreaker(c) },
  compress: { span: 'Compress', build: (c) => compress(c) },
  forwardAuth: { span: 'ForwardAuth', build: (c, _resolve, env) => forwardAuth(c, env.logger) },
  errors: { span: 'CustomError', build: (c, _resolve, env) => errorPages(c, env.service) },
  inFlightReq: { span: 'InFlightReq', build: (c) => inFlightReq(c) },
  buffering: { span: 'Buffer', build: (c, _resolve, env) => buffering(c, { logger: env.logger }) },
  digestAuth: { span: 'DigestAuth', build: (c) => digestAuth(c) },
  contentType: { span: 'ContentType', build: (c) => contentType(c) },
  passTLSClientCert: { span: 'PassClientTLSCert', build: (c) => passTLSClientCert(c) },
  grpcWeb: { span: 'GRPCWeb', build: (c) => grpcWeb(c) },
};

/**
 * Builds one middleware. `name` is qualified (`auth@file`); `resolve` returns another built middleware
 * by the reference a chain holds (the caller qualifies it and guards against cycles: the runtime's
 * `MiddlewareResolver`). Returns an Error (a `MiddlewareError` with a stable `code`) when the definition
 * has zero or several types, an unknown type, a bad option, or a chain member that is broken or cyclic.
 * @example
 * const built = buildMiddleware('strip@file', { stripPrefix: { prefixes: ['/api'] } }, resolve);
 * if (!(built instanceof Error)) handler = built.wrap(handler);
 */
export function buildMiddleware(name: string, def: Middleware, resolve: Resolve, env: MiddlewareEnv = {}): BuiltMiddleware | Error {
  const keys = Object.keys(def ?? {}).filter((k) => (def as Record<string, unknown>)[k] !== undefined);
  const unknown = keys.find((k) => !(k in TYPES));
  if (unknown !== undefined) {
    const hint = suggest(unknown, Object.keys(TYPES));
    return new MiddlewareError('TAGWAY_MIDDLEWARE_TYPE', `unknown middleware type "${unknown}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  if (keys.length !== 1) {
    return new MiddlewareError('TAGWAY_MIDDLEWARE_TYPE', keys.length === 0
      ? 'middleware has no type (set exactly one of ' + Object.keys(TYPES).join(', ') + ')'
      : `middleware has ${keys.length} types (${keys.join(', ')}); a middleware has exactly one`);
  }
  const type = keys[0] as MiddlewareType;
  const spec = TYPES[type] as { span: string; build(cfg: unknown, resolve: Resolve, env: MiddlewareEnv): Wrapper };
  let wrapper: Wrapper;
  try {
    wrapper = spec.build(def[type], resolve, env);
  } catch (err) {
    if (err instanceof MiddlewareError) return err;
    return new MiddlewareError('TAGWAY_MIDDLEWARE_CONFIG', `${type}: ${(err as Error).message}`, { cause: err });
  }
  const span = spec.span;
  // One attributes object per middleware, however many routers wrap it (read-only for the tracer, as per request).
  const attributes = { 'traefik.middleware.name': name };
  let closed = false;
  return {
    name,
    type,
    ...(wrapper.warnings !== undefined && wrapper.warnings.length > 0 ? { warnings: wrapper.warnings } : {}),
    wrap(next: Handler): Handler { return traced(wrapper.wrap(next), span, attributes); },
    close() {
      if (closed) return;
      closed = true;
      wrapper.close?.();
    },
  };
}

/**
 * With `detailed` tracing, each middleware runs inside an INTERNAL span named by its type (Traefik's span
 * tree); the span ends when the response is done. Otherwise the handler runs bare.
 */
function traced(inner: Handler, span: string, attributes: Readonly<Record<string, string>>): Handler {
  return function middlewareStep(ctx: RequestContext) {
    const trace = ctx.trace;
    if (trace?.verbosity !== 'detailed' || !trace.enterStep) { inner(ctx); return; }
    const step = trace.enterStep(span, attributes);
    if (!step) { inner(ctx); return; }
    ctx.res.once('close', function endStep() { step.end(); });
    withStep(ctx, step, () => inner(ctx));
  };
}
