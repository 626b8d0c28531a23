import type { RequestContext } from '../../http/context.ts';
import { captureHeaders, redactQuery } from '../redact.ts';
import { protocolVersion, type SpanRuntime } from './runtime.ts';
import type { RecordedSpan } from './span.ts';
import { isDigits } from '../../util/digits.ts';

/**
 * The attributes of the SERVER span (Traefik's entry-point layer), set once when a sampled request
 * arrives; `http.response.status_code` and response headers come at its end (request-trace.ts).
 * Returns `url.path` (the dashboard lists it).
 */
export function setServerAttributes(rt: SpanRuntime, ctx: RequestContext, span: RecordedSpan): string {
  const req = ctx.req;
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  span.set('entry_point', ctx.entryPoint);
  span.set('http.request.method', ctx.method);
  span.set('network.protocol.version', protocolVersion(req.httpVersion));
  span.set('url.path', path);
  if (q !== -1) span.set('url.query', redactQuery(target.slice(q + 1), rt.safeQueryParams));
  // the forwarded proto the gateway trusts (set by newRequestContext), as Traefik reads X-Forwarded-Proto
  span.set('url.scheme', first(ctx.headers['x-forwarded-proto']) ?? ctx.scheme);
  span.set('server.address', req.headers.host ?? ctx.host);
  // the real client behind trusted proxies: X-Forwarded-For only survives from trusted peers
  span.set('client.address', firstForwardedFor(ctx.headers['x-forwarded-for']) ?? ctx.clientIp);
  span.set('client.port', ctx.clientPort);
  span.set('network.peer.address', ctx.clientIp);
  span.set('network.peer.port', ctx.clientPort);
  const ua = req.headers['user-agent'];
  if (ua !== undefined) span.set('user_agent.original', ua);
  const length = req.headers['content-length'];
  if (length !== undefined && isDigits(length)) span.set('http.request.body.size', Number(length));
  if (rt.requestHeaders.length > 0) captureHeaders(span, 'http.request.header.', rt.requestHeaders, req.headers, req.headersDistinct);
  return path;
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
