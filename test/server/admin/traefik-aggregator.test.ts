/**
 * Traefik's aggregator table (pkg/server/aggregator_test.go, v3.7.9): how the providers' configurations become the
 * runtime view (qualified names, default entry points, entry-point models) and how routers' TLS options are
 * resolved. Each case runs against the real gateway: the configuration through the file provider (and Consul
 * through devcatalog for the two-provider case), the runtime view read from `/api/rawdata`, TLS options read from
 * real handshakes (a non-default option set here caps TLS at 1.2, the default gives 1.3) and requests (200, or 421
 * when a router's options differ from its handshake's).
 *
 * Not ported: Test_mergeConfiguration_tlsCertificates (ACME's tlsalpn provider; tagway has no such provider),
 * the multi-provider `default` TLS options/store cases (only the file provider can define TLS options and stores
 * in tagway, as with Traefik's Consul Catalog provider: two definitions cannot arise), the TCP cases
 * (Test_mergeConfiguration_defaultTCPEntryPoint, "with TCP model": tagway reports TCP as unsupported), and the
 * `parentRefs` cases of Test_applyModel (multi-layer routing, new in v3.7: not in tagway; the key is refused).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import assert from 'node:assert/strict';
import { getJson, startTestGateway, waitForState } from '../../support/gateway.ts';
import { startFileGateway } from '../../support/file-gateway.ts';
import { Tally, TRAEFIK_VERSION } from '../../support/traefik-tables.ts';
import { httpsGet, startTlsGateway, testPki, type TlsGateway } from '../../tls/harness.ts';
import { decodeDynamicLabels } from '../../../src/labels/index.ts';
import { startUpstream } from '../../support/upstream.ts';

const tally = new Tally(`${TRAEFIK_VERSION} pkg/server/aggregator_test.go`);

type Json = Record<string, unknown>;
const OBS = { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal' };
const RENAMED = 'a router whose TLS options cannot apply on an entry point keeps its name in the runtime view, with the error on it '
  + '(Traefik v3.7.9 shows a copy renamed `<entryPoint>-conflicted-<router>` instead); the handshake and routing result is Traefik\'s: default options';

async function rawdata(admin: string): Promise<{ routers: Record<string, Json>; services: Record<string, Json>; middlewares: Record<string, Json> }> {
  const r = await getJson<{ routers?: Record<string, Json>; services?: Record<string, Json>; middlewares?: Record<string, Json> }>(`${admin}/api/rawdata`);
  assert.equal(r.status, 200);
  return { routers: r.body.routers ?? {}, services: r.body.services ?? {}, middlewares: r.body.middlewares ?? {} };
}
const ofProvider = (m: Record<string, Json>, provider: string): string[] => Object.keys(m).filter((k) => k.endsWith(`@${provider}`)).sort();

describe('Traefik aggregator: merge and qualified names', () => {
  it('Test_mergeConfiguration: Nil returns an empty configuration (also Test_applyModel: empty configuration, without model)', (t) =>
    tally.runAsync('Test_mergeConfiguration: Nil returns an empty configuration', undefined, async () => {
      const gw = await startTestGateway(t, { consul: false });
      const raw = await rawdata(gw.admin);
      for (const kind of [raw.routers, raw.services, raw.middlewares]) assert.deepEqual(Object.keys(kind).filter((k) => !k.endsWith('@internal')), []);
    }));

  it('Test_mergeConfiguration: Returns fully qualified elements from a mono-provider configuration map', (t) =>
    tally.runAsync('Test_mergeConfiguration: mono-provider', undefined, async () => {
      const gw = await startFileGateway(t, { routers: { 'router-1': {} }, middlewares: { 'middleware-1': {} }, services: { 'service-1': {} } });
      const raw = await rawdata(gw.admin);
      assert.deepEqual(ofProvider(raw.routers, 'file'), ['router-1@file']);
      assert.deepEqual(raw.routers['router-1@file']!.entryPoints, ['web'], 'the default entry points');
      assert.deepEqual(ofProvider(raw.middlewares, 'file'), ['middleware-1@file']);
      assert.deepEqual(ofProvider(raw.services, 'file'), ['service-1@file']);
    }));

  it('Test_mergeConfiguration: Returns fully qualified elements from a multi-provider configuration map', (t) =>
    tally.runAsync('Test_mergeConfiguration: multi-provider', undefined, async () => {
      const up = await startUpstream(t, 'up');
      const dir = await mkdtemp(join(tmpdir(), 'tagway-aggregator-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'dynamic.yml');
      await writeFile(file, stringify({ http: { routers: { 'router-1': {} }, middlewares: { 'middleware-1': {} }, services: { 'service-1': {} } } }));
      const gw2 = await startTestGateway(t, { flags: [`--providers.file.filename=${file}`] });
      // The second provider: Consul tags declaring the same three names (a tag needs one key each to declare them).
      gw2.catalog!.register({
        Name: 'provider-2', Address: '127.0.0.1', Port: up.port,
        Tags: ['traefik.http.routers.router-1.priority=1', 'traefik.http.middlewares.middleware-1.headers.customrequestheaders.x=y',
          'traefik.http.services.service-1.loadbalancer.server.port=' + up.port],
      });
      await waitForState(gw2.gateway, (s) => 'router-1@consulcatalog' in s.routers && 'router-1@file' in s.routers);
      const raw = await rawdata(gw2.admin);
      for (const p of ['file', 'consulcatalog']) {
        assert.deepEqual(ofProvider(raw.routers, p), [`router-1@${p}`]);
        assert.deepEqual(raw.routers[`router-1@${p}`]!.entryPoints, ['web']);
        assert.deepEqual(ofProvider(raw.middlewares, p), [`middleware-1@${p}`]);
        assert.deepEqual(ofProvider(raw.services, p), [`service-1@${p}`]);
      }
    }));
});

describe('Traefik aggregator: entry-point models (Test_applyModel)', () => {
  let raw: Awaited<ReturnType<typeof rawdata>>;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    const pki = testPki(['models.test']);
    // websecure's model: the middleware `test` and `tls`. Traefik's case "router with tls" tells the model's tls from the
    // router's by certResolver ("ep", "router"); here by options (resolvers are ACME's, not in this build).
    const gw = await startTlsGateway(t, {
      http: {
        routers: {
          one: { rule: 'Host(`one.test`)', service: 's', entryPoints: ['web'] },
          epone: { rule: 'Host(`epone.test`)', service: 's', entryPoints: ['websecure'] },
          eptls: { rule: 'Host(`eptls.test`)', service: 's', entryPoints: ['websecure'], tls: { options: 'router' } },
          two: { rule: 'Host(`two.test`)', service: 's', entryPoints: ['websecure', 'web'] },
        },
        middlewares: { test: { headers: { customRequestHeaders: { 'X-Model': '1' } } } },
        services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } },
      },
      tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }], options: { ep: {}, router: {} } },
    }, ['--entryPoints.websecure.address=127.0.0.1:0', '--entryPoints.websecure.http.middlewares=test@file', '--entryPoints.websecure.http.tls.options=ep@file']);
    raw = await rawdata(gw.admin);
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  const cases: Array<{ desc: string; check: () => void }> = [
    { desc: 'without model, one router', check: () => {
      const r = raw.routers['one@file']!;
      assert.deepEqual(r.entryPoints, ['web']);
      assert.equal(r.middlewares, undefined);
      assert.deepEqual(r.observability, OBS, 'the default observability model');
    } },
    { desc: 'with model, not used', check: () => {
      // The model creates nothing by itself: only routers on its entry point get it.
      assert.deepEqual(ofProvider(raw.routers, 'file').filter((n) => n.startsWith('websecure-') && !n.endsWith('-two@file')), []);
    } },
    { desc: 'with model, one entry point', check: () => {
      const r = raw.routers['epone@file']!;
      assert.deepEqual(r.entryPoints, ['websecure']);
      assert.deepEqual(r.middlewares, ['test@file']);
      assert.deepEqual(r.tls, { options: 'ep@file' });
      assert.deepEqual(r.observability, OBS);
    } },
    { desc: 'with model, one entry point with observability', check: () => {
      assert.deepEqual(raw.routers['epone@file']!.observability, OBS, 'the model\'s observability (Traefik\'s case sets the defaults)');
    } },
    { desc: 'with model, one entry point, and router with tls', check: () => {
      const r = raw.routers['eptls@file']!;
      assert.deepEqual(r.middlewares, ['test@file']);
      assert.deepEqual(r.tls, { options: 'router' }, 'the router\'s own tls wins over the model\'s');
    } },
    { desc: 'with model, two entry points', check: () => {
      assert.deepEqual(raw.routers['two@file']!.entryPoints, ['web']);
      assert.equal(raw.routers['two@file']!.middlewares, undefined);
      assert.equal(raw.routers['two@file']!.tls, undefined);
      const copy = raw.routers['websecure-two@file']!;
      assert.ok(copy, `websecure-two@file in ${JSON.stringify(Object.keys(raw.routers))}`);
      assert.deepEqual(copy.entryPoints, ['websecure']);
      assert.deepEqual(copy.middlewares, ['test@file']);
      assert.deepEqual(copy.tls, { options: 'ep@file' });
    } },
  ];
  for (const c of cases) {
    it(`Test_applyModel: ${c.desc}`, () => tally.run(`Test_applyModel: ${c.desc}`, undefined, c.check));
  }

  it('Test_applyModel: parentRefs is not in tagway (refused by key; not ported)', () => {
    const decoded = decodeDynamicLabels({ 'traefik.http.routers.child.rule': 'Path(`/x`)', 'traefik.http.routers.child.parentrefs': 'parent' }, 'traefik');
    const refusals = [...decoded.errors, ...decoded.unsupported].map((e) => JSON.stringify(e).toLowerCase());
    assert.ok(refusals.some((e) => e.includes('parentrefs')), JSON.stringify(decoded));
  });
});

/**
 * Test_resolveHTTPTLSOptions, every case on its own host and path, on two entry points: Traefik's `ep-a` is `web`
 * and `ep-b` is `epb`. Each router's expected options are checked twice: the handshake its host gets on each of
 * its entry points (1.2 for the non-default options, 1.3 for default), and its request answered (not 421).
 */
