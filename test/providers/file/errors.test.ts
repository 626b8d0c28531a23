import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState, getJson } from '../../support/gateway.ts';
import { startUpstream, request } from '../../support/upstream.ts';
import { capturingLogger, saveAtomically, tempDir } from './support.ts';

/** The good document; `edit` turns it into a broken one that would also move the route to `next`. */
function good(url: string): string {
  return `http:
  routers:
    app:
      rule: "Host(\`app.test\`)"
      service: app
      priority: 10
    other:
      rule: "Host(\`other.test\`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "${url}"
`;
}

const BROKEN = [
  {
    desc: 'a YAML syntax error (bad indentation)',
    edit: (text: string) => text.replace('      priority: 10', '     priority: 10'),
    line: 6, path: 'http.routers.app.priority', message: /syntax error/, scope: 'file',
  },
  {
    desc: 'an unknown key, with "did you mean"',
    edit: (text: string) => text.replace('      service: app', '      servce: app'),
    line: 5, path: 'http.routers.app.servce', message: /unknown key "servce".*did you mean "service"/, scope: 'item',
  },
  {
    desc: 'a value of the wrong type',
    edit: (text: string) => text.replace('priority: 10', 'priority: high'),
    line: 6, path: 'http.routers.app.priority', message: /invalid integer "high"/, scope: 'item',
  },
  {
    desc: 'a rule that does not parse',
    edit: (text: string) => text.replace('rule: "Host(`app.test`)"', 'rule: "Host(`app.test`"'),
    line: 4, path: 'http.routers.app.rule', message: /invalid rule/, scope: 'item',
  },
];

interface Overview { providerStatus: Array<{ name: string; error?: string; errorSince?: number }> }
interface RouterView { status: string; error?: string[] }

for (const c of BROKEN.filter((b) => b.scope === 'file')) {
  test(`${c.desc}: routing stays on the last good version, the error is shown, a fix clears it`, async (t) => {
    const first = await startUpstream(t, 'first');
    const second = await startUpstream(t, 'second');
    const dir = await tempDir(t);
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, good(first.url));
    const { logger, lines } = capturingLogger();
    const gw = await startTestGateway(t, { consul: false, logger, flags: [`--providers.file.filename=${file}`] });
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');

    await saveAtomically(file, c.edit(good(second.url)));
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'warning');

    const where = `${file}:${c.line}: ${c.path}: `;
    const routed = await request(`${gw.web}/`, { headers: { host: 'app.test' } });
    assert.equal(routed.status, 200);
    assert.equal(JSON.parse(routed.body).name, 'first', 'still the last good version');

    const logged = lines.filter((l) => l.includes(' ERROR ') && l.includes(where));
    assert.equal(logged.length, 1, lines.join('\n'));
    assert.match(logged[0]!, c.message);

    const overview = await getJson<Overview>(`${gw.admin}/api/overview`);
    const status = overview.body.providerStatus.find((p) => p.name === 'file');
    assert.ok(status?.error?.includes(where), JSON.stringify(overview.body.providerStatus));
    assert.match(status!.error!, c.message);
    assert.equal(typeof status!.errorSince, 'number');

    for (const item of ['http/routers/app@file', 'http/services/app@file']) {
      const view = await getJson<RouterView>(`${gw.admin}/api/${item}`);
      assert.equal(view.body.status, 'warning', item);
      assert.equal(view.body.error?.length, 1, item);
      assert.ok(view.body.error[0]!.includes(where), view.body.error[0]);
      assert.match(view.body.error[0]!, c.message);
    }

    await saveAtomically(file, good(second.url));
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled' && s.services['app@file']?.status === 'enabled');
    const fixed = await request(`${gw.web}/`, { headers: { host: 'app.test' } });
    assert.equal(JSON.parse(fixed.body).name, 'second');
    const cleared = await getJson<Overview>(`${gw.admin}/api/overview`);
    assert.deepEqual(cleared.body.providerStatus.find((p) => p.name === 'file')?.error, undefined);
    assert.equal((await getJson<RouterView>(`${gw.admin}/api/http/routers/app@file`)).body.error, undefined);
    assert.ok(lines.some((l) => l.includes(' INFO ') && l.includes('fixed') && l.includes(file)));
  });
}

