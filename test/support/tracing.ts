import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { startCollector, type Collector, type SpanRecord } from './collector.ts';
import { startTestGateway, waitForState, type TestGateway } from './gateway.ts';
import { startUpstream, type Upstream } from './upstream.ts';
import type { RequestObserver } from '../../src/http/observer.ts';
import type { ServerTrace } from '../../src/observability/spans/request-trace.ts';
import type { Tracing } from '../../src/observability/tracing.ts';
import type { Logger } from '../../src/util/log.ts';

export { SPAN_KIND, STATUS } from './collector.ts';
export type { SpanRecord } from './collector.ts';

/** The `http` section of a dynamic file, as a user would write it. */
export type DynamicHttp = { routers?: Record<string, unknown>; services?: Record<string, unknown>; middlewares?: Record<string, unknown> };

export interface TracedGateway extends TestGateway {
  collector: Collector;
  file: string;
}

export interface TracedOptions {
  /** Extra static flags after the tracing ones. */
  flags?: string[];
  /** false: no `tracing` section at all (default true). */
  tracing?: boolean;
  /** Start a devcatalog too (default false: the file provider alone). */
  consul?: boolean;
  accessLogWrite?: (line: string) => void;
  /** tracing.batch.scheduledDelay (default 20ms: tests wait on events, not on the timer). */
  scheduledDelay?: string;
  /** tracing.otlp.http.endpoint (default the collector's `…/v1/traces`). */
  endpoint?: (collector: Collector) => string;
  /** OTEL_* variables the gateway reads (default process.env). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  observers?: RequestObserver[];
  /** Exports from their worker thread, as in production (default false: test/support/gateway.ts says why). */
  exportThread?: boolean;
}

/** Flags that turn tracing on toward `collector`, with a short export delay so tests wait on events. */
export function tracingFlags(collector: Collector, delay = '20ms', endpoint = collector.endpoint): string[] {
  return [`--tracing.otlp.http.endpoint=${endpoint}`, `--tracing.batch.scheduledDelay=${delay}`];
}

/**
 * A real OTLP receiver and a real gateway fed by the file provider from `http` (written as YAML), with
 * tracing toward the receiver unless `tracing: false`. Resolves once every router of the file is built.
 * The gateway closes (and flushes) before the collector does: `t.after` hooks run in registration order.
 */
export async function startTraced(t: TestContext, http: DynamicHttp, options: TracedOptions = {}): Promise<TracedGateway> {
  const collector = await startCollector();
  const dir = await mkdtemp(join(tmpdir(), 'tagway-tracing-'));
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http }));
  const flags = [`--providers.file.filename=${file}`, ...(options.tracing === false ? [] : tracingFlags(collector, options.scheduledDelay, options.endpoint?.(collector))), ...(options.flags ?? [])];
  const gw = await startTestGateway(t, { consul: options.consul ?? false, flags, accessLogWrite: options.accessLogWrite, env: options.env, logger: options.logger, observers: options.observers, exportThread: options.exportThread });
  t.after(() => collector.close());
  t.after(() => rm(dir, { recursive: true, force: true }));
  const wanted = Object.keys(http.routers ?? {}).map((n) => `${n}@file`);
  await waitForState(gw.gateway, (s) => wanted.every((n) => s.routers[n] !== undefined));
  return { ...gw, collector, file };
}

/** A one-server service definition. */
export function service(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { loadBalancer: { servers: [{ url }], ...extra } };
}

/** The spans of one trace, by name, with helpers to walk the tree. */
export class Trace {
  readonly spans: SpanRecord[];
  constructor(spans: SpanRecord[], traceId: string) { this.spans = spans.filter((s) => s.traceId === traceId); }

  /** The only span named `name` (fails when there are none or several). */
  one(name: string): SpanRecord {
    const hits = this.spans.filter((s) => s.name === name);
    if (hits.length !== 1) throw new Error(`expected one "${name}" span, got ${hits.length}: ${this.describe()}`);
    return hits[0]!;
  }

  all(name: string): SpanRecord[] { return this.spans.filter((s) => s.name === name); }

  root(): SpanRecord {
    const ids = new Set(this.spans.map((s) => s.spanId));
    const roots = this.spans.filter((s) => !ids.has(s.parentSpanId));
    if (roots.length !== 1) throw new Error(`expected one root, got ${roots.length}: ${this.describe()}`);
    return roots[0]!;
  }

