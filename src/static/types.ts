import type { TraceVerbosity } from '../dynamic/types.ts';
import type { EncodedCharacters } from '../http/sanitize.ts';

/**
 * The static configuration after loading (file → flags → env) and defaults. Names are Traefik's.
 * Durations are already parsed to milliseconds here (the static loader validates them); secrets are
 * marked in the schema (src/static/schema.ts) so logs and /api/rawdata redact them.
 */
export interface StaticConfig {
  entryPoints: Record<string, EntryPointConfig>;
  providers: {
    consulCatalog?: ConsulCatalogConfig;
    file?: FileProviderConfig;
    /** Seconds Traefik waits to coalesce provider messages; ms here. */
    providersThrottleDuration: number;
    /** Routing precedence between providers on equal priority (lower-case Traefik provider names). */
    precedence: string[];
  };
  /** Traefik's static `serversTransport` (optional; tagway reads its forwarding timeouts, in ms). */
  serversTransport?: { forwardingTimeouts: { dialTimeout: number; responseHeaderTimeout: number; idleConnTimeout: number } };
  /** `certificatesResolvers.<name>.acme` (Traefik's names and defaults; durations in ms). */
  certificatesResolvers?: Record<string, { acme?: AcmeConfig }>;
  tracing?: TracingConfig;
  api?: { dashboard: boolean; insecure: boolean; debug: boolean };
  ping?: { entryPoint: string; terminatingStatusCode: number };
  log: { level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'PANIC'; format: 'common' | 'json'; filePath?: string };
  accessLog?: AccessLogConfig;
  metrics?: { prometheus?: PrometheusConfig };
  /** Worker processes for traffic (node:cluster); 1 runs everything in one process. Default: cores. */
  workers: number;
}

export interface EntryPointConfig {
  /** ":8000", "127.0.0.1:8000", "[::1]:8000" */
  address: string;
  /** Traefik v3: routers without `entryPoints` attach to the entry points marked so (see `defaultEntryPoints`). */
  asDefault: boolean;
  /** HTTP-01 challenges on this entry point bypass its routers and its redirection (Traefik's `acme-http-bypass`). */
  allowACMEByPass: boolean;
  /** Accepted for Traefik files; SO_REUSEPORT is not set (warned when true). */
  reusePort: boolean;
  observability: { tracing?: boolean; accessLogs?: boolean; metrics?: boolean; traceVerbosity?: TraceVerbosity };
  /** `connection` and `notAppendXForwardedFor` are accepted, not implemented (warned when set). */
  forwardedHeaders: { trustedIPs: string[]; insecure: boolean; connection: string[]; notAppendXForwardedFor: boolean };
  /** `keepAliveMaxRequests` / `keepAliveMaxTime` (ms) are accepted, not implemented (warned when set). */
  transport: {
    respondingTimeouts: { readTimeout: number; writeTimeout: number; idleTimeout: number };
    lifeCycle: { requestAcceptGraceTimeout: number; graceTimeOut: number };
    keepAliveMaxRequests: number; keepAliveMaxTime: number;
  };
  http: {
    middlewares: string[]; maxHeaderBytes: number; sanitizePath: boolean; encodedCharacters: EncodedCharacters;
    /** `;` in the query: read as `&` (false, Traefik's default) or kept, encoded as %3B (true). */
    encodeQuerySemicolons: boolean;
    /** Request headers with `_` in their name. */
    underscoreHeadersStrategy: 'keep' | 'delete' | 'reject';
    tls?: EntryPointTLS; redirections?: { entryPoint?: EntryPointRedirection };
  };
  http2: { maxConcurrentStreams: number };
}

/** `entryPoints.<ep>.http.tls`: every router on the entry point is a TLS router with these settings. */
export interface EntryPointTLS { options?: string; certResolver?: string; domains?: Array<{ main?: string; sans?: string[] }> }
/** `entryPoints.<ep>.http.redirections.entryPoint` (Traefik's defaults: scheme https, permanent, priority MaxInt-1). */
export interface EntryPointRedirection { to: string; scheme: string; permanent: boolean; priority: number }

