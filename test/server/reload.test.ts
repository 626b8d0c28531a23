import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { Agent } from 'node:http';
import { startUpstream } from '../support/upstream.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { lb, send, servedBy, startFileGateway, type DynamicHttp, type Reply } from '../support/file-gateway.ts';

const CLIENTS = 20;
const MIN_PER_CLIENT = 20;
const MAX_PER_CLIENT = 400;

/**
 * ~20 keep-alive clients loop on `path` until `reloads` has resolved and each made at least
 * MIN_PER_CLIENT requests (never more than MAX_PER_CLIENT). Returns every failure seen.
 */
async function underLoad(base: string, path: string, accept: (r: Reply) => boolean, reloads: (afterRequests: (n: number) => Promise<void>) => Promise<void>): Promise<{ failures: string[]; total: number; duringReload: number }> {
  const failures: string[] = [];
  let total = 0;
  let reloading = true;
  let duringReload = 0;
  const agents: Agent[] = [];
  const progress = new EventEmitter();
  /** Resolves once `n` more requests have completed (so each reload has traffic around it). */
  const afterRequests = async (n: number): Promise<void> => {
    const target = total + n;
    while (total < target && active > 0) await once(progress, 'done');
  };
  let active = CLIENTS;
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let i = 0; i < MAX_PER_CLIENT && (reloading || i < MIN_PER_CLIENT); i++) {
      try {
        const r = await send(base, path, { agent });
        if (!accept(r)) failures.push(`status ${r.status} from ${servedBy(r) ?? 'gateway'}: ${r.body.slice(0, 80)}`);
      } catch (err) {
        failures.push(`error ${(err as Error).message}`);
      }
      total++;
      if (reloading) duringReload++;
      progress.emit('done');
    }
    active--;
    progress.emit('done');
  };
  const running = Array.from({ length: CLIENTS }, client);
  try {
    await reloads(afterRequests);
  } finally {
    reloading = false;
  }
  await Promise.all(running);
  for (const a of agents) a.destroy();
  return { failures, total, duringReload };
}

describe('reload under load', () => {
  it('swaps file configurations with zero failed requests', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const config = (gen: number): DynamicHttp => ({
      routers: { app: { rule: gen % 2 === 0 ? 'PathPrefix(`/app`)' : 'PathPrefix(`/a`)', service: 'app', middlewares: ['gen'] } },
      services: { app: gen % 3 === 0 ? lb(v1.url) : gen % 3 === 1 ? lb(v2.url) : lb(v1.url, v2.url) },
      middlewares: { gen: { headers: { customResponseHeaders: { 'X-Gen': String(gen) } } } },
    });
    const gw = await startFileGateway(t, config(0));
    const result = await underLoad(gw.web, '/app/x', (r) => r.status === 200 && ['v1', 'v2'].includes(servedBy(r) ?? ''), async (afterRequests) => {
      for (let gen = 1; gen <= 6; gen++) { await afterRequests(CLIENTS); await gw.rewrite(config(gen)); }
      await afterRequests(CLIENTS);
    });
    assert.deepEqual(result.failures, []);
    assert.ok(result.duringReload >= 6 * CLIENTS, `only ${result.duringReload} requests overlapped the reloads`);
    assert.equal(gw.gateway.reloads().count >= 7, true);
    assert.equal((await send(gw.web, '/app/x')).headers['x-gen'], '6');
  });

  it('follows Consul re-registrations with zero failed requests', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const { gateway, catalog, web } = await startTestGateway(t, {});
    const tags = (gen: number) => [
      'traefik.http.routers.app.rule=PathPrefix(`/app`)',
      'traefik.http.routers.app.middlewares=gen',
      `traefik.http.middlewares.gen.headers.customResponseHeaders.X-Gen=${gen}`,
    ];
    // With a check, as Nomad registers them: the provider notices new instances through check changes.
    const register = (id: string, port: number, gen: number) => catalog!.register({
      ID: id, Name: 'app', Address: '127.0.0.1', Port: port, Tags: tags(gen), Check: { CheckID: `check-${id}`, TTL: '1h', Status: 'passing' },
    });
    const servers = () => gateway.state().services['app@consulcatalog']?.loadBalancer?.servers?.map((s) => s.url).sort().join() ?? '';
    register('app-1', v1.port, 0);
    await waitForState(gateway, () => servers() === v1.url);
    const steps: Array<{ act: () => void; want: () => boolean }> = [
      { act: () => register('app-2', v2.port, 0), want: () => servers() === [v1.url, v2.url].sort().join() },
      { act: () => { register('app-1', v1.port, 1); register('app-2', v2.port, 1); }, want: () => JSON.stringify(gateway.state().middlewares['gen@consulcatalog']?.headers).includes('"1"') },
      { act: () => catalog!.deregister('app-1'), want: () => servers() === v2.url },
      { act: () => register('app-1', v1.port, 1), want: () => servers() === [v1.url, v2.url].sort().join() },
      { act: () => catalog!.deregister('app-2'), want: () => servers() === v1.url },
    ];
    const result = await underLoad(web, '/app/x', (r) => r.status === 200 && ['v1', 'v2'].includes(servedBy(r) ?? ''), async (afterRequests) => {
      for (const [i, step] of steps.entries()) {
        await afterRequests(CLIENTS);
        const reached = waitForState(gateway, step.want);
        step.act();
        await reached.catch((err: Error) => { throw new Error(`step ${i}: ${err.message}; servers ${servers()}`); });
      }
      await afterRequests(CLIENTS);
    });
    assert.deepEqual(result.failures, []);
    assert.ok(result.duringReload >= 6 * CLIENTS, `only ${result.duringReload} requests overlapped the reloads`);
  });
});
