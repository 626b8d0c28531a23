import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState, getJson } from '../../support/gateway.ts';
import { startUpstream, request } from '../../support/upstream.ts';
import { saveAtomically, tempDir } from './support.ts';

interface Overview { providerStatus: Array<{ name: string; error?: string; counters?: Record<string, number> }> }
interface ItemView { status: string; error?: string[] }

test('a directory of yml, yaml and toml files merges; conflicts, deletions and empty files', async (t) => {
  const one = await startUpstream(t, 'one');
  const two = await startUpstream(t, 'two');
  const dir = await tempDir(t);
  const files = {
    'a.yml': `http:
  routers:
    ra:
      rule: "Host(\`a.test\`)"
      service: shared
  services:
    shared:
      loadBalancer:
        servers:
          - url: "${one.url}"
`,
    'b.yaml': `http:
  routers:
    rb:
      rule: "Host(\`b.test\`)"
      service: shared
      middlewares: [tag]
  middlewares:
    tag:
      headers:
        customRequestHeaders:
          X-From: b.yaml
  services:
    shared:
      loadBalancer:
        servers:
          - url: "${one.url}"
`,
    'c.toml': `[http.routers.rc]
  rule = "Host(\`c.test\`)"
  service = "other"

[[http.services.other.loadBalancer.servers]]
  url = "${two.url}"
`,
    'empty.yml': '',
    'comments.yaml': '# nothing here yet\n',
    'notes.txt': 'not configuration: {',
    '.hidden.yml': 'not: [valid',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.directory=${dir}`, '--providers.file.watch=true'] });
  await waitForState(gw.gateway, (s) => ['ra@file', 'rb@file', 'rc@file'].every((r) => s.routers[r]?.status === 'enabled'));

  const served = async (host: string): Promise<{ status: number; name?: string; from?: string }> => {
    const r = await request(`${gw.web}/`, { headers: { host } });
    if (r.status !== 200) return { status: r.status };
    const body = JSON.parse(r.body) as { name: string; headers: Record<string, string> };
    return { status: r.status, name: body.name, ...(body.headers['x-from'] ? { from: body.headers['x-from'] } : {}) };
  };
  assert.deepEqual(await served('a.test'), { status: 200, name: 'one' });
  assert.deepEqual(await served('b.test'), { status: 200, name: 'one', from: 'b.yaml' });
  assert.deepEqual(await served('c.test'), { status: 200, name: 'two' });
  const state = gw.gateway.state();
  assert.equal(state.services['shared@file']?.status, 'enabled', 'defined identically in two files: kept once, no error');
  assert.equal(state.services['shared@file']?.error, undefined);
  let overview = (await getJson<Overview>(`${gw.admin}/api/overview`)).body.providerStatus.find((p) => p.name === 'file');
  assert.equal(overview?.error, undefined, 'empty files are empty configurations; other extensions and dot files are not read');
  assert.equal(overview?.counters?.['files'], 5);

  // The same router, defined differently in a second file: disabled, the error names both files.
  await saveAtomically(join(dir, 'd.yml'), `http:
  routers:
    ra:
      rule: "Host(\`a.test\`) && PathPrefix(\`/d\`)"
      service: shared
    rd:
      rule: "Host(\`d.test\`)"
      service: other
`);
  await waitForState(gw.gateway, (s) => s.routers['ra@file']?.status === 'disabled' && s.routers['rd@file'] !== undefined);
  const conflict = (await getJson<ItemView>(`${gw.admin}/api/http/routers/ra@file`)).body;
  assert.equal(conflict.status, 'disabled');
  assert.equal(conflict.error?.length, 1);
  assert.match(conflict.error![0]!, /a\.yml/);
  assert.match(conflict.error![0]!, /d\.yml/);
  assert.equal((await served('a.test')).status, 404);
  assert.deepEqual(await served('d.test'), { status: 200, name: 'two' }, 'a reference across files of the provider');
  assert.deepEqual(await served('b.test'), { status: 200, name: 'one', from: 'b.yaml' }, 'the rest is untouched');

  // Deleting a file removes its items (and here ends the conflict).
  await rm(join(dir, 'd.yml'));
  await waitForState(gw.gateway, (s) => s.routers['rd@file'] === undefined && s.routers['ra@file']?.status === 'enabled');
  assert.deepEqual(await served('a.test'), { status: 200, name: 'one' });
  assert.equal((await served('d.test')).status, 404);

  await rm(join(dir, 'c.toml'));
  await waitForState(gw.gateway, (s) => s.routers['rc@file'] === undefined && s.services['other@file'] === undefined);
  assert.equal((await served('c.test')).status, 404);

  // Emptying a file is an empty configuration: its items go, no error.
  await saveAtomically(join(dir, 'b.yaml'), '');
  await waitForState(gw.gateway, (s) => s.routers['rb@file'] === undefined && s.middlewares['tag@file'] === undefined);
  assert.equal(gw.gateway.state().services['shared@file']?.status, 'enabled', 'still defined by a.yml');
  overview = (await getJson<Overview>(`${gw.admin}/api/overview`)).body.providerStatus.find((p) => p.name === 'file');
  assert.equal(overview?.error, undefined);
});
