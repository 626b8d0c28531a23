/**
 * devcatalog's Connect CA: Consul's built-in CA for the service mesh, as the agent endpoints show it
 * (`/v1/agent/connect/ca/roots`, `/v1/agent/connect/ca/leaf/:service`). An EC P-256 root per CA generation with the
 * URI SAN `spiffe://<trust-domain>`; leaves with the service's SPIFFE ID
 * `spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>`, usable as server and client certificates.
 *
 * Every change (a leaf issued or rotated, a root rotated or pruned) is a write of the catalog's raft index, so the
 * blocking queries of both endpoints wake as Consul's do. A root rotation is Consul's, in steps: the new root is
 * listed (active) beside the old one, which stays until `pruneRoots`; the agents renew their leaves under the new
 * root a little later (Consul spreads them with jitter), here at `rotateLeaf` — so that every peer trusts the new
 * root before anyone presents a leaf signed by it, and no connection fails during the rotation.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { createCertificate, type GeneratedCertificate } from '../../tls/x509.ts';
import type { CatalogState, Query } from './state.ts';
import type { DevConnectCA } from './types.ts';

/** Consul's leaf TTL default (`leaf_cert_ttl`): 72 hours. */
export const DEFAULT_LEAF_TTL_MS = 72 * 3_600_000;
/** Consul's root TTL default (`root_cert_ttl`): 10 years. */
const ROOT_TTL_MS = 10 * 365 * 86_400_000;

/** One root of `Roots[]`, field for field as Consul prints it. */
export interface CARootJSON {
  ID: string; Name: string; SerialNumber: number; SigningKeyID: string; ExternalTrustDomain: string;
  NotBefore: string; NotAfter: string; RootCert: string; IntermediateCerts: string[] | null; Active: boolean;
  RotatedOutAt: string; PrivateKeyType: 'ec'; PrivateKeyBits: 256; CreateIndex: number; ModifyIndex: number;
}

/** `/v1/agent/connect/ca/roots` */
export interface CARootListJSON { ActiveRootID: string; TrustDomain: string; Roots: CARootJSON[] }

/** `/v1/agent/connect/ca/leaf/:service` */
export interface LeafCertJSON {
  SerialNumber: string; CertPEM: string; PrivateKeyPEM: string; Service: string; ServiceURI: string;
  ValidAfter: string; ValidBefore: string; Namespace: string; CreateIndex: number; ModifyIndex: number;
}

interface RootRec { json: CARootJSON; keyPem: string }
interface LeafRec { json: LeafCertJSON; rootId: string; validBefore: number }

export class ConnectCA implements DevConnectCA {
  readonly trustDomain: string;
  readonly datacenter: string;
  readonly #clusterId: string;
  readonly #state: CatalogState;
  readonly #leafTtlMs: number;
  #roots: RootRec[] = [];
  #rootsIndex = 0;
  #leaves = new Map<string, LeafRec>();
  #issued = new Map<string, number>();
  #serial = 1;
  #listeners = new Set<(what: 'leaf' | 'roots') => void>();
  #rootSerial = 0;

  constructor(state: CatalogState, datacenter: string, options: { clusterId?: string; leafTtlMs?: number } = {}) {
    this.#state = state;
    this.datacenter = datacenter;
    this.#clusterId = options.clusterId ?? randomUUID();
    this.trustDomain = `${this.#clusterId}.consul`;
    this.#leafTtlMs = options.leafTtlMs ?? DEFAULT_LEAF_TTL_MS;
  }

  spiffeId(service: string, namespace = 'default'): string {
    return `spiffe://${this.trustDomain}/ns/${namespace}/dc/${this.datacenter}/svc/${service}`;
  }

  rootsPem(): string[] {
    this.#active();
    return this.#listed().map((r) => r.json.RootCert);
  }