export interface ConsulCatalogConfig {
  endpoint: {
    address: string; scheme: string; datacenter: string; token: string; endpointWaitTime: number;
    tls?: { ca?: string; cert?: string; key?: string; insecureSkipVerify: boolean };
    httpAuth?: { username: string; password: string };
  };
  prefix: string;
  exposedByDefault: boolean;
  defaultRule: string;
  constraints: string;
  strictChecks: string[];
  refreshInterval: number;
  watch: boolean;
  stale: boolean;
  requireConsistent: boolean;
  cache: boolean;
  connectAware: boolean;
  /** Services without the connect tag are Connect services (with connectAware). */
  connectByDefault: boolean;
  serviceName: string;
  namespaces: string[];
}

export interface FileProviderConfig { filename?: string; directory?: string; watch: boolean }

/** Client TLS toward the collector (Traefik's ClientTLS: file paths; inline PEM accepted). */
export interface OtlpClientTLS { ca?: string; cert?: string; key?: string; insecureSkipVerify: boolean }

export interface TracingConfig {
  serviceName: string;
  sampleRate: number;
  resourceAttributes: Record<string, string>;
  capturedRequestHeaders: string[];
  capturedResponseHeaders: string[];
  safeQueryParams: string[];
  addInternals: boolean;
  otlp: {
    http: { endpoint: string; headers: Record<string, string>; tls?: OtlpClientTLS; compression?: 'gzip' | 'none' };
    /** Traefik's `tracing.otlp.grpc`: set, it selects OTLP/gRPC. */
    grpc?: { endpoint: string; insecure: boolean; headers: Record<string, string>; tls?: OtlpClientTLS; compression?: 'gzip' | 'none' };
  };
  /** BatchSpanProcessor settings (OTel defaults). */
  batch: { maxQueueSize: number; maxExportBatchSize: number; scheduledDelay: number; exportTimeout: number };
  /** Shutdown flush deadline, ms (default 5000). */
  shutdownTimeout: number;
  /**
   * tagway addition: post exports from a worker thread of their own (export/export-thread.ts) instead of the serving
   * loop (default false: on a busy core the thread cost more than it spared, export/channel.ts InlineChannel).
   */
  exportThread: boolean;
}

export interface AccessLogConfig {
  filePath?: string;
  format: 'common' | 'json';
  bufferingSize: number;
  fields?: { defaultMode?: 'keep' | 'drop' | 'redact'; names?: Record<string, 'keep' | 'drop' | 'redact'>; headers?: { defaultMode?: 'keep' | 'drop' | 'redact'; names?: Record<string, 'keep' | 'drop' | 'redact'> } };
}

export interface PrometheusConfig {
  entryPoint: string;
  addEntryPointsLabels: boolean;
  addRoutersLabels: boolean;
  addServicesLabels: boolean;
  buckets: number[];
}

/** Traefik's `entryPoints.<ep>.http.encodedCharacters`: escapes allowed in request paths (all by default since v3.6.7); the request contract owns the type. */
export type { EncodedCharacters };

/** Traefik's ACME resolver configuration (pkg/provider/acme `Configuration`); `storage: consul` is tagway's shared mode. */
export interface AcmeConfig {
  email?: string;
  caServer: string;
  preferredChain?: string;
  profile?: string;
  emailAddresses: string[];
  disableCommonName: boolean;
  storage: string;
  keyType: 'EC256' | 'EC384' | 'RSA2048' | 'RSA4096' | 'RSA8192';
  eab?: { kid: string; hmacEncoded: string };
  /** Hours. */
  certificatesDuration: number;
  clientTimeout: number;
  clientResponseHeaderTimeout: number;
  certificateTimeout: number;
  caCertificates: string[];
  caSystemCertPool: boolean;
  caServerName?: string;
  httpChallenge?: { entryPoint: string; delay: number };
  tlsChallenge?: { delay: number };
  dnsChallenge?: {
    provider?: string; resolvers: string[]; delayBeforeCheck: number; disablePropagationCheck: boolean;
    propagation?: { disableChecks: boolean; disableANSChecks: boolean; requireAllRNS: boolean; delayBeforeChecks: number };
  };
  /** Shared mode (`storage: consul`): the ordering lock's session. */
  consul: { sessionTTL: number; lockDelay: number };
}
