/**
 * The static configuration schema (zod 4): Traefik's option names and defaults, plus tagway's own
 * (`watch` on by default, tracing `batch`, `shutdownTimeout`, `workers`). Defaults sit here, next to the
 * shapes; secrets are marked here once and `redactStatic` reads the marks.
 *
 * The schema validates what the decoders in src/labels produce from files, flags and env: names already
 * canonical, durations already in milliseconds. Use `loadStaticConfig` (./load.ts), not `parse`, on user input.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { StaticConfig } from './types.ts';
import { setOwn } from '../labels/descriptor.ts';
import { TRAEFIK_PROVIDER_PRECEDENCE } from '../routing/precedence.ts';

/** What the schema says about one option beyond its type. */
export interface OptionMeta {
  /** Go-style duration in user input, milliseconds once decoded. */
  duration?: boolean;
  /** Never logged or shown: replaced by "xxxx" in `redactStatic`. For a map, its values are secret. */
  secret?: boolean;
  description?: string;
  /** Shown in help instead of the literal default (e.g. "number of cores"). */
  defaultText?: string;
}

/** The marks on schema nodes (durations, secrets, descriptions) that the decoders, help and redaction read. */
export const optionMeta = z.registry<OptionMeta>();

function mark<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  optionMeta.add(schema, meta);
  return schema;
}

const SECOND = 1000;
const duration = (defaultMs: number, description?: string) =>
  mark(z.number().nonnegative(), { duration: true, ...(description !== undefined ? { description } : {}) }).default(defaultMs);
const str = (description: string) => mark(z.string(), { description });
const bool = (def: boolean, description?: string) => mark(z.boolean(), description !== undefined ? { description } : {}).default(def);
const strings = (description?: string) => mark(z.array(z.string()), description !== undefined ? { description } : {}).default(() => []);
const secretString = (description: string) => mark(z.string(), { secret: true, description });

const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[^:[\]/]*):(\d{1,5})(?:\/tcp)?$/;
const address = mark(z.string().refine((a) => {
  const m = ADDRESS.exec(a);
  return m !== null && Number(m[1]) <= 65535;
}, { message: 'expected an address like ":8000", "127.0.0.1:8000" or "[::1]:8000" (UDP is not supported)' }), { description: 'Listening address.' });

const clientTLS = z.object({
  ca: str('CA bundle file (PEM).').optional(),
  cert: str('Client certificate file (PEM).').optional(),
  key: secretString('Client key file (PEM).').optional(),
  insecureSkipVerify: bool(false, 'Skip server certificate verification.'),
});

const verbosity = z.enum(['minimal', 'detailed']);

