/**
 * The dynamic configuration: what providers (Consul catalog, file) produce and the runtime consumes.
 * Field names and JSON shapes follow Traefik v3's `dynamic.Configuration` so `/api/rawdata` and
 * `/api/http/*` answer in Traefik's shapes. Durations stay Go-style strings ("10s") as Traefik shows them;
 * parse them with `parseDuration` from src/util/duration.ts where they are used.
 * Optional booleans are "unset" when undefined: unset is not false (observability inherits from the entry point).
 */

import type { TraceVerbosity } from '../http/observability.ts';
export type { TraceVerbosity };
import type { TLSConfiguration } from './tls.ts';

export interface RouterObservability {
  accessLogs?: boolean;
  metrics?: boolean;
  tracing?: boolean;
  traceVerbosity?: TraceVerbosity;
}

export interface Domain { main?: string; sans?: string[] }
export interface RouterTLS { options?: string; certResolver?: string; domains?: Domain[] }

export interface Router {
  entryPoints?: string[];
  middlewares?: string[];
  service?: string;
  rule?: string;
  ruleSyntax?: string;
  priority?: number;
  tls?: RouterTLS;
  observability?: RouterObservability;
  /**
   * Set by the Consul provider on routers made from `defaultRule` (Traefik's `json:"-"` DefaultRule): such a
   * router sends `X-Traefik-Router` upstream and refuses a request that comes back with its own (400). Never
   * read from tags or files, never shown in the API.
   */
  defaultRule?: boolean;
}

export interface Server {
  url?: string;
  weight?: number;
  preservePath?: boolean;
  /** Label-only (Traefik `json:"-"`): used by the Consul builder to make `url`, never shown in the API. */
  scheme?: string;
  /** Label-only, as `scheme`. */
  port?: string;
}

export interface Cookie {
  name?: string; secure?: boolean; httpOnly?: boolean; sameSite?: string; maxAge?: number; path?: string; domain?: string;
}
export interface Sticky { cookie?: Cookie }

export interface ServerHealthCheck {
  scheme?: string; mode?: string; path?: string; method?: string; status?: number; port?: number;
  interval?: string; unhealthyInterval?: string; timeout?: string; hostname?: string; followRedirects?: boolean;
  headers?: Record<string, string>;
}

export interface ResponseForwarding { flushInterval?: string }

export interface ServersLoadBalancer {
  sticky?: Sticky;
  servers?: Server[];
  strategy?: string;
  healthCheck?: ServerHealthCheck;
  passHostHeader?: boolean;
  responseForwarding?: ResponseForwarding;
  serversTransport?: string;
}

export interface WeightedServiceRef { name?: string; weight?: number }
/** Traefik's `dynamic.HealthCheck` (an empty struct): set, the service follows its children's health and reports its own. */
export type ServiceHealthCheck = Record<string, never>;
export interface WeightedRoundRobin { services?: WeightedServiceRef[]; sticky?: Sticky; healthCheck?: ServiceHealthCheck }
export interface MirrorService { name?: string; percent?: number }
export interface Mirroring {
  service?: string;
  /** Default true (Traefik's MirroringDefaultMirrorBody). */
  mirrorBody?: boolean;
  /** Default -1: no limit (Traefik's MirroringDefaultMaxBodySize). */
  maxBodySize?: number;
  mirrors?: MirrorService[];
  healthCheck?: ServiceHealthCheck;
}
export interface FailoverErrors { maxRequestBodyBytes?: number; status?: string[] }
export interface Failover { service?: string; fallback?: string; healthCheck?: ServiceHealthCheck; errors?: FailoverErrors }

export interface Service {
  loadBalancer?: ServersLoadBalancer;
  weighted?: WeightedRoundRobin;
  mirroring?: Mirroring;
  failover?: Failover;
}