  /** The tree as indented names, children in start order: a readable shape to assert on. */
  shape(): string[] {
    const out: string[] = [];
    const walk = (span: SpanRecord, depth: number): void => {
      out.push(`${'  '.repeat(depth)}${span.name}`);
      const children = this.spans.filter((s) => s.parentSpanId === span.spanId)
        .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
      for (const c of children) walk(c, depth + 1);
    };
    walk(this.root(), 0);
    return out;
  }

  describe(): string { return JSON.stringify(this.spans.map((s) => ({ name: s.name, id: s.spanId, parent: s.parentSpanId }))); }
}

/** W3C traceparent parts. */
export function parseTraceparent(value: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? '');
  return m ? { traceId: m[1]!, parentId: m[2]!, flags: m[3]! } : undefined;
}

/** Every value of `name` in a raw header list (case-insensitive), as the upstream received them. */
export function rawValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
  return out;
}

/**
 * Waits until the collector holds a span matching `predicate` (bounded), then returns that span's trace.
 * Spans of one request may arrive in several export requests: `size` is how many the trace must have.
 */
export async function traceWhere(collector: Collector, predicate: (s: SpanRecord) => boolean, size: number, timeoutMs = 5000): Promise<Trace> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = collector.spans.find(predicate);
    if (hit) {
      const trace = new Trace(collector.spans, hit.traceId);
      if (trace.spans.length >= size) return trace;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no trace of ${size} spans matched in ${timeoutMs} ms; got ${JSON.stringify(collector.spans.map((s) => s.name))}`);
    await collector.waitForSpans(collector.spans.length + 1, left).catch(() => undefined);
  }
}

/**
 * The upstream the tracing tests talk to: `/status/<code>` answers that code, `/hang` never answers, anything
 * else 200 "ok" with a repeated `x-multi` response header.
 */
export function apiUpstream(t: TestContext): Promise<Upstream> {
  return startUpstream(t, 'api', (req, res) => {
    req.resume();
    if (req.url?.startsWith('/hang')) return;
    const m = /^\/status\/(\d{3})/.exec(req.url ?? '');
    res.writeHead(m ? Number(m[1]) : 200, { 'content-type': 'text/plain', 'x-multi': ['one', 'two'] });
    res.end('ok');
  });
}

export interface ApiOptions extends TracedOptions {
  /** Merged into the router `api` (e.g. `{ observability: { traceVerbosity: 'detailed' } }`). */
  router?: Record<string, unknown>;
  /** Middlewares the router uses, in order (name → definition). */
  middlewares?: Record<string, Record<string, unknown>>;
  /** The service's server URL instead of the started upstream's. */
  serverUrl?: (upstream: Upstream) => string;
}

export interface TracedApi extends TracedGateway {
  upstream: Upstream;
  tracing: Tracing;
  /** The trace the gateway started for each request, in order (sampled or not), read by a request observer. */
  traces: ServerTrace[];
}

/**
 * A real gateway, a real OTLP receiver and `apiUpstream`: one router `api@file` (rule ``PathPrefix(`/`)``,
 * entry point web) toward one service `api-svc@file`, with tracing on toward the receiver.
 */
export async function startTracedApi(t: TestContext, options: ApiOptions = {}): Promise<TracedApi> {
  const upstream = await apiUpstream(t);
  const traces: ServerTrace[] = [];
  const recorder: RequestObserver = { onRequest(ctx) { if (ctx.trace) traces.push(ctx.trace as ServerTrace); } };
  const http: DynamicHttp = {
    routers: { api: { rule: 'PathPrefix(`/`)', service: 'api-svc', entryPoints: ['web'], ...(options.middlewares ? { middlewares: Object.keys(options.middlewares) } : {}), ...options.router } },
    services: { 'api-svc': service(options.serverUrl?.(upstream) ?? upstream.url) },
    ...(options.middlewares ? { middlewares: options.middlewares } : {}),
  };
  const gw = await startTraced(t, http, { ...options, observers: [recorder, ...(options.observers ?? [])] });
  return { ...gw, upstream, tracing: gw.gateway.tracing!, traces };
}
