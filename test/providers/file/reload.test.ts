import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import { startUpstream } from '../../support/upstream.ts';
import { saveAtomically, tempDir } from './support.ts';

const CLIENTS = 20;
/** Requests per client after the new upstream answered it first; bounds the loop either way. */
const AFTER_SWITCH = 5;
const MAX_PER_CLIENT = 400;

function config(url: string): string {
  return `http:
  routers:
    app:
      rule: "Host(\`app.test\`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "${url}"
`;
}

interface Outcome { status: number; name: string; error?: string }

function get(agent: Agent, url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent, headers: { host: 'app.test' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let name = '';
        try { name = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).name); } catch { name = Buffer.concat(chunks).toString('utf8').slice(0, 80); }
        resolve({ status: res.statusCode ?? 0, name });
      });
      res.on('error', (e) => resolve({ status: 0, name: '', error: e.message }));
    });
    req.on('error', (e) => resolve({ status: 0, name: '', error: e.message }));
    req.end();
  });
}

const EDITS = [
  { desc: 'an atomic save (write a temporary file, rename it over) switches upstreams with no failed request', save: saveAtomically },
  { desc: 'an in-place save (truncate and write) switches upstreams with no failed request', save: (path: string, text: string) => writeFile(path, text) },
];

for (const edit of EDITS) {
  test(edit.desc, async (t) => {
    const before = await startUpstream(t, 'before');
    const after = await startUpstream(t, 'after');
    const dir = await tempDir(t);
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, config(before.url));
    const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`, '--providers.file.watch=true'] });
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');

    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    t.after(() => agent.destroy());
    const outcomes: Outcome[] = [];
    let started!: () => void;
    const loadRunning = new Promise<void>((resolve) => { started = resolve; });
    const client = async function loop(): Promise<string[]> {
      let afterSwitch = 0;
      const names: string[] = [];
      for (let i = 0; i < MAX_PER_CLIENT; i++) {
        const o = await get(agent, `${gw.web}/`);
        outcomes.push(o);
        names.push(o.name);
        if (outcomes.length >= CLIENTS * 3) started();
        if (o.name === 'after' && ++afterSwitch >= AFTER_SWITCH) return names;
      }
      return names;
    };
    const clients = Array.from({ length: CLIENTS }, () => client());

    await loadRunning;
    // Bounded wait on the reload event; the latency (a 100 ms debounce plus a rebuild, well under a
    // second) is reported, not asserted: the machine running the tests may be busy.
    const switched = waitForState(gw.gateway, (s) => s.services['app@file']?.loadBalancer?.servers?.[0]?.url === after.url);
    const savedAt = performance.now();
    await edit.save(file, config(after.url));
    await switched;
    t.diagnostic(`routing switched ${Math.round(performance.now() - savedAt)} ms after the save`);
    const sequences = await Promise.all(clients);

    const failures = outcomes.filter((o) => o.status !== 200 || (o.name !== 'before' && o.name !== 'after'));
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${outcomes.length} requests failed`);
    assert.ok(sequences.every((names) => names.length < MAX_PER_CLIENT), 'every client reached the new upstream');
    assert.ok(outcomes.some((o) => o.name === 'before'), 'the load started on the old upstream');
    // Requests of one client are sequential: once it saw the new upstream, the old table is gone for it.
    for (const names of sequences) assert.equal(names.slice(names.indexOf('after')).includes('before'), false, names.join(','));
    assert.equal(before.seen.length + after.seen.length, outcomes.length);
  });
}
