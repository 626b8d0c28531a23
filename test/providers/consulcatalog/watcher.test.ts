import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { startDevCatalog, type DevCatalog } from '../../../src/dev/devcatalog/index.ts';
import { createConsulApi } from '../../../src/providers/consulcatalog/client.ts';
import { ConsulCatalogProvider, type ConsulCatalogProviderOptions } from '../../../src/providers/consulcatalog/watcher.ts';
import type { Message } from '../../../src/dynamic/types.ts';
import type { ConsulCatalogConfig } from '../../../src/static/types.ts';
import { createLogger } from '../../../src/util/log.ts';
import { startForwarder } from './forwarder.ts';
import { getJson, startTestGateway, waitForState } from '../../support/gateway.ts';
import { waitForValue } from '../../support/wait.ts';

type Endpoint = ConsulCatalogConfig['endpoint'];

function config(address: string, o: Partial<ConsulCatalogConfig> = {}, ep: Partial<Endpoint> = {}): ConsulCatalogConfig {
  return {
    endpoint: { address, scheme: 'http', datacenter: '', token: '', endpointWaitTime: 60_000, ...ep },
    prefix: 'traefik', exposedByDefault: true, defaultRule: 'Host(`{{ normalize .Name }}`)', constraints: '',
    strictChecks: ['passing', 'warning'], refreshInterval: 15_000, watch: true, stale: false, requireConsistent: false,
    cache: false, connectAware: false, connectByDefault: false, serviceName: 'traefik', namespaces: [], ...o,
  };
}

/** Messages and log lines as they arrive, and a bounded, event-driven wait on them. */
class Observed {
  messages: Message[] = [];
  logs: string[] = [];
  #events = new EventEmitter();
  push(m: Message): void { this.messages.push(m); this.#events.emit('change'); }
  log(line: string): void { this.logs.push(line); this.#events.emit('change'); }
  get last(): Message | undefined { return this.messages.at(-1); }
  until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = (): boolean => {
        const v = check();
        if (v === undefined || v === false) return false;
        cleanup(); resolve(v); return true;
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}; last message: ${JSON.stringify(this.last?.configuration.http.routers)}; logs: ${this.logs.slice(-5).join(' | ')}`)); }, timeoutMs);
      // Events wake the check at once; the tick covers state that emits nothing (devcatalog stats).
      const tick = setInterval(test, 10);
      const cleanup = (): void => { clearTimeout(timer); clearInterval(tick); this.#events.off('change', test); };
      if (!test()) this.#events.on('change', test);
    });
  }
  /** Resolves with the first message (the current one included) whose routers include `name` with `rule`. */
  router(name: string, rule?: string): Promise<Message> {
    return this.until(() => {
      const r = this.last?.configuration.http.routers[name];
      return r && (rule === undefined || r.rule === rule) ? this.last : undefined;
    }, `router ${name}${rule ? ' ' + rule : ''}`);
  }
}

function run(t: TestContext, cfg: ConsulCatalogConfig, opts: ConsulCatalogProviderOptions = {}): { provider: ConsulCatalogProvider; seen: Observed } {
  const seen = new Observed();
  const logger = createLogger({ level: 'INFO', write: (line) => seen.log(line) });
  const provider = new ConsulCatalogProvider(cfg, {
    logger, backoff: { initialMs: 10, maxMs: 40 }, rateLimit: { perSecond: 200, burst: 50 }, ...opts,
  });
  const abort = new AbortController();
  const done = provider.provide((m) => seen.push(m), abort.signal);
  t.after(async () => { abort.abort(); await done; });
  return { provider, seen };
}

async function catalog(t: TestContext, options?: Parameters<typeof startDevCatalog>[0]): Promise<DevCatalog> {
  const dc = await startDevCatalog(options);
  t.after(() => dc.close());
  return dc;
}

/**
 * Both long polls are waiting in devcatalog (past any fault check). Right after a change, a parked poll is parked
 * on the newest index or has answered: both parked again means the change caused nothing more.
 */
function pollsParked(dc: DevCatalog): true | undefined {
  return dc.stats().parked === 2 ? true : undefined;
}

function web(id: string, tags: string[] = [], port = 8080): Parameters<DevCatalog['register']>[0] {
  return { ID: id, Name: id.replace(/-\d+$/, ''), Port: port, Address: '127.0.0.1', Tags: tags, Check: { CheckID: `check-${id}`, TTL: '10m', Status: 'passing' } };
}

describe('ConsulCatalogProvider (devcatalog + real client)', () => {
  it('emits the configuration at start, then follows changes and removals', async (t) => {
    const dc = await catalog(t);
    dc.register(web('whoami-1', ['traefik.http.routers.who.rule=Host(`who.example`)']));
    dc.register(web('api-1'), { name: 'node2', address: '127.0.0.2' });
    const { provider, seen } = run(t, config(dc.address));
    const first = await seen.router('who', 'Host(`who.example`)');
    assert.deepEqual(first.configuration.http.services['api']?.loadBalancer?.servers, [{ url: 'http://127.0.0.1:8080' }]);
    assert.equal(first.providerName, 'consulcatalog');
    const status = provider.status();
    assert.equal(status.name, 'consulcatalog');
    assert.ok(status.lastContact && status.configurationAt);
    assert.equal(status.error, undefined);

    dc.register(web('whoami-1', ['traefik.http.routers.who.rule=Host(`new.example`)']));
    await seen.router('who', 'Host(`new.example`)');

    dc.deregister('api-1');
    await seen.until(() => !seen.last?.configuration.http.services['api'], 'api removed');

    dc.setCheck('check-whoami-1', 'critical');
    await seen.until(() => !seen.last?.configuration.http.services['whoami'], 'whoami dropped when critical');
  });

  it('node checks affect every service of the node', async (t) => {
    const dc = await catalog(t);
    dc.register(web('a-1'), { name: 'n1', address: '127.0.0.3' });
    dc.register(web('b-1'), { name: 'n1', address: '127.0.0.3' });
    const { seen } = run(t, config(dc.address));
    await seen.until(() => seen.last?.configuration.http.services['a'] && seen.last.configuration.http.services['b'], 'a and b');
    dc.setNodeCheck('n1', 'critical');
    await seen.until(() => Object.keys(seen.last!.configuration.http.services).length === 0, 'both gone');
  });

  it('one change among 1,000 services costs at most 3 requests and few connections', async (t) => {
    const dc = await catalog(t);
    for (let i = 0; i < 1000; i++) dc.register(web(`svc${i}-1`, [`traefik.http.routers.r${i}.rule=Host(\`s${i}\`)`], 9000 + (i % 50)));
    const { seen } = run(t, config(dc.address));
    await seen.until(() => Object.keys(seen.last?.configuration.http.routers ?? {}).length === 1000 ? true : undefined, '1000 routers', 60_000);
    const settled = seen.messages.length;
    // Let both long polls park on the new index before counting.
    await seen.until(() => pollsParked(dc), 'polls parked');
    dc.resetStats();

