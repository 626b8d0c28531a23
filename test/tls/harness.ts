import type { TestContext } from 'node:test';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { stringify } from 'yaml';
import { createCertificate, type GeneratedCertificate } from '../../src/tls/x509.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import type { Gateway } from '../../src/server/gateway.ts';
import { createLogger } from '../../src/util/log.ts';

/** A test CA with a server certificate for `names` and a client certificate (all made here, never fetched). */
export function testPki(names: string[]): { ca: GeneratedCertificate; server: GeneratedCertificate; client: GeneratedCertificate } {
  const ca = createCertificate({ commonName: 'tagway test CA', isCA: true });
  const server = createCertificate({ commonName: names[0]!, altNames: names, issuer: ca });
  const client = createCertificate({ commonName: 'client', usage: 'client', issuer: ca });
  return { ca, server, client };
}

export interface TlsGateway { gateway: Gateway; port: number; admin: string; dir: string; file: string; logs: string[]; rewrite(doc: unknown): Promise<void> }

/**
 * A gateway whose file provider reads `doc` (http + tls sections; a function gets the directory, for
 * certificate paths); `web` on 127.0.0.1:0. `prepare` writes files before the gateway starts. Log lines are kept.
 */
export async function startTlsGateway(t: TestContext, doc: unknown | ((dir: string) => unknown), flags: string[] = [], prepare?: (dir: string) => Promise<void>): Promise<TlsGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await prepare?.(dir);
  const file = join(dir, 'dynamic.yml');
  const content = typeof doc === 'function' ? (doc as (d: string) => unknown)(dir) : doc;
  await writeFile(file, stringify(content));
  const logs: string[] = [];
  const logger = createLogger({ level: 'INFO', format: 'json', write: (line: string) => { logs.push(line); } });
  const { gateway, admin } = await startTestGateway(t, { consul: false, logger, flags: [`--providers.file.filename=${file}`, ...flags] });
  await waitForState(gateway, (s) => Object.keys(s.routers).some((r) => r.endsWith('@file')));
  const port = gateway.entryPoints.get('web')!.port;
  return {
    gateway, port, admin, dir, file, logs,
    async rewrite(next: unknown): Promise<void> {
      const reloaded = gateway.nextReload();
      await writeFile(`${file}.tmp`, stringify(next));
      await rename(`${file}.tmp`, file);
      await reloaded;
    },
  };
}

export interface HttpsReply { status: number; body: string; headers: Record<string, unknown>; subject: string; protocol: string | null }

/** One HTTPS/1.1 request with this SNI and Host, through a fresh connection. */
export function httpsGet(port: number, o: { servername?: string; host?: string; path?: string; ca?: string; cert?: string; key?: string; maxVersion?: SecureVersion; rejectUnauthorized?: boolean }): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: o.path ?? '/', agent: false,
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
      headers: { host: o.host ?? o.servername ?? 'localhost' },
      ...(o.ca ? { ca: o.ca } : {}), ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      rejectUnauthorized: o.rejectUnauthorized ?? o.ca !== undefined,
    }, (res) => {
      const socket = res.socket as import('node:tls').TLSSocket;
      const subject = socket.getPeerCertificate().subject?.CN ?? '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, subject: String(subject), protocol: socket.getProtocol() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The certificate subject CN a handshake with this SNI gets (or the error it fails with). */
export function handshakeSubject(port: number, servername: string | undefined, extra: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false, ...extra }, () => {
      const cn = s.getPeerCertificate().subject?.CN ?? '';
      s.end();
      resolve(String(cn));
    });
    s.on('error', reject);
  });
}

/** An HTTP/2 session (h2 over TLS, or h2c when `ca` is undefined and the URL is http:). */
export function h2Session(t: TestContext, url: string, options: { ca?: string; servername?: string } = {}): ClientHttp2Session {
  const session = h2connect(url, { ...(options.ca ? { ca: options.ca } : {}), ...(options.servername ? { servername: options.servername } : {}) });
  t.after(() => session.destroy());
  session.on('error', () => {});
  return session;
}

export function h2Get(session: ClientHttp2Session, authority: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ':authority': authority });
    let status = 0;
    let body = '';
    stream.on('response', (h) => { status = Number(h[':status']); });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => { body += c; });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}