interface TlsCase {
  desc: string;
  routers: Record<string, { eps: string[]; rule: string; options?: string }>;
  /** Router → entry point → Traefik's ResolvedOptions there. */
  expected: Record<string, Record<string, string>>;
  differs?: string;
}
const tlsCases: TlsCase[] = [
  { desc: 'same host, different options, different entryPoints: no conflict',
    routers: { 'router-a': { eps: ['web'], rule: 'Host(`c0.test`)', options: 'optsA' }, 'router-b': { eps: ['epb'], rule: 'Host(`c0.test`)', options: 'optsB' } },
    expected: { 'router-a': { web: 'optsA@file' }, 'router-b': { epb: 'optsB@file' } } },
  { desc: 'same host, different options, same entryPoint: conflict falls back to default',
    routers: { 'router-a': { eps: ['web'], rule: 'Host(`c1.test`)', options: 'optsA' }, 'router-b': { eps: ['web'], rule: 'Host(`c1.test`)', options: 'optsB' } },
    expected: { 'router-a': { web: 'default' }, 'router-b': { web: 'default' } }, differs: RENAMED },
  { desc: 'same host, same options, same entryPoint: keeps the configured options',
    routers: { 'router-a': { eps: ['web'], rule: 'Host(`c2.test`)', options: 'optsA' }, 'router-b': { eps: ['web'], rule: 'Host(`c2.test`) && PathPrefix(`/foo`)', options: 'optsA' } },
    expected: { 'router-a': { web: 'optsA@file' }, 'router-b': { web: 'optsA@file' } } },
  { desc: 'router spanning two entryPoints, conflict on one only: router is duplicated',
    routers: { shared: { eps: ['web', 'epb'], rule: 'Host(`c3.test`)', options: 'optsX' }, other: { eps: ['web'], rule: 'Host(`c3.test`)', options: 'optsY' } },
    expected: { shared: { web: 'default', epb: 'optsX@file' }, other: { web: 'default' } }, differs: RENAMED },
  { desc: 'no domain in rule, non-default options: forced to default and renamed',
    routers: { 'router-a': { eps: ['web'], rule: 'PathPrefix(`/c4`)', options: 'optsA' } },
    expected: { 'router-a': { web: 'default' } }, differs: RENAMED },
  { desc: 'no domain in rule, implicit default options: not conflicting, keeps its name',
    routers: { 'router-a': { eps: ['web'], rule: 'PathPrefix(`/c5`)' } },
    expected: { 'router-a': { web: 'default' } } },
  { desc: 'no domain in rule, explicit default options: not conflicting, keeps its name',
    routers: { 'router-a': { eps: ['web'], rule: 'PathPrefix(`/c6`)', options: 'default' } },
    expected: { 'router-a': { web: 'default' } } },
];

