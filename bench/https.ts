/**
 * The HTTPS benchmark (issue 13). On one tagway entry point that serves both cleartext and TLS:
 *  1. HTTP/1.1 keep-alive throughput and p99, HTTPS beside cleartext (target: HTTPS ≥ 0.85× cleartext);
 *  2. new TLS handshakes per second on one core, tagway beside nginx with the same certificate (target ≥ 0.5×);
 *  3. h2: one connection with 50 streams in flight;
 *  4. memory per idle TLS connection (RSS growth over N idle connections, measured first on the fresh process).
 * Every process is pinned (SUT core 0, generators core 1) when taskset exists. nginx is used when installed.
 *
 * The keep-alive comparison is fair by construction: one generator (autocannon, the same spec but the URL), one
 * upstream, one tagway process, and `--rounds` rounds whose order rotates (clear→HTTPS, then HTTPS→clear, …) so
 * warm-up and drift on a shared machine fall on both sides. Each sample also reads tagway's CPU time between the
 * generator's START and END, so the CPU spent per request (µs) is compared too: on a busy machine req/s moves
 * with the neighbours, CPU per request much less. `--cpu-prof` starts tagway under V8's profiler and prints,
 * per protocol, the self time per request of the top functions over the measured windows only.
 * The origin is nginx when installed (`--upstream=node` for bench/lib/upstream.ts): it shares the generator's core,
 * and a cheap one leaves that core to the load generator, whose own TLS costs more than cleartext.
 * Run: node --import tsx bench/https.ts [--duration=10] [--connections=50] [--idle=2000] [--rounds=2]
 *        [--only=keepalive] [--cpu-prof] [--upstream=nginx|node] [--target=tagway|node]
 * `--target=node` measures Node's own http and https servers (no proxy) the same way: the floor TLS sets in Node.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { installCleanup, spawnChild, stopAll, freePort, type Spawned } from './lib/children.ts';
import { treeCpuSeconds, treeRss } from './lib/procstat.ts';
import { formatProfile, summarizeProfile } from './lib/profile-summary.ts';
import { findNginx } from './lib/nginx.ts';
import { defaultOrigin, GEN_CPUS, startOrigin, SUT_CPUS, type Origin } from './lib/targets.ts';
import type { LoadResult, LoadSpec } from './lib/loadgen.ts';
import { createCertificate } from '../src/tls/x509.ts';

const HOST = 'bench.local';
const log = (line: string) => process.stderr.write(line + '\n');
const opt = (name: string, dflt: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const duration = opt('duration', 10);
const connections = opt('connections', 50);
const idleCount = opt('idle', 2000);
const rounds = opt('rounds', 2);
const only = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1];
const cpuProf = process.argv.includes('--cpu-prof');
/** `tagway` (default), or `node`: Node's bare http/https servers answering themselves, the floor TLS sets in Node. */
const target = process.argv.find((a) => a.startsWith('--target='))?.split('=')[1] ?? 'tagway';
/** `nginx` (default when installed) or `node`: the origin both protocols are proxied to. */
const upstreamKind = process.argv.find((a) => a.startsWith('--upstream='))?.split('=')[1] ?? defaultOrigin();