    const registeredAt = performance.now();
    dc.register(web('svc500-1', ['traefik.http.routers.r500.rule=Host(`changed`)'], 9000));
    await seen.router('r500', 'Host(`changed`)');
    // Reported, not asserted (speed belongs in bench/): how long the change took to reach a configuration.
    t.diagnostic(`one change reached the configuration in ${(performance.now() - registeredAt).toFixed(1)} ms`);
    await seen.until(() => pollsParked(dc), 'both polls parked again'); // every request the change caused has landed
    const stats = dc.stats();
    t.diagnostic(`one change: ${stats.requests} requests ${JSON.stringify(stats.byPath)}; max open connections ${stats.maxOpenConnections}`);
    assert.ok(stats.requests <= 3, `one change caused ${stats.requests} requests: ${JSON.stringify(stats.byPath)}`);
    assert.equal(stats.byPath['/v1/health/service/svc500'], 1);
    assert.ok(stats.maxOpenConnections <= 8, `max open connections ${stats.maxOpenConnections}`);
    assert.equal(seen.messages.length, settled + 1, 'exactly one new message for the change');
  });

  it('a health flip among 1,000 services reads only the checks the answer changed', async (t) => {
    const dc = await catalog(t);
    for (let i = 0; i < 1000; i++) dc.register(web(`svc${i}-1`, [`traefik.http.routers.r${i}.rule=Host(\`s${i}\`)`], 9000 + (i % 50)));
    const { provider, seen } = run(t, config(dc.address));
    await seen.until(() => Object.keys(seen.last?.configuration.http.routers ?? {}).length === 1000 ? true : undefined, '1000 routers', 60_000);
    await seen.until(() => pollsParked(dc), 'polls parked');
    const before = provider.status().counters!;
    dc.setCheck('check-svc500-1', 'critical');
    await seen.until(() => seen.last?.configuration.http.routers['r500'] === undefined ? true : undefined, 'r500 gone with its only instance');
    await seen.until(() => pollsParked(dc), 'both polls parked again');
    const after = provider.status().counters!;
    assert.equal(after['checkWholeParses'], before['checkWholeParses'], 'no answer parsed whole after the first');
    assert.ok(after['checksParsed']! - before['checksParsed']! <= 2, `checks parsed for one flip: ${after['checksParsed']! - before['checksParsed']!}`);
    assert.equal(after['serviceFetches']! - before['serviceFetches']!, 1, 'only the flipped service fetched');
  });

  it('an instance without checks, added with the same tags, is fetched when the services index moves', async (t) => {
    const dc = await catalog(t);
    dc.register({ ID: 'plain-1', Name: 'plain', Port: 81, Address: '127.0.0.1' });
    dc.register(web('other-1', ['traefik.http.routers.o.rule=Host(`o`)']));
    const { provider, seen } = run(t, config(dc.address), { resyncIntervalMs: 3_600_000 });
    await seen.until(() => seen.last?.configuration.http.services['plain'] && seen.last.configuration.http.services['other'], 'plain and other');
    await seen.until(() => pollsParked(dc), 'polls parked');
    dc.resetStats();
    dc.register({ ID: 'plain-2', Name: 'plain', Port: 82, Address: '127.0.0.1' });
    await seen.until(() => seen.last?.configuration.http.services['plain']?.loadBalancer?.servers?.length === 2, 'two servers');
    dc.deregister('plain-1');
    await seen.until(() => seen.last?.configuration.http.services['plain']?.loadBalancer?.servers?.length === 1, 'one server');
    assert.equal(provider.status().counters?.['resyncs'], 0, 'found without the resync');
    // Only the service without checks was fetched again, never the one with checks.
    assert.equal(dc.stats().byPath['/v1/health/service/other'], undefined);
  });

  it('a full resync refetches every service (the safety net)', async (t) => {
    const dc = await catalog(t);
    dc.register(web('plain-1', ['traefik.http.routers.p.rule=Host(`p`)']));
    const { provider, seen } = run(t, config(dc.address), { resyncIntervalMs: 50 });
    await seen.until(() => seen.last?.configuration.http.services['plain'], 'plain');
    dc.resetStats();
    await seen.until(() => (provider.status().counters?.['resyncs'] ?? 0) >= 2 && (dc.stats().byPath['/v1/health/service/plain'] ?? 0) >= 1 ? true : undefined, 'resync fetches');
  });

  it('exposedByDefault=false: services without enable=true are never fetched', async (t) => {
    const dc = await catalog(t);
    dc.register(web('shown-1', ['traefik.enable=true']));
    dc.register(web('hidden-1', ['traefik.http.routers.h.rule=Host(`h`)']));
    const { seen } = run(t, config(dc.address, { exposedByDefault: false }));
    const m = await seen.until(() => seen.last?.configuration.http.services['shown'] ? seen.last : undefined, 'shown');
    assert.deepEqual(Object.keys(m.configuration.http.routers), ['shown']);
    assert.equal(dc.stats().byPath['/v1/health/service/hidden'], undefined);
  });

  it('watch: false polls every refreshInterval and still sees changes', async (t) => {
    const dc = await catalog(t);
    dc.register(web('p-1', ['traefik.http.routers.p.rule=Host(`one`)']));
    const { seen } = run(t, config(dc.address, { watch: false, refreshInterval: 30 }));
    await seen.router('p', 'Host(`one`)');
    dc.register(web('p-1', ['traefik.http.routers.p.rule=Host(`two`)']));
    await seen.router('p', 'Host(`two`)');
  });
});

