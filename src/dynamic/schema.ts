/**
 * Runtime description of every struct in ./types.ts, for the generic decoders in src/labels (tags and files).
 * Names are the canonical camelCase JSON names; decoders match them case-insensitively.
 * Traefik's struct tags are mirrored: `allowEmpty` (a section switched on with `true`, e.g. `tls=true`),
 * `label-slice-as-struct` (`loadBalancer.server.port` in labels, `servers:` in files), `label:"-"`
 * (file-only: `weighted`) and `file:"-"` (label-only: `server.port`, `server.scheme`).
 */
import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';

const str: FieldDesc = { kind: 'string' };
const int: FieldDesc = { kind: 'int' };
const bool: FieldDesc = { kind: 'bool' };
const duration: FieldDesc = { kind: 'duration' };
const strings: FieldDesc = { kind: 'stringList' };
const stringMap: FieldDesc = { kind: 'stringMap' };

function struct(desc: StructDesc, extra: Partial<FieldDesc> = {}): FieldDesc {
  return { kind: 'struct', struct: desc, ...extra };
}
function desc(name: string, fields: Record<string, FieldDesc>, unsupported?: Record<string, string>): StructDesc {
  return { name, fields, ...(unsupported !== undefined ? { unsupported } : {}) };
}

/** Traefik names tagway does not implement, so the operator reads "not supported" rather than "did you mean". */
function notSupported(kind: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n.toLowerCase(), `${kind} "${n}" is not supported by tagway`]));
}

export const routerObservabilityDesc = desc('RouterObservability', {
  accessLogs: bool, metrics: bool, tracing: bool,
  traceVerbosity: { kind: 'string', values: ['minimal', 'detailed'] },
});
export const domainDesc = desc('Domain', { main: str, sans: strings });
export const routerTLSDesc = desc('RouterTLS', {
  options: str, certResolver: str, domains: { kind: 'structList', struct: domainDesc },
});
export const routerDesc = desc('Router', {
  entryPoints: strings, middlewares: strings, service: str, rule: str, ruleSyntax: str, priority: int,
  tls: struct(routerTLSDesc, { allowEmpty: true }),
  observability: struct(routerObservabilityDesc),
});

export const serverDesc = desc('Server', {
  url: str,
  weight: int,
  preservePath: { kind: 'bool' },
  scheme: { kind: 'string', only: 'flat' },
  port: { kind: 'string', only: 'flat' },
});
export const cookieDesc = desc('Cookie', {
  name: str, secure: bool, httpOnly: bool, sameSite: str, maxAge: int, path: str, domain: str,
});
export const stickyDesc = desc('Sticky', { cookie: struct(cookieDesc, { allowEmpty: true }) });
export const serverHealthCheckDesc = desc('ServerHealthCheck', {
  scheme: str, mode: str, path: str, method: str, status: int, port: int,
  interval: duration, unhealthyInterval: duration, timeout: duration, hostname: str, followRedirects: bool,
  headers: stringMap,
});
export const responseForwardingDesc = desc('ResponseForwarding', { flushInterval: duration });
export const serversLoadBalancerDesc = desc('ServersLoadBalancer', {
  sticky: struct(stickyDesc, { allowEmpty: true }),
  servers: { kind: 'structList', struct: serverDesc, flatName: 'server' },
  strategy: str,
  healthCheck: struct(serverHealthCheckDesc),
  passHostHeader: bool,
  responseForwarding: struct(responseForwardingDesc),
  serversTransport: str,
});
export const weightedServiceRefDesc = desc('WeightedServiceRef', { name: str, weight: int });
/** Traefik's empty `HealthCheck` struct (`allowEmpty`): present means "follow and report health". */
const serviceHealthCheck: FieldDesc = struct(desc('HealthCheck', {}), { allowEmpty: true });
export const weightedRoundRobinDesc = desc('WeightedRoundRobin', {
  services: { kind: 'structList', struct: weightedServiceRefDesc },
  sticky: struct(stickyDesc, { allowEmpty: true }),
  healthCheck: serviceHealthCheck,
});
export const mirroringDesc = desc('Mirroring', {
  service: str, mirrorBody: bool, maxBodySize: int,
  mirrors: { kind: 'structList', struct: desc('MirrorService', { name: str, percent: int }) },
  healthCheck: serviceHealthCheck,
});
export const failoverDesc = desc('Failover', {
  service: str, fallback: str, healthCheck: serviceHealthCheck,
  errors: struct(desc('FailoverError', { maxRequestBodyBytes: int, status: strings })),
});
// weighted, mirroring and failover are `label:"-"` in Traefik: files only.
export const serviceDesc = desc('Service', {
  loadBalancer: struct(serversLoadBalancerDesc),
  weighted: { kind: 'struct', struct: weightedRoundRobinDesc, only: 'document' },
  mirroring: { kind: 'struct', struct: mirroringDesc, only: 'document' },
  failover: { kind: 'struct', struct: failoverDesc, only: 'document' },
}, {
  ...notSupported('service type', ['highestRandomWeight']),
  middlewares: 'service "middlewares" (Traefik v3.7) is not supported by tagway: name them on the routers of the service',
});

