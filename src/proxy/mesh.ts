/**
 * Consul Connect on the upstream side: a transport whose `peerCertURI` is a SPIFFE ID talks to a mesh sidecar.
 * What this adds to the plain TLS transport: a refused handshake (a peer that does not chain to the mesh roots, or
 * carries another identity) is a 502 naming the identity expected and the one presented; a refusal by the sidecar
 * itself (an intention denying this gateway: Envoy's 403 "RBAC: access denied" on an HTTP service, a connection
 * closed after the handshake on a TCP one) gets a hint naming the intention to add; the last refusal is kept for the
 * API; the client span carries the identities.
 */
import { X509Certificate } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { AttemptObserver } from '../http/hooks.ts';
import { ProxyError } from '../http/errors.ts';

/** The last time a sidecar was refused or refused us (for the API). */
export interface MeshRefusal { at: string; server: string; reason: string; hint?: string }

/** Connect's view of one transport: who the peers must be, who we are, and the last refusal. */
export interface MeshIdentity {
  /** The SPIFFE ID the sidecars must present (`spiffe://<td>/ns/<ns>/dc/<dc>/svc/<service>`). */
  readonly expected: string;
  /** The destination service's name (last segment of `expected`). */
  readonly service: string;
  /** This gateway's own SPIFFE ID (its leaf's URI SAN) and its service name, when a client certificate is set. */
  readonly self?: string;
  readonly selfService?: string;
  lastRefusal?: MeshRefusal;
}

/** Span attributes (no OpenTelemetry convention covers SPIFFE yet). */
export const ATTR_EXPECTED = 'tagway.connect.expected_spiffe_id';
export const ATTR_PEER = 'tagway.connect.peer.spiffe_id';
export const ATTR_HINT = 'tagway.connect.hint';

/** A mesh identity for a transport whose `peerCertURI` is a SPIFFE ID, else undefined. */
export function meshIdentity(peerCertURI: string | undefined, clientCertPem: string | undefined): MeshIdentity | undefined {
  if (!peerCertURI?.startsWith('spiffe://')) return undefined;
  const service = /\/svc\/([^/]+)$/.exec(peerCertURI)?.[1] ?? peerCertURI;
  let self: string | undefined;
  if (clientCertPem !== undefined) {
    try {
      self = (new X509Certificate(clientCertPem).subjectAltName ?? '').split(/,\s*/).find((s) => s.startsWith('URI:'))?.slice(4);
    } catch {
      self = undefined;
    }
  }
  const selfService = self ? /\/svc\/([^/]+)$/.exec(self)?.[1] : undefined;
  return { expected: peerCertURI, service, ...(self ? { self } : {}), ...(selfService ? { selfService } : {}) };
}

/** The intention the gateway needs, as the operator would create it. */
export function intentionHint(mesh: MeshIdentity): string {
  const source = mesh.selfService ?? '<serviceName>';
  return `an intention may deny ${source} → ${mesh.service}; allow it: consul intention create -allow ${source} ${mesh.service}`;
}

/**
 * A failed connection to a sidecar: 502 (tagway's choice; Traefik answers 500 for TLS verification failures) with
 * the identity expected and what went wrong, recorded as the transport's last refusal.
 */
export function refusedConnection(mesh: MeshIdentity, server: string, err: Error): Error {
  const code = (err as { code?: string }).code;
  const tlsFailure = code === undefined || /CERT|SIGNATURE|ISSUER|VERIFY|SELF_SIGNED|CHAIN|ERR_TLS|ERR_SSL/.test(code);
  if (!tlsFailure) return err; // refused, reset, timeout: the usual mapping applies
  const reason = `Consul Connect: the sidecar at ${server} was refused: ${err.message}${code ? ` (${code})` : ''}; it must present ${mesh.expected} under a current CA root`;
  mesh.lastRefusal = { at: new Date().toISOString(), server, reason };
  return new ProxyError('TAGWAY_UPSTREAM_IDENTITY', 502, reason, { cause: err });
}

/**
 * Wraps an attempt's observer (which may be undefined: tracing off) so the refusals by the sidecar are recorded and
 * hinted, and the span carries the identities. The peer identity is known from the transport: every connection of
 * it was verified to carry exactly `expected` before any request went on it.
 */
export function meshAttempt(mesh: MeshIdentity, server: string, inner: AttemptObserver | undefined): AttemptObserver {
  inner?.annotate?.({ [ATTR_EXPECTED]: mesh.expected });
  return {
    onResponse(status: number, headers: OutgoingHttpHeaders): void {
      const attrs: Record<string, string> = { [ATTR_PEER]: mesh.expected };
      if (status === 403) {
        const hint = intentionHint(mesh);
        mesh.lastRefusal = { at: new Date().toISOString(), server, reason: `the sidecar at ${server} answered 403 (Envoy's RBAC answer to a denied intention is 403 "RBAC: access denied")`, hint };
        attrs[ATTR_HINT] = hint;
      }
      inner?.annotate?.(attrs);
      inner?.onResponse(status, headers);
    },
    onError(status: number, error: Error): void {
      const code = (error as ProxyError).code;
      if (code === 'TAGWAY_UPSTREAM_RESET') {
        const hint = intentionHint(mesh);
        mesh.lastRefusal = { at: new Date().toISOString(), server, reason: `the sidecar at ${server} closed the connection (${error.message}); Envoy closes the connections an intention denies on a TCP service`, hint };
        inner?.annotate?.({ [ATTR_HINT]: hint });
      }
      inner?.onError(status, error);
    },
  };
}
