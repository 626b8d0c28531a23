import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { startCollector } from '../support/collector.ts';
import { startUpstream, request } from '../support/upstream.ts';
import { spawnCli } from '../support/cli.ts';
import { SPAN_KIND } from '../support/tracing.ts';
import { waitFor } from '../support/wait.ts';

/** Output lines of a child, with a bounded wait for one matching a pattern. */
class Output {
  text = '';
  #waiters = new Set<() => void>();
  add = (chunk: Buffer): void => { this.text += chunk.toString('utf8'); for (const w of this.#waiters) w(); };
  wait(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.text);
        if (!m) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => { this.#waiters.delete(check); reject(new Error(`no ${pattern} in ${timeoutMs} ms; output:\n${this.text}`)); }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}


interface Cli { child: ChildProcess; out: Output; exited: Promise<[number | null, string | null]>; web: string }

/** The CLI as a child process with the file provider on `file`; resolves once `/ready` is routed (bounded). */
async function startCli(t: TestContext, file: string, flags: string[]): Promise<Cli> {
  const child = spawnCli([
    '--entryPoints.web.address=127.0.0.1:0', `--providers.file.filename=${file}`, '--workers=1',
    '--providers.providersThrottleDuration=0s', '--log.level=INFO', // INFO: the listening address and the signal are logged (Traefik's default level is ERROR)
    ...flags,
  ]);
  const out = new Output();
  child.stdout!.on('data', out.add);
  child.stderr!.on('data', out.add);
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const [, port] = await out.wait(/entry point listening entryPoint=web address=127\.0\.0\.1:(\d+)/);
  const web = `http://127.0.0.1:${port}`;
  // The file provider's first configuration lands shortly after listening: until then, 404 (bounded).
  await waitFor('the router to be served', async () => (await request(`${web}/ready`)).status === 200, { intervalMs: 50 });
  return { child, out, exited, web };
}

/** A dynamic file routing everything to `url`. */
async function dynamicFile(t: TestContext, url: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-cli-tracing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, stringify({ http: {
    routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' } },
    services: { app: { loadBalancer: { servers: [{ url }] } } },
  } }));
  return file;
}

describe('the CLI on SIGTERM', () => {
  it('drains an in-flight request, flushes its spans, exits 0', async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    let hold: ServerResponse | undefined;
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => { arrived = resolve; });
    const up = await startUpstream(t, 'app', (req, res) => {
      req.resume();
      if (req.url === '/slow') { hold = res; arrived(); return; }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    const file = await dynamicFile(t, up.url);
    const { child, out, exited, web } = await startCli(t, file, [
      `--tracing.otlp.http.endpoint=${collector.endpoint}`,
      '--tracing.batch.scheduledDelay=10m', // only the shutdown flush can deliver the spans
    ]);
    const inFlight = request(`${web}/slow`);
    await slowArrived;
    child.kill('SIGTERM');
    await out.wait(/received SIGTERM: draining/);
    assert.equal(collector.requests, 0, 'nothing exported before the shutdown flush');
    hold!.writeHead(200, { 'content-type': 'text/plain' });
    hold!.end('finished while draining');
    const reply = await inFlight;
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'finished while draining');
    const [code, signal] = await exited;
    assert.equal(signal, null, out.text);
    assert.equal(code, 0, out.text);

    const servers = collector.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    const slow = servers.find((s) => s.attributes['url.path'] === '/slow');
    assert.ok(slow, `the drained request's span was flushed: ${JSON.stringify(servers.map((s) => s.attributes['url.path']))}`);
    assert.equal(slow.attributes['http.response.status_code'], 200);
    assert.ok(collector.spans.some((s) => s.kind === SPAN_KIND.CLIENT && s.traceId === slow.traceId), 'with its ReverseProxy span');
    assert.ok(servers.some((s) => s.attributes['url.path'] === '/ready'));
  });

  it('collector unreachable at shutdown: waits out the flush deadline, counts and logs the dropped spans, exits 0', async (t) => {
    const up = await startUpstream(t, 'app');
    const collector = await startCollector();
    await collector.close(); // a port nobody answers on any more
    const file = await dynamicFile(t, up.url);
    const { child, out, exited, web } = await startCli(t, file, [
      `--tracing.otlp.http.endpoint=${collector.endpoint}`, '--tracing.batch.scheduledDelay=10m', '--tracing.shutdownTimeout=500ms',
    ]);
    assert.equal((await request(`${web}/x`)).status, 200);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(signal, null, out.text);
    assert.equal(code, 0, out.text);
    // /ready answered 200 at least once and /x once: at least 4 spans, none delivered
    const m = /WARN tracing: spans dropped .* droppedTotal=(\d+)/.exec(out.text);
    assert.ok(m, `the loss is logged before exiting:\n${out.text}`);
    assert.ok(Number(m[1]) >= 4, m[0]);
  });
});
