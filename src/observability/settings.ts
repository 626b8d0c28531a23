import { accessSync, constants } from 'node:fs';
import { tracingSchema } from '../static/schema.ts';
import { staticOrigin, type StaticOrigin } from '../static/origins.ts';
import type { TracingConfig } from '../static/types.ts';
import { OtlpProtocolError } from './export/encoding.ts';
import type { OtlpCompression } from './export/exporter.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One effective value and where it came from; `variable` names the OTEL_* variable when one decided it. */
export interface Sourced<T> { value: T; source: StaticOrigin; variable?: string }

/** The samplers of the OTel SDK environment (OTEL_TRACES_SAMPLER) tagway implements. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** OTLP transports and body encodings: `grpc` is OTLP/gRPC (protobuf), the others OTLP/HTTP. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** The exporter, batch, sampler and limit settings tracing runs with (see tracingSettings). */
export interface TracingSettings {
  protocol: Sourced<OtlpProtocol>;
  /** OTLP/HTTP: the URL posted to; OTLP/gRPC: the collector's `host:port`. */
  endpoint: Sourced<string>;
  headers: Sourced<Record<string, string>>;
  /** Bound of each attempt, ms (an export's retries share `batch.exportTimeout`). */
  timeout: Sourced<number>;
  compression: Sourced<OtlpCompression>;
  /** OTLP/gRPC only: plaintext HTTP/2 instead of TLS (for HTTP the endpoint's scheme decides). */
  insecure: Sourced<boolean>;
  tls: { ca: Sourced<string | undefined>; cert: Sourced<string | undefined>; key: Sourced<string | undefined>; insecureSkipVerify: boolean };
  batch: { scheduledDelay: Sourced<number>; exportTimeout: Sourced<number>; maxQueueSize: Sourced<number>; maxExportBatchSize: Sourced<number> };
  sampler: Sourced<{ name: SamplerName; ratio: number }>;
  limits: { attributeCount: Sourced<number>; attributeValueLength: Sourced<number>; eventCount: Sourced<number> };
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
  const protocol = protocolOf(config, env, fromStatic, fromEnv);
  const grpc = protocol.value === 'grpc';
  // the section whose static options apply: Traefik's `otlp.grpc` for gRPC, `otlp.http` otherwise
  const section = grpc ? 'grpc' : 'http';
  const options = grpc ? { ...grpcDefaults(), ...config.otlp.grpc } : config.otlp.http;
  const optionDefaults = grpc ? grpcDefaults() : defaults.otlp.http;
  const own = <K extends keyof typeof options>(key: K): Sourced<(typeof options)[K]> | undefined =>
    options[key] === undefined ? undefined : fromStatic(['otlp', section, key as string], options[key], optionDefaults[key as keyof typeof optionDefaults]);

  let endpoint: Sourced<string>;
  let insecure: Sourced<boolean>;
  if (grpc) {
    const envEndpoint = fromEnv(both('ENDPOINT').slice(0, 1), grpcTarget) ?? fromEnv(both('ENDPOINT').slice(1), grpcTarget);
    const staticEndpoint = own('endpoint') as Sourced<string> | undefined;
    const target = staticEndpoint ? { ...staticEndpoint, value: grpcTarget(staticEndpoint.value, 'tracing.otlp.grpc.endpoint') } : envEndpoint ?? byDefault(grpcTarget(grpcDefaults().endpoint, 'tracing.otlp.grpc.endpoint'));
    endpoint = { ...target, value: target.value.address };
    // an http:// or https:// endpoint decides; OTEL_EXPORTER_OTLP_INSECURE only speaks for a bare host:port (spec)
    insecure = fromStatic(['otlp', 'grpc', 'insecure'], config.otlp.grpc?.insecure ?? false, false)
      ?? (target.value.insecure !== undefined ? { ...target, value: target.value.insecure } : undefined)
      ?? fromEnv(both('INSECURE'), (_raw, name) => bool(env, name)!) ?? byDefault(false);
  } else {
    const http = config.otlp.http;
    endpoint = fromStatic(['otlp', 'http', 'endpoint'], tracesPath(http.endpoint, 'tracing.otlp.http.endpoint'), defaults.otlp.http.endpoint)
      ?? fromEnv(['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'], (raw, name) => httpUrl(raw, name).href)
      ?? fromEnv(['OTEL_EXPORTER_OTLP_ENDPOINT'], (raw, name) => appendTracesPath(httpUrl(raw, name)))
      ?? byDefault(tracesPath(http.endpoint, 'tracing.otlp.http.endpoint'));
    insecure = fromEnv(both('INSECURE'), (_raw, name) => bool(env, name)!) ?? byDefault(false);
  }
  const tls = options.tls;
  const tlsFile = (field: 'ca' | 'cert' | 'key', suffix: string): Sourced<string | undefined> =>
    fromStatic(['otlp', section, 'tls', field], tls?.[field], undefined) ?? fromEnv(both(suffix), readableFile) ?? byDefault(undefined);
  const b = config.batch;
  const batchValue = (key: keyof TracingConfig['batch'], variable: string, min: 0 | 1): Sourced<number> =>
    fromStatic(['batch', key], b[key], defaults.batch[key]) ?? fromEnv([variable], (raw, name) => integer(raw, name, min)) ?? byDefault(b[key]);
  const limit = (names: string[], fallback: number): Sourced<number> => fromEnv(names, (raw, name) => integer(raw, name, 0)) ?? byDefault(fallback);

