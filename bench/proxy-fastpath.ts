/**
 * The forwarding fast path alone: tagway's service handler (request context → WRR → undici dispatch →
 * raw `res`) against the floor it is built on, a bare undici `Pool.stream` proxy. Same upstream
 * (bench/lib/upstream.ts, 100-byte answers), same load generator (bench/lib/loadgen.ts), each in its own
 * process; rounds alternate the two proxies and the median is reported.
 * Run: node --import tsx bench/proxy-fastpath.ts [seconds=5] [connections=50] [rounds=3]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { spawnChild, stopAll } from './lib/children.ts';
import type { LoadResult } from './lib/loadgen.ts';
import { runLoad as load } from './lib/run-load.ts';

const mode = process.argv[2];

if (mode === 'proxy') {
  const variant = process.argv[3]!;
  const upstream = `http://127.0.0.1:${process.argv[4]}`;
  const listener = variant === 'tagway' ? await tagwayListener(upstream) : undiciListener(upstream);
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  await orchestrate();
}

async function tagwayListener(upstream: string): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const { newRequestContext } = await import('../src/http/request-context.ts');
  const { TrustedNetworks } = await import('../src/util/ipnet.ts');
  const { PoolRegistry } = await import('../src/proxy/pool.ts');
  const { createServiceHandler } = await import('../src/proxy/service.ts');
  const svc = createServiceHandler('bench@file', { servers: [{ url: upstream }] }, { pools: new PoolRegistry() });
  const ep = { name: 'web', scheme: 'http' as const, port: '0', trusted: new TrustedNetworks([]) };
  return function tagway(req, res) {
    const ctx = newRequestContext(req, res, ep);
    if (ctx) svc.handle(ctx);
  };
}

/** The floor: what an undici-based proxy costs with nothing else (hop-by-hop filtering kept minimal). */
function undiciListener(upstream: string): (req: IncomingMessage, res: ServerResponse) => void {
  const pool = new Pool(upstream, { headersTimeout: 0, bodyTimeout: 0 });
  return function bare(req, res) {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    pool.stream(
      { path: req.url!, method: req.method as 'GET', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
      ({ statusCode, headers: h }) => {
        delete h.connection; delete h['keep-alive']; delete h['transfer-encoding'];
        res.writeHead(statusCode, h as Record<string, string>);
        return res;
      },
      (err) => { if (err && !res.headersSent) { res.writeHead(502); res.end(); } },
    );
  };
}

async function orchestrate(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 50);
  const rounds = Number(process.argv[4] ?? 3);
  const tsx = ['--import', 'tsx'];
  const ready = /^READY (\d+)/;
  try {
    const up = await spawnChild('upstream', process.execPath, [...tsx, 'bench/lib/upstream.ts'], { readyLine: ready });
    const upPort = up.ready![1]!;
    const variants = ['undici-stream', 'tagway'] as const;
    const ports: Record<string, string> = {};
    for (const v of variants) {
      const p = await spawnChild(v, process.execPath, [...tsx, 'bench/proxy-fastpath.ts', 'proxy', v, upPort], { readyLine: ready });
      ports[v] = p.ready![1]!;
    }
    const results: Record<string, LoadResult[]> = { 'undici-stream': [], tagway: [] };
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        results[v]!.push(await load(`http://127.0.0.1:${ports[v]}/bench?x=1`, seconds, connections));
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rps = Object.fromEntries(variants.map((v) => [v, median(results[v]!.map((x) => x.rps))]));
    for (const v of variants) {
      const m = results[v]!;
      process.stdout.write(`${v.padEnd(14)} ${Math.round(rps[v]!).toString().padStart(7)} req/s  p50 ${median(m.map((x) => x.p50))} ms  p99 ${median(m.map((x) => x.p99))} ms  errors ${m.reduce((s, x) => s + x.errors + x.non2xx, 0)}  rounds ${m.map((x) => Math.round(x.rps)).join('/')}\n`);
    }
    process.stdout.write(`tagway / undici-stream: ${(rps.tagway! / rps['undici-stream']!).toFixed(3)}\n`);
  } finally {
    await stopAll();
  }
}
