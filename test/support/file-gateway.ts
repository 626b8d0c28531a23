import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import type { Configuration } from '../../src/dynamic/types.ts';
import type { Gateway } from '../../src/server/gateway.ts';
import { startTestGateway, waitForState, type TestGatewayOptions } from './gateway.ts';
import { collectReply } from './upstream.ts';

/** The `http` section of a dynamic file, loosely typed so tests can write what a user would. */
export type DynamicHttp = { routers?: Record<string, unknown>; services?: Record<string, unknown>; middlewares?: Record<string, unknown>; serversTransports?: Record<string, unknown> };

export interface FileGateway {
  gateway: Gateway;
  web: string;
  admin: string;
  file: string;
  /** Rewrites the dynamic file and resolves once the gateway serves exactly its routers. */
  rewrite(http: DynamicHttp): Promise<void>;
}

/** Names of the routers a file declares, qualified as the gateway shows them. */
function fileRouters(http: DynamicHttp): string[] {
  return Object.keys(http.routers ?? {}).map((n) => `${n}@file`);
}

function sameRouters(gw: Gateway, wanted: string[], json: string): boolean {
  const routers = gw.state().routers;
  const present = Object.keys(routers).filter((n) => n.endsWith('@file')).sort();
  if (present.join() !== [...wanted].sort().join()) return false;
  // A rewrite that keeps the names must still wait for the new definitions.
  return wanted.every((n) => JSON.stringify(routers[n]?.rule ?? null) === JSON.stringify((JSON.parse(json) as Configuration).http.routers[n.slice(0, -5)]?.rule ?? null));
}

/**
 * A real gateway (entry points `web` and `traefik` on 127.0.0.1:0) fed by the file provider from a
 * temporary YAML file; resolves once every router of `http` is built. No Consul.
 */
export async function startFileGateway(t: TestContext, http: DynamicHttp, flags: string[] = [], options: Pick<TestGatewayOptions, 'observers' | 'logger'> = {}): Promise<FileGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-gw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http }));
  const { gateway, web, admin } = await startTestGateway(t, { ...options, consul: false, flags: [`--providers.file.filename=${file}`, ...flags] });
  const json = JSON.stringify({ http: { routers: {}, ...http } });
  await waitForState(gateway, () => sameRouters(gateway, fileRouters(http), json));
  return {
    gateway, web, admin, file,
    async rewrite(next: DynamicHttp): Promise<void> {
      const nextJson = JSON.stringify({ http: { routers: {}, ...next } });
      const done = waitForState(gateway, () => sameRouters(gateway, fileRouters(next), nextJson));
      // Atomic replace, as deployment tools do: the provider never reads a half-written file.
      await writeFile(`${file}.tmp`, stringify({ http: next }));
      await rename(`${file}.tmp`, file);
      await done;
    },
  };
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/**
 * One request through a real socket. `path` is sent verbatim (no URL normalization), so tests can send
 * `/a/../b` or `%zz`. `host` overrides the Host header.
 */
export function send(base: string, path: string, init: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; agent?: Agent | false } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port, path, method: init.method ?? 'GET',
      headers: init.headers, agent: init.agent ?? false, setHost: !(init.headers && Object.keys(init.headers).some((h) => h.toLowerCase() === 'host')),
    }, (res) => {
      collectReply(res, resolve, reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Name of the upstream that answered (startUpstream's default handler sets `x-upstream`). */
export function servedBy(r: Reply): string | undefined {
  const v = r.headers['x-upstream'];
  return Array.isArray(v) ? v[0] : v;
}

/** A load-balancer service on the given upstream URLs. */
export function lb(...urls: string[]): { loadBalancer: { servers: Array<{ url: string }> } } {
  return { loadBalancer: { servers: urls.map((url) => ({ url })) } };
}
