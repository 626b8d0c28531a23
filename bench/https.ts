/**
 * The HTTPS benchmark (issue 13). On one tagway entry point that serves both cleartext and TLS:
 *  1. HTTP/1.1 keep-alive throughput and p99, HTTPS beside cleartext (target: HTTPS ≥ 0.85× cleartext);
 *  2. new TLS handshakes per second on one core, tagway beside nginx with the same certificate (target ≥ 0.5×);
 *  3. h2: one connection with 50 streams in flight;
 *  4. memory per idle TLS connection (RSS growth over N idle connections, measured first on the fresh process).
 * Every process is pinned (SUT core 0, generators core 1) when taskset exists. nginx is used when installed.
 * Run: node --import tsx bench/https.ts [--duration=10] [--connections=50] [--idle=2000]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { installCleanup, spawnChild, stopAll, freePort, type Spawned } from './lib/children.ts';
import { treeRss } from './lib/procstat.ts';
import { findNginx } from './lib/nginx.ts';
import { GEN_CPUS, SUT_CPUS } from './lib/targets.ts';
import type { LoadResult, LoadSpec } from './lib/loadgen.ts';
import { createCertificate } from '../src/tls/x509.ts';

const HOST = 'bench.local';
const log = (line: string) => process.stderr.write(line + '\n');
const READY = /^READY (\d+)/;
const opt = (name: string, dflt: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const duration = opt('duration', 10);
const connections = opt('connections', 50);
const idleCount = opt('idle', 2000);

async function childResult<T>(name: string, args: string[]): Promise<T> {
  let out = '';
  const c = await spawnChild(name, process.execPath, ['--import', 'tsx', ...args], { cpus: GEN_CPUS, onStdout: (s) => { out += s; } });
  const code = await c.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name} exited ${code} without a result:\n${c.stderr()}`);
  return JSON.parse(line.slice(7)) as T;
}

function load(url: string, servername?: string): Promise<LoadResult> {
  const spec: LoadSpec = { url, connections, duration, warmup: 2, headers: { host: HOST }, ...(servername ? { servername } : {}) };
  return childResult<LoadResult>('loadgen', ['bench/lib/loadgen.ts', JSON.stringify(spec)]);
}

async function waitReady(port: number, proc: Spawned): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited:\n${proc.stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      // fetch() would send its own Host: node:http sends ours.
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: HOST }, agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name}: not ready on ${port}\n${proc.stderr()}`);
}

async function main(): Promise<void> {
  installCleanup((duration + 5) * 8 * 1000 + 120_000, log);
  const dir = mkdtempSync(join(tmpdir(), 'tagway-bench-https-'));
  try {
    const ca = createCertificate({ commonName: 'bench CA', isCA: true });
    const cert = createCertificate({ commonName: HOST, altNames: [HOST], issuer: ca });
    writeFileSync(join(dir, 'cert.pem'), cert.certPem);
    writeFileSync(join(dir, 'key.pem'), cert.keyPem);
    const up = await spawnChild('upstream', process.execPath, ['--import', 'tsx', 'bench/lib/upstream.ts'], { cpus: GEN_CPUS, readyLine: READY });
    const upstream = `http://127.0.0.1:${Number(up.ready![1])}`;
    writeFileSync(join(dir, 'dynamic.yml'), `http:
  routers:
    clear: { rule: "Host(\`${HOST}\`)", service: upstream }
    secure: { rule: "Host(\`${HOST}\`)", service: upstream, tls: {} }
  services:
    upstream: { loadBalancer: { servers: [{ url: "${upstream}" }] } }
tls:
  certificates:
    - { certFile: ${join(dir, 'cert.pem')}, keyFile: ${join(dir, 'key.pem')} }
`);
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('TAGWAY_')));
    const tagway = await spawnChild('tagway', process.execPath, ['--import', 'tsx', 'src/cli.ts', `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.file.filename=${join(dir, 'dynamic.yml')}`, '--providers.file.watch=false', '--workers=1', '--log.level=ERROR'], { cpus: SUT_CPUS, env });
    await waitReady(port, tagway);
    log(`tagway on 127.0.0.1:${port} (cleartext and TLS), upstream ${upstream}`);

    // Idle connections first, on a fresh process: after the load phases the heap has room to spare and RSS would not move.
    const before = treeRss(tagway.child.pid!) ?? 0;
    const idle = await spawnChild('idle', process.execPath, ['--import', 'tsx', 'bench/lib/tls-clients.ts', JSON.stringify({ mode: 'idle', port, servername: HOST, count: idleCount })], { cpus: GEN_CPUS, readyLine: /^IDLE (\d+)/, readyTimeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const after = treeRss(tagway.child.pid!) ?? 0;
    await idle.stop();
    const perConn = (after - before) / idleCount;
    log(`idle TLS connections: ${idleCount}, RSS ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB, ${(perConn / 1024).toFixed(1)} KiB each`);

    const clear = await load(`http://127.0.0.1:${port}/`);
    const https = await load(`https://127.0.0.1:${port}/`, HOST);
    log(`keep-alive h1: cleartext ${clear.rps.toFixed(0)} req/s p99 ${clear.p99} ms; HTTPS ${https.rps.toFixed(0)} req/s p99 ${https.p99} ms`);

    const hs = await childResult<{ handshakesPerSecond: number; errors: number }>('handshakes', ['bench/lib/tls-clients.ts', JSON.stringify({ mode: 'handshakes', port, servername: HOST, concurrency: 32, duration })]);
    log(`tagway: ${hs.handshakesPerSecond.toFixed(0)} new TLS handshakes/s (errors ${hs.errors})`);
    let nginxHs: { handshakesPerSecond: number; errors: number } | undefined;
    const nginx = findNginx();
    if (nginx) {
      const nport = await freePort();
      const ndir = join(dir, 'nginx');
      mkdirSync(ndir, { recursive: true });
      for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(ndir, sub), { recursive: true });
      writeFileSync(join(ndir, 'nginx.conf'), `worker_processes 1;
daemon off;
pid ${ndir}/nginx.pid;
error_log ${ndir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${ndir}/body; proxy_temp_path ${ndir}/proxy; fastcgi_temp_path ${ndir}/fastcgi; uwsgi_temp_path ${ndir}/uwsgi; scgi_temp_path ${ndir}/scgi;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:${nport} ssl;
    ssl_certificate ${join(dir, 'cert.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "ok"; }
  }
}
`);
      const proc = await spawnChild('nginx', nginx, ['-p', ndir, '-e', join(ndir, 'error.log'), '-c', join(ndir, 'nginx.conf')], { cpus: SUT_CPUS });
      await new Promise((r) => setTimeout(r, 500));
      nginxHs = await childResult('handshakes-nginx', ['bench/lib/tls-clients.ts', JSON.stringify({ mode: 'handshakes', port: nport, servername: HOST, concurrency: 32, duration })]);
      log(`nginx:  ${nginxHs!.handshakesPerSecond.toFixed(0)} new TLS handshakes/s (errors ${nginxHs!.errors})`);
      await proc.stop();
    } else log('nginx: not installed (apt-get install -y nginx), handshake comparison skipped');

    const h2 = await childResult<{ rps: number; p50: number; p99: number; errors: number }>('h2', ['bench/lib/tls-clients.ts', JSON.stringify({ mode: 'h2', port, servername: HOST, streams: 50, duration })]);
    log(`h2, one connection, 50 streams: ${h2.rps.toFixed(0)} req/s p50 ${h2.p50.toFixed(2)} ms p99 ${h2.p99.toFixed(2)} ms (errors ${h2.errors})`);


    const report = {
      keepAlive: { cleartext: clear, https, ratio: https.rps / clear.rps, target: 0.85 },
      handshakes: { tagway: hs.handshakesPerSecond, nginx: nginxHs?.handshakesPerSecond, ratio: nginxHs ? hs.handshakesPerSecond / nginxHs.handshakesPerSecond : undefined, target: 0.5 },
      h2: { streams: 50, ...h2 },
      idleTls: { connections: idleCount, bytesPerConnection: Math.round(perConn) },
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    log(`ratios: HTTPS/cleartext keep-alive ${report.keepAlive.ratio.toFixed(2)} (target ≥ 0.85)` + (report.handshakes.ratio !== undefined ? `, handshakes tagway/nginx ${report.handshakes.ratio.toFixed(2)} (target ≥ 0.5)` : ''));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => { log(err instanceof Error ? err.stack ?? err.message : String(err)); await stopAll(); process.exit(1); });