export const entryPointSchema = z.object({
  address,
  asDefault: bool(false, 'Routers without entryPoints attach to the entry points marked asDefault (none marked: all but "traefik").'),
  allowACMEByPass: bool(false, 'Let ACME HTTP-01 challenges bypass the routers of this entry point (its redirection too).'),
  reusePort: bool(false, 'Traefik: SO_REUSEPORT (not set by tagway on Node.js 20: accepted with a warning).'),
  observability: z.object({
    tracing: mark(z.boolean(), { description: 'Default for routers on this entry point (unset: true).' }).optional(),
    accessLogs: mark(z.boolean(), { description: 'Default for routers on this entry point (unset: true).' }).optional(),
    metrics: mark(z.boolean(), { description: 'Default for routers on this entry point (unset: true).' }).optional(),
    traceVerbosity: mark(verbosity, { description: 'minimal or detailed (unset: minimal).' }).optional(),
  }).prefault({}),
  forwardedHeaders: z.object({
    trustedIPs: strings('IPs/CIDRs whose X-Forwarded-* headers are trusted.'),
    insecure: bool(false, 'Trust X-Forwarded-* from everyone.'),
    connection: strings('Traefik: headers named in Connection that are kept (not implemented: warned when set).'),
    notAppendXForwardedFor: bool(false, 'Traefik: do not append the client to X-Forwarded-For (not implemented: warned when set).'),
  }).prefault({}),
  transport: z.object({
    respondingTimeouts: z.object({
      readTimeout: duration(60 * SECOND, 'Max duration to read the whole request (0: none).'),
      writeTimeout: duration(0, 'Max duration to write the response (0: none).'),
      idleTimeout: duration(180 * SECOND, 'Max keep-alive idle time.'),
    }).prefault({}),
    lifeCycle: z.object({
      requestAcceptGraceTimeout: duration(0, 'Keep accepting requests this long after a stop signal.'),
      graceTimeOut: duration(10 * SECOND, 'Time given to active requests to finish on stop.'),
    }).prefault({}),
    keepAliveMaxRequests: mark(z.int().nonnegative(), { description: 'Traefik: close a connection after this many requests (not implemented: warned when set).' }).default(0),
    keepAliveMaxTime: duration(0, 'Traefik: close a connection after this long (not implemented: warned when set).'),
  }).prefault({}),
  http: z.object({
    middlewares: strings('Middlewares applied to every router of this entry point.'),
    maxHeaderBytes: mark(z.int().nonnegative(), { description: 'Max size of the request line and headers, in bytes (0: 1 MiB).' }).default(1 << 20),
    sanitizePath: bool(true, 'Remove dot segments and repeated slashes from request paths before routing.'),
    encodedCharacters: z.object({
      allowEncodedSlash: bool(true, 'Allow %2F in request paths (false: 400).'),
      allowEncodedBackSlash: bool(true, 'Allow %5C in request paths (false: 400).'),
      allowEncodedNullCharacter: bool(true, 'Allow %00 in request paths (false: 400).'),
      allowEncodedSemicolon: bool(true, 'Allow %3B in request paths (false: 400).'),
      allowEncodedPercent: bool(true, 'Allow %25 in request paths (false: 400).'),
      allowEncodedQuestionMark: bool(true, 'Allow %3F in request paths (false: 400).'),
      allowEncodedHash: bool(true, 'Allow %23 in request paths (false: 400).'),
    }).prefault({}),
    encodeQuerySemicolons: bool(false, 'Send ";" in the query encoded (%3B) instead of reading it as a separator ("&").'),
    underscoreHeadersStrategy: mark(z.enum(['keep', 'delete', 'reject']), { description: 'Request headers with "_" in their name: keep, delete, or reject (400).' }).default('keep'),
    tls: z.object({
      options: str('TLS options of the routers on this entry point (e.g. modern@file).').optional(),
      certResolver: str('Certificate resolver of the routers on this entry point.').optional(),
      domains: z.array(z.object({ main: str('Main domain.').optional(), sans: mark(z.array(z.string()), { description: 'Other domains.' }).optional() })).optional(),
    }).optional(),
    redirections: z.object({
      entryPoint: z.object({
        to: str('Target entry point name (or a port, ":443").'),
        scheme: str('Scheme of the redirection.').default('https'),
        permanent: bool(true, 'Permanent (301/308) rather than temporary (302/307).'),
        priority: mark(z.int(), { description: 'Priority of the redirecting router.' }).default(Number.MAX_SAFE_INTEGER - 1),
      }).optional(),
    }).optional(),
  }).prefault({}),
  http2: z.object({
    maxConcurrentStreams: mark(z.int().nonnegative(), { description: 'Concurrent streams per HTTP/2 connection.' }).default(250),
  }).prefault({}),
});

