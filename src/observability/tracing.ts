import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { RequestContext } from '../http/context.ts';
import type { TracingConfig } from '../static/types.ts';
import { BoundedBatchProcessor, type ExportStats, type WarnLogger } from './export/batch-processor.ts';
import { InlineChannel } from './export/channel.ts';
import { createExporter } from './export/exporter.ts';
import { otlpJson } from './export/otlp-json.ts';
import { otlpProto } from './export/otlp-proto.ts';
import { createPropagator, isPlainTraceContext } from './propagation.ts';
import { RecentTraces, type TraceSummary } from './recent.ts';
import { headerNames } from './redact.ts';
import { buildResource } from './resource.ts';
import { describeSettings, tracingSettings, TracingConfigError, type SamplerName, type TracingSettings } from './settings.ts';
import { RequestSpans, type ServerTrace } from './spans/request-trace.ts';
import type { SpanRuntime } from './spans/runtime.ts';

/** One tracing instance: its own sampler, propagator, resource, span queue and exporter (nothing global, no SDK tracer provider). */
export interface Tracing {
  /** Starts the spans of a request (nothing recorded when it is sampled out); call only when `shouldTrace` said yes. */
  startRequest(ctx: RequestContext): ServerTrace;
  stats(): ExportStats;
  /** The effective exporter, batch and sampler settings, each with its source (for /api/overview). */
  settings(): Record<string, unknown>;
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
 * end, as OTLP protobuf over gRPC (`otlp.grpc`) or HTTP (or JSON with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; settings.ts
 * resolves file, flags and OTEL_*) through tagway's own abortable exporters, and a ring keeps recent traces.
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
  const settings = tracingSettings(config, env);
  const batch = Object.fromEntries(Object.entries(settings.batch).map(([k, v]) => [k, v.value])) as TracingConfig['batch'];
  const encoding = settings.protocol.value === 'http/json' ? otlpJson : otlpProto;
  const out = new InlineChannel(createExporter({
    protocol: settings.protocol.value, endpoint: settings.endpoint.value, headers: settings.headers.value, compression: settings.compression.value,
    insecure: settings.insecure.value, attemptTimeoutMs: settings.timeout.value, userAgent: `tagway/${version}`, contentType: encoding.contentType,
    tls: { ca: settings.tls.ca.value, cert: settings.tls.cert.value, key: settings.tls.key.value, insecureSkipVerify: settings.tls.insecureSkipVerify },
  }));
  const processor = new BoundedBatchProcessor(batch, out, options.logger ?? consoleLogger, {
    resource: buildResource(config, version, env), scope: { name: 'tagway', version }, encoding,
    attributeCountLimit: settings.limits.attributeCount.value, attributeValueLengthLimit: settings.limits.attributeValueLength.value,
    eventCountLimit: settings.limits.eventCount.value,
  });
  const recent = new RecentTraces();
  const propagator = createPropagator(env);
  const runtime: SpanRuntime = {
    sink: processor,
    sample: sampler(settings.sampler.value),
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
    settings: () => describeSettings(settings),
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
 * The sampler of OTEL_TRACES_SAMPLER (or tracing.sampleRate: parentbased_traceidratio): `parentSampled` is
 * the incoming parent's sampled flag (undefined for a new trace). Ratios use the SDK's TraceIdRatioBased (same
 * trace ids, same decisions as any OTel SDK at that ratio); the two ends are constants (no arithmetic per request).
 */
function sampler(choice: { name: SamplerName; ratio: number }): (parentSampled: boolean | undefined, traceId: string) => boolean {
  const root = rootSampler(choice.ratio);
  if (!choice.name.startsWith('parentbased_')) return function ignoreParent(_parent, traceId) { return root(traceId); };
  return function parentBased(parent, traceId) { return parent ?? root(traceId); };
}

function rootSampler(rate: number): (traceId: string) => boolean {
  if (rate >= 1) return function alwaysOn() { return true; };
  if (rate <= 0) return function alwaysOff() { return false; };
  const ratio = new TraceIdRatioBasedSampler(rate);
  return function traceIdRatio(traceId) { return ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED; };
}

export { TracingConfigError };
