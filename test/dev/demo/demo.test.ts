import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { request } from '../../support/upstream.ts';
import { runCli, spawnCli } from '../../support/cli.ts';

/** A bounded wait on a child's growing output. */
function waitForOutput(read: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      const m = read().match(pattern);
      if (m) { resolve(m); return; }
      if (Date.now() - started > timeoutMs) { reject(new Error(`no ${pattern} in ${timeoutMs} ms; output:\n${read()}`)); return; }
      setTimeout(tick, 25);
    };
    tick();
  });
}

interface DemoReply { service: string; instance: string; path: string; traceparent: string | null }

describe('tagway demo', () => {
  it('runs on free ports, routes the printed examples, counts spans, stops cleanly on SIGINT', async (t) => {
    const child = spawnCli(['demo', '--web-port', '0', '--admin-port', '0', '--consul-port', '0', '--otlp-port', '0']);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });

    await waitForOutput(() => out, /Try the routes:[\s\S]*api\/explain/, 20_000);
    const admin = out.match(/dashboard {6}(http:\/\/127\.0\.0\.1:\d+)\/dashboard\//)?.[1];
    const web = out.match(/curl -H 'Host: whoami\.localhost' (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
    assert.ok(admin && web, `banner has real ports:\n${out}`);
    assert.ok(!/:0\//.test(out), 'no port 0 in the banner');

    const get = async (host: string | undefined, path: string, headers: Record<string, string> = {}): Promise<DemoReply> => {
      const res = await request(`${web}${path}`, { headers: { ...(host ? { host } : {}), ...headers } });
      assert.equal(res.status, 200, `${host} ${path}: ${res.body}`);
      return JSON.parse(res.body) as DemoReply;
    };
    const instances: string[] = [];
    for (let i = 0; i < 8; i++) instances.push((await get('whoami.localhost', '/')).instance);
    assert.deepEqual({ one: instances.filter((x) => x === 'whoami-1').length, two: instances.filter((x) => x === 'whoami-2').length }, { one: 6, two: 2 }, 'weights 3:1');

    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const untraced = await get('untraced.localhost', '/', { traceparent: incoming });
    assert.equal(untraced.traceparent, incoming, 'tracing off: the incoming traceparent passes unchanged');
    const traced = await get('whoami.localhost', '/', { traceparent: incoming });
    assert.match(traced.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/, 'same trace, new parent');
    assert.notEqual(traced.traceparent, incoming);
    const assets = await get(undefined, '/assets/logo.svg');
    assert.deepEqual([assets.service, assets.path], ['assets', '/logo.svg'], 'stripPrefix /assets');
    assert.equal((await request(`${admin}/ping`)).body, 'OK');
    // Consul Connect: through the stand-in sidecar, which saw the gateway's identity; the denied one answers 403.
    const mesh = await get('mesh.localhost', '/') as DemoReply & { clientCert?: string };
    assert.equal(mesh.service, 'mesh');
    assert.match(mesh.clientCert ?? '', /URI=spiffe:\/\/[^;]+\/svc\/tagway$/);
    assert.equal((await request(`${web}/`, { headers: { host: 'vault.localhost' } })).status, 403);
    assert.match((await request(`${admin}/api/http/services/vault@consulcatalog`)).body, /consul intention create -allow tagway vault/);

    await waitForOutput(() => err, /OTLP receiver: \d+ span\(s\) received/, 10_000); // the log goes to stderr

    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await exited;
    clearTimeout(timer);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `clean exit on SIGINT; stderr:\n${err}`);
    assert.match(out, /stopping the demo/);
    assert.doesNotMatch(err, /^\s+at |Error|WARN|ERROR/m, 'no warning, error or stack trace in the log');
  });

  it('a port already in use: one line, exit 1, no stack trace', async (t) => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    const port = String((busy.address() as { port: number }).port);
    const cases = [
      { desc: 'web entry point', flag: '--web-port', want: new RegExp(`^tagway demo: entry point "web": address 127\\.0\\.0\\.1:${port} is already in use \\(choose another port\\)\\n$`) },
      { desc: 'OTLP receiver', flag: '--otlp-port', want: new RegExp(`^tagway demo: OTLP receiver \\(--otlp-port\\): address 127\\.0\\.0\\.1:${port} is already in use \\(choose another port\\)\\n$`) },
    ];
    const ports = ['--web-port', '--admin-port', '--consul-port', '--otlp-port'];
    for (const c of cases) {
      const r = await runCli(['demo', ...ports.flatMap((p) => [p, p === c.flag ? port : '0'])], 20_000);
      assert.equal(r.code, 1, c.desc);
      assert.match(r.stderr, c.want, c.desc);
    }
  });
});
