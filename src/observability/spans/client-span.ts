import type { OutgoingHttpHeaders } from 'node:http';
import type { AttemptObserver } from '../../http/hooks.ts';
import type { Carrier } from '../propagation.ts';
import { captureHeaders, redactUrl } from '../redact.ts';
import type { SpanRuntime } from './runtime.ts';
import { setHttpStatus, type RecordedSpan } from './span.ts';
import { setGrpcStatus } from './rpc.ts';
import { applyFields, CLIENT_KEYS, type FieldValues } from './fields.ts';

/**
 * What the client span says of a server, derived once per server URL; and the last `url.full` made for it (the
 * path and safe query parameters it was made from). Why keep it: requests to one server mostly repeat their path,
 * and the same string object, not an equal new one, lets the encoder and its pair cache match it by identity; an
 * `origin + path` made per request is a cons string, which V8 compares (and hashes) only after flattening it in the
 * runtime, ~1,600 instructions a request in the encoder (callgrind, bench/README).
 */
interface ServerParts {
  scheme: string; host: string; port: number; origin: string;
  /** network.protocol.version */
  version: string;
  lastPath: string | undefined; lastSafe: ReadonlySet<string> | undefined; lastFull: string;
}

const SERVERS = new WeakMap<URL, ServerParts>();

function serverParts(server: URL): ServerParts {
  let parts = SERVERS.get(server);
  if (parts === undefined) {
    const scheme = server.protocol.slice(0, -1);
    parts = {
      scheme,
      host: server.hostname.startsWith('[') ? server.hostname.slice(1, -1) : server.hostname,
      port: server.port !== '' ? Number(server.port) : scheme === 'https' ? 443 : 80,
      // URL.origin is "null" for schemes WHATWG does not know (h2c)
      origin: `${scheme}://${server.host}`,
      version: scheme === 'h2c' ? '2' : '1.1',
      lastPath: undefined, lastSafe: undefined, lastFull: '',
    };
    SERVERS.set(server, parts);
  }
  return parts;
}

/** A CLIENT span's values, in CLIENT_KEYS order (undefined: not set), when a sampled attempt starts. */
export function clientValues(rt: SpanRuntime, method: string, server: URL, path: string, headers: Carrier, resendCount: number): FieldValues {
  const parts = serverParts(server);
  const { scheme, host, port } = parts;
  const safe = rt.safeQueryParams;
  if (path !== parts.lastPath || safe !== parts.lastSafe) {
    parts.lastFull = redactUrl(parts.origin, path, safe);
    parts.lastPath = path;
    parts.lastSafe = safe;
  }
  const ua = headers['user-agent'];
  return [
    method,
    parts.version,
    parts.lastFull,
    scheme,
    host,
    port,
    host,
    port,
    ua === undefined ? undefined : Array.isArray(ua) ? ua.join(', ') : ua,
    resendCount > 0 ? resendCount : undefined,
    undefined, // http.response.status_code, when the upstream answers
  ];
}

/** Sets a CLIENT span's attributes on `span` (captured request headers after the others). */
export function setClientAttributes(rt: SpanRuntime, span: RecordedSpan, method: string, server: URL, path: string, headers: Carrier, resendCount: number): void {
  applyFields(span, CLIENT_KEYS, clientValues(rt, method, server, path, headers, resendCount));
  if (rt.requestHeaders.length > 0) captureHeaders(span, 'http.request.header.', rt.requestHeaders, headers);
}

/**
 * The outcome of one recorded upstream attempt, on its CLIENT span `ReverseProxy`. The span ends when
 * the upstream answers (head received) or fails, as Traefik's round-tripper does; `ended` lets the
 * request close an attempt the forwarder never reported.
 */
export class Attempt implements AttemptObserver {
  readonly #rt: SpanRuntime;
  readonly span: RecordedSpan;
  /**
   * A gRPC call: the span stays open past the head until the call ends (`complete`), since the status comes in
   * the trailers.
   */
  readonly #grpc: boolean;
  #answered = false;

  constructor(rt: SpanRuntime, span: RecordedSpan, grpc = false) {
    this.#rt = rt;
    this.span = span;
    this.#grpc = grpc;
  }

  get ended(): boolean { return this.span.endTime >= 0; }

  /** The head arrived and the span waits for the call's end (gRPC). */
  get awaitingEnd(): boolean { return this.#answered && !this.ended; }

  onResponse(status: number, headers: OutgoingHttpHeaders): void {
    const span = this.span;
    if (span.endTime >= 0 || this.#answered) return;
    span.set('http.response.status_code', status);
    setHttpStatus(span, status, 400);
    if (this.#rt.responseHeaders.length > 0) captureHeaders(span, 'http.response.header.', this.#rt.responseHeaders, headers);
    if (this.#grpc) { this.#answered = true; return; }
    span.end();
  }

  /** Ends a gRPC attempt that was answered, with the call's status (`undefined`: none came). */
  complete(grpcStatus: number | undefined): void {
    if (this.span.endTime >= 0) return;
    setGrpcStatus(this.span, grpcStatus);
    this.span.end();
  }

  annotate(attributes: Record<string, string>): void {
    const span = this.span;
    if (span.endTime >= 0) return;
    for (const key in attributes) span.set(key, attributes[key]!);
  }

  /** Transport failure: `status` is what the client gets (502 refused/reset, 504 timeout, 499 client gone). */
  onError(status: number, error: Error): void {
    const span = this.span;
    if (span.endTime >= 0) return;
    span.set('http.response.status_code', status);
    const code = (error as { code?: unknown }).code;
    span.set('error.type', typeof code === 'string' ? code : error.name);
    span.recordException(error);
    span.end(error.message);
  }
}
