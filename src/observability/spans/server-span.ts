import type { RequestContext } from '../../http/context.ts';
import { captureHeaders, redactQuery } from '../redact.ts';
import { applyFields, SERVER_KEYS, SERVER_PATH, type FieldValues } from './fields.ts';
import { protocolVersion, type SpanRuntime } from './runtime.ts';
import type { RecordedSpan } from './span.ts';
import { isDigits } from '../../util/digits.ts';

/**
 * The SERVER span's values, in SERVER_KEYS order (undefined: not set), read from the request as it arrives.
 */
export function serverValues(rt: SpanRuntime, ctx: RequestContext): FieldValues {
  const req = ctx.req;
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const ua = req.headers['user-agent'];
  const length = req.headers['content-length'];
  return [
    ctx.entryPoint,
    ctx.method,
    protocolVersion(req.httpVersion),
    q === -1 ? target : target.slice(0, q),
    q !== -1 ? redactQuery(target.slice(q + 1), rt.safeQueryParams) : undefined,
    // the forwarded proto the gateway trusts (set by newRequestContext), as Traefik reads X-Forwarded-Proto
    first(ctx.headers['x-forwarded-proto']) ?? ctx.scheme,
    req.headers.host ?? ctx.host,
    // the real client behind trusted proxies: X-Forwarded-For only survives from trusted peers
    firstForwardedFor(ctx.headers['x-forwarded-for']) ?? ctx.clientIp,
    ctx.clientPort,
    ctx.clientIp,
    ctx.clientPort,
    ua,
    length !== undefined && isDigits(length) ? Number(length) : undefined,
    undefined, // http.response.status_code, at the end
  ];
}

/**
 * Sets the SERVER span's attributes on `span` (the captured request headers after the others, as Traefik does).
 * Returns `url.path` (the dashboard lists it).
 */
export function setServerAttributes(rt: SpanRuntime, ctx: RequestContext, span: RecordedSpan): string {
  const values = serverValues(rt, ctx);
  applyFields(span, SERVER_KEYS, values);
  const req = ctx.req;
  if (rt.requestHeaders.length > 0) captureHeaders(span, 'http.request.header.', rt.requestHeaders, req.headers, req.headersDistinct);
  return values[SERVER_PATH] as string;
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
