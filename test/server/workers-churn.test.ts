/**
 * Issue 17 with `workers: 2`, end to end: the CLI's cluster (the primary watching a devcatalog fleet through the
 * real Consul client, two workers fed with deltas) on real sockets. A health flip shows in the API of both workers
 * within a second, a request in flight on the flipped service finishes whole, and a worker stopped past the lag
 * bound (SIGSTOP) catches up from a snapshot once it runs again. Waits on log lines and answers, never on time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { startDevCatalog } from '../../src/dev/devcatalog/index.ts';
import { churnHost, registerFleet, startChurn } from '../../src/dev/devcatalog/churn.ts';
import { startUpstream } from '../support/upstream.ts';
import { send } from '../support/file-gateway.ts';
import { waitFor } from '../support/wait.ts';
import { onJsonLines } from '../support/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'src/cli.ts');
const SERVICES = 200;

interface LogLine { message?: string; worker?: number; entryPoint?: string; address?: string; full?: boolean; routers?: number; services?: number; pid?: number }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** The servers of a service as one API answer (a new connection: the primary hands it to either worker). */
async function servers(admin: string, service: number): Promise<number | undefined> {
  const r = await send(admin, `/api/http/services/svc-${service}@consulcatalog`);
  if (r.status !== 200) return undefined;
  return (JSON.parse(r.body) as { loadBalancer?: { servers?: unknown[] } }).loadBalancer?.servers?.length;
}

/** True once `count` answers in a row (new connections, spread over both workers) agree with `want`. */
async function bothShow(admin: string, service: number, want: number, count = 4): Promise<boolean> {
  for (let i = 0; i < count; i++) if (await servers(admin, service) !== want) return false;
  return true;
}

describe('workers under churn', () => {
  it(`${SERVICES} services × 3, workers 2: a flip in both workers' API < 1 s, in-flight untouched; a stopped worker catches up from a snapshot`, { timeout: 90_000 }, async (t) => {
    const held: Array<() => void> = [];
    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (req.url?.endsWith('/slow')) { res.write('first half;'); held.push(() => res.end('second half')); return; }
      res.end('ok');
    };
    const ups = [await startUpstream(t, 'fleet-0', serve), await startUpstream(t, 'fleet-1', serve), await startUpstream(t, 'fleet-2', serve)];
    const catalog = await startDevCatalog();
    t.after(() => catalog.close());
    const fleet = { services: SERVICES, instances: 3, address: '127.0.0.1', ports: ups.map((u) => u.port) };
    registerFleet(catalog, fleet);

    const child = spawn(process.execPath, ['--import', 'tsx', CLI,
      '--entryPoints.web.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true',
      `--providers.consulCatalog.endpoint.address=${catalog.address}`, '--providers.providersThrottleDuration=0s',
      '--workers=2', '--log.level=DEBUG', '--log.format=json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAGWAY_WORKERS: undefined } });
    const workers = new Set<number>();
    t.after(() => {
      for (const pid of workers) if (alive(pid)) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    const addresses = new Map<string, string>();
    const listening = new Set<number>();
    /** Builds each worker applied (counted from its log), and the primary's lag warnings. */
    const applied = new Map<number, number>();
    const builds: Array<{ worker: number; full: boolean; routers: number }> = [];
    let lagging = 0;
    onJsonLines<LogLine>(child, (line) => {
      if (line.worker !== undefined) workers.add(line.worker);
      if (line.message === 'entry point listening' && line.entryPoint && line.address) {
        addresses.set(line.entryPoint, line.address);
        if (line.worker !== undefined) listening.add(line.worker);
      }
      if (line.message === 'configuration applied' && line.worker !== undefined) {
        applied.set(line.worker, (applied.get(line.worker) ?? 0) + 1);
        builds.push({ worker: line.worker, full: line.full ?? false, routers: line.routers ?? 0 });
      }
      if (line.message?.startsWith('worker lagging')) lagging++;
    });
    const exitedEarly = once(child, 'exit').then(() => { throw new Error('tagway exited early'); });
    exitedEarly.catch(() => {});

    await waitFor('both workers listening', () => addresses.size === 2 && listening.size === 2, { timeoutMs: 30_000 });
    const web = `http://${addresses.get('web')}`;
    const admin = `http://${addresses.get('traefik')}`;
    await waitFor(`${SERVICES} services in the API of both workers`, () => bothShow(admin, SERVICES - 1, 3), { timeoutMs: 60_000, intervalMs: 50 });
    assert.equal(workers.size, 2, 'two worker processes');

    // A request in flight on svc-1 while svc-1's instance flips.
    const inflight = await new Promise<{ res: IncomingMessage; body: Promise<string> }>((done, fail) => {
      const req = httpRequest(`${web}/slow`, { headers: { host: churnHost(1) }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; });
        done({ res, body: new Promise((end, abort) => { res.on('end', () => end(body)); res.on('aborted', () => abort(new Error('aborted'))); }) });
      });
      req.on('error', fail);
      req.end();
    });
    assert.equal(inflight.res.statusCode, 200);
    const started = performance.now();
    catalog.setCheck('check-svc-1-0', 'critical');
    await waitFor('the flip in an API answer', async () => await servers(admin, 1) === 2, { timeoutMs: 5000, intervalMs: 10 });
    const visible = performance.now() - started;
    assert.ok(visible < 1000, `the flip is visible in the API after ${visible.toFixed(0)} ms`);
    await waitFor('the flip in both workers', () => bothShow(admin, 1, 2), { timeoutMs: 5000, intervalMs: 10 });
    for (const release of held.splice(0)) release();
    assert.equal(await inflight.body, 'first half;second half', 'the request in flight finished whole');

    // One worker stopped: the primary never waits for it; past 16 unacknowledged deltas it sends it none.
    const [stopped, running] = [...workers] as [number, number];
    process.kill(stopped, 'SIGSTOP');
    const churn = startChurn(catalog, fleet, 0);
    const flipped = new Map<number, number>();
    for (let i = 0; lagging === 0; i++) {
      assert.ok(i < 200, 'the primary reports the stopped worker as lagging');
      const before = applied.get(running) ?? 0;
      const f = churn.flip();
      flipped.set(f.service, f.status === 'critical' ? 2 : 3);
      await waitFor('the running worker applies the flip', () => (applied.get(running) ?? 0) > before, { timeoutMs: 10_000 });
    }
    const stoppedBuilds = applied.get(stopped) ?? 0;
    const buildsBefore = builds.length;
    process.kill(stopped, 'SIGCONT');
    // It applies what it had queued, answers, and gets a snapshot: every flip shows in both workers.
    await waitFor('the stopped worker builds again', () => (applied.get(stopped) ?? 0) > stoppedBuilds, { timeoutMs: 10_000 });
    for (const [service, want] of flipped) {
      await waitFor(`svc-${service} with ${want} servers in both workers`, () => bothShow(admin, service, want), { timeoutMs: 10_000, intervalMs: 20 });
    }
    // The snapshot is compared item by item with what the worker has: it rebuilds the flipped services' routers,
    // never the whole catalog (a snapshot used to rebuild all ${SERVICES}).
    const catchUp = builds.slice(buildsBefore).filter((b) => b.worker === stopped);
    assert.ok(catchUp.length > 0);
    for (const b of catchUp) {
      assert.equal(b.full, false, 'no full build to catch up');
      assert.ok(b.routers <= flipped.size, `a catch-up build rebuilt ${b.routers} routers (${flipped.size} services flipped)`);
    }

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited as [number | null];
    assert.equal(code, 0);
  });
});
