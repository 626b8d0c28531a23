/**
 * Consul Connect: requests per second through tagway to a Connect service (mTLS to its sidecar, keep-alive) beside
 * the same application as a plain service (cleartext to the application). Each side in its own process:
 * - "mesh": devcatalog (Consul's API and Connect CA), the application (bench/lib/upstream.ts's answer, 100 bytes),
 *   and the stand-in sidecar in front of it (src/dev/sidecar: mTLS, intentions, HTTP/1.1 keep-alive to the app);
 * - tagway (src/cli.ts) with connectAware, watching that devcatalog;
 * - the load (autocannon, bench/lib/loadgen.ts).
 * The Connect path has one more hop (the sidecar), as in a real mesh. Rounds alternate the two; medians reported.
 * Run: node --import tsx bench/connect.ts [seconds=3] [connections=50] [rounds=3]
 */
import http from 'node:http';
import { freePort, spawnChild, stopAll, waitForRoutes } from './lib/children.ts';
import { median } from './lib/report.ts';
import { runLoad } from './lib/run-load.ts';

const tsx = ['--import', 'tsx'];
const READY = /^READY (\d+)/;
const BODY = Buffer.alloc(100, 'x');

if (process.argv[2] === 'mesh') {
  const { startDevCatalog } = await import('../src/dev/devcatalog/index.ts');
  const { startSidecar } = await import('../src/dev/sidecar/index.ts');
  const catalog = await startDevCatalog();
  const app = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as { port: number }).port;
  const sidecar = await startSidecar({ ca: catalog.connect, service: 'mesh', upstream: `http://127.0.0.1:${appPort}`, intentions: [{ source: 'traefik', action: 'allow' }], defaultAllow: false });
  catalog.register({ ID: 'plain-1', Name: 'plain', Address: '127.0.0.1', Port: appPort, Tags: ['traefik.http.routers.plain.rule=PathPrefix(`/plain`)'] });
  catalog.register({
    ID: 'mesh-1', Name: 'mesh', Address: '127.0.0.1', Port: appPort,
    Tags: ['traefik.consulcatalog.connect=true', 'traefik.http.routers.mesh.rule=PathPrefix(`/mesh`)'],
    Connect: { SidecarService: { Port: sidecar.port } },
  });
  process.stdout.write(`READY ${catalog.port}\n`);
  process.on('SIGTERM', () => process.exit(0));
} else {
  await orchestrate();
}

async function orchestrate(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const connections = Number(process.argv[3] ?? 50);
  const rounds = Number(process.argv[4] ?? 3);
  try {
    const mesh = await spawnChild('mesh', process.execPath, [...tsx, 'bench/connect.ts', 'mesh'], { readyLine: READY });
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('TAGWAY_')));
    const tagway = await spawnChild('tagway', process.execPath, [...tsx, 'src/cli.ts', `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.consulCatalog.endpoint.address=127.0.0.1:${mesh.ready![1]}`, '--providers.consulCatalog.connectAware=true',
      '--workers=1', '--log.level=ERROR'], { env });
    await waitForRoutes(port, tagway, ['/plain', '/mesh']); // the Connect route once the mesh certificates arrived
    const results = { plain: [] as number[], mesh: [] as number[] };
    let errors = 0;
    for (let r = 0; r < rounds; r++) {
      const plain = await runLoad(`http://127.0.0.1:${port}/plain`, seconds, connections);
      const connect = await runLoad(`http://127.0.0.1:${port}/mesh`, seconds, connections);
      results.plain.push(plain.rps);
      results.mesh.push(connect.rps);
      errors += plain.errors + plain.non2xx + connect.errors + connect.non2xx;
    }
    const m = { plain: median(results.plain)!, mesh: median(results.mesh)! };
    const f = (n: number): string => Math.round(n).toLocaleString('en-US');
    process.stdout.write(`HTTP/1.1 clients (autocannon, ${connections} keep-alive connections) through tagway, 100-byte answers, ${seconds}s × ${rounds} rounds (median):
  plain service (cleartext to the app)                ${f(m.plain)} req/s
  Connect service (mTLS to the sidecar, then the app) ${f(m.mesh)} req/s   ratio Connect/plain ${(m.mesh / m.plain).toFixed(2)}
  errors and non-2xx answers: ${errors}
`);
  } finally {
    await stopAll();
  }
}