export const consulCatalogSchema = z.object({
  endpoint: z.object({
    address: str('Consul agent address.').default('127.0.0.1:8500'),
    scheme: str('http or https.').default('http'),
    datacenter: str('Datacenter (empty: the agent\'s).').default(''),
    token: secretString('ACL token.').default(''),
    endpointWaitTime: duration(0, 'Blocking query wait time (0: Consul\'s default).'),
    tls: clientTLS.optional(),
    httpAuth: z.object({
      username: str('Basic auth user.').default(''),
      password: secretString('Basic auth password.').default(''),
    }).optional(),
  }).prefault({}),
  prefix: str('Tag prefix.').default('traefik'),
  exposedByDefault: bool(true, 'Expose services without <prefix>.enable=true.'),
  defaultRule: str('Rule of the default router (Go template).').default('Host(`{{ normalize .Name }}`)'),
  constraints: str('Tag constraints expression.').default(''),
  strictChecks: mark(z.array(z.string()), { description: 'Health states an instance may be in to receive traffic.' }).default(() => ['passing', 'warning']),
  refreshInterval: duration(15 * SECOND, 'Poll interval when watch is off.'),
  watch: bool(true, 'Use blocking queries (tagway default: true).'),
  stale: bool(false, 'Allow stale reads.'),
  requireConsistent: bool(false, 'Force consistent reads.'),
  cache: bool(false, 'Use agent caching.'),
  connectAware: bool(false, 'Enable Consul Connect support: Connect services are routed through their sidecars with mTLS (leaf of serviceName, CA roots).'),
  connectByDefault: bool(false, 'Consider every service as Connect capable unless tagged <prefix>.consulcatalog.connect=false.'),
  serviceName: str('This gateway\'s name in the mesh: whose leaf certificate it presents to sidecars (intentions name it as the source).').default('traefik'),
  namespaces: strings('Consul Enterprise namespaces.'),
});

export const fileProviderSchema = z.object({
  filename: str('Dynamic configuration file.').optional(),
  directory: str('Directory of dynamic configuration files.').optional(),
  watch: bool(true, 'Reload on change.'),
});

/** Traefik's static `serversTransport` (the default transport to upstreams); only its forwarding timeouts. */
export const serversTransportSchema = z.object({
  forwardingTimeouts: z.object({
    dialTimeout: duration(30 * SECOND, 'Max duration to connect to a server (0: none).'),
    responseHeaderTimeout: duration(0, 'Max duration to wait for a server\'s response headers (0: none).'),
    idleConnTimeout: duration(90 * SECOND, 'Max time an idle upstream connection is kept.'),
  }).prefault({}),
});

const DEFAULT_OTLP_PATH = '/v1/traces';

/** An OTLP/HTTP endpoint; an empty path gets "/v1/traces" (as the OTel exporter's signal path). */
const otlpEndpoint = mark(z.string().transform((value, ctx) => {
  let url: URL;
  try { url = new URL(value); } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = DEFAULT_OTLP_PATH;
  return url.toString();
}), { description: 'OTLP/HTTP traces URL (an empty path gets /v1/traces).' });

export const tracingSchema = z.object({
  serviceName: str('service.name of the spans.').default('tagway'),
  sampleRate: mark(z.number().min(0).max(1), { description: 'Ratio of new traces sampled (parent-based).' }).default(1),
  resourceAttributes: mark(z.record(z.string(), z.string()), { description: 'Extra resource attributes.' }).default(() => ({})),
  capturedRequestHeaders: strings('Request headers recorded as attributes.'),
  capturedResponseHeaders: strings('Response headers recorded as attributes.'),
  safeQueryParams: strings('Query parameters not redacted in url.query.'),
  addInternals: bool(false, 'Trace internal routers (api, ping...).'),
  otlp: z.object({
    http: z.object({
      endpoint: otlpEndpoint.default('http://localhost:4318/v1/traces'),
      headers: mark(z.record(z.string(), z.string()), { secret: true, description: 'Headers sent to the collector (values are secret).' }).default(() => ({})),
      tls: clientTLS.optional(),
      // tagway addition: Traefik has no such option (its OTLP/HTTP trace exporter always gzips)
      compression: mark(z.enum(['gzip', 'none']), { description: 'tagway addition: gzip or none (unset: OTEL_EXPORTER_OTLP_COMPRESSION, else none).' }).optional(),
    }).prefault({}),
    // Traefik's OTelGRPC: when this section is set, spans go over OTLP/gRPC instead of HTTP
    grpc: z.object({
      endpoint: str('OTLP/gRPC collector address, host:port.').default('localhost:4317'),
      insecure: bool(false, 'Plaintext HTTP/2 (h2c) instead of TLS.'),
      headers: mark(z.record(z.string(), z.string()), { secret: true, description: 'Metadata sent with every export (values are secret).' }).default(() => ({})),
      tls: clientTLS.optional(),
      compression: mark(z.enum(['gzip', 'none']), { description: 'tagway addition: gzip or none (unset: OTEL_EXPORTER_OTLP_COMPRESSION, else none).' }).optional(),
    }).optional(),
  }).prefault({}),
  batch: z.object({
    maxQueueSize: mark(z.int().positive(), { description: 'Spans buffered before dropping.' }).default(2048),
    maxExportBatchSize: mark(z.int().positive(), { description: 'Spans per export request.' }).default(512),
    scheduledDelay: duration(5 * SECOND, 'Delay between exports.'),
    exportTimeout: duration(30 * SECOND, 'Export request timeout.'),
  }).prefault({}),
  shutdownTimeout: duration(5 * SECOND, 'Deadline to flush spans on shutdown.'),
  // tagway addition: where exports are posted from (Traefik's exporter runs in the gateway's own goroutines)
  exportThread: bool(false, 'tagway addition: post exports from a worker thread of their own instead of the serving loop (for hosts with idle cores).'),
});