// ---- middlewares (the subset tags and files can declare) ----
export interface AddPrefix { prefix?: string }
export interface StripPrefix { prefixes?: string[]; forceSlash?: boolean }
export interface StripPrefixRegex { regex?: string[] }
export interface ReplacePath { path?: string }
export interface ReplacePathRegex { regex?: string; replacement?: string }
export interface Chain { middlewares?: string[] }
export interface IPStrategy { depth?: number; excludedIPs?: string[]; ipv6Subnet?: number }
export interface IPAllowList { sourceRange?: string[]; ipStrategy?: IPStrategy; rejectStatusCode?: number }
export interface Headers {
  customRequestHeaders?: Record<string, string>;
  customResponseHeaders?: Record<string, string>;
  accessControlAllowCredentials?: boolean;
  accessControlAllowHeaders?: string[];
  accessControlAllowMethods?: string[];
  accessControlAllowOriginList?: string[];
  accessControlAllowOriginListRegex?: string[];
  accessControlExposeHeaders?: string[];
  accessControlMaxAge?: number;
  addVaryHeader?: boolean;
  allowedHosts?: string[];
  hostsProxyHeaders?: string[];
  sslRedirect?: boolean;
  stsSeconds?: number;
  stsIncludeSubdomains?: boolean;
  stsPreload?: boolean;
  forceSTSHeader?: boolean;
  frameDeny?: boolean;
  customFrameOptionsValue?: string;
  contentTypeNosniff?: boolean;
  browserXssFilter?: boolean;
  customBrowserXSSValue?: string;
  contentSecurityPolicy?: string;
  referrerPolicy?: string;
  permissionsPolicy?: string;
  isDevelopment?: boolean;
}
export interface RedirectScheme { scheme?: string; port?: string; permanent?: boolean }
export interface RedirectRegex { regex?: string; replacement?: string; permanent?: boolean }
export interface BasicAuth { users?: string[]; usersFile?: string; realm?: string; removeHeader?: boolean; headerField?: string }
export interface SourceCriterion { ipStrategy?: IPStrategy; requestHeaderName?: string; requestHost?: boolean }
export interface RateLimit { average?: number; period?: string; burst?: number; sourceCriterion?: SourceCriterion }
export interface Retry { attempts?: number; initialInterval?: string }
export interface CircuitBreaker {
  expression?: string; checkPeriod?: string; fallbackDuration?: string; recoveryDuration?: string; responseCode?: number;
}
/** Traefik's ClientTLS: `ca`, `cert` and `key` are file paths or PEM contents. */
export interface ClientTLS { ca?: string; cert?: string; key?: string; insecureSkipVerify?: boolean; caOptional?: boolean }
export interface ForwardAuth {
  address?: string;
  tls?: ClientTLS;
  /** Unset, false and true differ (Traefik v3.7: unset keeps the legacy header handling). */
  trustForwardHeader?: boolean;
  authResponseHeaders?: string[];
  authResponseHeadersRegex?: string;
  authRequestHeaders?: string[];
  maxResponseBodySize?: number;
  addAuthCookiesToResponse?: string[];
  headerField?: string;
  forwardBody?: boolean;
  maxBodySize?: number;
  preserveLocationHeader?: boolean;
  preserveRequestMethod?: boolean;
  authSigninURL?: string;
  /** tagway addition: the whole auth call's time limit (Traefik: a fixed 30s). */
  timeout?: string;
}
export interface ErrorPage {
  status?: string[];
  /** `"418": 404` or `"500-599": 503` (Traefik's map[string]int; numbers as strings once decoded). */
  statusRewrites?: Record<string, number | string>;
  service?: string;
  query?: string;
  /** Unset: every request header goes to the error page request; [] none; else these. */
  errorRequestHeaders?: string[];
}
export interface InFlightReq { amount?: number; sourceCriterion?: SourceCriterion }
export interface Buffering {
  maxRequestBodyBytes?: number; memRequestBodyBytes?: number;
  maxResponseBodyBytes?: number; memResponseBodyBytes?: number;
  retryExpression?: string;
}
export interface DigestAuth { users?: string[]; usersFile?: string; removeHeader?: boolean; realm?: string; headerField?: string }
export interface ContentType { autoDetect?: boolean }
export interface TLSClientCertificateSubjectDNInfo {
  country?: boolean; province?: boolean; locality?: boolean; organization?: boolean; organizationalUnit?: boolean;
  commonName?: boolean; serialNumber?: boolean; domainComponent?: boolean;
}
export interface TLSClientCertificateIssuerDNInfo {
  country?: boolean; province?: boolean; locality?: boolean; organization?: boolean; commonName?: boolean;
  serialNumber?: boolean; domainComponent?: boolean;
}
export interface TLSClientCertificateInfo {
  notAfter?: boolean; notBefore?: boolean; sans?: boolean; serialNumber?: boolean;
  subject?: TLSClientCertificateSubjectDNInfo; issuer?: TLSClientCertificateIssuerDNInfo;
}
export interface PassTLSClientCert { pem?: boolean; info?: TLSClientCertificateInfo }
export interface GrpcWeb { allowOrigins?: string[] }
export interface Compress { excludedContentTypes?: string[]; includedContentTypes?: string[]; minResponseBodyBytes?: number; encodings?: string[]; defaultEncoding?: string }
/** Traefik's default `compress.encodings`, in its order of preference (the middleware and the API's view share it). */
export const DEFAULT_COMPRESS_ENCODINGS = ['gzip', 'br', 'zstd'] as const;