describe('Traefik aggregator: routers\' TLS options (Test_resolveHTTPTLSOptions)', () => {
  let gw: TlsGateway;
  let epbPort: number;
  let raw: Awaited<ReturnType<typeof rawdata>>;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    const up = await startUpstream(t, 'up');
    const pki = testPki(tlsCases.map((_, i) => `c${i}.test`));
    const routers: Record<string, unknown> = {};
    tlsCases.forEach((c, i) => {
      for (const [name, r] of Object.entries(c.routers)) {
        routers[`${name}-c${i}`] = { rule: r.rule, entryPoints: r.eps, service: 'up', tls: r.options ? { options: r.options } : {} };
      }
    });
    const capped = { maxVersion: 'VersionTLS12' };
    gw = await startTlsGateway(t, {
      http: { routers, services: { up: { loadBalancer: { servers: [{ url: up.url }] } } } },
      tls: { certificates: [{ certFile: pki.server.certPem, keyFile: pki.server.keyPem }], options: { optsA: capped, optsB: capped, optsX: capped, optsY: capped } },
    }, ['--entryPoints.epb.address=127.0.0.1:0']);
    epbPort = gw.gateway.entryPoints.get('epb')!.port;
    raw = await rawdata(gw.admin);
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  tlsCases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(`Test_resolveHTTPTLSOptions: ${c.desc}`, c.differs, async () => {
      for (const [name, byEp] of Object.entries(c.expected)) {
        const r = c.routers[name]!;
        const host = /Host\(`([^`]+)`\)/.exec(r.rule)?.[1] ?? `c${i}.test`;
        const path = /PathPrefix\(`([^`]+)`\)/.exec(r.rule)?.[1] ?? '/';
        for (const [ep, want] of Object.entries(byEp)) {
          const port = ep === 'web' ? gw.port : epbPort;
          const reply = await httpsGet(port, { servername: host, host, path, rejectUnauthorized: false });
          assert.equal(reply.protocol, want === 'default' ? 'TLSv1.3' : 'TLSv1.2', `${name} on ${ep}: the handshake's options`);
          assert.equal(reply.status, 200, `${name} on ${ep}: served (not 421)`);
        }
        const view = raw.routers[`${name}-c${i}@file`]!;
        const defaulted = Object.entries(byEp).some(([, want]) => want === 'default') && (r.options ?? 'default') !== 'default';
        if (defaulted) {
          assert.equal(view.status, 'warning', `${name}: the fallback is reported`);
          assert.ok(JSON.stringify(view.error).includes('default TLS options'), JSON.stringify(view.error));
        } else assert.equal(view.status, 'enabled', `${name}: ${JSON.stringify(view.error)}`);
      }
    }));
  });

  it('count', (t) => tally.report(t));
});
