import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { RequestContext } from '../http/context.ts';
import type { TracingConfig } from '../static/types.ts';
import { BoundedBatchProcessor, type ExportStats, type WarnLogger } from './export/batch-processor.ts';
import { InlineChannel, type ExportChannel } from './export/channel.ts';
import { WorkerChannel } from './export/export-thread.ts';
import { createExporter, resolveExportTarget, type ExportTarget } from './export/exporter.ts';
import { otlpJson } from './export/otlp-json.ts';
import { otlpProto } from './export/otlp-proto.ts';
import { createPropagator, isPlainTraceContext } from './propagation.ts';
import { RecentTraces, type TraceSummary } from './recent.ts';
import { headerNames } from './redact.ts';
import { buildResource } from './resource.ts';
import { describeSettings, tracingSettings, TracingConfigError, type SamplerName, type TracingSettings } from './settings.ts';
import { RequestSpans, UnsampledRoot, type ServerTrace } from './spans/request-trace.ts';
import type { Sampler, SpanRuntime } from './spans/runtime.ts';
import { SERVER_KEYS } from './spans/fields.ts';
import { drawIdBlock, IdBlock } from './spans/span.ts';

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
  /**
   * Post exports from a thread of their own (WorkerChannel, export-thread.ts) or from this thread (InlineChannel), the
   * same exporter and framing either way. Default: the static `tracing.exportThread` (false). Tests choose here: a
   * thread started from the TypeScript sources loads tsx and compiles the exporter's modules again, seconds of CPU
   * per gateway.
   */
  exportThread?: boolean;
}

const consoleLogger: WarnLogger = { warn: (message, fields) => console.warn(message, fields ?? '') };

/**
 * Builds tracing from the static `tracing` section: spans recorded by tagway itself (spans/span.ts says
 * why not the SDK's Span objects) with the SDK's pieces where they define behaviour: the resource
 * (detectors + service name + attributes + env), ParentBased(TraceIdRatioBased(sampleRate)) with the SDK's
 * ratio sampler, the configured OTel propagators. A bounded batch processor exports the spans, encoded as they
 * end, as OTLP protobuf over gRPC (`otlp.grpc`) or HTTP (or JSON with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; settings.ts
 * resolves file, flags and OTEL_*) through tagway's own abortable exporters, posted from a thread of their own
 * (export-thread.ts says why), and a ring keeps recent traces.
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
  const target: ExportTarget = {
    protocol: settings.protocol.value, endpoint: settings.endpoint.value, headers: settings.headers.value, compression: settings.compression.value,
    insecure: settings.insecure.value, attemptTimeoutMs: settings.timeout.value, userAgent: `tagway/${version}`, contentType: encoding.contentType,
    tls: { ca: settings.tls.ca.value, cert: settings.tls.cert.value, key: settings.tls.key.value, insecureSkipVerify: settings.tls.insecureSkipVerify },
  };
  const log = options.logger ?? consoleLogger;
  const out: ExportChannel = (options.exportThread ?? config.exportThread) ? new WorkerChannel(target, { log }) : new InlineChannel(createExporter(resolveExportTarget(target)));
  const processor = new BoundedBatchProcessor(batch, out, log, {
    resource: buildResource(config, version, env), scope: { name: 'tagway', version }, encoding,
    attributeCountLimit: settings.limits.attributeCount.value, attributeValueLengthLimit: settings.limits.attributeValueLength.value,
    eventCountLimit: settings.limits.eventCount.value,
  });
  const recent = new RecentTraces();
  const propagator = createPropagator(env);
  const requestHeaders = headerNames(config.capturedRequestHeaders);
  const responseHeaders = headerNames(config.capturedResponseHeaders);
  const propagationFields = propagator.fields().map((f) => f.toLowerCase());
  const runtime: SpanRuntime = {
    sink: processor,
    compact: encoding.writeRequest !== undefined && requestHeaders.length === 0 && responseHeaders.length === 0
      && processor.attributeCountLimit >= SERVER_KEYS.length && processor.attributeValueLengthLimit === Infinity,
    sample: sampler(settings.sampler.value),
    propagator,
    propagationFields,
    propagatesBaggage: propagationFields.includes('baggage'),
    plainTraceContext: isPlainTraceContext(env),
    recent,
    requestHeaders,
    responseHeaders,
    safeQueryParams: new Set(config.safeQueryParams),
  };
  const plain = runtime.plainTraceContext;
  let stopping: Promise<void> | undefined;

  return {
    startRequest: function startRequest(ctx) {
      // The common case, first: W3C propagation and a request with no trace headers. A new trace, decided from its
      // drawn bytes; sampled out, it is two ids and a traceparent for the upstream, nothing else.
      const h = ctx.req.headers;
      if (plain && h.traceparent === undefined && h.tracestate === undefined && h.baggage === undefined) {
        const at = drawIdBlock();
        return runtime.sample.newTrace(at) ? new RequestSpans(runtime, ctx, at) : new UnsampledRoot(ctx, at);
      }
      return new RequestSpans(runtime, ctx);
    },
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
 * The sampler of OTEL_TRACES_SAMPLER (or tracing.sampleRate: parentbased_traceidratio). Ratios decide as the SDK's
 * TraceIdRatioBased does (same trace ids, same decisions as any OTel SDK at that ratio): a request with a parent by
 * its hex trace id through the SDK's sampler, a new trace straight from its drawn bytes (no hex conversion, no
 * parsing: the same words compared with the same bound). The two ends are constants (no arithmetic per request).
 */
export function sampler(choice: { name: SamplerName; ratio: number }): Sampler {
  const ratio = choice.ratio >= 1 ? 1 : choice.ratio <= 0 ? 0 : choice.ratio;
  const sdk = new TraceIdRatioBasedSampler(ratio);
  const byId = ratio === 1 ? function alwaysOn() { return true; } : ratio === 0 ? function alwaysOff() { return false; }
    : function traceIdRatio(traceId: string) { return sdk.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED; };
  const bound = Math.floor(ratio * 0xffffffff); // the SDK's upper bound (below 1)
  const newTrace = ratio === 1 ? function alwaysOn() { return true; } : ratio === 0 ? function alwaysOff() { return false; }
    : function traceIdRatio(at: number) { return IdBlock.traceWord(at) < bound; };
  const withParent = choice.name.startsWith('parentbased_')
    ? function parentBased(parentSampled: boolean) { return parentSampled; }
    : function ignoreParent(_parentSampled: boolean, traceId: string) { return byId(traceId); };
  return { withParent, newTrace };
}

export { TracingConfigError };
