/**
 * Child process: TLS and HTTP/2 load the autocannon generator cannot make. argv[2] is a JSON spec:
 * - `{ mode: 'handshakes', port, servername, concurrency, duration }`: new TLS connections (full handshakes,
 *   no session resumption), each closed once secure; reports handshakes/s.
 * - `{ mode: 'h2', port, servername, host, streams, duration }`: one h2 connection with `streams` requests in
 *   flight at all times; reports requests/s and latency percentiles.
 * - `{ mode: 'idle', port, servername, count }`: opens `count` TLS connections and keeps them idle; prints
 *   `IDLE <n>` once all are secure, then waits to be killed.
 * Prints `RESULT <json>` at the end (handshakes, h2).
 */
import { connect as tlsConnect } from 'node:tls';
import { connect as h2Connect } from 'node:http2';

interface Spec { mode: 'handshakes' | 'h2' | 'idle'; port: number; servername: string; host?: string; concurrency?: number; streams?: number; duration?: number; count?: number }

function handshake(spec: Spec): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: spec.port, servername: spec.servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => { s.destroy(); resolve(); });
    s.once('error', reject);
  });
}

async function handshakes(spec: Spec): Promise<void> {
  const end = performance.now() + (spec.duration ?? 10) * 1000;
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: spec.concurrency ?? 32 }, async () => {
    while (performance.now() < end) await handshake(spec).then(() => { done++; }, () => { errors++; });
  }));
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`RESULT ${JSON.stringify({ handshakesPerSecond: done / seconds, handshakes: done, errors })}\n`);
}

async function h2(spec: Spec): Promise<void> {
  const session = h2Connect(`https://127.0.0.1:${spec.port}`, { servername: spec.servername, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject); });
  const end = performance.now() + (spec.duration ?? 10) * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const one = (): Promise<void> => new Promise((resolve) => {
    const start = performance.now();
    const st = session.request({ ':path': '/', ':authority': spec.host ?? spec.servername });
    st.on('response', () => {});
    st.resume();
    st.on('end', () => { latencies.push(performance.now() - start); resolve(); });
    st.on('error', () => { errors++; resolve(); });
    st.end();
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: spec.streams ?? 50 }, async () => { while (performance.now() < end) await one(); }));
  const seconds = (performance.now() - t0) / 1000;
  session.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  process.stdout.write(`RESULT ${JSON.stringify({ rps: latencies.length / seconds, requests: latencies.length, errors, p50: pct(0.5), p99: pct(0.99) })}\n`);
}

async function idle(spec: Spec): Promise<void> {
  const sockets = [];
  for (let i = 0; i < (spec.count ?? 1000); i += 50) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(50, (spec.count ?? 1000) - i) }, () => new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: spec.port, servername: spec.servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => resolve(s));
      s.once('error', reject);
    }))));
  }
  process.stdout.write(`IDLE ${sockets.length}\n`);
  await new Promise(() => {});
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const run = spec.mode === 'handshakes' ? handshakes : spec.mode === 'h2' ? h2 : idle;
run(spec).then(() => process.exit(0), (err: unknown) => { process.stderr.write(`tls-clients: ${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
