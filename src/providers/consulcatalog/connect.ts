/**
 * Consul Connect, the pure part: the gateway's mesh certificates as answered by Consul (validated), and the
 * servers transport a Connect service is reached through (Traefik's `connect_tls.go`): mTLS presenting the leaf of
 * `serviceName`, the peer's certificate checked against the current roots and its URI SAN against
 * `spiffe://<trust-domain>/ns/<namespace>/dc/<datacenter>/svc/<service>`. No I/O.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { ServersTransport } from '../../dynamic/types.ts';
import type { ConnectLeaf, ConnectRoots } from './client.ts';
import { normalize } from './normalize.ts';

/** The gateway's leaf certificate (its mesh identity), as last received and checked. */
export interface MeshLeaf {
  certPem: string;
  keyPem: string;
  /** The leaf's own URI SAN: the identity the sidecars see (`spiffe://…/svc/<serviceName>`). */
  serviceURI: string;
  serial: string;
  validBefore: string;
}

export interface MeshRoots {
  trustDomain: string;
  activeRootId: string;
  /** PEM of every root Consul lists (the active one and those kept during a rotation). */
  pems: string[];
}

/** Both halves, once each has arrived. */
export interface MeshCertificates { leaf: MeshLeaf; roots: MeshRoots }

/**
 * Checks a leaf answer: a certificate and the key that goes with it, carrying `spiffe://…/svc/<service>`.
 * @throws {Error} saying what is wrong (the watcher keeps the last good leaf and reports it).
 */
export function meshLeafFrom(answer: ConnectLeaf, service: string): MeshLeaf {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(answer.CertPEM);
  } catch (cause) {
    throw new Error(`the leaf certificate of "${service}" is not a PEM certificate`, { cause });
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(answer.PrivateKeyPEM));
  } catch (cause) {
    throw new Error(`the private key of the leaf certificate of "${service}" cannot be read`, { cause });
  }
  if (!matches) throw new Error(`the private key of the leaf certificate of "${service}" does not belong to it`);
  const uris = uriSans(cert);
  const uri = answer.ServiceURI || uris[0] || '';
  if (!uris.includes(uri) || !uri.startsWith('spiffe://') || !uri.endsWith(`/svc/${service}`)) {
    throw new Error(`the leaf certificate of "${service}" does not carry its SPIFFE ID (URI SANs: ${uris.join(', ') || 'none'})`);
  }
  return { certPem: answer.CertPEM, keyPem: answer.PrivateKeyPEM, serviceURI: uri, serial: answer.SerialNumber, validBefore: answer.ValidBefore };
}

/** Checks a roots answer: a trust domain and at least one readable root. */
export function meshRootsFrom(answer: ConnectRoots): MeshRoots {
  const pems: string[] = [];
  for (const root of answer.Roots ?? []) {
    try {
      new X509Certificate(root.RootCert);
    } catch (cause) {
      throw new Error(`CA root "${root.ID}" is not a PEM certificate`, { cause });
    }
    pems.push(root.RootCert, ...(root.IntermediateCerts ?? []));
  }
  if (!answer.TrustDomain) throw new Error('the CA roots carry no TrustDomain');
  if (pems.length === 0) throw new Error('Consul lists no CA root');
  return { trustDomain: answer.TrustDomain, activeRootId: answer.ActiveRootID, pems };
}

/** The SPIFFE ID Consul gives a service: what its sidecar must present. */
export function spiffeId(trustDomain: string, namespace: string, datacenter: string, service: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/dc/${datacenter}/svc/${service}`;
}

/** Traefik's `itemServersTransportKey`: one transport per namespace, datacenter and service. */
export function connectTransportName(namespace: string, datacenter: string, service: string): string {
  return normalize(`tls-${namespace}-${datacenter}-${service}`);
}


/**
 * The transport to a Connect service's sidecars, field for field Traefik's: `insecureSkipVerify` only turns off the
 * host-name check (a sidecar's certificate names no host); with `peerCertURI` set the transport still verifies the
 * chain against `rootCAs` and requires exactly that URI SAN (Traefik's `VerifyPeerCertificate`). The server name
 * is Traefik's, sent as SNI only.
 */
export function connectTransport(mesh: MeshCertificates, namespace: string, datacenter: string, service: string): ServersTransport {
  return {
    serverName: `${namespace}-${datacenter}-${service}`,
    insecureSkipVerify: true,
    rootCAs: [...mesh.roots.pems],
    certificates: [{ certFile: mesh.leaf.certPem, keyFile: mesh.leaf.keyPem }],
    peerCertURI: spiffeId(mesh.roots.trustDomain, namespace, datacenter, service),
  };
}

export function uriSans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
}
