/**
 * forwardAuth's cost per request: tagway's service handler alone, and the same handler behind a forwardAuth
 * middleware (its own undici keep-alive pool to the auth server, every request asks it first). The app and
 * the auth server are bench/lib/upstream.ts (100-byte 200 answers), the load is bench/lib/loadgen.ts, each
 * in its own process; rounds alternate the two variants and the median is reported, with the added time
 * per request at that load (1/rps difference) and the added latency (p50 difference).
 * Run: node --import tsx bench/forward-auth.ts [seconds=5] [connections=50] [rounds=3]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawnChild, stopAll } from './lib/children.ts';
import type { LoadResult } from './lib/loadgen.ts';
import { runLoad as load } from './lib/run-load.ts';

const mode = process.argv[2];

if (mode === 'proxy') {
  const variant = process.argv[3]!;
  const listener = await tagwayListener(variant, `http://127.0.0.1:${process.argv[4]}`, `http://127.0.0.1:${process.argv[5]}/verify`);
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  await orchestrate();
}

async function tagwayListener(variant: string, app: string, auth: string): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const { newRequestContext } = await import('../src/http/request-context.ts');
  const { TrustedNetworks } = await import('../src/util/ipnet.ts');
  const { PoolRegistry } = await import('../src/proxy/pool.ts');
  const { createServiceHandler } = await import('../src/proxy/service.ts');
  const { buildMiddleware } = await import('../src/middlewares/index.ts');
  const svc = createServiceHandler('bench@file', { servers: [{ url: app }] }, { pools: new PoolRegistry() });
  let handler = (ctx: Parameters<typeof svc.handle>[0]): void => svc.handle(ctx);
  if (variant === 'forwardAuth') {
    const built = buildMiddleware('sso@file', { forwardAuth: { address: auth, trustForwardHeader: true, authResponseHeaders: ['Remote-User'] } }, () => new Error('none'));
    if (built instanceof Error) throw built;
    handler = built.wrap(handler);
  }
  const ep = { name: 'web', scheme: 'http' as const, port: '0', trusted: new TrustedNetworks([]) };
  return function tagway(req, res) {
    const ctx = newRequestContext(req, res, ep);
    if (ctx) handler(ctx);
  };
}

async function orchestrate(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 50);
  const rounds = Number(process.argv[4] ?? 3);
  const tsx = ['--import', 'tsx'];
  const ready = /^READY (\d+)/;
  try {
    const app = await spawnChild('app', process.execPath, [...tsx, 'bench/lib/upstream.ts'], { readyLine: ready });
    const auth = await spawnChild('auth', process.execPath, [...tsx, 'bench/lib/upstream.ts'], { readyLine: ready });
    const variants = ['none', 'forwardAuth'] as const;
    const ports: Record<string, string> = {};
    for (const v of variants) {
      const p = await spawnChild(v, process.execPath, [...tsx, 'bench/forward-auth.ts', 'proxy', v, app.ready![1]!, auth.ready![1]!], { readyLine: ready });
      ports[v] = p.ready![1]!;
    }
    const results: Record<string, LoadResult[]> = { none: [], forwardAuth: [] };
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        results[v]!.push(await load(`http://127.0.0.1:${ports[v]}/bench?x=1`, seconds, connections));
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const v of variants) {
      const m = results[v]!;
      process.stdout.write(`${v.padEnd(12)} ${Math.round(median(m.map((x) => x.rps))).toString().padStart(7)} req/s  p50 ${median(m.map((x) => x.p50))} ms  p99 ${median(m.map((x) => x.p99))} ms  errors ${m.reduce((s, x) => s + x.errors + x.non2xx, 0)}  rounds ${m.map((x) => Math.round(x.rps)).join('/')}\n`);
    }
    const none = median(results.none!.map((x) => x.rps));
    const fa = median(results.forwardAuth!.map((x) => x.rps));
    process.stdout.write(`forwardAuth / none: ${(fa / none).toFixed(3)} of the throughput; +${((1 / fa - 1 / none) * 1e6).toFixed(1)} µs per request at this load; p50 +${(median(results.forwardAuth!.map((x) => x.p50)) - median(results.none!.map((x) => x.p50))).toFixed(2)} ms\n`);
  } finally {
    await stopAll();
  }
}
