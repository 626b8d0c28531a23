import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { RequestContext } from '../http/context.ts';
import type { TracingConfig } from '../static/types.ts';
import { BoundedBatchProcessor, type ExportStats, type WarnLogger } from './export/batch-processor.ts';
import { InlineChannel } from './export/channel.ts';
import { otlpProtocol } from './export/encoding.ts';
import { createExporter } from './export/exporter.ts';
import { otlpJson } from './export/otlp-json.ts';
import { otlpProto } from './export/otlp-proto.ts';
import { createPropagator, isPlainTraceContext } from './propagation.ts';
import { RecentTraces, type TraceSummary } from './recent.ts';
import { headerNames } from './redact.ts';
import { buildResource } from './resource.ts';
import { RequestSpans, type ServerTrace } from './spans/request-trace.ts';
import type { SpanRuntime } from './spans/runtime.ts';

/** One tracing instance: its own sampler, propagator, resource, span queue and exporter (nothing global, no SDK tracer provider). */
export interface Tracing {
  /** Starts the spans of a request (nothing recorded when it is sampled out); call only when `shouldTrace` said yes. */
  startRequest(ctx: RequestContext): ServerTrace;
  stats(): ExportStats;
  /** The most recent sampled requests, newest first, for the dashboard. */
  recent(): TraceSummary[];
  /** Exports everything queued now, within the deadline (default `batch.exportTimeout`); tracing goes on. */
  flush(deadlineMs?: number): Promise<void>;
  /** Flushes what is queued within the deadline (default `shutdownTimeout`), then stops. Idempotent. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export interface TracingOptions {
  /** service.version (default: tagway's package version, given by the caller). */
  version?: string;
  /** Environment for OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES / OTEL_PROPAGATORS (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where dropped-span warnings go (default console.warn). */
  logger?: WarnLogger;
}

const consoleLogger: WarnLogger = { warn: (message, fields) => console.warn(message, fields ?? '') };

/**
 * Builds tracing from the static `tracing` section: spans recorded by tagway itself (spans/span.ts says
 * why not the SDK's Span objects) with the SDK's pieces where they define behaviour: the resource
 * (detectors + service name + attributes + env), ParentBased(TraceIdRatioBased(sampleRate)) with the SDK's
 * ratio sampler, the configured OTel propagators. A bounded batch processor exports the spans, encoded as they
 * end, as OTLP/HTTP protobuf (or JSON with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, see otlpProtocol) through
 * tagway's own abortable exporter (OtlpHttpExporter) to `otlp.http.endpoint`, and a ring keeps recent traces.
 * Nothing global.
 *
 * @example
 * const tracing = createTracing(config.tracing, { version: '0.1.0', logger: log });
 * server.on('request', (req, res) => {
 *   const ctx = newRequestContext(req, res, ep)!;
 *   // after matching: ctx.routerName/serviceName/rule and ctx.observability (mergeObservability) are set
 *   if (shouldTrace({ tracingConfigured: true, internal: route.internal, addInternals, tracing: ctx.observability.tracing })) {
 *     ctx.trace = tracing.startRequest(ctx); // opens Router itself when detailed; Service opens at the first attempt
 *   }
 * });
 * await tracing.shutdown();
 */
