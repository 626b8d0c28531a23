import type { TestContext } from 'node:test';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { stringify } from 'yaml';
import { loadStaticConfig } from '../../../src/static/load.ts';
import { startGateway, type Gateway } from '../../../src/server/gateway.ts';
import { waitForState } from '../../support/gateway.ts';
import { createLogger, silentLogger } from '../../../src/util/log.ts';
import type { ProviderStatus } from '../../../src/providers/provider.ts';

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-acme-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface AcmeGateway {
  gateway: Gateway;
  web: number;
  websecure: number;
  admin: string;
  /** Rewrites the file provider's dynamic file (atomically) and resolves once a build took it. */
  rewrite(http: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real gateway (`web`, `websecure`, `traefik` on 127.0.0.1:0, API on) fed by the file provider from
 * `<dir>/dynamic.yml`, with `flags` (the resolvers) and `env` (LEGO_CA_CERTIFICATES).
 */
export async function startAcmeGateway(t: TestContext, dir: string, flags: string[], env: Record<string, string>, http: unknown = { routers: {} }, extra: { file?: string; ports?: { web: number; websecure: number } } = {}): Promise<AcmeGateway> {
  const file = extra.file ?? join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http }));
  const config = loadStaticConfig({
    argv: [
      `--entryPoints.web.address=127.0.0.1:${extra.ports?.web ?? 0}`, `--entryPoints.websecure.address=127.0.0.1:${extra.ports?.websecure ?? 0}`, '--entryPoints.traefik.address=127.0.0.1:0',
      '--api.insecure=true', '--providers.providersThrottleDuration=0s', '--workers=1', `--providers.file.filename=${file}`, ...flags,
    ],
    env: {},
  });
  const logger = process.env['TAGWAY_TEST_LOG'] ? createLogger({ level: 'DEBUG' }) : silentLogger;
  const gateway = await startGateway({ config, logger, env, accessLogWrite: () => {} });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= gateway.close());
  t.after(close);
  return {
    gateway, web: gateway.entryPoints.get('web')!.port, websecure: gateway.entryPoints.get('websecure')!.port, admin: gateway.url('traefik'), close,
    async rewrite(next) {
      const names = Object.keys((next as { routers?: object }).routers ?? {}).map((n) => `${n}@file`).sort();
      const rules = JSON.stringify(names.map((n) => ((next as { routers: Record<string, { rule?: string }> }).routers[n.slice(0, -5)]!.rule)));
      const done = waitForState(gateway, (s) => JSON.stringify(names.map((n) => s.routers[n]?.rule)) === rules);
      await writeFile(`${file}.tmp`, stringify({ http: next }));
      await rename(`${file}.tmp`, file);
      await done;
    },
  };
}

/** The certificate chain a handshake with this SNI gets (issuer chain included), and whether it verified. */
export function peerCertificate(port: number, servername: string, extra: ConnectionOptions = {}): Promise<{ cert: PeerCertificate; authorized: boolean; authorizationError?: string }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...extra }, () => {
      const cert = s.getPeerCertificate(true);
      const authError = s.authorizationError ? String(s.authorizationError) : undefined;
      resolve({ cert, authorized: s.authorized, ...(authError ? { authorizationError: authError } : {}) });
      s.end();
    });
    s.on('error', reject);
  });
}

export function resolverStatus(gw: Gateway, name: string): ProviderStatus | undefined {
  return gw.providerStatuses().find((p) => p.name === name);
}
