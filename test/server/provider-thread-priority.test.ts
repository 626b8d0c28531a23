/**
 * The provider thread gives way to the serving loop (issue 17): its own nice value, set by the thread itself, and a
 * clear account of it when the system refuses (the thread then runs as before).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { EXPORT_THREAD_NICE, lowerThreadPriority, PROVIDER_THREAD_NICE, type PrioritySystem } from '../../src/util/thread-priority.ts';

/** A system whose calls behave as given (the real one is used in the gateway test below). */
function system(over: Partial<PrioritySystem>): PrioritySystem {
  let nice = 0;
  return {
    platform: 'linux',
    threadSelf: () => '4242/task/4243',
    setPriority: (_tid, n) => { nice = n; },
    getPriority: () => nice,
    ...over,
  };
}

describe('lowerThreadPriority', () => {
  const cases: Array<{ desc: string; sys: Partial<PrioritySystem>; want: { ok: boolean; nice?: number; error?: RegExp } }> = [
    { desc: 'sets the nice value of the calling thread (its ID from /proc/thread-self)', sys: {}, want: { ok: true, nice: 10 } },
    { desc: 'a refusal (a sandbox): not ok, the error says so, the nice value as it stayed', sys: { setPriority: () => { throw Object.assign(new Error('EACCES: permission denied'), { code: 'ERR_SYSTEM_ERROR' }); } }, want: { ok: false, nice: 0, error: /setpriority\(4243, 10\) refused: EACCES/ } },
    { desc: 'no /proc (a container without it)', sys: { threadSelf: () => { throw new Error('ENOENT: no such file or directory'); } }, want: { ok: false, error: /cannot read \/proc\/thread-self \(ENOENT/ } },
    { desc: 'another system: no per-thread value', sys: { platform: 'darwin' }, want: { ok: false, error: /no per-thread priority on darwin/ } },
    { desc: 'already lower: left as it is', sys: { getPriority: () => 15, setPriority: () => { throw new Error('must not be called'); } }, want: { ok: true, nice: 15 } },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const got = lowerThreadPriority(10, system(c.sys));
      assert.equal(got.ok, c.want.ok);
      assert.equal(got.nice, c.want.nice);
      if (c.want.error) assert.match(got.ok ? '' : got.error, c.want.error);
      if (got.ok) assert.equal(got.tid, 4243);
    });
  }
});

/** Each thread of this process and its nice value (/proc/self/task/<tid>/stat, field 19). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/**
 * Since `before`: exactly one new thread runs at `nice` (none when the process already ran that low), the thread
 * pool's new threads kept the serving loop's value, and so did the serving loop.
 */
function assertOneLowered(before: Map<number, number>, nice: number, which: string): void {
  const mainNice = before.get(process.pid)!;
  const expected = Math.max(nice, mainNice);
  const after = threadNices();
  const lowered = [...after].filter(([tid, n]) => !before.has(tid) && n === expected && n !== mainNice);
  assert.equal(lowered.length, mainNice >= nice ? 0 : 1, `one new thread lowered (${which}), not the thread pool's: ${JSON.stringify([...after])}`);
  assert.equal(after.get(process.pid), mainNice, 'the serving loop keeps its priority');
}

describe('the provider thread\'s priority, in the running gateway', { skip: process.platform !== 'linux' && 'per-thread priority is Linux only' }, () => {
  it('runs the provider thread at PROVIDER_THREAD_NICE and says so in its status; the serving loop and the thread pool keep theirs', async (t) => {
    const { startTestGateway, waitForState } = await import('../support/gateway.ts');
    const { startUpstream } = await import('../support/upstream.ts');
    const { api, instance } = await import('./admin/support.ts');
    const { waitFor } = await import('../support/wait.ts');
    const before = threadNices();
    const mainNice = before.get(process.pid)!;
    const up = await startUpstream(t, 'a');
    const { gateway, catalog, admin } = await startTestGateway(t, { providerThread: true });
    catalog!.register(instance('web-1', 'web', up.port, ['traefik.http.routers.web.rule=Host(`web.test`)']));
    await waitForState(gateway, (s) => s.routers['web@consulcatalog'] !== undefined, 30_000);
    type Overview = { providerStatus: Array<{ name: string; counters?: Record<string, number> }> };
    let nice: number | undefined;
    await waitFor('threadNice in the provider\'s status', async () => {
      nice = (await api<Overview>(admin, '/api/overview')).body.providerStatus.find((s) => s.name === 'consulcatalog')?.counters?.['threadNice'];
      return nice !== undefined;
    });
    assert.equal(nice, Math.max(PROVIDER_THREAD_NICE, mainNice));
    assertOneLowered(before, PROVIDER_THREAD_NICE, 'the provider\'s');
  });
});

describe('the export thread\'s priority, in the running gateway', { skip: process.platform !== 'linux' && 'per-thread priority is Linux only' }, () => {
  it('tracing.exportThread=true posts spans from a thread at EXPORT_THREAD_NICE; the serving loop and the thread pool keep theirs', async (t) => {
    const { startTraced } = await import('../support/tracing.ts');
    const { startUpstream, request } = await import('../support/upstream.ts');
    const before = threadNices();
    const up = await startUpstream(t, 'app');
    const gw = await startTraced(t, {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: up.url }] } } },
    }, { flags: ['--tracing.exportThread=true', '--tracing.otlp.http.compression=gzip'] }); // gzip: zlib's pool must not start lowered
    assert.equal((await request(`${gw.web}/one`)).status, 200);
    await gw.collector.waitForSpans(2); // the thread is up and has posted (gzipped, on the pool)
    assertOneLowered(before, EXPORT_THREAD_NICE, 'the export thread');
  });
});