const fieldMode = z.enum(['keep', 'drop', 'redact']);

export const accessLogSchema = z.object({
  filePath: str('Access log file (default: stdout).').optional(),
  format: mark(z.enum(['common', 'json']), { description: 'common or json.' }).default('common'),
  bufferingSize: mark(z.int().nonnegative(), { description: 'Lines buffered before writing.' }).default(0),
  fields: z.object({
    defaultMode: mark(fieldMode, { description: 'keep, drop or redact fields by default (unset: keep).' }).optional(),
    names: mark(z.record(z.string(), fieldMode), { description: 'Per-field mode: keep, drop or redact.' }).optional(),
    headers: z.object({
      defaultMode: mark(fieldMode, { description: 'keep, drop or redact headers by default (unset: drop).' }).optional(),
      names: mark(z.record(z.string(), fieldMode), { description: 'Per-header mode: keep, drop or redact.' }).optional(),
    }).optional(),
  }).optional(),
});

export const prometheusSchema = z.object({
  entryPoint: str('Entry point serving /metrics.').default('traefik'),
  addEntryPointsLabels: bool(true, 'Label metrics with the entry point.'),
  addRoutersLabels: bool(false, 'Label metrics with the router.'),
  addServicesLabels: bool(true, 'Label metrics with the service.'),
  buckets: mark(z.array(z.number()), { description: 'Latency histogram buckets (seconds).' }).default(() => [0.1, 0.3, 1.2, 5]),
});

/**
 * Traefik's `certificatesResolvers.<name>.acme` (pkg/provider/acme Configuration and SetDefaults). `storage` is a
 * file path (Traefik's acme.json) or the bare word `consul` (tagway's shared mode, in Consul KV). DNS-01 is
 * accepted as a section and reported unsupported on the resolver.
 */