  issue(service: string, options: { namespace?: string; ttlMs?: number } = {}): GeneratedCertificate & { serviceURI: string } {
    const root = this.#active();
    const serviceURI = this.spiffeId(service, options.namespace);
    const now = Date.now();
    const cert = createCertificate({
      commonName: service, uris: [serviceURI], usage: 'both', serial: BigInt(this.#serial++),
      issuer: { certPem: root.json.RootCert, keyPem: root.keyPem },
      notBefore: new Date(now - 60_000), notAfter: new Date(now + (options.ttlMs ?? this.#leafTtlMs)),
    });
    return { ...cert, serviceURI };
  }

  rotateLeaf(service?: string): void {
    const names = service === undefined ? [...this.#leaves.keys()] : [service];
    if (names.length === 0) return;
    this.#state.writeOther((idx) => { for (const name of names) this.#issueLeaf(name, idx); });
    this.#changed('leaf');
  }

  rotateRoot(): void {
    this.#active();
    this.#state.writeOther((idx) => {
      const old = this.#active();
      old.json = { ...old.json, Active: false, RotatedOutAt: rfc3339(Date.now()), ModifyIndex: idx };
      this.#addRoot(idx);
    });
    this.#changed('roots');
  }

  pruneRoots(): void {
    if (this.#roots.every((r) => r.json.Active)) return;
    this.#state.writeOther((idx) => {
      this.#roots = this.#roots.filter((r) => r.json.Active);
      this.#rootsIndex = idx;
    });
    this.#changed('roots');
  }

  onChange(fn: (what: 'leaf' | 'roots') => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(what: 'leaf' | 'roots'): void {
    for (const fn of [...this.#listeners]) fn(what);
  }

  issued(service: string): number {
    return this.#issued.get(service) ?? 0;
  }

  // ---- the endpoints' queries (handler side)

  /** `/v1/agent/connect/ca/roots`. Index: the last change of the roots. */
  rootsQuery(): Query<CARootListJSON> {
    return {
      index: () => { this.#active(); return this.#rootsIndex; },
      value: () => {
        const listed = this.#listed();
        return { ActiveRootID: this.#active().json.ID, TrustDomain: this.trustDomain, Roots: listed.map((r) => ({ ...r.json })) };
      },
    };
  }

  /**
   * `/v1/agent/connect/ca/leaf/:service`. As the agent, a request for a service without a valid leaf (none yet,
   * expired, or signed by a root no longer active) issues one first. Index: the leaf's ModifyIndex.
   */
  leafQuery(service: string): Query<LeafCertJSON> {
    const active = this.#active();
    const current = this.#leaves.get(service);
    if (!current || current.validBefore <= Date.now() || current.rootId !== active.json.ID) {
      this.#state.writeOther((idx) => this.#issueLeaf(service, idx));
    }
    return {
      index: () => this.#leaves.get(service)!.json.ModifyIndex,
      value: () => ({ ...this.#leaves.get(service)!.json }),
    };
  }

  // ---- internals

  /** The active root; the first is made on first use (a catalog nobody asks about Connect keeps its indexes). */
  #active(): RootRec {
    if (this.#roots.length === 0) this.#state.writeOther((idx) => this.#addRoot(idx));
    return this.#roots.find((r) => r.json.Active)!;
  }

  /** Active root first, then the others newest first (what a client should try). */
  #listed(): RootRec[] {
    return [...this.#roots].sort((a, b) => Number(b.json.Active) - Number(a.json.Active) || b.json.SerialNumber - a.json.SerialNumber);
  }

  #addRoot(idx: number): void {
    const n = ++this.#rootSerial;
    const now = Date.now();
    const { certPem, keyPem } = createCertificate({
      commonName: `devcatalog Connect CA ${n}`, isCA: true, uris: [`spiffe://${this.trustDomain}`], serial: BigInt(n),
      notBefore: new Date(now - 60_000), notAfter: new Date(now + ROOT_TTL_MS),
    });
    const x = new X509Certificate(certPem);
    const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
    this.#roots.push({
      keyPem,
      json: {
        ID: x.fingerprint.toLowerCase(), Name: 'Consul CA Primary Cert', SerialNumber: n,
        SigningKeyID: colonHex(createHash('sha256').update(spki).digest()), ExternalTrustDomain: this.#clusterId,
        NotBefore: rfc3339(Date.parse(x.validFrom)), NotAfter: rfc3339(Date.parse(x.validTo)), RootCert: certPem,
        IntermediateCerts: null, Active: true, RotatedOutAt: '0001-01-01T00:00:00Z', PrivateKeyType: 'ec', PrivateKeyBits: 256,
        CreateIndex: idx, ModifyIndex: idx,
      },
    });
    this.#rootsIndex = idx;
  }

  #issueLeaf(service: string, idx: number): void {
    const cert = this.issue(service);
    const x = new X509Certificate(cert.certPem);
    const validBefore = Date.parse(x.validTo);
    const old = this.#leaves.get(service);
    this.#leaves.set(service, {
      rootId: this.#active().json.ID, validBefore,
      json: {
        SerialNumber: colonHex(Buffer.from(x.serialNumber.length % 2 ? `0${x.serialNumber}` : x.serialNumber, 'hex')),
        CertPEM: cert.certPem,
        // Consul hands out the EC key in SEC 1 form ("EC PRIVATE KEY").
        PrivateKeyPEM: createPrivateKey(cert.keyPem).export({ type: 'sec1', format: 'pem' }).toString(),
        Service: service, ServiceURI: cert.serviceURI, ValidAfter: rfc3339(Date.parse(x.validFrom)), ValidBefore: rfc3339(validBefore),
        Namespace: 'default', CreateIndex: old?.json.CreateIndex ?? idx, ModifyIndex: idx,
      },
    });
    this.#issued.set(service, (this.#issued.get(service) ?? 0) + 1);
  }
}

function colonHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Go's time.Time JSON for whole seconds, UTC: 2018-05-21T16:33:28Z */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
