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
    line: 6, path: 'http.routers.app.priority', message: /syntax error/,
  },
  {
    desc: 'an unknown key, with "did you mean"',
    edit: (text: string) => text.replace('      service: app', '      servce: app'),
    line: 5, path: 'http.routers.app.servce', message: /unknown key "servce".*did you mean "service"/,
  },
  {
    desc: 'a value of the wrong type',
    edit: (text: string) => text.replace('priority: 10', 'priority: high'),
    line: 6, path: 'http.routers.app.priority', message: /invalid integer "high"/,
  },
  {
    desc: 'a rule that does not parse',
    edit: (text: string) => text.replace('rule: "Host(`app.test`)"', 'rule: "Host(`app.test`"'),
    line: 4, path: 'http.routers.app.rule', message: /invalid rule/,
  },
];

interface Overview { providerStatus: Array<{ name: string; error?: string; errorSince?: number }> }
interface RouterView { status: string; error?: string[] }

for (const c of BROKEN) {
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

test('a file broken from the start serves nothing, is reported, and is served once fixed', async (t) => {
  const up = await startUpstream(t, 'up');
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, good(up.url).replace('priority: 10', 'priority: high'));
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`] });
  await waitForState(gw.gateway, () => gw.gateway.providerStatuses().some((p) => p.name === 'file' && p.configurationAt !== undefined));
  assert.equal(gw.gateway.state().routers['app@file'], undefined);
  const overview = await getJson<Overview>(`${gw.admin}/api/overview`);
  assert.ok(overview.body.providerStatus.find((p) => p.name === 'file')?.error?.includes(`${file}:6: http.routers.app.priority: invalid integer "high"`));
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
