import { parseArgs } from 'node:util';
import { startDevCatalog, type DevCatalog } from '../devcatalog/index.ts';
import { startCollector, type Collector } from '../devcollector/index.ts';
import { loadStaticConfig, StaticConfigError } from '../../static/index.ts';
import { startGateway, type Gateway } from '../../server/gateway.ts';
import { createLogger } from '../../util/log.ts';
import { startDemoUpstream, type DemoUpstream } from './upstreams.ts';
import { registerDemoServices, registerMeshServices } from './services.ts';
import { startSidecar } from '../sidecar/index.ts';

const HELP = `tagway demo: the in-process Consul-compatible catalog, three demo services, an OTLP receiver and the gateway.

  --web-port N      traffic entry point (default 8000)
  --admin-port N    API and dashboard (default 8080)
  --consul-port N   devcatalog, Consul's HTTP API (default 8500)
  --otlp-port N     in-process OTLP/HTTP receiver (default 4318)
  Everything listens on 127.0.0.1. Ctrl-C stops it all.`;

/** `npm run demo` / `tagway demo`: everything in one process, on loopback, stopped cleanly on Ctrl-C. */
export async function runDemo(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      'web-port': { type: 'string', default: '8000' }, 'admin-port': { type: 'string', default: '8080' },
      'consul-port': { type: 'string', default: '8500' }, 'otlp-port': { type: 'string', default: '4318' }, help: { type: 'boolean', short: 'h' },
    } }));
  } catch (err) {
    process.stderr.write(`tagway demo: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(HELP + '\n'); return 0; }
  const port = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name}: "${v}" is not a port number`);
    return n;
  };
  const log = createLogger({ level: 'INFO' });
  // The gateway's own INFO lines ("entry point listening"…) would bury the banner and a one-line startup error.
  const gatewayLog = createLogger({ level: 'WARN' });
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => { for (const c of cleanups.reverse()) await c(); };
  try {
    const webPort = port('web-port', values['web-port']!);
    const adminPort = port('admin-port', values['admin-port']!);
    const consulPort = port('consul-port', values['consul-port']!);
    const catalog: DevCatalog = await startDevCatalog({ host: '127.0.0.1', port: consulPort })
      .catch((err: NodeJS.ErrnoException) => { throw listenError('devcatalog (--consul-port)', consulPort, err); });
    cleanups.push(() => catalog.close());
    const otlpPort = port('otlp-port', values['otlp-port']!);
    const collector: Collector = await startCollector({ host: '127.0.0.1', port: otlpPort, maxSpans: 10_000 })
      .catch((err: NodeJS.ErrnoException) => { throw listenError('OTLP receiver (--otlp-port)', otlpPort, err); });
    cleanups.push(() => collector.close());

    const upstreams: DemoUpstream[] = await Promise.all([
      startDemoUpstream('whoami', 'whoami-1'), startDemoUpstream('whoami', 'whoami-2'),
      startDemoUpstream('untraced', 'untraced-1'), startDemoUpstream('assets', 'assets-1'),
    ]);
    cleanups.push(() => { for (const u of upstreams) { u.server.closeAllConnections(); u.server.close(); } });
    registerDemoServices(catalog, upstreams);
    // Consul Connect: two services behind stand-in sidecars; the intentions let the gateway ("tagway") into one.
    const meshApps = await Promise.all([startDemoUpstream('mesh', 'mesh-1'), startDemoUpstream('vault', 'vault-1')]);
    cleanups.push(() => { for (const u of meshApps) { u.server.closeAllConnections(); u.server.close(); } });
    const sidecars = await Promise.all([
      startSidecar({ ca: catalog.connect, service: 'mesh', upstream: `http://127.0.0.1:${meshApps[0]!.port}`, intentions: [{ source: 'tagway', action: 'allow' }], defaultAllow: false }),
      startSidecar({ ca: catalog.connect, service: 'vault', upstream: `http://127.0.0.1:${meshApps[1]!.port}`, intentions: [{ source: '*', action: 'deny' }] }),
    ]);
    cleanups.push(() => Promise.all(sidecars.map((s) => s.close())).then(() => undefined));
    registerMeshServices(catalog, meshApps, sidecars);

    const config = loadStaticConfig({
      argv: [
        `--entryPoints.web.address=127.0.0.1:${webPort}`,
        `--entryPoints.traefik.address=127.0.0.1:${adminPort}`,
        '--api.insecure=true', '--api.dashboard=true', '--ping=true',
        `--providers.consulCatalog.endpoint.address=${catalog.address}`,
        '--providers.consulCatalog.exposedByDefault=true',
        '--providers.consulCatalog.connectAware=true',
        '--providers.consulCatalog.serviceName=tagway',
        '--providers.providersThrottleDuration=100ms',
        `--tracing.otlp.http.endpoint=${collector.endpoint}`,
        '--tracing.serviceName=tagway-demo',
        '--tracing.batch.scheduledDelay=1s',
        '--accessLog=true',
        '--metrics.prometheus=true',
        '--workers=1',
      ],
      env: {},
    });
    const gateway: Gateway = await startGateway({ config, logger: gatewayLog, accessLogWrite: (line) => log.info(`access ${line}`) });
    cleanups.push(() => gateway.close());
    await demoRoutesReady(gateway);
    printBanner(gateway, collector, catalog);
    collector.onSpans((n) => log.info(`OTLP receiver: ${n} span(s) received`, { total: collector.spans.length }));
  } catch (err) {
    const message = err instanceof StaticConfigError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`tagway demo: ${message}\n`);
    await stopAll();
    return 1;
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) { resolve(130); return; }
      stopping = true;
      process.stdout.write('\nstopping the demo…\n');
      stopAll().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The demo's routers, once the Consul watcher has delivered them. */