describe('ConsulCatalogProvider faults: last good configuration kept, then recovery', () => {
  /** Starts with one service, breaks Consul, changes the catalog, checks nothing regressed, heals. */
  async function scenario(t: TestContext, opts: {
    dc?: DevCatalog; address?: string; waitMs?: number; requestTimeoutMs?: number;
    breakIt: (dc: DevCatalog) => void; healIt: (dc: DevCatalog) => void; error: RegExp;
  }): Promise<void> {
    const dc = opts.dc ?? await catalog(t);
    dc.register(web('keep-1', ['traefik.http.routers.keep.rule=Host(`keep`)']));
    const cfg = config(opts.address ?? dc.address, {}, { endpointWaitTime: opts.waitMs ?? 60_000 });
    const api = createConsulApi(cfg.endpoint, { stale: false, requireConsistent: false, requestTimeoutMs: opts.requestTimeoutMs ?? 1000 });
    t.after(() => api.close());
    const { provider, seen } = run(t, cfg, { api });
    await seen.router('keep', 'Host(`keep`)');
    await seen.until(() => pollsParked(dc), 'polls parked');
    const before = seen.messages.length;

    opts.breakIt(dc);
    dc.register(web('keep-1', ['traefik.http.routers.keep.rule=Host(`changed`)']));
    await seen.until(() => opts.error.test(provider.status().error ?? '') || undefined, `status() error ${opts.error}`);
    const status = provider.status();
    assert.ok(status.errorSince! <= Date.now());
    assert.ok(status.configurationAt! <= status.errorSince!, 'the configuration is older than the failure');
    // Nothing was taken away while failing: every message since still routes `keep`.
    for (const m of seen.messages.slice(before)) assert.ok(m.configuration.http.routers['keep']);
    assert.ok(seen.logs.some((l) => /failing, keeping the last good configuration/.test(l)));

    opts.healIt(dc);
    await seen.router('keep', 'Host(`changed`)');
    await seen.until(() => provider.status().error === undefined || undefined, 'status error cleared');
    assert.ok(seen.logs.some((l) => /recovered/.test(l)));
  }

  it('ACL 403 (token no longer accepted)', async (t) => {
    const open = await catalog(t);
    const locked = await catalog(t, { aclTokens: ['other'] });
    const fwd = await startForwarder(open.port);
    t.after(() => fwd.close());
    await scenario(t, {
      dc: open, address: fwd.address, error: /ACL|403/,
      breakIt: () => fwd.switchTo(locked.port),
      healIt: () => fwd.switchTo(open.port),
    });
  });

  it('no cluster leader (500)', async (t) => {
    await scenario(t, { error: /leader/i, breakIt: (dc) => { dc.faults.noLeader = true; }, healIt: (dc) => { dc.faults.noLeader = false; } });
  });

  it('hung requests time out', async (t) => {
    await scenario(t, { requestTimeoutMs: 200, error: /TIMEOUT|in time/i, breakIt: (dc) => { dc.faults.hang = true; }, healIt: (dc) => { dc.faults.hang = false; } });
  });

  it('connection resets', async (t) => {
    await scenario(t, { error: /UNREACHABLE|reset|socket|hang up/i, breakIt: (dc) => { dc.faults.resetConnections = true; }, healIt: (dc) => { dc.faults.resetConnections = false; } });
  });

  it('an index that goes backwards is reset to 0 and watching goes on', async (t) => {
    const dc = await catalog(t);
    dc.register(web('idx-1', ['traefik.http.routers.idx.rule=Host(`one`)']));
    const { provider, seen } = run(t, config(dc.address, {}, { endpointWaitTime: 200 }));
    await seen.router('idx', 'Host(`one`)');
    dc.faults.resetIndex();
    await seen.until(() => (provider.status().counters?.['indexResets'] ?? 0) >= 1, 'an index reset');
    assert.match(provider.status().error ?? '', /went backwards/, 'reported from the answer that showed it');
    dc.register(web('idx-1', ['traefik.http.routers.idx.rule=Host(`two`)']));
    await seen.router('idx', 'Host(`two`)');
    await seen.until(() => provider.status().error === undefined || undefined, 'error cleared by the next sound answer');
  });
});

