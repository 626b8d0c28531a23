import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * A minimal X.509 v3 certificate writer (DER by hand, signatures by node:crypto): enough for the generated
 * default certificate and for tests' CAs, server and client certificates. Node can read certificates but
 * not make them; @peculiar/x509 needs a global `reflect-metadata` polyfill (tsyringe), which a gateway
 * should not install for one certificate at start.
 */
export interface CertificateRequest {
  /** Subject common name. */
  commonName: string;
  /** DNS names and IP addresses (subjectAltName). */
  altNames?: string[];
  /** URIs (subjectAltName URI entries), e.g. a SPIFFE ID `spiffe://<trust-domain>/ns/default/dc/dc1/svc/web`. */
  uris?: string[];
  /** A CA certificate (basicConstraints CA:TRUE, keyCertSign). */
  isCA?: boolean;
  /** Signed by this issuer; self-signed when absent. */
  issuer?: { certPem: string; keyPem: string };
  /** Extended key usage: serverAuth (default), clientAuth, or both (a mesh leaf is server and client). */
  usage?: 'server' | 'client' | 'both';
  /** Serial number (positive); random 127 bits by default. */
  serial?: bigint;
  notBefore?: Date;
  /** Default: one year after notBefore (Traefik's default certificate lives a year). */
  notAfter?: Date;
  /** Key type: ECDSA P-256 (default) or RSA 2048 (Traefik's default certificate). */
  keyType?: 'ec' | 'rsa';
}

export interface GeneratedCertificate { certPem: string; keyPem: string }

/**
 * @example
 * const ca = createCertificate({ commonName: 'test CA', isCA: true });
 * const leaf = createCertificate({ commonName: 'shop.example.com', altNames: ['shop.example.com'], issuer: ca });
 */
export function createCertificate(req: CertificateRequest): GeneratedCertificate {
  const { privateKey, publicKey } = req.keyType === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer: KeyObject = req.issuer ? createPrivateKey(req.issuer.keyPem) : privateKey;
  const issuerName = req.issuer ? new X509Certificate(req.issuer.certPem).subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? '' : req.commonName;
  const rsaSigner = signer.asymmetricKeyType === 'rsa';
  const sigAlg = seq(oid(rsaSigner ? '1.2.840.113549.1.1.11' : '1.2.840.10045.4.3.2'), ...(rsaSigner ? [tlv(0x05, Buffer.alloc(0))] : []));
  const notBefore = req.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = req.notAfter ?? new Date(notBefore.getTime() + 365 * 86_400_000);
  const serial = req.serial !== undefined ? bigintBytes(req.serial) : randomBytes(16);
  if (req.serial === undefined) serial[0] = serial[0]! & 0x7f; // positive
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const extensions: Buffer[] = [
    extension('2.5.29.19', true, seq(...(req.isCA ? [tlv(0x01, Buffer.from([0xff]))] : []))),
    extension('2.5.29.15', true, bitString(req.isCA ? Buffer.from([0x06]) : Buffer.from([0xa0]), req.isCA ? 1 : 5)),
    // Key identifiers let a verifier pick the right issuer among CAs of similar names (a CA rotation keeps two roots).
    extension('2.5.29.14', false, tlv(0x04, keyId(spki))),
  ];
  if (req.issuer) extensions.push(extension('2.5.29.35', false, seq(tlv(0x80, keyId(createPublicKey(req.issuer.certPem).export({ type: 'spki', format: 'der' }))))));
  if (!req.isCA) {
    const usages = req.usage === 'both' ? ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] : [req.usage === 'client' ? '1.3.6.1.5.5.7.3.2' : '1.3.6.1.5.5.7.3.1'];
    extensions.push(extension('2.5.29.37', false, seq(...usages.map(oid))));
  }
  const names = [...(req.altNames ?? []).map(altName), ...(req.uris ?? []).map((u) => tlv(0x86, Buffer.from(u, 'ascii')))];
  if (names.length > 0) extensions.push(extension('2.5.29.17', false, seq(...names)));
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))),
    int(serial),
    sigAlg,
    name(issuerName),
    seq(time(notBefore), time(notAfter)),
    name(req.commonName),
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign(rsaSigner ? 'sha256' : 'sha256', tbs, signer);
  const der = seq(tbs, sigAlg, bitString(signature, 0));
  return { certPem: pem('CERTIFICATE', der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A key identifier: SHA-1 of the SubjectPublicKeyInfo (RFC 5280 §4.2.1.2 allows any unique method). */
function keyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function bigintBytes(n: bigint): Buffer {
  if (n <= 0n) throw new RangeError('certificate serial must be positive');
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

function seq(...parts: Buffer[]): Buffer { return tlv(0x30, Buffer.concat(parts)); }

function int(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function bitString(bytes: Buffer, unusedBits: number): Buffer { return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes])); }

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function name(commonName: string): Buffer {
  return seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  // RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime after.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function altName(value: string): Buffer {
  const kind = isIP(value);
  if (kind === 4) return tlv(0x87, Buffer.from(value.split('.').map(Number)));
  if (kind === 6) return tlv(0x87, ipv6Bytes(value));
  return tlv(0x82, Buffer.from(value, 'ascii'));
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