export const ipStrategyDesc = desc('IPStrategy', { depth: int, excludedIPs: strings, ipv6Subnet: int });
export const sourceCriterionDesc = desc('SourceCriterion', {
  ipStrategy: struct(ipStrategyDesc), requestHeaderName: str, requestHost: bool,
});
export const headersDesc = desc('Headers', {
  customRequestHeaders: stringMap,
  customResponseHeaders: stringMap,
  accessControlAllowCredentials: bool,
  accessControlAllowHeaders: strings,
  accessControlAllowMethods: strings,
  accessControlAllowOriginList: strings,
  accessControlAllowOriginListRegex: strings,
  accessControlExposeHeaders: strings,
  accessControlMaxAge: int,
  addVaryHeader: bool,
  allowedHosts: strings,
  hostsProxyHeaders: strings,
  sslRedirect: bool,
  stsSeconds: int,
  stsIncludeSubdomains: bool,
  stsPreload: bool,
  forceSTSHeader: bool,
  frameDeny: bool,
  customFrameOptionsValue: str,
  contentTypeNosniff: bool,
  browserXssFilter: bool,
  customBrowserXSSValue: str,
  contentSecurityPolicy: str,
  referrerPolicy: str,
  permissionsPolicy: str,
  isDevelopment: bool,
});
export const middlewareDesc = desc('Middleware', {
  addPrefix: struct(desc('AddPrefix', { prefix: str })),
  stripPrefix: struct(desc('StripPrefix', { prefixes: strings, forceSlash: bool })),
  stripPrefixRegex: struct(desc('StripPrefixRegex', { regex: strings })),
  replacePath: struct(desc('ReplacePath', { path: str })),
  replacePathRegex: struct(desc('ReplacePathRegex', { regex: str, replacement: str })),
  chain: struct(desc('Chain', { middlewares: strings })),
  ipAllowList: struct(desc('IPAllowList', { sourceRange: strings, ipStrategy: struct(ipStrategyDesc), rejectStatusCode: int })),
  headers: struct(headersDesc),
  redirectRegex: struct(desc('RedirectRegex', { regex: str, replacement: str, permanent: bool })),
  redirectScheme: struct(desc('RedirectScheme', { scheme: str, port: str, permanent: bool })),
  basicAuth: struct(desc('BasicAuth', { users: strings, usersFile: str, realm: str, removeHeader: bool, headerField: str })),
  rateLimit: struct(desc('RateLimit', { average: int, period: duration, burst: int, sourceCriterion: struct(sourceCriterionDesc) })),
  retry: struct(desc('Retry', { attempts: int, initialInterval: duration })),
  circuitBreaker: struct(desc('CircuitBreaker', {
    expression: str, checkPeriod: duration, fallbackDuration: duration, recoveryDuration: duration, responseCode: int,
  })),
  compress: struct(desc('Compress', {
    excludedContentTypes: strings, includedContentTypes: strings, minResponseBodyBytes: int, encodings: strings, defaultEncoding: str,
  }), { allowEmpty: true }),
  forwardAuth: struct(desc('ForwardAuth', {
    address: str,
    tls: struct(desc('ClientTLS', { ca: str, cert: str, key: str, insecureSkipVerify: bool, caOptional: bool })),
    trustForwardHeader: bool, authResponseHeaders: strings, authResponseHeadersRegex: str, authRequestHeaders: strings,
    maxResponseBodySize: int, addAuthCookiesToResponse: strings, headerField: str, forwardBody: bool, maxBodySize: int,
    preserveLocationHeader: bool, preserveRequestMethod: bool, authSigninURL: str, timeout: duration,
  })),
  errors: struct(desc('ErrorPage', { status: strings, statusRewrites: stringMap, service: str, query: str, errorRequestHeaders: strings })),
  inFlightReq: struct(desc('InFlightReq', { amount: int, sourceCriterion: struct(sourceCriterionDesc) })),
  buffering: struct(desc('Buffering', {
    maxRequestBodyBytes: int, memRequestBodyBytes: int, maxResponseBodyBytes: int, memResponseBodyBytes: int, retryExpression: str,
  })),
  digestAuth: struct(desc('DigestAuth', { users: { kind: 'stringList', secret: true }, usersFile: str, removeHeader: bool, realm: str, headerField: str })),
  contentType: struct(desc('ContentType', { autoDetect: bool }), { allowEmpty: true }),
  passTLSClientCert: struct(desc('PassTLSClientCert', {
    pem: bool,
    info: struct(desc('TLSClientCertificateInfo', {
      notAfter: bool, notBefore: bool, sans: bool, serialNumber: bool,
      subject: struct(desc('TLSClientCertificateSubjectDNInfo', {
        country: bool, province: bool, locality: bool, organization: bool, organizationalUnit: bool, commonName: bool, serialNumber: bool, domainComponent: bool,
      })),
      issuer: struct(desc('TLSClientCertificateIssuerDNInfo', {
        country: bool, province: bool, locality: bool, organization: bool, commonName: bool, serialNumber: bool, domainComponent: bool,
      })),
    })),
  })),
  grpcWeb: struct(desc('GrpcWeb', { allowOrigins: strings })),
}, notSupported('middleware', ['plugin', 'ipWhiteList', 'encodedCharacters']));

