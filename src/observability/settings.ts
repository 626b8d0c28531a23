import { accessSync, constants } from 'node:fs';
import { tracingSchema } from '../static/schema.ts';
import { staticOrigin, type StaticOrigin } from '../static/origins.ts';
import type { TracingConfig } from '../static/types.ts';
import { otlpProtocol } from './export/encoding.ts';
import type { OtlpCompression } from './export/exporter.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One effective value and where it came from; `variable` names the OTEL_* variable when one decided it. */
export interface Sourced<T> { value: T; source: StaticOrigin; variable?: string }

/** The samplers of the OTel SDK environment (OTEL_TRACES_SAMPLER) tagway implements. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** The exporter, batch and sampler settings tracing runs with (see tracingSettings). */
export interface TracingSettings {
  endpoint: Sourced<string>;
  headers: Sourced<Record<string, string>>;
  /** Bound of each HTTP attempt, ms (an export's retries share `batch.exportTimeout`). */
  timeout: Sourced<number>;
  compression: Sourced<OtlpCompression>;
  protocol: Sourced<'http/protobuf' | 'http/json'>;
  /** OTEL_EXPORTER_OTLP_INSECURE: read and checked, but it only concerns OTLP/gRPC; for HTTP the endpoint's scheme decides. */
  insecure: Sourced<boolean>;
  tls: { ca: Sourced<string | undefined>; cert: Sourced<string | undefined>; key: Sourced<string | undefined> };
  batch: { scheduledDelay: Sourced<number>; exportTimeout: Sourced<number>; maxQueueSize: Sourced<number>; maxExportBatchSize: Sourced<number> };
  sampler: Sourced<{ name: SamplerName; ratio: number }>;
}

/** Tracing config errors, caught at construction and naming the option or variable (never mid-request). */
export class TracingConfigError extends Error {
  readonly code = 'TAGWAY_TRACING_CONFIG' as const;
  constructor(message: string) { super(message); this.name = 'TracingConfigError'; }
}

/**
 * OTEL_SDK_DISABLED=true turns tracing off even with a `tracing` section (no spans, trace headers pass
 * through untouched). Anything but true/false/empty stops startup.
 *
 * @example
 * tracingDisabled({ OTEL_SDK_DISABLED: 'TRUE' }) // → true
 */
export function tracingDisabled(env: Env = process.env): boolean {
  return bool(env, 'OTEL_SDK_DISABLED') ?? false;
}

/**
 * The effective exporter, batch and sampler settings, each with where it came from. Precedence, in one chain
 * per value: the static option when set (file, flag or TAGWAY_*; Traefik's options win, as the issue asks),
 * then the OTEL_*_TRACES_* variable, then the generic OTEL_* one, then the default. A bad value throws
 * TracingConfigError naming the option or variable (tagway is an app: it stops, it does not guess).
 * `env` is read here, at call time, not at import, so tests that pass or set env see it.
 *
 * Facts from the OTel specification (exporter.md, sdk-environment-variables.md): the signal-specific
 * endpoint is used as is, the generic one gets `v1/traces` appended to its path; headers are a
 * W3C-baggage-like `k=v,k2=v2` list with percent-encoded values; timeouts and BSP values are ms.
 *
 * @example
 * tracingSettings(config.tracing, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).endpoint
 * // → { value: 'http://otel:4318/v1/traces', source: 'env', variable: 'OTEL_EXPORTER_OTLP_ENDPOINT' } unless the file sets one
 */
