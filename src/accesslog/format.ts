import type { AccessLogConfig } from '../static/types.ts';
import type { RequestContext } from '../proxy/context.ts';

/** Traefik's access-log field names (JSON format). */
export interface AccessLogFields {
  ClientAddr: string;
  ClientHost: string;
  ClientPort: string;
  ClientUsername: string;
  DownstreamContentSize: number;
  DownstreamStatus: number;
  Duration: number;
  OriginStatus?: number;
  RequestAddr: string;
  RequestHost: string;
  RequestMethod: string;
  RequestPath: string;
  RequestProtocol: string;
  RequestScheme: string;
  RequestCount: number;
  RetryAttempts: number;
  RouterName?: string;
  ServiceName?: string;
  ServiceURL?: string;
  entryPointName: string;
  StartUTC: string;
  TraceId?: string;
  SpanId?: string;
  [header: string]: unknown;
}

export function buildFields(ctx: RequestContext, count: number, start: Date, config: AccessLogConfig, contentLength: number): AccessLogFields {
  const req = ctx.req;
  const durationNs = Number(process.hrtime.bigint() - ctx.start);
  const status = ctx.status ?? ctx.res.statusCode;
  const length = contentLength || Number(ctx.res.getHeader('content-length') ?? 0) || 0;
  const fields: AccessLogFields = {
    ClientAddr: `${ctx.clientIp}:${ctx.clientPort}`,
    ClientHost: ctx.clientIp,
    ClientPort: String(ctx.clientPort),
    ClientUsername: '-',
    DownstreamContentSize: length,
    DownstreamStatus: status,
    Duration: durationNs,
    RequestAddr: req.headers.host ?? '',
    RequestHost: ctx.host,
    RequestMethod: ctx.method,
    RequestPath: req.url ?? '',
    RequestProtocol: `HTTP/${req.httpVersion}`,
    RequestScheme: ctx.scheme,
    RequestCount: count,
    RetryAttempts: Math.max(0, ctx.attempts - 1),
    entryPointName: ctx.entryPoint,
    StartUTC: start.toISOString(),
  };
  if (ctx.routerName) fields.RouterName = ctx.routerName;
  if (ctx.serviceName) fields.ServiceName = ctx.serviceName;
  if (ctx.upstream) { fields.ServiceURL = ctx.upstream; fields.OriginStatus = status; }
  if (ctx.trace?.traceId) { fields.TraceId = ctx.trace.traceId; fields.SpanId = ctx.trace.spanId; }
  const headerMode = config.fields?.headers?.defaultMode ?? 'drop';
  const names = config.fields?.headers?.names ?? {};
  for (const [name, value] of Object.entries(req.headers)) {
    const mode = names[name] ?? names[canonical(name)] ?? headerMode;
    if (mode === 'drop') continue;
    fields[`request_${canonical(name)}`] = mode === 'redact' ? 'REDACTED' : Array.isArray(value) ? value.join(',') : value;
  }
  const fieldMode = config.fields?.defaultMode ?? 'keep';
  const fieldNames = config.fields?.names ?? {};
  for (const key of Object.keys(fields)) {
    if (key.startsWith('request_')) continue;
    const mode = fieldNames[key] ?? fieldMode;
    if (mode === 'drop') delete fields[key];
    else if (mode === 'redact') fields[key] = 'REDACTED';
  }
  return fields;
}

/**
 * Traefik's common format: CLF, then the request count, router name, server URL and duration.
 * `<ip> - <user> [<time>] "<method> <path> <proto>" <status> <size> "<referer>" "<agent>" <count> "<router>" "<url>" <ms>ms`
 */
export function formatCommon(f: AccessLogFields, referer = '-', agent = '-'): string {
  const ms = Math.round(Number(f.Duration) / 1e6);
  return `${f.ClientHost} - ${f.ClientUsername} [${clfDate(new Date(String(f.StartUTC)))}] "${f.RequestMethod} ${f.RequestPath} ${f.RequestProtocol}" ${f.DownstreamStatus} ${f.DownstreamContentSize} "${referer}" "${agent}" ${f.RequestCount} "${f.RouterName ?? '-'}" "${f.ServiceURL ?? '-'}" ${ms}ms`
    + (f.TraceId ? ` TraceId=${f.TraceId} SpanId=${f.SpanId}` : '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function clfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function canonical(name: string): string {
  return name.split('-').map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p)).join('-');
}