async function childResult<T>(name: string, args: string[]): Promise<T> {
  let out = '';
  const c = await spawnChild(name, process.execPath, ['--import', 'tsx', ...args], { cpus: GEN_CPUS, onStdout: (s) => { out += s; } });
  const code = await c.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name} exited ${code} without a result:\n${c.stderr()}`);
  return JSON.parse(line.slice(7)) as T;
}

/**
 * One keep-alive sample: the generator's figures, tagway's CPU per request, the share of a core tagway and the
 * generator's core (load generator + upstream) used, and the window (monotonic µs, for --cpu-prof).
 */
interface Sample extends LoadResult { cpuUsPerRequest?: number; sutCpu?: number; genCoreCpu?: number; window?: { fromUs: number; toUs: number } }

/** The generator's core is the limit, not tagway: req/s then measures the client's TLS cost, not tagway's. */
const generatorBound = (s: Sample): boolean => (s.genCoreCpu ?? 0) > 90 && (s.sutCpu ?? 100) < 90;

async function load(url: string, sutPid: number, upPid: number, servername?: string): Promise<Sample> {
  const spec: LoadSpec = { url, connections, duration, warmup: 2, headers: { host: HOST }, ...(servername ? { servername } : {}) };
  let out = '';
  type Reading = { us: number; cpu: number | undefined; up: number | undefined };
  const read = (): Reading => ({ us: Number(process.hrtime.bigint() / 1000n), cpu: treeCpuSeconds(sutPid), up: treeCpuSeconds(upPid) });
  let start: Reading | undefined;
  let end: Reading | undefined;
  const c = await spawnChild('loadgen', process.execPath, ['--import', 'tsx', 'bench/lib/loadgen.ts', JSON.stringify(spec)], {
    cpus: GEN_CPUS,
    onStdout: function sampleCpu(chunk) {
      out += chunk;
      if (!start && /^START$/m.test(out)) start = read();
      if (start && !end && /^END$/m.test(out)) end = read();
    },
  });
  const code = await c.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`loadgen exited ${code} without a result:\n${c.stderr()}`);
  const r = JSON.parse(line.slice(7)) as LoadResult;
  if (!start || !end || start.cpu === undefined || end.cpu === undefined || r.requests === 0) return r;
  const seconds = (end.us - start.us) / 1e6;
  const upCpu = start.up !== undefined && end.up !== undefined ? (100 * (end.up - start.up)) / seconds : 0;
  return {
    ...r, cpuUsPerRequest: (1e6 * (end.cpu - start.cpu)) / r.requests, sutCpu: (100 * (end.cpu - start.cpu)) / seconds,
    genCoreCpu: r.genCpu + upCpu, window: { fromUs: start.us, toUs: end.us },
  };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/**
 * Cleartext and HTTPS keep-alive through the same tagway, generator and upstream, in `rounds` rounds whose
 * order rotates. The ratios are per round (same minute, same neighbours), then their median.
 */
async function keepAlive(port: number, sutPid: number, upPid: number, httpsPort = port): Promise<{ clear: Sample[]; https: Sample[]; ratio: number; cpuRatio: number | undefined }> {
  const clear: Sample[] = [];
  const https: Sample[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['clear', 'https'] as const : ['https', 'clear'] as const;
    const got: Partial<Record<'clear' | 'https', Sample>> = {};
    for (const kind of order) {
      got[kind] = kind === 'clear' ? await load(`http://127.0.0.1:${port}/`, sutPid, upPid) : await load(`https://127.0.0.1:${httpsPort}/`, sutPid, upPid, HOST);
    }
    const [c, h] = [got.clear!, got.https!];
    clear.push(c);
    https.push(h);
    ratios.push(h.rps / c.rps);
    if (c.cpuUsPerRequest !== undefined && h.cpuUsPerRequest !== undefined) cpuRatios.push(c.cpuUsPerRequest / h.cpuUsPerRequest);
    const us = (s: Sample) => (s.cpuUsPerRequest === undefined ? '' : `, ${s.cpuUsPerRequest.toFixed(0)} µs CPU/req (tagway ${s.sutCpu!.toFixed(0)}%, generator core ${s.genCoreCpu!.toFixed(0)}%${generatorBound(s) ? ': GENERATOR-BOUND' : ''})`);
    log(`round ${i + 1} (${order.join('→')}): cleartext ${c.rps.toFixed(0)} req/s p99 ${c.p99} ms${us(c)}; HTTPS ${h.rps.toFixed(0)} req/s p99 ${h.p99} ms${us(h)}; `
      + `HTTPS/cleartext ${ratios.at(-1)!.toFixed(2)}× req/s` + (cpuRatios.length === i + 1 ? `, ${cpuRatios.at(-1)!.toFixed(2)}× CPU per request (cleartext/HTTPS)` : ''));
  }
  return { clear, https, ratio: median(ratios), cpuRatio: cpuRatios.length ? median(cpuRatios) : undefined };
}

/**
 * Where tagway's time went, per request, for each protocol's measured windows (from its --cpu-prof profile), and
 * the functions whose self time per request differs most between HTTPS and cleartext.
 */