const DEMO_ROUTERS = ['whoami@consulcatalog', 'untraced@consulcatalog', 'assets@consulcatalog', 'mesh@consulcatalog'];
/** How long the demo waits for its own catalog to reach the gateway before giving up. */
const READY_TIMEOUT_MS = 10_000;

/** Resolves once every demo router is built, so the routes the banner prints answer at once. */
function demoRoutesReady(gw: Gateway): Promise<void> {
  // The Connect service is ready once the gateway holds its mesh certificates (its sidecar is then a server).
  const ready = (): boolean => DEMO_ROUTERS.every((r) => gw.state().routers[r] !== undefined)
    && (gw.state().services['mesh@consulcatalog']?.loadBalancer?.servers?.length ?? 0) > 0;
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { gw.off('reload', check); reject(new Error(`the demo routes did not appear within ${READY_TIMEOUT_MS / 1000}s`)); }, READY_TIMEOUT_MS);
    function check(): void {
      if (!ready()) return;
      clearTimeout(timer);
      gw.off('reload', check);
      resolve();
    }
    gw.on('reload', check);
  });
}

/** A listen failure as one line that names the flag to change. */
function listenError(what: string, port: number, err: NodeJS.ErrnoException): Error {
  if (err.code === 'EADDRINUSE') return new Error(`${what}: address 127.0.0.1:${port} is already in use (choose another port)`);
  if (err.code === 'EACCES') return new Error(`${what}: no permission to listen on 127.0.0.1:${port} (choose a port above 1023)`);
  return new Error(`${what}: ${err.message}`);
}

function printBanner(gw: Gateway, collector: Collector, catalog: DevCatalog): void {
  const web = gw.url('web');
  const admin = gw.url('traefik');
  process.stdout.write(`
tagway demo is running (Ctrl-C to stop)

  dashboard      ${admin}/dashboard/
  API            ${admin}/api/http/routers
  ping           ${admin}/ping
  metrics        ${admin}/metrics
  OTLP receiver  ${collector.endpoint}  (spans are counted in the log)
  Consul API     ${catalog.url}/v1/catalog/services  (devcatalog: register more with PUT /v1/agent/service/register)

Try the routes:
  curl -H 'Host: whoami.localhost' ${web}/         # two instances, weights 3:1, traced
  curl -H 'Host: untraced.localhost' ${web}/       # observability.tracing=false: no span, headers untouched
  curl ${web}/assets/logo.svg                      # stripPrefix /assets before the upstream
  curl -H 'Host: mesh.localhost' ${web}/           # Consul Connect: mTLS to its sidecar; clientCert = the gateway's SPIFFE ID
  curl -H 'Host: vault.localhost' ${web}/          # an intention denies tagway: the sidecar's 403, the hint in the API
  curl ${admin}/api/http/services/vault@consulcatalog   # connect.lastRefusal.hint: consul intention create -allow tagway vault
  curl -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' -H 'Host: whoami.localhost' ${web}/
  curl '${admin}/api/explain?url=http://whoami.localhost/'
`);
}