export const acmeSchema = z.object({
  email: str('Email address used for registration.').optional(),
  caServer: str('ACME directory URL (default: Let\'s Encrypt production).').default('https://acme-v02.api.letsencrypt.org/directory'),
  preferredChain: str('Preferred chain, by the issuer common name of its top certificate.').optional(),
  profile: str('Certificate profile to ask the CA for.').optional(),
  emailAddresses: strings('CSR email addresses.'),
  disableCommonName: bool(false, 'No common name in the CSR.'),
  storage: str('acme.json path (mode 0600), or "consul": shared by every node in Consul KV (tagway).').default('acme.json'),
  keyType: mark(z.enum(['EC256', 'EC384', 'RSA2048', 'RSA4096', 'RSA8192']), { description: 'Certificate key: EC256, EC384, RSA2048, RSA4096 or RSA8192.' }).default('RSA4096'),
  eab: z.object({
    kid: secretString('External account binding key identifier.'),
    hmacEncoded: secretString('External account binding HMAC key (base64url).'),
  }).optional(),
  certificatesDuration: mark(z.int().min(1, { message: 'cannot manage certificates with duration lower than 1 hour' }), { description: 'Certificates\' duration in hours (sets when they are renewed).' }).default(2160),
  clientTimeout: duration(120 * SECOND, 'Timeout of a whole HTTP exchange with the CA.'),
  clientResponseHeaderTimeout: duration(30 * SECOND, 'Timeout for the CA\'s response headers.'),
  certificateTimeout: duration(30 * SECOND, 'Timeout for the certificate at finalization.'),
  caCertificates: strings('PEM files trusted for the CA server (else LEGO_CA_CERTIFICATES, else the system roots).'),
  caSystemCertPool: bool(false, 'Trust the system roots too, with caCertificates.'),
  caServerName: str('Server name to verify the CA\'s certificate against.').optional(),
  httpChallenge: z.object({
    entryPoint: str('Entry point answering HTTP-01 challenges (port 80 for the CA).'),
    delay: duration(0, 'Delay between presenting the challenge and asking for validation.'),
  }).optional(),
  tlsChallenge: z.object({
    delay: duration(0, 'Delay between presenting the challenge and asking for validation.'),
  }).optional(),
  dnsChallenge: z.object({
    provider: str('DNS provider (DNS-01 is not supported by tagway: reported on the resolver).').optional(),
    resolvers: strings('DNS servers.'),
    delayBeforeCheck: duration(0, 'Deprecated in Traefik.'),
    disablePropagationCheck: bool(false, 'Deprecated in Traefik.'),
    propagation: z.object({
      disableChecks: bool(false), disableANSChecks: bool(false), requireAllRNS: bool(false), delayBeforeChecks: duration(0),
    }).optional(),
  }).optional(),
  consul: z.object({
    sessionTTL: duration(15 * SECOND, 'Consul session TTL of the ordering lock (Consul expires a dead holder within 2 × TTL).'),
    lockDelay: duration(SECOND, 'Consul lock-delay of the session: how long a lock of a dead holder stays unavailable.'),
  }).prefault({}),
});

const logLevel = z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC']);

/**
 * Traefik static options tagway does not implement, by section path (`*` for an entry point name). They stop
 * startup like any unknown key, but the message says "not supported" instead of guessing a typo.
 */
export const TRAEFIK_ONLY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  '': ['global', 'tcpServersTransport', 'experimental', 'hostResolver', 'spiffe', 'core', 'ocsp'],
  providers: ['docker', 'swarm', 'kubernetesIngress', 'kubernetesCRD', 'kubernetesGateway', 'kubernetesIngressNGINX', 'consul', 'etcd',
    'zooKeeper', 'redis', 'http', 'rest', 'nomad', 'ecs', 'plugin'],
  'providers.consulCatalog': ['namespace'],
  serversTransport: ['insecureSkipVerify', 'rootCAs', 'maxIdleConnsPerHost', 'spiffe'],
  'serversTransport.forwardingTimeouts': ['readIdleTimeout', 'pingTimeout'],
  'entryPoints.*': ['udp', 'proxyProtocol', 'http3'],
  'entryPoints.*.http2': ['maxDecoderHeaderTableSize', 'maxEncoderHeaderTableSize'],
  'certificatesResolvers.*': ['tailscale'],
  metrics: ['datadog', 'statsD', 'influxDB2', 'otlp'],
  accessLog: ['filters'],
  log: ['noColor', 'maxSize', 'maxAge', 'maxBackups', 'compress'],
};

/** Default entry point Traefik creates when none is configured, and the admin one API/ping/metrics use. */
export const DEFAULT_ENTRY_POINT = { name: 'http', address: ':80' } as const;
export const ADMIN_ENTRY_POINT = { name: 'traefik', address: ':8080' } as const;

