import { connect as h2connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { tlsConnectOptions, type UpstreamTransport } from './transport.ts';

const { NGHTTP2_FLAG_END_STREAM } = constants;

/** grpc.health.v1.HealthCheckResponse.ServingStatus names, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

export interface H2Probe {
  method: string;
  /** Origin-form path. */
  path: string;
  headers: Record<string, string>;
  /** `:authority` (the hostname setting, else the server's host). */
  authority: string;
  timeout: number;
  body?: Buffer;
}

export interface H2ProbeResult { status: number; headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; body: Buffer }

/**
 * One request on a fresh HTTP/2 session to `url` (`h2c:`/`http:` prior knowledge, `https:` h2 by ALPN with the
 * transport's TLS settings), closed afterwards: how probes reach servers that speak only HTTP/2.
 */
export function h2Request(url: URL, probe: H2Probe, transport: UpstreamTransport | undefined): Promise<H2ProbeResult> {
  const secure = url.protocol === 'https:';
  const authority = `${secure ? 'https' : 'http'}://${url.host}`;
  return new Promise((resolve, reject) => {
    const session: ClientHttp2Session = h2connect(authority, secure && transport ? tlsConnectOptions(transport, url, ['h2']) : {});
    const timer = setTimeout(() => fail(new Error(`health check timed out after ${probe.timeout}ms`)), probe.timeout);
    timer.unref?.();
    let settled = false;
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      reject(err);
    }
    session.on('error', fail);
    const headers: OutgoingHttpHeaders = { ...probe.headers, ':method': probe.method, ':path': probe.path, ':authority': probe.authority };
    const stream = session.request(headers, { endStream: probe.body === undefined });
    let status = 0;
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h, flags: number) => {
      status = Number(h[':status'] ?? 0);
      head = h;
      if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) trailers = h; // trailers-only
    });
    stream.on('data', (c: Buffer) => { if (chunks.length < 16) chunks.push(c); });
    stream.on('trailers', (t) => { trailers = t; });
    stream.on('error', fail);
    stream.on('close', () => {
      if (settled) return;
      if (status === 0) { fail(new Error(`the server closed the HTTP/2 stream without answering (code ${stream.rstCode})`)); return; }
      settled = true;
      clearTimeout(timer);
      session.close();
      resolve({ status, headers: head, trailers, body: Buffer.concat(chunks) });
    });
    if (probe.body !== undefined) stream.end(probe.body);
  });
}

/**
 * Traefik's `mode: grpc` probe: the gRPC Health Checking Protocol v1 (`grpc.health.v1.Health/Check` with an empty
 * request, i.e. the server as a whole), passing only on SERVING. Messages are encoded by hand: the request is an
 * empty message, the answer one enum field.
 * @throws {Error} with the reason (not implemented, non-OK status, another serving status).
 */
export async function probeGrpcHealth(url: URL, authority: string, timeout: number, transport: UpstreamTransport | undefined): Promise<void> {
  const r = await h2Request(url, {
    method: 'POST', path: '/grpc.health.v1.Health/Check', authority, timeout,
    headers: { 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${Math.max(1, timeout)}m` },
    body: Buffer.alloc(5), // one uncompressed gRPC frame holding an empty HealthCheckRequest
  }, transport);
  if (r.status !== 200) throw new Error(`gRPC health check failed: HTTP status ${r.status}`);
  const code = Number(r.trailers['grpc-status'] ?? r.headers['grpc-status'] ?? NaN);
  if (code === 12) throw new Error('gRPC server does not implement the health protocol');
  if (code !== 0) throw new Error(`gRPC health check failed: grpc-status ${Number.isNaN(code) ? 'missing' : code}${r.trailers['grpc-message'] ? ` (${String(r.trailers['grpc-message'])})` : ''}`);
  const serving = servingStatus(r.body);
  if (serving !== 1) throw new Error(`received gRPC status code: ${SERVING_STATUS[serving] ?? serving}`);
}

/** The `status` field (1, varint) of the first HealthCheckResponse frame; 0 (UNKNOWN) when absent. */
function servingStatus(body: Buffer): number {
  if (body.length < 5 || body[0] !== 0) return 0;
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  for (let i = 0; i < msg.length;) {
    const tag = msg[i++]!;
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = msg[i++];
      if (b === undefined) return 0;
      value |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (tag === 0x08) return value;
    if ((tag & 7) !== 0) return 0; // only varints expected here
  }
  return 0;
}
