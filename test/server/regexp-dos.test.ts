/**
 * Regular-expression DoS through the running gateway: a nested quantifier in every place a Go regexp is
 * accepted, a request that makes it backtrack, and a request to an unrelated router that must still answer
 * within 100 ms. On a backtracking engine each of these requests blocks the event loop for seconds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startUpstream } from '../support/upstream.ts';
import { waitFor } from '../support/wait.ts';
import { lb, send, servedBy, startFileGateway, type Reply } from '../support/file-gateway.ts';
import { onJsonLines } from '../support/cli.ts';

/** 27 letters then a mismatch: about 2^27 backtracking steps for `(a+)+`, a few thousand for RE2. */
const RUN = 'a'.repeat(27);
const FAST_MS = 100;
/**
 * A stall is deterministic (every attempt takes seconds on a backtracking engine); scheduling noise on a
 * shared machine is not. So the figure kept is the best of a few attempts.
 */
const ATTEMPTS = 3;

interface Hostile { desc: string; path: string; headers?: Record<string, string>; status: number; check?: (r: Reply) => void }

const HOSTILE: Hostile[] = [
  { desc: 'PathRegexp', path: `/p/${RUN}!`, status: 404 },
  { desc: 'HostRegexp', path: '/', headers: { host: `${RUN}.tesx` }, status: 404 },
  { desc: 'HeaderRegexp', path: '/h', headers: { 'x-h': `${RUN}!` }, status: 404 },
  { desc: 'QueryRegexp', path: `/q?q=${RUN}!`, status: 404 },
  { desc: 'stripPrefixRegex', path: `/s/${RUN}!`, status: 200, check: (r) => assert.equal(servedBy(r), 'up') },
  { desc: 'replacePathRegex', path: `/r/${RUN}!`, status: 200, check: (r) => assert.equal(servedBy(r), 'up') },
  { desc: 'redirectRegex', path: `/d/${RUN}!`, status: 200, check: (r) => assert.equal(servedBy(r), 'up') },
  { desc: 'headers CORS origin regex', path: '/c', headers: { origin: `https://${RUN}!` }, status: 200,
    check: (r) => assert.equal(r.headers['access-control-allow-origin'], undefined) },
];

const NESTED = '(a+)+';
const HTTP = {
  routers: {
    ok: { rule: 'Path(`/ok`)', service: 'up', priority: 1000 },
    path: { rule: `PathRegexp(\`^/p/${NESTED}$\`)`, service: 'up' },
    host: { rule: `HostRegexp(\`^${NESTED}\\.test$\`)`, service: 'up' },
    header: { rule: `Path(\`/h\`) && HeaderRegexp(\`X-H\`, \`^${NESTED}$\`)`, service: 'up' },
    query: { rule: `Path(\`/q\`) && QueryRegexp(\`q\`, \`^${NESTED}$\`)`, service: 'up' },
    strip: { rule: 'PathPrefix(`/s/`)', service: 'up', middlewares: ['strip'] },
    replace: { rule: 'PathPrefix(`/r/`)', service: 'up', middlewares: ['replace'] },
    redirect: { rule: 'PathPrefix(`/d/`)', service: 'up', middlewares: ['redirect'] },
    cors: { rule: 'Path(`/c`)', service: 'up', middlewares: ['cors'] },
  },
  middlewares: {
    strip: { stripPrefixRegex: { regex: [`^/s/${NESTED}$`] } },
    replace: { replacePathRegex: { regex: `^/r/${NESTED}$`, replacement: '/x' } },
    redirect: { redirectRegex: { regex: `^http://[^/]+/d/${NESTED}$`, replacement: 'http://elsewhere/' } },
    cors: { headers: { accessControlAllowOriginListRegex: [`^https://${NESTED}$`], accessControlAllowMethods: ['GET'] } },
  },
};

/**
 * Sends the hostile request on a new connection and, once it is on its way, one to `/ok` on a connection
 * `agent` keeps open (so the figure is the gateway's answer, not a TCP handshake on a busy machine).
 */
