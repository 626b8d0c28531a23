/**
 * gRPC and HTTP/2 upstreams, each side in its own process:
 * 1. gRPC unary calls per second (100-byte messages, @grpc/grpc-js client and server) through tagway (h2c client →
 *    h2c upstream) against the same server hit directly; the ratio is tagway/direct.
 * 2. HTTP/1.1 clients (autocannon) through tagway to an h2c upstream (node:http2, 100-byte answers) against the
 *    same through tagway to an HTTP/1.1 upstream (bench/lib/upstream.ts); the ratio is h2c/h1.
 * Rounds alternate the variants; medians are reported.
 * Run: node --import tsx bench/grpc.ts [seconds=3] [concurrency=50] [rounds=3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createH2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, spawnChild, stopAll, waitForRoutes } from './lib/children.ts';
import { median } from './lib/report.ts';
import { runLoad } from './lib/run-load.ts';

const BODY = Buffer.alloc(100, 'x');
const raw = { serialize: (b: Buffer): Buffer => b, deserialize: (b: Buffer): Buffer => b };
const SERVICE: grpc.ServiceDefinition = {
  Unary: { path: '/tagway.bench.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize },
};
const tsx = ['--import', 'tsx'];
const READY = /^READY (\d+)/;
const mode = process.argv[2];

if (mode === 'grpc-upstream') {
  const server = new grpc.Server();
  server.addService(SERVICE, { Unary(_call: unknown, cb: grpc.sendUnaryData<Buffer>) { cb(null, BODY); } });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`READY ${port}\n`);
  });
  process.on('SIGTERM', () => { server.forceShutdown(); process.exit(0); });
} else if (mode === 'h2c-upstream') {
  const server = createH2Server({ settings: { maxConcurrentStreams: 1000 } });
  server.on('stream', (stream) => { stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': BODY.length }); stream.end(BODY); });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'grpc-load') {
  const [address, seconds, concurrency] = [process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];
  process.stdout.write(`RESULT ${JSON.stringify(await grpcLoad(address, seconds, concurrency))}\n`);
  process.exit(0);
} else {
  await orchestrate();
}

/** `concurrency` loops of unary calls on one channel for `seconds` (after a 1 s warm-up): calls per second. */
async function grpcLoad(address: string, seconds: number, concurrency: number): Promise<{ rps: number; errors: number }> {
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Unary(req: Buffer, cb: (err: grpc.ServiceError | null) => void): void };
  let measuring = false;
  let stop = false;
  let calls = 0;
  let errors = 0;
  const loop = async (): Promise<void> => {
    while (!stop) {
      await new Promise<void>((resolve) => client.Unary(BODY, (err) => { if (measuring) { if (err) errors++; else calls++; } resolve(); }));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(loops);
  client.close();
  return { rps: calls / elapsed, errors };
}

async function grpcRun(address: string, seconds: number, concurrency: number): Promise<number> {
  let out = '';
  const gen = await spawnChild('grpc-load', process.execPath, [...tsx, 'bench/grpc.ts', 'grpc-load', address, String(seconds), String(concurrency)], { onStdout: (c) => { out += c; } });
  await gen.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`grpc load gave no result: ${gen.stderr()}`);
  const r = JSON.parse(line.slice(7)) as { rps: number; errors: number };
  if (r.errors > 0) throw new Error(`${r.errors} gRPC calls failed through ${address}`);
  return r.rps;
}

async function orchestrate(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const concurrency = Number(process.argv[3] ?? 50);
  const rounds = Number(process.argv[4] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'tagway-bench-grpc-'));
  try {
    const grpcUp = await spawnChild('grpc-upstream', process.execPath, [...tsx, 'bench/grpc.ts', 'grpc-upstream'], { readyLine: READY });
    const h2cUp = await spawnChild('h2c-upstream', process.execPath, [...tsx, 'bench/grpc.ts', 'h2c-upstream'], { readyLine: READY });
    const h1Up = await spawnChild('h1-upstream', process.execPath, [...tsx, 'bench/lib/upstream.ts'], { readyLine: READY });
    const file = join(dir, 'dynamic.yml');
    writeFileSync(file, `http:
  routers:
    grpc: { rule: "PathPrefix(\`/tagway.bench.Echo/\`)", service: grpc }
    h2c: { rule: "PathPrefix(\`/h2c\`)", service: h2c }
    h1: { rule: "PathPrefix(\`/h1\`)", service: h1 }
  services:
    grpc: { loadBalancer: { servers: [{ url: "h2c://127.0.0.1:${grpcUp.ready![1]}" }] } }
    h2c: { loadBalancer: { servers: [{ url: "h2c://127.0.0.1:${h2cUp.ready![1]}" }] } }
    h1: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${h1Up.ready![1]}" }] } }
`);
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('TAGWAY_')));
    const tagway = await spawnChild('tagway', process.execPath, [...tsx, 'src/cli.ts', `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.file.filename=${file}`, '--providers.file.watch=false', '--workers=1', '--log.level=ERROR'], { env });
    await waitForRoutes(port, tagway, ['/h1']);
    const results = { direct: [] as number[], tagway: [] as number[], h1: [] as number[], h2c: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      results.direct.push(await grpcRun(`127.0.0.1:${grpcUp.ready![1]}`, seconds, concurrency));
      results.tagway.push(await grpcRun(`127.0.0.1:${port}`, seconds, concurrency));
      results.h1.push((await runLoad(`http://127.0.0.1:${port}/h1`, seconds, concurrency)).rps);
      results.h2c.push((await runLoad(`http://127.0.0.1:${port}/h2c`, seconds, concurrency)).rps);
    }
    const m = { direct: median(results.direct)!, tagway: median(results.tagway)!, h1: median(results.h1)!, h2c: median(results.h2c)! };
    const f = (n: number): string => Math.round(n).toLocaleString('en-US');
    process.stdout.write(`gRPC unary, ${concurrency} concurrent calls on one channel, ${seconds}s × ${rounds} rounds (median):
  direct to the server          ${f(m.direct)} calls/s
  through tagway (h2c → h2c)    ${f(m.tagway)} calls/s   ratio tagway/direct ${(m.tagway / m.direct).toFixed(2)}
HTTP/1.1 clients (autocannon, ${concurrency} connections) through tagway, 100-byte answers:
  → HTTP/1.1 upstream           ${f(m.h1)} req/s
  → h2c upstream                ${f(m.h2c)} req/s   ratio h2c/h1 ${(m.h2c / m.h1).toFixed(2)}
`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
