import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { startDevCatalog } from '../../../src/dev/devcatalog/index.ts';
import type { DevCatalog, DevCatalogOptions } from '../../../src/dev/devcatalog/index.ts';
import {
  ConsulError, blockingTimeoutMs, createConsulApi, parseAddress,
} from '../../../src/providers/consulcatalog/client.ts';
import type { ConsulApi, ConsulApiOptions } from '../../../src/providers/consulcatalog/client.ts';
import type { ConsulCatalogConfig } from '../../../src/static/types.ts';
import { waitFor as waitUntil } from '../../support/wait.ts';
import { AnswerBuffer } from '../../../src/providers/consulcatalog/answer-buffer.ts';

type Endpoint = ConsulCatalogConfig['endpoint'];

function endpoint(address: string, extra: Partial<Endpoint> = {}): Endpoint {
  return { address, scheme: 'http', datacenter: '', token: '', endpointWaitTime: 0, ...extra };
}

async function setup(t: TestContext, dcOpts: DevCatalogOptions = {}, ep: Partial<Endpoint> = {}, apiOpts: Partial<ConsulApiOptions> = {}):
  Promise<{ dc: DevCatalog; api: ConsulApi }> {
  const dc = await startDevCatalog(dcOpts);
  const api = createConsulApi(endpoint(dc.address, ep), { stale: false, requireConsistent: false, ...apiOpts });
  t.after(async () => {
    api.close();
    await dc.close();
  });
  return { dc, api };
}

