import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startUpstream } from '../support/upstream.ts';
import { getJson } from '../support/gateway.ts';
import { send, servedBy } from '../support/file-gateway.ts';
import { waitFor } from '../support/wait.ts';
import { onJsonLines } from '../support/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'src/cli.ts');

interface LogLine { message?: string; worker?: number; entryPoint?: string; address?: string; router?: string }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

describe('workers', { concurrency: true }, () => {
  it('runs two workers fed by the primary, serves, and stops cleanly on SIGTERM', { timeout: 45_000 }, async (t) => {
    const up = await startUpstream(t, 'up');
    const dir = await mkdtemp(join(tmpdir(), 'tagway-workers-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'dynamic.yml');
    // `broken` makes every worker log the configuration it built (a router error names the worker).
    await writeFile(file, stringify({ http: {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' }, broken: { rule: 'Path(`/broken`)', service: 'nope' } },
      services: { app: { loadBalancer: { servers: [{ url: up.url }] } } },
    } }));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI,
      '--entryPoints.web.address=127.0.0.1:0', '--entryPoints.traefik.address=127.0.0.1:0', '--api.insecure=true',
      `--providers.file.filename=${file}`, '--providers.providersThrottleDuration=0s',
      '--workers=2', '--log.level=INFO', '--log.format=json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAGWAY_WORKERS: undefined } });
    const workers = new Set<number>();
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of workers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });

    const lines: LogLine[] = [];
    const configured = new Set<number>();
    const addresses = new Map<string, string>();
    const ready = new Promise<void>((resolveReady, reject) => {
      onJsonLines<LogLine>(child, (line) => {
        lines.push(line);
        if (line.worker !== undefined) workers.add(line.worker);
        if (line.message === 'entry point listening' && line.entryPoint && line.address) addresses.set(line.entryPoint, line.address);
        if (line.message === 'router has errors' && line.router === 'broken@file' && line.worker !== undefined) configured.add(line.worker);
        if (configured.size === 2 && addresses.size === 2) resolveReady();
      });
      child.once('exit', (code) => reject(new Error(`tagway exited early (${code}): ${JSON.stringify(lines)}`)));
    });
    await ready;

    assert.equal(workers.size, 2, 'two worker processes');
    assert.ok(!workers.has(child.pid!), 'traffic is served by workers, not the primary');
    const web = `http://${addresses.get('web')}`;
    for (let i = 0; i < 10; i++) {
      const r = await send(web, `/n${i}`); // a new connection each time: the primary spreads them over the workers
      assert.equal(r.status, 200);
      assert.equal(servedBy(r), 'up');
    }
    assert.equal(up.seen.length, 10);
    const { body } = await getJson<{ http: { routers: { total: number; errors: number } } }>(`http://${addresses.get('traefik')}/api/overview`);
    assert.equal(body.http.routers.errors, 1);
    assert.ok(body.http.routers.total >= 2);
    // Live traffic: each worker counts its own requests (the ten came on new connections, spread over both), the
    // primary sums them and hands the sums back, so the API of either worker (a new connection each time) shows ten.
    const trafficOf = async () => (JSON.parse((await send(`http://${addresses.get('traefik')}`, '/api/tagway/traffic?seconds=60')).body) as { routers: Array<{ name: string; requests: number }> })
      .routers.find((r) => r.name === 'app@file')?.requests ?? 0;
    let agreeing = 0;
    await waitFor('four answers in a row (from either worker) counting all ten requests', async () => {
      agreeing = (await trafficOf()) === 10 ? agreeing + 1 : 0;
      return agreeing >= 4;
    }, { timeoutMs: 15_000, intervalMs: 100 });

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited as [number | null];
    assert.equal(code, 0);
    for (const pid of workers) assert.equal(alive(pid), false, `worker ${pid} stopped`);
  });

  it('exits 1 with the reason when the workers cannot listen (no restart loop)', { timeout: 45_000 }, async (t) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => taken.close(() => r())));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI,
      `--entryPoints.web.address=127.0.0.1:${(taken.address() as { port: number }).port}`, '--workers=2', '--log.level=INFO'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => { out += c; });
    child.stderr!.on('data', (c: Buffer) => { out += c; });
    const [code] = await once(child, 'exit') as [number | null];
    assert.equal(code, 1, out);
    assert.match(out, /address 127\.0\.0\.1:\d+ is already in use/);
    assert.match(out, /exited before listening/);
    assert.doesNotMatch(out, /starting a new one/);
  });
});
