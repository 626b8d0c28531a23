import type { AccessLogConfig } from '../static/types.ts';
import type { RequestContext } from '../http/context.ts';

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
  OriginContentSize?: number;
  RequestAddr: string;
  RequestHost: string;
  RequestMethod: string;
  RequestPath: string;
  RequestProtocol: string;
  RequestScheme: string;
  RequestCount: number;
  RequestPort: string;
  RequestContentSize: number;
  StartLocal: string;
  ServiceAddr?: string;
  RetryAttempts: number;
  RouterName?: string;
  ServiceName?: string;
  ServiceURL?: string;
  entryPointName: string;
  StartUTC: string;
  TraceId?: string;
  SpanId?: string;
  /** tagway addition: the gRPC status of a gRPC call (grpc-status of its trailers or trailers-only answer). */
  GRPCStatus?: number;
  [header: string]: unknown;
}

/** What the access log captured when the request arrived (middlewares may rewrite the request later). */
export interface Arrival { count: number; start: Date; path: string }

export function buildFields(ctx: RequestContext, arrival: Arrival, config: AccessLogConfig, contentLength: number): AccessLogFields {
  const req = ctx.req;
  const durationNs = Number(process.hrtime.bigint() - ctx.start);
  const status = ctx.status ?? ctx.res.statusCode;
  const length = contentLength || Number(ctx.res.getHeader('content-length') ?? 0) || 0;
  const fields: AccessLogFields = {
    ClientAddr: `${ctx.clientIp}:${ctx.clientPort}`,
    ClientHost: ctx.clientIp,
    ClientPort: String(ctx.clientPort),
    ClientUsername: ctx.user ?? '-',
    DownstreamContentSize: length,
    DownstreamStatus: status,
    Duration: durationNs,
    RequestAddr: req.headers.host ?? '',
    RequestHost: ctx.host,
    RequestPort: hostPort(req.headers.host ?? ''),
    RequestContentSize: Number(req.headers['content-length'] ?? 0) || 0,
    RequestMethod: ctx.method,
    RequestPath: arrival.path,
    RequestProtocol: `HTTP/${req.httpVersion}`,
    RequestScheme: ctx.scheme,
    RequestCount: arrival.count,
    RetryAttempts: Math.max(0, ctx.attempts - 1),
    entryPointName: ctx.entryPoint,
    StartUTC: arrival.start.toISOString(),
    StartLocal: localIso(arrival.start),
  };
  if (ctx.routerName) fields.RouterName = ctx.routerName;
  if (ctx.serviceName) fields.ServiceName = ctx.serviceName;
  if (ctx.upstream) {
    fields.ServiceURL = ctx.upstream;
    fields.OriginStatus = status;
    fields.OriginContentSize = length;
    try { fields.ServiceAddr = new URL(ctx.upstream).host; } catch { /* not a URL: leave it out */ }
  }
  if (ctx.grpcStatus !== undefined) fields.GRPCStatus = ctx.grpcStatus;
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
 * Traefik's common format, field for field as its CommonLogFormatter prints it: CLF with the *origin*
 * status and size ("-" when no server answered), referer and user agent only when those request headers
 * are kept (`fields.headers`), then the request count, router name, server URL and whole milliseconds.
 * A field dropped or redacted by `fields.names` prints as its value or "-", as in Traefik.
 *
 * @example
 * // 127.0.0.1 - - [26/Nov/2026:09:12:37 +0000] "GET /x HTTP/1.1" 200 12 "-" "-" 3 "whoami@consulcatalog" "http://127.0.0.1:9001" 1ms
 */
export function formatCommon(f: AccessLogFields): string {
  // Go's toLog: a missing or empty field prints its default as given; a present string is quoted when asked; numbers never.
  const log = (v: unknown, dflt: string, quote: boolean): string =>
    v === undefined || v === null || v === '' ? dflt : typeof v === 'string' && quote ? `"${v}"` : String(v);
  const plain = (v: unknown): string => log(v, '-', false);
  const start = typeof f.StartUTC === 'string' && f.StartUTC !== 'REDACTED' ? clfDate(new Date(f.StartUTC)) : '-';
  const ms = typeof f.Duration === 'number' ? Math.trunc(f.Duration / 1e6) : 0;
  return `${plain(f.ClientHost)} - ${plain(f.ClientUsername)} [${start}] "${plain(f.RequestMethod)} ${plain(f.RequestPath)} ${plain(f.RequestProtocol)}" `
    + `${log(f.OriginStatus, '-', true)} ${log(f.OriginContentSize, '-', true)} ${log(f['request_Referer'], '"-"', true)} ${log(f['request_User-Agent'], '"-"', true)} `
    + `${log(f.RequestCount, '-', true)} ${log(f.RouterName, '"-"', true)} ${log(f.ServiceURL, '"-"', true)} ${ms}ms`
    // tagway addition, on gRPC calls only (Traefik's line stays as is for everything else)
    + (typeof f.GRPCStatus === 'number' ? ` grpc-status=${f.GRPCStatus}` : '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function clfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Traefik's RequestPort: the Host header's port, "-" when it has none. */
function hostPort(host: string): string {
  const m = /:(\d+)$/.exec(host);
  return m && !host.endsWith(']') ? m[1]! : '-';
}

/** RFC 3339 in the process's time zone (Go's time.Local), as Traefik's StartLocal. */
function localIso(d: Date): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(off / 60)}:${p(off % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${zone}`;
}

function canonical(name: string): string {
  return name.split('-').map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p)).join('-');
}