export function tracingSettings(config: TracingConfig, env: Env = process.env): TracingSettings {
  const defaults = tracingSchema.parse({});
  const fromStatic = <T>(path: string[], value: T, fallback: unknown): Sourced<T> | undefined => {
    const source = staticOrigin(config, path, fallback, value);
    return source === 'default' ? undefined : { value, source };
  };
  const fromEnv = <T>(names: readonly string[], read: (raw: string, name: string) => T): Sourced<T> | undefined => {
    for (const name of names) {
      const raw = env[name]?.trim();
      if (raw !== undefined && raw !== '') return { value: read(raw, name), source: 'env', variable: name };
    }
    return undefined;
  };
  const byDefault = <T>(value: T): Sourced<T> => ({ value, source: 'default' });
  const both = (suffix: string): string[] => [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`];
  const http = config.otlp.http;

  const endpoint = fromStatic(['otlp', 'http', 'endpoint'], tracesPath(http.endpoint, 'tracing.otlp.http.endpoint'), defaults.otlp.http.endpoint)
    ?? fromEnv(['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'], (raw, name) => httpUrl(raw, name).href)
    ?? fromEnv(['OTEL_EXPORTER_OTLP_ENDPOINT'], (raw, name) => appendTracesPath(httpUrl(raw, name)))
    ?? byDefault(tracesPath(http.endpoint, 'tracing.otlp.http.endpoint'));
  const protocolVar = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'].find((n) => (env[n]?.trim() ?? '') !== '');
  const tls = http.tls;
  const tlsFile = (field: 'ca' | 'cert' | 'key', suffix: string): Sourced<string | undefined> =>
    fromStatic(['otlp', 'http', 'tls', field], tls?.[field], undefined) ?? fromEnv(both(suffix), readableFile) ?? byDefault(undefined);
  const b = config.batch;
  const batchValue = (key: keyof TracingConfig['batch'], variable: string, min: 0 | 1): Sourced<number> =>
    fromStatic(['batch', key], b[key], defaults.batch[key]) ?? fromEnv([variable], (raw, name) => integer(raw, name, min)) ?? byDefault(b[key]);

  const settings: TracingSettings = {
    endpoint,
    headers: fromStatic(['otlp', 'http', 'headers'], http.headers, defaults.otlp.http.headers) ?? fromEnv(both('HEADERS'), parseHeaders) ?? byDefault(http.headers),
    timeout: fromEnv(both('TIMEOUT'), (raw, name) => integer(raw, name, 1)) ?? byDefault(10_000),
    compression: (http.compression !== undefined ? fromStatic(['otlp', 'http', 'compression'], http.compression, undefined) : undefined)
      ?? fromEnv(both('COMPRESSION'), compression) ?? byDefault('none'),
    protocol: protocolVar !== undefined ? { value: otlpProtocol(env), source: 'env', variable: protocolVar } : byDefault('http/protobuf'),
    insecure: fromEnv(both('INSECURE'), (_raw, name) => bool(env, name)!) ?? byDefault(false),
    tls: { ca: tlsFile('ca', 'CERTIFICATE'), cert: tlsFile('cert', 'CLIENT_CERTIFICATE'), key: tlsFile('key', 'CLIENT_KEY') },
    batch: {
      scheduledDelay: batchValue('scheduledDelay', 'OTEL_BSP_SCHEDULE_DELAY', 0),
      exportTimeout: batchValue('exportTimeout', 'OTEL_BSP_EXPORT_TIMEOUT', 1),
      maxQueueSize: batchValue('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 1),
      maxExportBatchSize: batchValue('maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1),
    },
    sampler: sampler(config, env, fromStatic(['sampleRate'], config.sampleRate, defaults.sampleRate)),
  };
  check(settings, config);
  return settings;
}

/** tracing.sampleRate when set (Traefik's ParentBased(TraceIdRatioBased)), else OTEL_TRACES_SAMPLER(_ARG), else the rate's default. */
function sampler(config: TracingConfig, env: Env, rate: Sourced<number> | undefined): Sourced<{ name: SamplerName; ratio: number }> {
  if (rate !== undefined) return { value: { name: 'parentbased_traceidratio', ratio: rate.value }, source: rate.source };
  const raw = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (raw === undefined || raw === '') return { value: { name: 'parentbased_traceidratio', ratio: config.sampleRate }, source: 'default' };
  if (!(SAMPLERS as readonly string[]).includes(raw)) {
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER: "${env.OTEL_TRACES_SAMPLER}" is not supported (use ${SAMPLERS.join(', ')})`);
  }
  const name = raw as SamplerName;
  let ratio = name.endsWith('always_off') ? 0 : 1;
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (name.endsWith('traceidratio') && arg !== undefined && arg !== '') {
    ratio = Number(arg);
    if (!(ratio >= 0 && ratio <= 1) || !/^[\d.eE+-]+$/.test(arg)) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1 for ${name}, got "${arg}"`);
  }
  return { value: { name, ratio }, source: 'env', variable: 'OTEL_TRACES_SAMPLER' };
}

/** What no single value can say: bounds between values, and the endpoint of a code-built config. */
function check(s: TracingSettings, config: TracingConfig): void {
  const label = (v: Sourced<unknown>, option: string): string => v.variable ?? option;
  const { maxQueueSize: queue, maxExportBatchSize: size } = s.batch;
  if (!(config.sampleRate >= 0 && config.sampleRate <= 1)) throw new TracingConfigError(`tracing.sampleRate must be between 0 and 1, got ${config.sampleRate}`);
  for (const [key, v] of Object.entries(s.batch)) {
    const min = key === 'scheduledDelay' ? 0 : 1;
    if (!Number.isInteger(v.value) && key.startsWith('max')) throw new TracingConfigError(`${label(v, `tracing.batch.${key}`)} must be a positive integer, got ${v.value}`);
    if (!(v.value >= min)) {
      const what = key === 'scheduledDelay' ? 'must be ≥ 0 ms' : key === 'exportTimeout' ? 'must be > 0 ms' : 'must be a positive integer';
      throw new TracingConfigError(`${label(v, `tracing.batch.${key}`)} ${what}, got ${v.value}`);
    }
  }
  if (size.value > queue.value) {
    throw new TracingConfigError(`${label(size, 'tracing.batch.maxExportBatchSize')} (${size.value}) must not exceed ${label(queue, 'maxQueueSize')} (${queue.value})`);
  }
}

/** Same rule as the schema: an http(s) URL, an empty path gets /v1/traces. */
function tracesPath(endpoint: string, option: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new TracingConfigError(`${option} must be an http(s) URL such as http://collector:4318/v1/traces, got "${endpoint}"`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.href;
}