export function createTracing(config: TracingConfig, options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const version = options.version ?? '0.0.0';
  const batch = config.batch;
  validate(config);
  const encoding = otlpProtocol(env) === 'http/json' ? otlpJson : otlpProto;
  const out = new InlineChannel(createExporter(config.otlp.http, `tagway/${version}`, encoding.contentType));
  const processor = new BoundedBatchProcessor(batch, out, options.logger ?? consoleLogger, {
    resource: buildResource(config, version, env), scope: { name: 'tagway', version }, attributeCountLimit: attributeCountLimit(env), encoding,
  });
  const recent = new RecentTraces();
  const propagator = createPropagator(env);
  const runtime: SpanRuntime = {
    sink: processor,
    sampleRoot: rootSampler(config.sampleRate),
    propagator,
    propagationFields: propagator.fields().map((f) => f.toLowerCase()),
    plainTraceContext: isPlainTraceContext(env),
    recent,
    requestHeaders: headerNames(config.capturedRequestHeaders),
    responseHeaders: headerNames(config.capturedResponseHeaders),
    safeQueryParams: new Set(config.safeQueryParams),
  };
  let stopping: Promise<void> | undefined;

  return {
    startRequest: function startRequest(ctx) { return new RequestSpans(runtime, ctx); },
    stats: () => processor.stats(),
    recent: () => recent.list(),
    flush: (deadlineMs) => processor.forceFlush(deadlineMs),
    shutdown(deadlineMs = config.shutdownTimeout) {
      stopping ??= (async function stop() {
        // Export timers are unref'd so tracing never holds a running process open; during shutdown that
        // would let the process exit mid-retry (collector down), before the drops are counted and logged.
        // One ref'd timer keeps it alive until the flush ends or its deadline passes, whichever is first.
        const keepAlive = setTimeout(() => {}, deadlineMs + 100);
        try {
          await processor.shutdown(deadlineMs);
          await out.shutdown(); // aborts anything still in flight, retries included
        } finally {
          clearTimeout(keepAlive);
        }
      })();
      return stopping;
    },
  };
}

/**
 * The root sampler: the SDK's TraceIdRatioBased(rate) (same trace ids, same decisions as any OTel SDK
 * sampling at that ratio), with the two ends as constant decisions (no trace-id arithmetic per request).
 */
function rootSampler(rate: number): (traceId: string) => boolean {
  if (rate >= 1) return function alwaysOn() { return true; };
  if (rate <= 0) return function alwaysOff() { return false; };
  const ratio = new TraceIdRatioBasedSampler(rate);
  return function traceIdRatio(traceId) { return ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED; };
}

/** OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, else OTEL_ATTRIBUTE_COUNT_LIMIT, else the SDK's 128. */
function attributeCountLimit(env: Record<string, string | undefined>): number {
  for (const name of ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT']) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new TracingConfigError(`${name} must be a non-negative integer, got "${raw}"`);
    return n;
  }
  return 128;
}

/** Tracing config errors, caught at construction and naming the option (never mid-request). */
export class TracingConfigError extends Error {
  readonly code = 'TAGWAY_TRACING_CONFIG' as const;
  constructor(message: string) { super(message); this.name = 'TracingConfigError'; }
}

function validate(config: TracingConfig): void {
  const b = config.batch;
  if (!(config.sampleRate >= 0 && config.sampleRate <= 1)) throw new TracingConfigError(`tracing.sampleRate must be between 0 and 1, got ${config.sampleRate}`);
  for (const key of ['maxQueueSize', 'maxExportBatchSize'] as const) {
    if (!Number.isInteger(b[key]) || b[key] <= 0) throw new TracingConfigError(`tracing.batch.${key} must be a positive integer, got ${b[key]}`);
  }
  if (!(b.scheduledDelay >= 0)) throw new TracingConfigError(`tracing.batch.scheduledDelay must be ≥ 0 ms, got ${b.scheduledDelay}`);
  if (!(b.exportTimeout > 0)) throw new TracingConfigError(`tracing.batch.exportTimeout must be > 0 ms, got ${b.exportTimeout}`);
  if (b.maxExportBatchSize > b.maxQueueSize) {
    throw new TracingConfigError(`tracing.batch.maxExportBatchSize (${b.maxExportBatchSize}) must not exceed maxQueueSize (${b.maxQueueSize})`);
  }
  const endpoint = URL.canParse(config.otlp.http.endpoint) ? new URL(config.otlp.http.endpoint) : undefined;
  if (endpoint?.protocol !== 'http:' && endpoint?.protocol !== 'https:') {
    throw new TracingConfigError(`tracing.otlp.http.endpoint must be an http(s) URL such as http://collector:4318/v1/traces, got "${config.otlp.http.endpoint}"`);
  }
}
