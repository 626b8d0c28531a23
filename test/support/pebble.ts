import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import type { TestContext } from 'node:test';
import { createCertificate } from '../../src/tls/x509.ts';

/**
 * Let's Encrypt's test CA, Pebble (Debian's `pebble` package), with `pebble-challtestsrv` as its DNS server
 * answering 127.0.0.1 for every name, so the CA validates challenges against the gateway's test ports.
 * Pebble's HTTPS certificate is made here (Debian ships none); its CA file is what `LEGO_CA_CERTIFICATES` names.
 */
export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** PEM file of the CA that signed Pebble's HTTPS certificate (for LEGO_CA_CERTIFICATES). */
  caFile: string;
  /** The root that signs the certificates Pebble issues (from its management interface; new at every start). */
  root(): Promise<string>;
  /** Stops Pebble (a CA that is gone). Idempotent. */
  stop(): Promise<void>;
}

export const PEBBLE = '/usr/bin/pebble';
export const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';

/** Fails with what to install when Pebble is missing (tests say so rather than skip silently). */
export function requirePebble(): void {
  const missing = [PEBBLE, CHALLTESTSRV].filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`${missing.join(' and ')} not found: install Debian's "pebble" package (apt-get install -y pebble; .ci/run does) to run the ACME tests`);
}

/** A port free on 127.0.0.1 now (Pebble picks its own listening ports from its config file). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface PebbleOptions {
  /** The ACME port (a free one when absent). */
  acmePort?: number;
  /** Where Pebble validates HTTP-01 (the gateway's challenge entry point). */
  httpPort: number;
  /** Where Pebble validates TLS-ALPN-01 (the gateway's TLS entry point). */
  tlsPort: number;
  /** Lifetime of the certificates it issues, seconds (Pebble's default: 5 years). */
  validitySeconds?: number;
}

/**
 * Starts challtestsrv and Pebble (PEBBLE_VA_NOSLEEP=1, no nonce rejection, validation always performed) and
 * resolves once Pebble's directory answers; both are stopped by the test.
 */
export async function startPebble(t: TestContext, o: PebbleOptions): Promise<Pebble> {
  requirePebble();
  const dir = await mkdtemp(join(tmpdir(), 'tagway-pebble-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = PEBBLE_HTTPS_CA;
  const leaf = createCertificate({ commonName: '127.0.0.1', altNames: ['127.0.0.1', 'localhost'], issuer: ca });
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  await writeFile(join(dir, 'cert.pem'), leaf.certPem);
  await writeFile(join(dir, 'key.pem'), leaf.keyPem);
  const [dnsPort, challMgmt, acmePort, mgmtPort] = [await freePort(), await freePort(), o.acmePort ?? await freePort(), await freePort()];
  await writeFile(join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem'),
      httpPort: o.httpPort, tlsPort: o.tlsPort, ocspResponderURL: '', externalAccountBindingRequired: false,
      ...(o.validitySeconds ? { certificateValidityPeriod: o.validitySeconds } : {}),
    },
  }));
  const env: Record<string, string | undefined> = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' };
  delete env['PEBBLE_VA_ALWAYS_VALID'];
  const chall = spawn(CHALLTESTSRV, ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challMgmt}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stopChall = stopper(chall);
  t.after(stopChall);
  await waitForOutput(chall, /Starting challenge servers|DNS server/i, 'pebble-challtestsrv');
  const pebble = spawn(PEBBLE, ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stop = stopper(pebble);
  t.after(stop);
  await waitForOutput(pebble, /ACME directory available at/, 'pebble');
  return {
    directory: `https://127.0.0.1:${acmePort}/dir`, caFile,
    root: () => getText(`https://127.0.0.1:${mgmtPort}/roots/0`, ca.certPem),
    stop,
  };
}

/** One CA for Pebble's HTTPS certificate per test process, so a restarted Pebble is trusted by the same file. */
const PEBBLE_HTTPS_CA = createCertificate({ commonName: 'tagway test CA for Pebble', isCA: true });

/** The directory URL a Pebble started on `acmePort` will have, and the CA file trusting it (before it starts). */
export async function pebbleTrust(dir: string): Promise<{ acmePort: number; directory: string; caFile: string }> {
  const acmePort = await freePort();
  const caFile = join(dir, 'pebble-ca.pem');
  await writeFile(caFile, PEBBLE_HTTPS_CA.certPem);
  return { acmePort, directory: `https://127.0.0.1:${acmePort}/dir`, caFile };
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()); });
  return async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); await exited; };
}

/** Resolves once the child prints a line matching `ready` (stdout or stderr); rejects if it exits first (bounded). */
function waitForOutput(child: ChildProcess, ready: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (b: Buffer): void => { seen += b.toString(); if (ready.test(seen)) finish(); };
    const onExit = (code: number | null): void => finish(new Error(`${what} exited (${code}) before it was ready:\n${seen}`));
    function finish(err?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep reading so a chatty child never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      if (err) reject(err); else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}