async function race(web: string, h: Hostile, agent: Agent): Promise<{ hostile: Reply; ok: Reply; okMs: number }> {
  const hostile = send(web, h.path, { headers: h.headers });
  await new Promise((r) => setImmediate(r));
  const t0 = performance.now();
  const ok = await send(web, '/ok', { agent });
  const okMs = performance.now() - t0;
  return { hostile: await hostile, ok, okMs };
}

function keepAlive(t: { after(fn: () => void): void }, sockets: number): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  t.after(() => agent.destroy());
  return agent;
}

describe('regular-expression DoS through the gateway', () => {
  it('a nested quantifier in every Go regexp place stalls nothing', { timeout: 120_000 }, async (t) => {
    const up = await startUpstream(t, 'up');
    const http = { ...HTTP, services: { up: lb(up.url) } };
    const gw = await startFileGateway(t, http);
    const agent = keepAlive(t, 1);
    assert.equal((await send(gw.web, '/ok', { agent })).status, 200);
    for (const h of HOSTILE) {
      await t.test(h.desc, async () => {
        const times: number[] = [];
        while (times.length < ATTEMPTS && !times.some((ms) => ms < FAST_MS)) {
          const { hostile, ok, okMs } = await race(gw.web, h, agent);
          assert.equal(ok.status, 200);
          assert.equal(hostile.status, h.status);
          h.check?.(hostile);
          times.push(okMs);
        }
        assert.ok(times.some((ms) => ms < FAST_MS), `${h.desc}: /ok answered after ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
      });
    }
  });

  it('with workers: 2, both workers stay responsive', { timeout: 120_000 }, async (t) => {
    const up = await startUpstream(t, 'up');
    const dir = await mkdtemp(join(tmpdir(), 'tagway-redos-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'dynamic.yml');
    // The unrelated router answers from the worker itself (ping@internal): the figure is the worker's, not
    // three processes' scheduling on a busy machine.
    const ok = { rule: 'Path(`/ping`)', service: 'ping@internal', priority: 1000 };
    await writeFile(file, stringify({ http: { routers: { ok, path: HTTP.routers.path }, services: { up: lb(up.url) } } }));
    const root = resolve(import.meta.dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'src/cli.ts'),
      '--entryPoints.web.address=127.0.0.1:0', `--providers.file.filename=${file}`, '--providers.providersThrottleDuration=0s',
      '--ping=true', '--workers=2', '--log.level=INFO', '--log.format=json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAGWAY_WORKERS: undefined } });
    const workers = new Set<number>();
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of workers) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    });
    // Ready once both workers listen.
    const web = await new Promise<string>((resolveReady, reject) => {
      let address: string | undefined;
      onJsonLines<{ message?: string; worker?: number; address?: string; entryPoint?: string }>(child, (line) => {
        if (line.worker !== undefined) workers.add(line.worker);
        if (line.message === 'entry point listening' && line.address) address = line.address;
        if (address !== undefined && workers.size === 2) resolveReady(`http://${address}`);
      });
      child.once('exit', (code) => reject(new Error(`tagway exited early (${code})`)));
    });
    // Both workers route /ping once four requests in a row (on new connections, spread over the workers) do.
    let inARow = 0;
    await waitFor('both workers routing /ping', async () => {
      inARow = (await send(web, '/ping')).status === 200 ? inARow + 1 : 0;
      return inARow >= 4;
    }, { timeoutMs: 20_000 });
    // Two kept-open connections (round robin: one per worker), then four hostile requests on new
    // connections (two per worker), then /ping on both kept-open connections.
    const agent = keepAlive(t, 2);
    for (const r of await Promise.all([send(web, '/ping', { agent }), send(web, '/ping', { agent })])) assert.equal(r.status, 200);
    const times: number[] = [];
    while (times.length < ATTEMPTS && !times.some((ms) => ms < FAST_MS)) {
      const hostile = Array.from({ length: 4 }, () => send(web, `/p/${RUN}!`));
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const oks = await Promise.all([send(web, '/ping', { agent }), send(web, '/ping', { agent })]);
      times.push(performance.now() - t0);
      for (const r of oks) assert.equal(r.status, 200);
      for (const r of await Promise.all(hostile)) assert.equal(r.status, 404);
    }
    assert.ok(times.some((ms) => ms < FAST_MS), `/ping answered after ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  });
});