/** Resolves with the ConsulError a call rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<ConsulError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConsulError, `expected ConsulError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('createConsulApi against devcatalog (real consul client)', () => {
  it('reports X-Consul-Index and leader headers, with an index that grows with writes', async (t) => {
    const { dc, api } = await setup(t);
    const first = await api.catalogServices({});
    assert.deepEqual(first.value, {});
    assert.equal(first.knownLeader, true);
    assert.equal(first.lastContactMs, 0);
    dc.register({ Name: 'web', ID: 'web-1', Port: 8080, Tags: ['traefik.enable=true'] });
    const second = await api.catalogServices({});
    dc.register({ Name: 'api', Port: 9090 });
    const third = await api.catalogServices({});
    assert.ok(second.index > first.index, `${second.index} > ${first.index}`);
    assert.ok(third.index > second.index, `${third.index} > ${second.index}`);
    assert.deepEqual(third.value, { api: [], web: ['traefik.enable=true'] });
  });

  it('a blocking query returns when its result changes', async (t) => {
    const { dc, api } = await setup(t);
    dc.register({ Name: 'web', ID: 'web-1', Port: 8080 });
    const before = await api.healthService('web', {});
    const pending = api.healthService('web', { index: before.index, waitMs: 60_000 });
    // Another service's change must not wake this query; a change to "web" must.
    dc.register({ Name: 'other', Port: 1 });
    dc.register({ Name: 'web', ID: 'web-2', Port: 8081 });
    const after = await pending;
    assert.ok(after.index > before.index);
    assert.deepEqual(after.value.map((e) => e.Service.ID), ['web-1', 'web-2']);
  });

  it('a blocking query returns the same index when the wait ends without change', async (t) => {
    const { dc, api } = await setup(t);
    dc.register({ Name: 'web', Port: 8080 });
    const before = await api.catalogServices({});
    const after = await api.catalogServices({ index: before.index, waitMs: 30 });
    assert.equal(after.index, before.index);
    assert.deepEqual(after.value, before.value);
  });

  it('healthService with passing drops instances with any non-passing check, node checks included', async (t) => {
    const { dc, api } = await setup(t);
    dc.register({ Name: 'web', ID: 'a', Port: 1, Check: { CheckID: 'a-ttl', TTL: '60s', Status: 'passing' } });
    dc.register({ Name: 'web', ID: 'b', Port: 2, Check: { CheckID: 'b-ttl', TTL: '60s', Status: 'passing' } }, { name: 'node-b', address: '127.0.0.2' });
    dc.register({ Name: 'web', ID: 'c', Port: 3, Check: { CheckID: 'c-ttl', TTL: '60s', Status: 'passing' } });
    dc.setCheck('c-ttl', 'warning', 'slow');
    dc.setNodeCheck('node-b', 'critical');

    const all = await api.healthService('web', {});
    // Consul's order: by node name ("devcatalog" < "node-b"), then service ID.
    assert.deepEqual(all.value.map((e) => e.Service.ID), ['a', 'c', 'b']);
    const passing = await api.healthService('web', { passing: true });
    assert.deepEqual(passing.value.map((e) => e.Service.ID), ['a']);

    const b = all.value.find((e) => e.Service.ID === 'b')!;
    assert.equal(b.Node.Address, '127.0.0.2');
    assert.equal(b.Service.Address, '', 'an empty service address stays empty');
    assert.deepEqual(b.Checks.map((c) => [c.CheckID, c.Status, c.ServiceID]), [['b-ttl', 'passing', 'b'], ['serfHealth', 'critical', '']]);
    const c = all.value.find((e) => e.Service.ID === 'c')!.Checks.find((x) => x.CheckID === 'c-ttl')!;
    assert.deepEqual([c.Status, c.Output, c.ServiceName, c.ServiceTags], ['warning', 'slow', 'web', []]);
  });

  it('healthState lists checks by state', async (t) => {
    const { dc, api } = await setup(t);
    dc.register({ Name: 'web', ID: 'a', Port: 1, Check: { CheckID: 'a-ttl', TTL: '60s' } });
    const critical = await api.healthState('critical', {});
    assert.deepEqual(critical.value.map((c) => c.CheckID), ['a-ttl']);
    const any = await api.healthState('any', {});
    assert.deepEqual(any.value.map((c) => c.CheckID).sort(), ['a-ttl', 'serfHealth']);
  });

  it('with ACLs on, a missing or wrong token is TAGWAY_CONSUL_ACL (403 ACL not found); the right one passes', async (t) => {
    const cases = [
      { desc: 'no token', token: '', code: 'TAGWAY_CONSUL_ACL' },
      { desc: 'unknown token', token: 'nope', code: 'TAGWAY_CONSUL_ACL' },
      { desc: 'known token', token: 's3cret', code: undefined },
    ];
    const dc = await startDevCatalog({ aclTokens: ['s3cret'] });
    t.after(() => dc.close());
    for (const c of cases) {
      const api = createConsulApi(endpoint(dc.address, { token: c.token }), { stale: false, requireConsistent: false });
      try {
        if (c.code) {
          const err = await failure(api.catalogServices({}));
          assert.equal(err.code, c.code, c.desc);
          assert.equal(err.status, 403, c.desc);
          assert.equal(err.body, 'ACL not found', c.desc);
        } else {
          assert.deepEqual((await api.catalogServices({})).value, {}, c.desc);
        }
      } finally {
        api.close();
      }
    }
  });

  it('no leader: default reads fail with TAGWAY_CONSUL_NO_LEADER, stale reads answer with knownLeader false', async (t) => {
    const { dc, api } = await setup(t);
    const stale = createConsulApi(endpoint(dc.address), { stale: true, requireConsistent: false });
    t.after(() => stale.close());
    dc.faults.noLeader = true;
    const err = await failure(api.catalogServices({}));
    assert.equal(err.code, 'TAGWAY_CONSUL_NO_LEADER');
    assert.equal(err.status, 500);
    assert.equal(err.body, 'No cluster leader');
    const r = await stale.catalogServices({});
    assert.equal(r.knownLeader, false);
    dc.faults.noLeader = false;
    assert.equal((await api.catalogServices({})).knownLeader, true);
  });

  it('healthStateRaw into an AnswerBuffer: the same bytes, received into memory kept from answer to answer; errors keep Consul\'s words', async (t) => {
    const { dc, api } = await setup(t);
    for (let i = 0; i < 200; i++) dc.register({ Name: `s${i}`, ID: `s${i}-1`, Port: i + 1, Tags: [`traefik.http.routers.s${i}.rule=Host(\`s${i}.test\`)`], Check: { CheckID: `c${i}`, TTL: '1h', Status: 'passing' } });
    const into = new AnswerBuffer(1024); // smaller than an answer: grows while receiving
    const plain = await api.healthStateRaw('any', {});
    const first = await api.healthStateRaw('any', { into });
    assert.ok(first.value.length > 50_000, `a large answer (${first.value.length} bytes)`);
    assert.ok(first.value.equals(plain.value), 'the same bytes as papi\'s own buffer');
    assert.equal(first.index, plain.index);
    assert.ok(into.holds(first.value), 'the value is a view of the buffer\'s memory');
    dc.setCheck('c7', 'critical');
    const second = await api.healthStateRaw('any', { into });
    assert.ok(second.value.buffer === first.value.buffer, 'the next answer (one byte longer) reuses the same memory (no allocation per answer)');
    assert.ok(second.value.equals((await api.healthStateRaw('any', {})).value), 'the bytes of the next answer');
    dc.faults.noLeader = true;
    const err = await failure(api.healthStateRaw('any', { into }));
    assert.equal(err.code, 'TAGWAY_CONSUL_NO_LEADER');
    assert.equal(err.body, 'No cluster leader');
  });

  it('an index reset is visible at once, to waiting and to new queries', async (t) => {
    const { dc, api } = await setup(t);
    for (let i = 0; i < 5; i++) dc.register({ Name: `s${i}`, Port: i + 1 });
    const before = await api.catalogServices({});
    const pending = api.catalogServices({ index: before.index, waitMs: 60_000 });
    await waitFor(() => dc.stats().byPath['/v1/catalog/services'] === 2);
    dc.faults.resetIndex();
    const blocked = await pending;
    assert.ok(blocked.index < before.index, `${blocked.index} < ${before.index}`);
    const now = await api.catalogServices({});
    assert.ok(now.index < before.index);
    dc.register({ Name: 'later', Port: 1 });
    assert.ok((await api.catalogServices({})).index > now.index, 'writes continue from the reset index');
  });

  it('a reset connection is TAGWAY_CONSUL_UNREACHABLE; a closed port too', async (t) => {
    const { dc, api } = await setup(t);
    dc.faults.resetConnections = true;
    assert.equal((await failure(api.catalogServices({}))).code, 'TAGWAY_CONSUL_UNREACHABLE');
    dc.faults.resetConnections = false;
    assert.deepEqual((await api.catalogServices({})).value, {});

    const port = await closedPort();
    const nowhere = createConsulApi(endpoint(`127.0.0.1:${port}`), { stale: false, requireConsistent: false });
    t.after(() => nowhere.close());
    assert.equal((await failure(nowhere.catalogServices({}))).code, 'TAGWAY_CONSUL_UNREACHABLE');
  });

  it('a hung request is aborted by its signal (TAGWAY_CONSUL_ABORTED) and the catalog answers once the hang clears', async (t) => {
    const { dc, api } = await setup(t);
    dc.faults.hang = true;
    const ac = new AbortController();
    const pending = api.catalogServices({ signal: ac.signal });
    await waitFor(() => dc.stats().byPath['/v1/catalog/services'] === 1);
    ac.abort();
    assert.equal((await failure(pending)).code, 'TAGWAY_CONSUL_ABORTED');
    const already = await failure(api.catalogServices({ signal: ac.signal }));
    assert.equal(already.code, 'TAGWAY_CONSUL_ABORTED', 'an already-aborted signal fails before sending');

    const later = api.catalogServices({});
    await waitFor(() => dc.stats().byPath['/v1/catalog/services'] === 2);
    dc.faults.hang = false;
    assert.deepEqual((await later).value, {});
  });

  it('a call that outlives its client timeout is TAGWAY_CONSUL_TIMEOUT', async (t) => {
    const { dc, api } = await setup(t, {}, {}, { requestTimeoutMs: 30 });
    dc.faults.hang = true;
    assert.equal((await failure(api.catalogServices({}))).code, 'TAGWAY_CONSUL_TIMEOUT');
  });

  it('past the per-client connection limit Consul answers 429: TAGWAY_CONSUL_RATE_LIMITED', async (t) => {
    const { dc, api } = await setup(t, { maxConnsPerClient: 2 });
    const first = await api.catalogServices({});
    const ac = new AbortController();
    // Two blocking queries hold both allowed connections.
    const held = [1, 2].map(() => api.catalogServices({ index: first.index, waitMs: 60_000, signal: ac.signal }).catch((e: unknown) => e));
    await waitFor(() => dc.stats().byPath['/v1/catalog/services'] === 3);
    const err = await failure(api.catalogServices({}));
    assert.equal(err.code, 'TAGWAY_CONSUL_RATE_LIMITED');
    assert.equal(err.status, 429);
    ac.abort();
    for (const e of await Promise.all(held)) assert.equal((e as ConsulError).code, 'TAGWAY_CONSUL_ABORTED');
    assert.ok(dc.stats().maxOpenConnections <= 2);
  });

  it('an answer without X-Consul-Index is TAGWAY_CONSUL_INDEX, as in Consul\'s Go client', async (t) => {
    const { dc, api } = await setup(t);
    dc.faults.missingIndex = true;
    const err = await failure(api.catalogServices({}));
    assert.equal(err.code, 'TAGWAY_CONSUL_INDEX');
    assert.match(err.message, /without an X-Consul-Index/);
    dc.faults.missingIndex = false;
    assert.ok((await api.catalogServices({})).index > 0);
  });

  it('an answer cut halfway fails at once (TAGWAY_CONSUL_TRUNCATED), not at the client timeout', async (t) => {
    const { dc, api } = await setup(t, {}, {}, { requestTimeoutMs: 60_000 });
    dc.register({ Name: 'web', Port: 80, Tags: ['a'.repeat(2000)] });
    const first = await api.catalogServices({});
    dc.faults.truncateBody = true;
    const started = performance.now();
    assert.equal((await failure(api.catalogServices({}))).code, 'TAGWAY_CONSUL_TRUNCATED');
    // A blocking query answered by a change, then cut: its timeout would be minutes.
    const blocked = api.catalogServices({ index: first.index, waitMs: 600_000 });
    await waitFor(() => dc.stats().byPath['/v1/catalog/services'] === 3);
    dc.register({ Name: 'other', Port: 81 });
    assert.equal((await failure(blocked)).code, 'TAGWAY_CONSUL_TRUNCATED');
    assert.ok(performance.now() - started < 10_000, 'failed long before the client timeouts (60 s, 10 min)');
    dc.faults.truncateBody = false;
    const healed = (await api.catalogServices({})).value;
    assert.ok('web' in healed && 'other' in healed);
  });

  it('a hung blocking query fails at its wait + wait/16 + the margin (TAGWAY_CONSUL_TIMEOUT)', async (t) => {
    const { dc, api } = await setup(t, {}, {}, { requestTimeoutMs: 60_000, timeoutMarginMs: 200 });
    const first = await api.catalogServices({});
    dc.faults.hang = true;
    const started = performance.now();
    const err = await failure(api.catalogServices({ index: first.index, waitMs: 400 }));
    const took = performance.now() - started;
    assert.equal(err.code, 'TAGWAY_CONSUL_TIMEOUT');
    assert.ok(took >= 400 && took < 400 * 17 / 16 + 200 + 1000, `cut after ${took.toFixed(0)} ms`);
  });

  it('a long error body is cut to an excerpt in the message and the error', async (t) => {
    const long = 'x'.repeat(10_000) + '\n\u001b[31mfake log line';
    const server = http.createServer((req, res) => { req.resume(); res.writeHead(500, { 'content-type': 'text/plain' }); res.end(long); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const api = createConsulApi(endpoint(`127.0.0.1:${(server.address() as net.AddressInfo).port}`), { stale: false, requireConsistent: false });
    t.after(() => api.close());
    const err = await failure(api.catalogServices({}));
    assert.equal(err.code, 'TAGWAY_CONSUL_HTTP');
    assert.ok(err.message.length < 400, `message of ${err.message.length} characters`);
    assert.match(err.message, /x{200}… \(10\d{3} characters\)/);
    assert.ok(err.body!.length < 300);
    assert.doesNotMatch(err.message + err.body, /[\u0000-\u001f]/, 'no control characters reach the log');
  });

  it('works over IPv6 loopback', async (t) => {
    const dc = await startDevCatalog({ host: '::1' }).catch(() => undefined);
    if (!dc) return t.skip('no IPv6 loopback here');
    const api = createConsulApi(endpoint(dc.address), { stale: false, requireConsistent: false });
    t.after(async () => { api.close(); await dc.close(); });
    dc.register({ Name: 'v6', Port: 80, Address: '::1' });
    assert.equal(dc.address.startsWith('[::1]:'), true);
    const r = await api.healthService('v6', {});
    assert.equal(r.value[0]!.Service.Address, '::1');
  });
});

describe('createConsulApi request shape', () => {
  it('sends token as X-Consul-Token, basic auth, dc, stale/consistent, index and wait', async (t) => {
    const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': '7', 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '12' });
      res.end('[]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const port = (server.address() as net.AddressInfo).port;
    const cases = [
      {
        desc: 'token, auth, dc, consistent wins over stale, blocking', ep: { token: 'tok', datacenter: 'dc9', httpAuth: { username: 'u', password: 'p w' } },
        opts: { stale: true, requireConsistent: true }, q: { index: 5, waitMs: 1500 },
        expect: { path: '/v1/health/state/any', query: { consistent: '1', dc: 'dc9', index: '5', wait: '1500ms' }, token: 'tok', auth: `Basic ${Buffer.from('u:p w').toString('base64')}` },
      },
      {
        desc: 'stale, no token, not blocking (no index, no wait)', ep: {}, opts: { stale: true, requireConsistent: false }, q: { waitMs: 1500 },
        expect: { path: '/v1/health/state/any', query: { stale: '1' }, token: undefined, auth: undefined },
      },
    ];
    for (const c of cases) {
      const api = createConsulApi(endpoint(`127.0.0.1:${port}`, c.ep), c.opts);
      const r = await api.healthState('any', c.q);
      api.close();
      assert.deepEqual([r.index, r.knownLeader, r.lastContactMs, r.value], [7, true, 12, []], c.desc);
      const last = seen.at(-1)!;
      const url = new URL(last.url, 'http://x');
      assert.equal(url.pathname, c.expect.path, c.desc);
      assert.deepEqual(Object.fromEntries(url.searchParams), c.expect.query, c.desc);
      assert.equal(last.headers['x-consul-token'], c.expect.token, c.desc);
      assert.equal(last.headers['authorization'], c.expect.auth, c.desc);
    }
  });

  it('reads TLS files at construction and names the option when one is missing', () => {
    assert.throws(
      () => createConsulApi(endpoint('127.0.0.1:8501', { scheme: 'https', tls: { ca: '/nonexistent/ca.pem', insecureSkipVerify: false } }), { stale: false, requireConsistent: false }),
      (err: unknown) => err instanceof ConsulError && err.code === 'TAGWAY_CONSUL_CONFIG' && /endpoint\.tls\.ca/.test(err.message),
    );
  });
});

describe('createConsulApi over TLS', () => {
  it('verifies the server with tls.ca, presents tls.cert/key, and honours insecureSkipVerify', async (t) => {
    const pki = makePki();
    if (!pki) return t.skip('openssl not available');
    t.after(() => rmSync(pki.dir, { recursive: true, force: true }));
    const read = (f: string): Buffer => readFileSync(join(pki.dir, f));
    const dc = await startDevCatalog({ tls: { cert: read('server.pem'), key: read('server.key'), ca: read('ca.pem'), requireClientCert: true } });
    t.after(() => dc.close());
    assert.ok(dc.url.startsWith('https://'));
    const f = (name: string): string => join(pki.dir, name);
    const cases = [
      { desc: 'ca + client cert', tls: { ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key'), insecureSkipVerify: false }, code: undefined },
      { desc: 'skip verify + client cert', tls: { cert: f('client.pem'), key: f('client.key'), insecureSkipVerify: true }, code: undefined },
      { desc: 'unknown CA', tls: { cert: f('client.pem'), key: f('client.key'), insecureSkipVerify: false }, code: 'TAGWAY_CONSUL_UNREACHABLE' },
      { desc: 'no client cert', tls: { ca: f('ca.pem'), insecureSkipVerify: false }, code: 'TAGWAY_CONSUL_UNREACHABLE' },
    ];
    for (const c of cases) {
      const api = createConsulApi(endpoint(dc.address, { scheme: 'https', tls: c.tls }), { stale: false, requireConsistent: false });
      try {
        if (c.code) assert.equal((await failure(api.catalogServices({}))).code, c.code, c.desc);
        else assert.deepEqual((await api.catalogServices({})).value, {}, c.desc);
      } finally {
        api.close();
      }
    }
  });
});

/** A throwaway CA, server cert for 127.0.0.1 and client cert, made with the openssl CLI; undefined without it. */
function makePki(): { dir: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tagway-pki-'));
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=tagway test CA');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
      ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
    }
    return { dir };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