describe('ConsulCatalogProvider under a lasting fault: reported at once, about 1 request per second, recovery', { concurrency: true }, () => {
  /** How long the fault lasts while requests are counted (an upper bound: a slow machine only sends fewer). */
  const FAULT_MS = 2_500;
  /** `answersUsable`: the answers are sound apart from their index, so routing follows them during the fault. */
  const faults: Array<{ desc: string; set: (dc: DevCatalog, on: boolean) => void; error: RegExp; answersUsable?: boolean }> = [
    { desc: 'X-Consul-Index missing', set: (dc, on) => { dc.faults.missingIndex = on; }, error: /X-Consul-Index/ },
    { desc: 'X-Consul-Index going backwards', set: (dc, on) => { dc.faults.indexBackwards = on; }, error: /went backwards|was 0/, answersUsable: true },
    { desc: 'bodies cut halfway', set: (dc, on) => { dc.faults.truncateBody = on; }, error: /cut the connection|TRUNCATED/ },
    { desc: 'no cluster leader', set: (dc, on) => { dc.faults.noLeader = on; }, error: /leader/i },
    { desc: 'connection resets', set: (dc, on) => { dc.faults.resetConnections = on; }, error: /UNREACHABLE|reset|socket|hang up/i },
  ];
  for (const f of faults) {
    it(f.desc, async (t) => {
      const dc = await catalog(t);
      dc.register(web('keep-1', ['traefik.http.routers.keep.rule=Host(`keep`)']));
      // The production pacing: backoff 1 s doubling to 30 s, token bucket 10/s.
      const { provider, seen } = run(t, config(dc.address), { backoff: undefined, rateLimit: undefined });
      await seen.router('keep', 'Host(`keep`)');
      await seen.until(() => pollsParked(dc), 'polls parked');
      dc.resetStats();

      f.set(dc, true);
      dc.register(web('late-1', ['traefik.http.routers.late.rule=Host(`late`)'])); // wakes the parked catalog poll
      const startedAt = performance.now();
      const catalogRequests = (): number => dc.stats().byPath['/v1/catalog/services'] ?? 0;
      const whenSeen = await seen.until(() => f.error.test(provider.status().error ?? '') ? { requests: catalogRequests() } : undefined, `error ${f.error}`);
      assert.ok(whenSeen.requests <= 1, `the fault showed after ${whenSeen.requests} new catalog requests`);
      await new Promise((r) => setTimeout(r, Math.max(0, FAULT_MS - (performance.now() - startedAt))));
      const during = dc.stats().byPath;
      const elapsed = performance.now() - startedAt;
      for (const [path, n] of Object.entries(during)) {
        assert.ok(n <= Math.ceil(elapsed / 1000) + 1, `${n} requests to ${path} in ${elapsed.toFixed(0)} ms of fault: ${JSON.stringify(during)}`);
      }
      if (f.answersUsable) assert.ok(seen.last?.configuration.http.routers['late'], 'routing follows the answers');
      else assert.equal(seen.last?.configuration.http.routers['late'], undefined, 'nothing made up while failing');
      assert.ok(seen.last?.configuration.http.routers['keep'], 'the last good configuration stays');

      // Each watch failed once when the fault began and once per request since: its next retry is at most
      // 1 s × 2^(those requests) away. Routing must follow Consul within 2 s of that retry.
      const polls = Math.max(during['/v1/catalog/services'] ?? 0, during['/v1/health/state/any'] ?? 0);
      const backoffMs = Math.min(30_000, 1_000 * 2 ** polls);
      const healedAt = performance.now();
      f.set(dc, false);
      await seen.until(() => seen.last?.configuration.http.routers['late'], 'late routed', backoffMs + 4_000);
      const recovery = performance.now() - healedAt;
      assert.ok(recovery < backoffMs + 2_000, `routed ${recovery.toFixed(0)} ms after the fault ended (backoff ${backoffMs} ms)`);
      await seen.until(() => provider.status().error === undefined || undefined, 'error cleared');
      t.diagnostic(`${f.desc}: ${JSON.stringify(during)} in ${elapsed.toFixed(0)} ms; routed ${recovery.toFixed(0)} ms after recovery`);
    });
  }
});