export interface Middleware {
  addPrefix?: AddPrefix;
  stripPrefix?: StripPrefix;
  stripPrefixRegex?: StripPrefixRegex;
  replacePath?: ReplacePath;
  replacePathRegex?: ReplacePathRegex;
  chain?: Chain;
  ipAllowList?: IPAllowList;
  headers?: Headers;
  redirectRegex?: RedirectRegex;
  redirectScheme?: RedirectScheme;
  basicAuth?: BasicAuth;
  rateLimit?: RateLimit;
  retry?: Retry;
  circuitBreaker?: CircuitBreaker;
  compress?: Compress;
  forwardAuth?: ForwardAuth;
  errors?: ErrorPage;
  inFlightReq?: InFlightReq;
  buffering?: Buffering;
  digestAuth?: DigestAuth;
  contentType?: ContentType;
  passTLSClientCert?: PassTLSClientCert;
  grpcWeb?: GrpcWeb;
}

/** Traefik's `serversTransport.forwardingTimeouts` (Go durations as written). */
export interface ServersTransportTimeouts { dialTimeout?: string; responseHeaderTimeout?: string; idleConnTimeout?: string }
/**
 * Traefik's `http.serversTransports.<name>` (file provider only, as Traefik's `label:"-"`): how connections to the
 * servers of the services that name it (`loadBalancer.serversTransport: name@file`) are made. `rootCAs` and the
 * certificates' files are paths or PEM contents (Traefik's FileOrContent).
 */
export interface ServersTransport {
  serverName?: string;
  insecureSkipVerify?: boolean;
  rootCAs?: string[];
  certificates?: Array<{ certFile?: string; keyFile?: string }>;
  maxIdleConnsPerHost?: number;
  forwardingTimeouts?: ServersTransportTimeouts;
  disableHTTP2?: boolean;
  /** The URI SAN the server's certificate must carry (Consul Connect's SPIFFE ID). */
  peerCertURI?: string;
}

export interface HTTPConfiguration {
  routers: Record<string, Router>;
  services: Record<string, Service>;
  middlewares: Record<string, Middleware>;
  serversTransports?: Record<string, ServersTransport>;
}

export interface Configuration { http: HTTPConfiguration; tls?: TLSConfiguration }

export function emptyConfiguration(): Configuration {
  return { http: { routers: {}, services: {}, middlewares: {} } };
}

/** Kinds of items a problem can be attached to. */
export type ItemKind = 'router' | 'service' | 'middleware';

/**
 * A problem a provider found while building its configuration, attached to one item (name unqualified,
 * within the provider). `dropped: true` means the item is not in the configuration (Traefik would have
 * silently skipped it); the runtime still lists it, disabled, with this message, so the operator sees it.
 */
export interface ItemIssue {
  kind: ItemKind;
  name: string;
  severity: 'error' | 'warning';
  message: string;
  dropped: boolean;
}

/** A problem that concerns the provider as a whole (Consul unreachable, file unparsable...). */
export interface ProviderProblem { message: string; since: number }

/** All a provider ever sends: a whole snapshot (never a patch). */
export interface Message {
  providerName: string;
  configuration: Configuration;
  issues: ItemIssue[];
}
