/**
 * Reads what a TLS ClientHello says before the handshake (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1):
 * the server name and the offered ALPN protocols. The entry point picks the certificate and the TLS options
 * from them, as Traefik does by peeking at the ClientHello.
 */
export interface ClientHello { serverName: string; alpn: string[] }

/** The most a ClientHello may take before the entry point gives up on it (a hello is usually < 2 KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;

/**
 * `undefined` while more bytes are needed; `null` when the bytes are not a ClientHello (the caller lets the
 * TLS stack answer with an alert).
 * @example
 * parseClientHello(firstBytes) // { serverName: 'shop.example.com', alpn: ['h2', 'http/1.1'] }
 */
export function parseClientHello(buf: Buffer): ClientHello | null | undefined {
  // Gather the handshake message from as many records as it spans.
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1;
  let at = 0;
  while (need < 0 || have < need) {
    if (buf.length < at + 5) return undefined;
    if (buf[at] !== 0x16) return null;
    const len = buf.readUInt16BE(at + 3);
    if (len === 0 || len > 16_384 + 256) return null;
    if (buf.length < at + 5 + len) return undefined;
    parts.push(buf.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    if (need < 0) {
      const first = Buffer.concat(parts);
      if (first.length < 4) continue;
      if (first[0] !== 0x01) return null;
      need = 4 + ((first[1]! << 16) | (first[2]! << 8) | first[3]!);
      if (need > MAX_CLIENT_HELLO) return null;
    }
  }
  return readHello(Buffer.concat(parts).subarray(4, need));
}

function readHello(h: Buffer): ClientHello | null {
  const out: ClientHello = { serverName: '', alpn: [] };
  let p = 2 + 32; // client_version, random
  if (p >= h.length) return null;
  p += 1 + h[p]!; // session id
  if (p + 2 > h.length) return null;
  p += 2 + h.readUInt16BE(p); // cipher suites
  if (p >= h.length) return null;
  p += 1 + h[p]!; // compression methods
  if (p + 2 > h.length) return out; // no extensions
  const end = Math.min(h.length, p + 2 + h.readUInt16BE(p));
  p += 2;
  while (p + 4 <= end) {
    const type = h.readUInt16BE(p);
    const len = h.readUInt16BE(p + 2);
    const body = h.subarray(p + 4, Math.min(end, p + 4 + len));
    p += 4 + len;
    if (type === 0 && body.length >= 5) {
      // server_name_list: name_type 0 (host_name), then the name.
      let q = 2;
      while (q + 3 <= body.length) {
        const nameLen = body.readUInt16BE(q + 1);
        if (body[q] === 0) { out.serverName = body.subarray(q + 3, q + 3 + nameLen).toString('latin1').toLowerCase(); break; }
        q += 3 + nameLen;
      }
    } else if (type === 16 && body.length >= 2) {
      let q = 2;
      while (q < body.length) {
        const n = body[q]!;
        out.alpn.push(body.subarray(q + 1, q + 1 + n).toString('latin1'));
        q += 1 + n;
      }
    }
  }
  return out;
}
