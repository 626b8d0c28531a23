import type { TestContext } from 'node:test';
import { startDevCatalog, type DevCatalog } from '../../src/dev/devcatalog/index.ts';
import { loadStaticConfig } from '../../src/static/load.ts';
import { startGateway, type Gateway } from '../../src/server/gateway.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.ts';
import type { RequestObserver } from '../../src/http/observer.ts';

export interface TestGatewayOptions {
  /** Extra static flags, e.g. `--tracing.otlp.http.endpoint=…`. */
  flags?: string[];
  /** Start a devcatalog and point the Consul Catalog provider at it (default true). */
  consul?: boolean;
  providers?: Provider[];
  logger?: Logger;
  accessLogWrite?: (line: string) => void;
  /** Environment for OTEL_* variables (default process.env). */
  env?: Record<string, string | undefined>;
  /** Per-request observers, called by the gateway once a request is matched (e.g. to read `ctx.trace`). */
  observers?: RequestObserver[];
  /**
   * The Consul provider on its worker thread, as production runs it (default false here: a thread under tsx loads
   * and compiles the provider's modules again, seconds of CPU per gateway on a loaded machine; the thread has its own
   * tests in test/server/provider-thread.test.ts, and the provider's code is the same either way).
   */
  providerThread?: boolean;
  /**
   * OTLP exports from a worker thread (true) or the serving loop (false). Default: the static `tracing.exportThread`
   * (false, as production posts them unless configured). The channel is the only difference: spans, batches, framing
   * and the exporter are the same code; the thread has its own tests (test/observability/export/channel.test.ts) and
   * traced gateways that pass true (test/observability/export/gateway.test.ts, grpc.test.ts, the thread-priority test).
   */
  exportThread?: boolean;
}

export interface TestGateway { gateway: Gateway; catalog: DevCatalog | undefined; web: string; admin: string }

/**
 * A real gateway on 127.0.0.1 port 0 (entry points `web` and `traefik`), fed by a devcatalog through
 * the real Consul client, with no provider throttle so tests wait on reload events, not on time.
 */
export async function startTestGateway(t: TestContext, options: TestGatewayOptions = {}): Promise<TestGateway> {
  let catalog: DevCatalog | undefined;
  const flags = [
    '--entryPoints.web.address=127.0.0.1:0',
    '--entryPoints.traefik.address=127.0.0.1:0',
    '--api.insecure=true',
    '--ping=true',
    '--providers.providersThrottleDuration=0s',
    '--workers=1',
  ];
  if (options.consul ?? true) {
    catalog = await startDevCatalog();
    t.after(() => catalog!.close());
    flags.push(`--providers.consulCatalog.endpoint.address=${catalog.address}`);
  }
  flags.push(...(options.flags ?? []));
  const config = loadStaticConfig({ argv: flags, env: {} });
  const logger = options.logger ?? (process.env['TAGWAY_TEST_LOG'] ? createLogger({ level: 'DEBUG' }) : silentLogger);
  const gateway = await startGateway({ config, logger, providers: options.providers, accessLogWrite: options.accessLogWrite ?? (() => {}), env: options.env, observers: options.observers, providerThread: options.providerThread ?? false, exportThread: options.exportThread });
  t.after(() => gateway.close());
  return { gateway, catalog, web: gateway.url('web'), admin: gateway.url('traefik') };
}

/** Resolves once the gateway's state satisfies `predicate` (checked after each reload; bounded). */
export async function waitForState(gw: Gateway, predicate: (state: ReturnType<Gateway['state']>) => boolean, timeoutMs = 5000): Promise<void> {
  if (predicate(gw.state())) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { gw.off('reload', check); reject(new Error(`state not reached in ${timeoutMs} ms: ${JSON.stringify(Object.keys(gw.state().routers))}`)); }, timeoutMs);
    function check(): void {
      if (!predicate(gw.state())) return;
      clearTimeout(timer);
      gw.off('reload', check);
      resolve();
    }
    gw.on('reload', check);
  });
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() as T, headers: res.headers };
}