  const settings: TracingSettings = {
    protocol,
    endpoint,
    headers: (own('headers') as Sourced<Record<string, string>> | undefined) ?? fromEnv(both('HEADERS'), parseHeaders) ?? byDefault({}),
    timeout: fromEnv(both('TIMEOUT'), (raw, name) => integer(raw, name, 1)) ?? byDefault(10_000),
    compression: (own('compression') as Sourced<OtlpCompression> | undefined) ?? fromEnv(both('COMPRESSION'), compression) ?? byDefault('none'),
    insecure,
    tls: { ca: tlsFile('ca', 'CERTIFICATE'), cert: tlsFile('cert', 'CLIENT_CERTIFICATE'), key: tlsFile('key', 'CLIENT_KEY'), insecureSkipVerify: tls?.insecureSkipVerify ?? false },
    batch: {
      scheduledDelay: batchValue('scheduledDelay', 'OTEL_BSP_SCHEDULE_DELAY', 0),
      exportTimeout: batchValue('exportTimeout', 'OTEL_BSP_EXPORT_TIMEOUT', 1),
      maxQueueSize: batchValue('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 1),
      maxExportBatchSize: batchValue('maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1),
    },
    sampler: sampler(config, env, fromStatic(['sampleRate'], config.sampleRate, defaults.sampleRate)),
    // the SDK's span limits (sdk-environment-variables.md): the span-specific variable, then the general one
    limits: {
      attributeCount: limit(['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'], 128),
      attributeValueLength: limit(['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], Infinity),
      eventCount: limit(['OTEL_SPAN_EVENT_COUNT_LIMIT'], 128),
    },
  };
  check(settings, config);
  return settings;
}

/** Traefik's OTelGRPC defaults (the schema leaves the section unset: its presence selects gRPC). */
function grpcDefaults(): NonNullable<TracingConfig['otlp']['grpc']> {
  return { endpoint: 'localhost:4317', insecure: false, headers: {} };
}

type FromStatic = <T>(path: string[], value: T, fallback: unknown) => Sourced<T> | undefined;
type FromEnv = <T>(names: readonly string[], read: (raw: string, name: string) => T) => Sourced<T> | undefined;

/**
 * gRPC when Traefik's `tracing.otlp.grpc` section is set (it wins, as in Traefik, over `otlp.http`), else
 * OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL, else http/protobuf. A `grpc` variable does not override an `otlp.http`
 * section written in the static configuration: static options win; the encoding falls back to protobuf.
 */
function protocolOf(config: TracingConfig, env: Env, fromStatic: FromStatic, fromEnv: FromEnv): Sourced<OtlpProtocol> {
  const grpcSection = fromStatic(['otlp', 'grpc'], config.otlp.grpc, undefined);
  if (grpcSection !== undefined) return { value: 'grpc', source: grpcSection.source };
  const chosen = fromEnv(['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'], (raw, name) => protocolName(raw, name));
  if (chosen?.value === 'grpc') {
    const httpSection = fromStatic(['otlp', 'http'], config.otlp.http, tracingSchema.parse({}).otlp.http);
    if (httpSection !== undefined) return { value: 'http/protobuf', source: httpSection.source };
  }
  return chosen ?? { value: 'http/protobuf', source: 'default' };
}

function protocolName(raw: string, name: string): OtlpProtocol {
  const v = raw.toLowerCase();
  if (v === 'http/protobuf' || v === 'http/json' || v === 'grpc') return v;
  throw new OtlpProtocolError(`${name}: "${raw}" is not supported (use grpc, http/protobuf or http/json)`);
}

/**
 * An OTLP/gRPC target: `host:port` as Traefik takes it, or an http(s):// URL as the OTel variables give it
 * (the scheme then decides plaintext or TLS; a path is ignored, gRPC has its own).
 */
function grpcTarget(raw: string, name: string): { address: string; insecure?: boolean } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if ((url?.protocol !== 'http:' && url?.protocol !== 'https:') || url.hostname === '') {
      throw new TracingConfigError(`${name} must be host:port or an http(s) URL for OTLP/gRPC, got "${raw}"`);
    }
    return { address: `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`, insecure: url.protocol === 'http:' };
  }
  const m = /^(\[[0-9a-f:.]+\]|[^:/\s[\]]+):(\d{1,5})$/i.exec(raw);
  if (m === null || Number(m[2]) > 65535) throw new TracingConfigError(`${name} must be host:port (such as collector:4317) or an http(s) URL, got "${raw}"`);
  return { address: raw };
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
    protocol: show(s.protocol), endpoint: show(s.endpoint), headers: show(s.headers, Object.keys(s.headers.value)), timeout: show(s.timeout),
    compression: show(s.compression), insecure: show(s.insecure),
    tls: { ca: show(s.tls.ca), cert: show(s.tls.cert), key: show(s.tls.key) },
    batch: Object.fromEntries(Object.entries(s.batch).map(([k, v]) => [k, show(v)])),
    sampler: show(s.sampler),
    // Infinity is not JSON: an unlimited length shows as null
    limits: Object.fromEntries(Object.entries(s.limits).map(([k, v]) => [k, show(v, Number.isFinite(v.value) ? v.value : null)])),
  };
}