describe('Consul faults through the running gateway', () => {
  it('a fault shows in /api/overview from the first failed request, and clears when Consul answers soundly', async (t) => {
    const { gateway, catalog, admin } = await startTestGateway(t);
    const dc = catalog!;
    dc.register(web('first-1', ['traefik.http.routers.first.rule=Host(`first`)']));
    await waitForState(gateway, (s) => s.routers['first@consulcatalog'] !== undefined);
    await waitForValue('polls parked', () => pollsParked(dc));
    dc.resetStats();
    dc.faults.missingIndex = true;
    dc.register(web('second-1', ['traefik.http.routers.second.rule=Host(`second`)']));
    type Overview = { providerStatus: Array<{ name: string; error?: string }> };
    const seen = await waitForValue('an error in /api/overview', async () => {
      const { body } = await getJson<Overview>(`${admin}/api/overview`);
      const error = body.providerStatus.find((p) => p.name === 'consulcatalog')?.error;
      return error === undefined ? undefined : { error, requests: dc.stats().byPath['/v1/catalog/services'] ?? 0 };
    });
    assert.match(seen.error, /without an X-Consul-Index header/);
    assert.ok(seen.requests <= 1, `shown after ${seen.requests} new catalog requests`);
    dc.faults.missingIndex = false;
    await waitForState(gateway, (s) => s.routers['second@consulcatalog'] !== undefined, 10_000);
    const { body } = await getJson<Overview>(`${admin}/api/overview`);
    assert.equal(body.providerStatus.find((p) => p.name === 'consulcatalog')?.error, undefined);
  });
});