describe('blockingTimeoutMs', () => {
  const cases = [
    { desc: 'not blocking: the request timeout', index: undefined, wait: 60_000, expect: 10_000 },
    { desc: 'index 0 is not blocking', index: 0, wait: 60_000, expect: 10_000 },
    { desc: 'wait x 17/16 + 5 s margin', index: 3, wait: 60_000, expect: 68_750 },
    { desc: 'no wait: server default 5 min', index: 3, wait: undefined, expect: 323_750 },
    { desc: 'wait above the 10 min cap', index: 3, wait: 3_600_000, expect: 642_500 },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const got = blockingTimeoutMs(c.index, c.wait, 10_000);
      assert.equal(got, c.expect);
      if (c.index) assert.ok(got > Math.min(c.wait ?? 300_000, 600_000) * 17 / 16, 'never below the longest server hold');
    });
  }
});

describe('parseAddress', () => {
  const cases = [
    { desc: 'host:port', in: ['127.0.0.1:8500', 'http'], out: { scheme: 'http', host: '127.0.0.1', port: 8500 } },
    { desc: 'host alone defaults to 8500', in: ['localhost', 'https'], out: { scheme: 'https', host: 'localhost', port: 8500 } },
    { desc: 'scheme prefix wins', in: ['https://127.0.0.1:8501', 'http'], out: { scheme: 'https', host: '127.0.0.1', port: 8501 } },
    { desc: 'bracketed IPv6', in: ['[::1]:8500', ''], out: { scheme: 'http', host: '[::1]', port: 8500 } },
    { desc: 'bare IPv6', in: ['::1', 'http'], out: { scheme: 'http', host: '[::1]', port: 8500 } },
  ] as const;
  for (const c of cases) it(c.desc, () => assert.deepEqual(parseAddress(c.in[0], c.in[1]), c.out));

  const bad = [
    { desc: 'bad port', in: ['127.0.0.1:http', 'http'] },
    { desc: 'unix scheme', in: ['unix:///tmp/consul.sock', 'http'] },
  ] as const;
  for (const c of bad) {
    it(`rejects ${c.desc}`, () => assert.throws(() => parseAddress(c.in[0], c.in[1]), (e: unknown) => e instanceof ConsulError && e.code === 'TAGWAY_CONSUL_CONFIG'));
  }
});

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls a condition (bounded, see test/support/wait.ts). */
function waitFor(cond: () => boolean): Promise<void> {
  return waitUntil('the condition', cond, { intervalMs: 1 });
}