// A bad item disables only what it touches: the item is left out and reported, the rest of the file applies.
for (const c of BROKEN.filter((b) => b.scope === 'item')) {
  test(`${c.desc}: only that router is left out (disabled, with the error); the rest of the file applies; a fix clears it`, async (t) => {
    const first = await startUpstream(t, 'first');
    const second = await startUpstream(t, 'second');
    const dir = await tempDir(t);
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, good(first.url));
    const { logger, lines } = capturingLogger();
    const gw = await startTestGateway(t, { consul: false, logger, flags: [`--providers.file.filename=${file}`] });
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');

    // The edit breaks the router `app` and moves the service to `second`: the service change applies.
    await saveAtomically(file, c.edit(good(second.url)));
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'disabled');
    const where = `${file}:${c.line}: ${c.path}: `;
    assert.equal((await request(`${gw.web}/`, { headers: { host: 'app.test' } })).status, 404, 'the broken router is not served');
    const other = await request(`${gw.web}/`, { headers: { host: 'other.test' } });
    assert.equal(JSON.parse(other.body).name, 'second', 'the rest of the file (the service change) applies');

    const logged = lines.filter((l) => l.includes(' ERROR ') && l.includes(where));
    assert.equal(logged.length, 1, lines.join('\n'));
    assert.match(logged[0]!, c.message);
    assert.match(logged[0]!, /router "app" is left out/);
    const overview = await getJson<Overview>(`${gw.admin}/api/overview`);
    assert.equal(overview.body.providerStatus.find((p) => p.name === 'file')?.error, undefined, 'the problem is the item\'s, not the file\'s');

    const view = await getJson<RouterView>(`${gw.admin}/api/http/routers/app@file`);
    assert.equal(view.body.status, 'disabled');
    assert.ok(view.body.error?.some((e) => e.includes(where)), JSON.stringify(view.body.error));
    assert.equal((await getJson<RouterView>(`${gw.admin}/api/http/services/app@file`)).body.status, 'enabled');
    assert.equal((await getJson<RouterView>(`${gw.admin}/api/http/routers/other@file`)).body.status, 'enabled');

    await saveAtomically(file, good(second.url));
    await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');
    assert.equal(JSON.parse((await request(`${gw.web}/`, { headers: { host: 'app.test' } })).body).name, 'second');
    const cleared = await getJson<Overview>(`${gw.admin}/api/overview`);
    assert.deepEqual(cleared.body.providerStatus.find((p) => p.name === 'file')?.error, undefined);
  });
}

test('a file with an unsupported middleware and an unknown service type applies everything else', async (t) => {
  const up = await startUpstream(t, 'up');
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, `${good(up.url)}  middlewares:
    plug:
      plugin:
        demo: {}
    fine:
      addPrefix:
        prefix: /p
`.replace('      service: app\n      priority: 10', '      service: app\n      priority: 10\n      middlewares: [fine]').replace('  services:\n', '  services:\n    hrw:\n      highestRandomWeight: {}\n'));
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`] });
  await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled' && s.middlewares['plug@file'] !== undefined);
  const s = gw.gateway.state();
  assert.equal(s.middlewares['plug@file']?.status, 'disabled');
  assert.match(s.middlewares['plug@file']?.error?.join() ?? '', /middleware "plugin" is not supported by tagway/);
  assert.equal(s.services['hrw@file']?.status, 'disabled');
  assert.match(s.services['hrw@file']?.error?.join() ?? '', /service type "highestRandomWeight" is not supported by tagway/);
  const r = await request(`${gw.web}/x`, { headers: { host: 'app.test' } });
  assert.equal(JSON.parse(r.body).url, '/p/x', 'the router and its middleware from the same file are served');
});

test('a file broken from the start serves nothing, is reported, and is served once fixed', async (t) => {
  const up = await startUpstream(t, 'up');
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, good(up.url).replace('      priority: 10', '     priority: 10'));
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`] });
  await waitForState(gw.gateway, () => gw.gateway.providerStatuses().some((p) => p.name === 'file' && p.configurationAt !== undefined));
  assert.equal(gw.gateway.state().routers['app@file'], undefined);
  const overview = await getJson<Overview>(`${gw.admin}/api/overview`);
  assert.ok(overview.body.providerStatus.find((p) => p.name === 'file')?.error?.includes(`${file}:6: http.routers.app.priority: syntax error`));
  assert.equal((await request(`${gw.web}/`, { headers: { host: 'app.test' } })).status, 404);

  await saveAtomically(file, good(up.url));
  await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');
  assert.equal((await request(`${gw.web}/`, { headers: { host: 'app.test' } })).status, 200);
});

test('a filename that does not exist yet is reported, then served once created', async (t) => {
  const up = await startUpstream(t, 'up');
  const dir = await tempDir(t);
  const file = join(dir, 'later.yml');
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`] });
  await waitForState(gw.gateway, () => gw.gateway.providerStatuses().some((p) => p.name === 'file' && p.configurationAt !== undefined));
  const overview = await getJson<Overview>(`${gw.admin}/api/overview`);
  assert.equal(overview.body.providerStatus.find((p) => p.name === 'file')?.error, `${file}: file not found`);

  await saveAtomically(file, good(up.url));
  await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled');
  assert.equal((await request(`${gw.web}/`, { headers: { host: 'app.test' } })).status, 200);
  const after = await getJson<Overview>(`${gw.admin}/api/overview`);
  assert.equal(after.body.providerStatus.find((p) => p.name === 'file')?.error, undefined);
});
