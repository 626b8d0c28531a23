import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { OutgoingHttpHeaders } from 'node:http';
import type { AttemptObserver } from '../../proxy/context.ts';
import { injectReplacing, type Carrier } from '../propagation.ts';
import { captureHeaders, redactUrl } from '../redact.ts';
import { setHttpStatus, type SpanRuntime } from './runtime.ts';

/**
 * The CLIENT span `ReverseProxy` of one upstream attempt. Injects this span's context into the upstream
 * headers (replacing any incoming traceparent), even when sampled out, so the upstream sees `…-00` and
 * continues the same trace id. Ends when the upstream answers (head received) or fails, as Traefik's
 * round-tripper does.
 */
export function startClientSpan(
  rt: SpanRuntime, parent: Context, method: string, target: () => URL, headers: Carrier, resendCount: number,
): Attempt {
  const span = rt.tracer.startSpan('ReverseProxy', { kind: SpanKind.CLIENT }, parent);
  if (span.isRecording()) span.setAttributes(clientAttributes(rt, method, target(), headers, resendCount));
  injectReplacing(rt.propagator, rt.propagationFields, trace.setSpan(parent, span), headers);
  return new Attempt(rt, span);
}

function clientAttributes(rt: SpanRuntime, method: string, target: URL, headers: Carrier, resendCount: number): Attributes {
  const scheme = target.protocol.slice(0, -1);
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const port = target.port !== '' ? Number(target.port) : scheme === 'https' ? 443 : 80;
  const attrs: Attributes = {
    'http.request.method': method,
    'network.protocol.version': '1.1',
    'url.full': redactUrl(target, rt.safeQueryParams),
    'url.scheme': scheme,
    'server.address': host,
    'server.port': port,
    'network.peer.address': host,
    'network.peer.port': port,
  };
  const ua = headers['user-agent'];
  if (ua !== undefined) attrs['user_agent.original'] = Array.isArray(ua) ? ua.join(', ') : ua;
  if (resendCount > 0) attrs['http.request.resend_count'] = resendCount;
  captureHeaders(attrs as Record<string, string[]>, 'http.request.header.', rt.requestHeaders, headers);
  return attrs;
}

/** One attempt's observer; `ended` lets the request close an attempt the forwarder never reported. */
export class Attempt implements AttemptObserver {
  readonly #rt: SpanRuntime;
  readonly #span: Span;
  #ended = false;

  constructor(rt: SpanRuntime, span: Span) {
    this.#rt = rt;
    this.#span = span;
  }

  get ended(): boolean { return this.#ended; }

  onResponse(status: number, headers: OutgoingHttpHeaders): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.#span;
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', status);
      setHttpStatus(span, status, 400);
      if (this.#rt.responseHeaders.length > 0) {
        const attrs: Record<string, string[]> = {};
        captureHeaders(attrs, 'http.response.header.', this.#rt.responseHeaders, headers);
        span.setAttributes(attrs);
      }
    }
    span.end();
  }

  /** Transport failure: `status` is what the client gets (502 refused/reset, 504 timeout, 499 client gone). */
  onError(status: number, error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.#span;
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', status);
      const code = (error as { code?: unknown }).code;
      span.setAttribute('error.type', typeof code === 'string' ? code : error.name);
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  }
}
