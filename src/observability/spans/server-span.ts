import { SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { RequestContext } from '../../proxy/context.ts';
import { captureHeaders, redactQuery } from '../redact.ts';
import { protocolVersion, type SpanRuntime } from './runtime.ts';

/**
 * The SERVER span of one request (Traefik's entry-point layer), named after the method and a child of the
 * context extracted from the incoming headers. Attributes are built in one object and set once, only
 * when the span records: a sampled-out request pays for ids, not for attributes. The start is "now":
 * startRequest runs synchronously right after arrival, and a provided start time would make the SDK
 * fall back to millisecond end times.
 */
export function startServerSpan(rt: SpanRuntime, ctx: RequestContext, parent: Context): Span {
  const span = rt.tracer.startSpan(ctx.method, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) span.setAttributes(serverAttributes(rt, ctx));
  return span;
}

export function serverAttributes(rt: SpanRuntime, ctx: RequestContext): Attributes {
  const req = ctx.req;
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const attrs: Attributes = {
    entry_point: ctx.entryPoint,
    'http.request.method': ctx.method,
    'network.protocol.version': protocolVersion(req.httpVersion),
    'url.path': q === -1 ? target : target.slice(0, q),
    // the forwarded proto the gateway trusts (set by newRequestContext), as Traefik reads X-Forwarded-Proto
    'url.scheme': first(ctx.headers['x-forwarded-proto']) ?? ctx.scheme,
    'server.address': req.headers.host ?? ctx.host,
    // the real client behind trusted proxies: X-Forwarded-For only survives from trusted peers
    'client.address': firstForwardedFor(ctx.headers['x-forwarded-for']) ?? ctx.clientIp,
    'client.port': ctx.clientPort,
    'network.peer.address': ctx.clientIp,
    'network.peer.port': ctx.clientPort,
  };
  if (q !== -1) attrs['url.query'] = redactQuery(target.slice(q + 1), rt.safeQueryParams);
  const ua = req.headers['user-agent'];
  if (ua !== undefined) attrs['user_agent.original'] = ua;
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/.test(length)) attrs['http.request.body.size'] = Number(length);
  if (rt.requestHeaders.length > 0) {
    captureHeaders(attrs as Record<string, string[]>, 'http.request.header.', rt.requestHeaders, req.headers, req.headersDistinct);
  }
  return attrs;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function firstForwardedFor(value: string | string[] | undefined): string | undefined {
  const raw = first(value);
  if (!raw) return undefined;
  const comma = raw.indexOf(',');
  const ip = (comma === -1 ? raw : raw.slice(0, comma)).trim();
  return ip === '' ? undefined : ip;
}