const staticObject = z.object({
  entryPoints: z.record(z.string(), entryPointSchema).default(() => ({})),
  providers: z.object({
    consulCatalog: consulCatalogSchema.optional(),
    file: fileProviderSchema.optional(),
    providersThrottleDuration: duration(2 * SECOND, 'Wait to coalesce provider updates.'),
    precedence: mark(z.array(z.string().transform((n) => n.toLowerCase()).refine((n) => TRAEFIK_PROVIDER_PRECEDENCE.includes(n),
      { message: `not a Traefik provider name (one of ${TRAEFIK_PROVIDER_PRECEDENCE.join(', ')})` })),
    { description: 'Routing precedence between providers on equal priority (Traefik v3.7; default: Traefik\'s list, file before consulCatalog).' })
      .default(() => [...TRAEFIK_PROVIDER_PRECEDENCE]),
  }).prefault({}),
  serversTransport: serversTransportSchema.optional(),
  certificatesResolvers: z.record(z.string(), z.object({ acme: acmeSchema.optional() })).optional(),
  tracing: tracingSchema.optional(),
  api: z.object({
    dashboard: bool(true, 'Serve the dashboard.'),
    insecure: bool(false, 'Serve API and dashboard on the "traefik" entry point.'),
    debug: bool(false, 'Serve debug endpoints.'),
  }).optional(),
  ping: z.object({
    entryPoint: str('Entry point serving /ping.').default('traefik'),
    terminatingStatusCode: mark(z.int().min(100).max(599), { description: 'Status of /ping while the gateway stops.' }).default(503),
  }).optional(),
  log: z.object({
    level: mark(logLevel, { description: 'TRACE, DEBUG, INFO, WARN, ERROR, FATAL or PANIC (any case).' }).default('ERROR'),
    format: mark(z.enum(['common', 'json']), { description: 'common or json.' }).default('common'),
    filePath: str('Log file (default: stdout).').optional(),
  }).prefault({}),
  accessLog: accessLogSchema.optional(),
  metrics: z.object({ prometheus: prometheusSchema.optional() }).optional(),
  workers: mark(z.int().positive(), { description: 'Worker processes for traffic (1: single process).', defaultText: 'number of cores' })
    .default(() => availableParallelism()),
});

/**
 * Adds the entry points Traefik adds on its own (`SetEffectiveConfiguration`): `http` on ":80" when none is
 * configured, and `traefik` on ":8080" when `api.insecure`, `ping` or `metrics.prometheus` use it and the
 * operator did not define it.
 */
function withImplicitEntryPoints(config: z.output<typeof staticObject>): StaticConfig {
  const entryPoints = { ...config.entryPoints };
  const blank = (address: string) => entryPointSchema.parse({ address });
  if (Object.keys(entryPoints).length === 0) entryPoints[DEFAULT_ENTRY_POINT.name] = blank(DEFAULT_ENTRY_POINT.address);
  const admin = ADMIN_ENTRY_POINT.name;
  const needsAdmin = config.api?.insecure === true || config.ping?.entryPoint === admin || config.metrics?.prometheus?.entryPoint === admin;
  if (needsAdmin && entryPoints[admin] === undefined) entryPoints[admin] = blank(ADMIN_ENTRY_POINT.address);
  return { ...config, entryPoints };
}

/** Validates decoded input and applies defaults; the output is exactly `StaticConfig`. */
export const staticConfigSchema = staticObject.transform(withImplicitEntryPoints);

/** The object schema before the entry-point step, for introspection (decoders, help). */
export const staticObjectSchema = staticObject;

// The compiler checks that the schema produces exactly StaticConfig, both ways.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _conforms: Exact<z.output<typeof staticObject>, StaticConfig> = true;
void _conforms;

/** A copy of `config` with every secret option replaced by "xxxx" (map secrets: each value), for logs and /api/rawdata. */
export function redactStatic(config: StaticConfig): unknown {
  return redact(config, staticObject);
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; meta: OptionMeta } {
  let s: z.ZodType = schema;
  let meta: OptionMeta = { ...(optionMeta.get(s) ?? {}) };
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') && def.innerType !== undefined) s = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) s = def.in;
    else break;
    meta = { ...(optionMeta.get(s) ?? {}), ...meta };
  }
  return { inner: s, meta };
}


function redact(value: unknown, schema: z.ZodType): unknown {
  if (value === null || value === undefined) return value;
  const { inner, meta } = unwrap(schema);
  const def = inner._zod.def as { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType };
  if (meta.secret === true) {
    if (typeof value === 'string') return value === '' ? '' : 'xxxx';
    if (typeof value === 'object') return Object.fromEntries(Object.keys(value as object).map((k) => [k, 'xxxx']));
  }
  if (def.type === 'object' && def.shape !== undefined && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, Object.hasOwn(def.shape, k) ? redact(v, def.shape[k]!) : v);
    return out;
  }
  if (def.type === 'record' && def.valueType !== undefined && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, redact(v, def.valueType!));
    return out;
  }
  return value;
}