function httpUrl(raw: string, name: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new TracingConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return url;
}

/** The generic endpoint is a base: "http://otel:4318/otlp" → "http://otel:4318/otlp/v1/traces" (spec: exporter.md). */
function appendTracesPath(url: URL): string {
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/** "k1=v1,k2=v%20two": keys trimmed and kept as written, values trimmed then percent-decoded. */
function parseHeaders(raw: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) throw new TracingConfigError(`${name}: "${entry.trim()}" is not a key=value header`);
    let value: string;
    try { value = decodeURIComponent(entry.slice(eq + 1).trim()); } catch {
      throw new TracingConfigError(`${name}: the value of "${key}" is not valid percent-encoding`);
    }
    if (/[\r\n\0]/.test(value)) throw new TracingConfigError(`${name}: the value of "${key}" contains a line break or NUL`);
    out[key] = value;
  }
  return out;
}

/** A PEM file path from the environment, checked now so a typo stops startup naming the variable. */
function readableFile(raw: string, name: string): string {
  try { accessSync(raw, constants.R_OK); } catch (error) {
    throw new TracingConfigError(`${name}: cannot read "${raw}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return raw;
}

function compression(raw: string, name: string): OtlpCompression {
  const v = raw.toLowerCase();
  if (v === 'gzip' || v === 'none') return v;
  throw new TracingConfigError(`${name}: "${raw}" is not supported (use gzip or none)`);
}

function integer(raw: string, name: string, min: 0 | 1): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
    throw new TracingConfigError(`${name} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer (milliseconds or a count), got "${raw}"`);
  }
  return n;
}

/** The spec's booleans: "true"/"false" in any case; empty is unset; anything else stops startup. */
function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new TracingConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/**
 * The settings for /api/overview: each value with its source; header values are secret (names only), as
 * the schema marks them.
 */
export function describeSettings(s: TracingSettings): Record<string, unknown> {
  const show = <T>(v: Sourced<T>, value: unknown = v.value) => ({ value, source: v.source, ...(v.variable ? { variable: v.variable } : {}) });
  return {
    endpoint: show(s.endpoint), headers: show(s.headers, Object.keys(s.headers.value)), timeout: show(s.timeout),
    compression: show(s.compression), protocol: show(s.protocol), insecure: show(s.insecure),
    tls: { ca: show(s.tls.ca), cert: show(s.tls.cert), key: show(s.tls.key) },
    batch: Object.fromEntries(Object.entries(s.batch).map(([k, v]) => [k, show(v)])),
    sampler: show(s.sampler),
  };
}