export const serversTransportDesc = desc('ServersTransport', {
  serverName: str,
  insecureSkipVerify: bool,
  rootCAs: strings,
  certificates: { kind: 'structList', struct: desc('Certificate', { certFile: str, keyFile: { kind: 'string', secret: true } }) },
  maxIdleConnsPerHost: int,
  forwardingTimeouts: struct(desc('ForwardingTimeouts', { dialTimeout: duration, responseHeaderTimeout: duration, idleConnTimeout: duration },
    notSupported('forwarding timeout', ['readIdleTimeout', 'pingTimeout']))),
  disableHTTP2: bool,
  peerCertURI: str,
}, notSupported('serversTransport option', ['cipherSuites', 'minVersion', 'maxVersion', 'peerCertSANs', 'spiffe']));

/** `http` of the dynamic configuration: what `<prefix>.http.*` labels and a file's `http:` section fill. */
export const httpConfigurationDesc = desc('HTTPConfiguration', {
  routers: { kind: 'structMap', struct: routerDesc },
  services: { kind: 'structMap', struct: serviceDesc },
  middlewares: { kind: 'structMap', struct: middlewareDesc },
  serversTransports: { kind: 'structMap', struct: serversTransportDesc, only: 'document' },
}, notSupported('HTTP section', ['models']));