function printProfiles(profileDir: string, ka: { clear: Sample[]; https: Sample[] }): void {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) { log('no .cpuprofile written (did tagway exit cleanly?)'); return; }
  const keep = process.argv.find((a) => a.startsWith('--keep-profile='))?.split('=')[1];
  if (keep) { copyFileSync(files[0]!, keep); writeFileSync(`${keep}.windows.json`, JSON.stringify({ clear: ka.clear.map((s) => s.window), https: ka.https.map((s) => s.window) })); }
  const perRequest: Record<'clear' | 'https', Map<string, number>> = { clear: new Map(), https: new Map() };
  for (const kind of ['clear', 'https'] as const) {
    let requests = 0;
    for (const s of ka[kind]) {
      if (!s.window) continue;
      const sum = summarizeProfile(files[0]!, s.window);
      requests += s.requests;
      log(`\n${kind}: ${s.requests} requests, ${((1000 * sum.totalMs) / s.requests).toFixed(1)} µs busy per request (profiled)\n${formatProfile(sum, 30)}`);
      for (const f of sum.functions) perRequest[kind].set(f.name, (perRequest[kind].get(f.name) ?? 0) + f.ms * 1000);
    }
    for (const [k, us] of perRequest[kind]) perRequest[kind].set(k, us / Math.max(1, requests));
  }
  const names = new Set([...perRequest.clear.keys(), ...perRequest.https.keys()]);
  const diff = [...names].map((n) => ({ n, d: (perRequest.https.get(n) ?? 0) - (perRequest.clear.get(n) ?? 0) })).sort((a, b) => b.d - a.d);
  const total = diff.reduce((a, x) => a + x.d, 0);
  log(`\nHTTPS − cleartext, self time per request: ${total.toFixed(1)} µs in all; the 25 largest differences:`);
  for (const { n, d } of diff.slice(0, 25)) log(`${d.toFixed(2).padStart(8)} µs  ${n.slice(0, 140)}`);
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
    // The origin sits on the generator's core. A Node origin costs that core about as much as the load generator
    // itself, and an HTTPS generator costs more than a cleartext one: with both, the generator's core ran out first
    // and req/s measured the client's TLS, not tagway's. nginx answers for a fraction of the CPU.
    const origin: Origin = upstreamKind === 'nginx' && findNginx() !== undefined ? 'nginx' : 'node';
    const started = await startOrigin(origin, join(dir, 'origin'), GEN_CPUS);
    const up = started.proc;
    const upstream = `http://127.0.0.1:${started.port}`;
    log(`origin: ${origin === 'nginx' ? 'nginx' : 'node:http'} on ${upstream}`);
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
    if (target === 'node') {
      const bare = await spawnChild('node-bare', process.execPath, ['--import', 'tsx', 'bench/lib/bare-tls-server.ts', join(dir, 'cert.pem'), join(dir, 'key.pem')],
        { cpus: SUT_CPUS, readyLine: /^READY (\d+) (\d+)/ });
      const ka = await keepAlive(Number(bare.ready![1]), bare.child.pid!, up.child.pid!, Number(bare.ready![2]));
      log(`bare Node (no proxy), ${rounds} rotated rounds: HTTPS/cleartext ${ka.ratio.toFixed(2)}× req/s (median)` + (ka.cpuRatio !== undefined ? `, ${ka.cpuRatio.toFixed(2)}× CPU per request (cleartext/HTTPS, median)` : ''));
      process.stdout.write(JSON.stringify({ target: 'node', keepAlive: ka }, null, 2) + '\n');
      return;
    }
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('TAGWAY_')));
    const profileDir = join(dir, 'profile');
    const prof = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const tagway = await spawnChild('tagway', process.execPath, [...prof, '--import', 'tsx', 'src/cli.ts', `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.file.filename=${join(dir, 'dynamic.yml')}`, '--providers.file.watch=false', '--workers=1', '--log.level=ERROR'], { cpus: SUT_CPUS, env });
    await waitReady(port, tagway);
    log(`tagway on 127.0.0.1:${port} (cleartext and TLS), upstream ${upstream}`);

    const sutPid = tagway.child.pid!;
    let perConn: number | undefined;
    if (only === undefined) {
      // Idle connections first, on a fresh process: after the load phases the heap has room to spare and RSS would not move.
      const before = treeRss(sutPid) ?? 0;
      const idle = await spawnChild('idle', process.execPath, ['--import', 'tsx', 'bench/lib/tls-clients.ts', JSON.stringify({ mode: 'idle', port, servername: HOST, count: idleCount })], { cpus: GEN_CPUS, readyLine: /^IDLE (\d+)/, readyTimeoutMs: 120_000 });
      await new Promise((r) => setTimeout(r, 1000));
      const after = treeRss(sutPid) ?? 0;
      await idle.stop();
      perConn = (after - before) / idleCount;
      log(`idle TLS connections: ${idleCount}, RSS ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB, ${(perConn / 1024).toFixed(1)} KiB each`);
    }

    const ka = await keepAlive(port, sutPid, up.child.pid!);
    log(`keep-alive h1, ${rounds} rotated rounds: HTTPS/cleartext ${ka.ratio.toFixed(2)}× req/s (median)` + (ka.cpuRatio !== undefined ? `, ${ka.cpuRatio.toFixed(2)}× CPU per request (cleartext/HTTPS, median)` : ''));
    if (only === 'keepalive') {
      if (cpuProf) { await tagway.stop(10_000); printProfiles(profileDir, ka); }
      process.stdout.write(JSON.stringify({ keepAlive: { ...ka, target: 0.85 } }, null, 2) + '\n');
      return;
    }

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
      keepAlive: { ...ka, target: 0.85 },
      handshakes: { tagway: hs.handshakesPerSecond, nginx: nginxHs?.handshakesPerSecond, ratio: nginxHs ? hs.handshakesPerSecond / nginxHs.handshakesPerSecond : undefined, target: 0.5 },
      h2: { streams: 50, ...h2 },
      idleTls: { connections: idleCount, bytesPerConnection: Math.round(perConn ?? 0) },
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    if (cpuProf) { await tagway.stop(10_000); printProfiles(profileDir, ka); }
    log(`ratios: HTTPS/cleartext keep-alive ${report.keepAlive.ratio.toFixed(2)} (target ≥ 0.85)` + (report.handshakes.ratio !== undefined ? `, handshakes tagway/nginx ${report.handshakes.ratio.toFixed(2)} (target ≥ 0.5)` : ''));
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => { log(err instanceof Error ? err.stack ?? err.message : String(err)); await stopAll(); process.exit(1); });
