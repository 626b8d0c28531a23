import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../../static/types.ts';

/** An exporter plus the one thing the SDK's lacks: cutting its in-flight request at our deadline. */
export interface AbortableExporter {
  exporter: SpanExporter;
  /** Destroys the sockets of the exports in flight (they then fail with `reason`). */
  abort(reason: Error): void;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/**
 * OTLP/HTTP (JSON, as exporter-trace-otlp-http 0.223 sends by default) to `otlp.http.endpoint`.
 * An endpoint without a path gets `/v1/traces`. The agent is private to this exporter, which is what lets
 * `abort` end exactly our requests (the SDK's own timeout only rejects while the request keeps running).
 *
 * @example
 * const { exporter, abort } = createExporter(config.otlp.http, 10_000);
 */
export function createExporter(http: TracingConfig['otlp']['http'], exportTimeout: number): AbortableExporter {
  const url = tracesUrl(http.endpoint);
  const agent = url.startsWith('https:') ? new HttpsAgent({ keepAlive: true, ...tlsOptions(http.tls) }) : new HttpAgent({ keepAlive: true });
  const exporter = new OTLPTraceExporter({
    url,
    headers: { ...http.headers },
    timeoutMillis: exportTimeout,
    // one export at a time is ours to enforce; a little slack covers requests still unwinding after an abort
    concurrencyLimit: 4,
    httpAgentOptions: function privateAgent() { return agent; },
  });
  return {
    exporter,
    abort(reason) {
      for (const list of Object.values(agent.sockets)) for (const socket of list ?? []) socket.destroy(reason);
    },
    close() { agent.destroy(); },
  };
}

/** "http://collector:4318" → "http://collector:4318/v1/traces"; an explicit path is kept as is. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.href;
}

/** Traefik's tls options take file paths; inline PEM is accepted too. */
function tlsOptions(tls: TracingConfig['otlp']['http']['tls']): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } {
  return {
    ca: pem(tls?.ca),
    cert: pem(tls?.cert),
    key: pem(tls?.key),
    rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
  };
}

function pem(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}
