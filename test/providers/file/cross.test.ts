import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState, getJson } from '../../support/gateway.ts';
import { startUpstream, request } from '../../support/upstream.ts';
import { saveAtomically, tempDir } from './support.ts';

const BASIC = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
const SHA = `{SHA}${createHash('sha1').update('s3cret').digest('base64')}`;

function fileConfig(legacyUrl: string): string {
  return `http:
  routers:
    to-consul:
      rule: "Host(\`to-consul.test\`)"
      service: whoami@consulcatalog
    local:
      rule: "Host(\`local.test\`)"
      service: legacy
      middlewares: [auth]
    unqualified-consul:
      rule: "Host(\`unqualified.test\`)"
      service: whoami
  middlewares:
    auth:
      basicAuth:
        users: ["ops:${SHA}"]
  services:
    legacy:
      loadBalancer:
        servers:
          - url: "${legacyUrl}"
`;
}

interface RouterView { status: string; service?: string; middlewares?: string[]; error?: string[] }

test('routers of one provider use services and middlewares of the other, by qualified name', async (t) => {
  const whoami = await startUpstream(t, 'whoami');
  const legacy = await startUpstream(t, 'legacy');
  const xApp = await startUpstream(t, 'x-app');
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, fileConfig(legacy.url));
  const { gateway, catalog, web, admin } = await startTestGateway(t, { flags: [`--providers.file.filename=${file}`] });
  catalog!.register({ Name: 'whoami', Address: '127.0.0.1', Port: whoami.port, Tags: ['traefik.http.routers.whoami.rule=Host(`whoami.test`)'] });
  catalog!.register({
    Name: 'x', Address: '127.0.0.1', Port: xApp.port,
    Tags: [
      'traefik.http.routers.x.rule=Host(`x.test`)',
      'traefik.http.routers.x.middlewares=auth@file',
      'traefik.http.routers.x.service=legacy@file',
      'traefik.http.routers.x-unqualified.rule=Host(`x-unqualified.test`)',
      'traefik.http.routers.x-unqualified.service=legacy',
      'traefik.http.services.x.loadBalancer.server.port=' + xApp.port,
    ],
  });
  await waitForState(gateway, (s) => s.routers['x@consulcatalog'] !== undefined && s.routers['x-unqualified@consulcatalog'] !== undefined
    && s.routers['local@file'] !== undefined && s.services['whoami@consulcatalog'] !== undefined);

  const CASES: Array<{ desc: string; host: string; headers: Record<string, string>; status: number; upstream: string | undefined }> = [
    { desc: 'Consul router → file middleware (no credentials)', host: 'x.test', headers: {}, status: 401, upstream: undefined },
    { desc: 'Consul router → file middleware → file service', host: 'x.test', headers: { authorization: BASIC }, status: 200, upstream: 'legacy' },
    { desc: 'file router → Consul service', host: 'to-consul.test', headers: {}, status: 200, upstream: 'whoami' },
    { desc: 'file router → unqualified file middleware (no credentials)', host: 'local.test', headers: {}, status: 401, upstream: undefined },
    { desc: 'file router → unqualified file middleware and service', host: 'local.test', headers: { authorization: BASIC }, status: 200, upstream: 'legacy' },
    { desc: 'file router → unqualified "whoami" is whoami@file, which does not exist', host: 'unqualified.test', headers: {}, status: 404, upstream: undefined },
    { desc: 'Consul router → unqualified "legacy" is legacy@consulcatalog, which does not exist', host: 'x-unqualified.test', headers: {}, status: 404, upstream: undefined },
  ];
  for (const c of CASES) {
    const r = await request(`${web}/`, { headers: { host: c.host, ...c.headers } });
    assert.equal(r.status, c.status, c.desc);
    if (c.upstream) assert.equal(JSON.parse(r.body).name, c.upstream, c.desc);
  }
  assert.equal(xApp.seen.length, 0, 'the x router goes to the file service, not to its own instance');

  const x = (await getJson<RouterView>(`${admin}/api/http/routers/x@consulcatalog`)).body;
  assert.deepEqual([x.status, x.service, x.middlewares], ['enabled', 'legacy@file', ['auth@file']]);
  const auth = (await getJson<{ usedBy: string[] }>(`${admin}/api/http/middlewares/auth@file`)).body;
  assert.deepEqual([...auth.usedBy].sort(), ['local@file', 'x@consulcatalog']);
  const legacySvc = (await getJson<{ usedBy: string[] }>(`${admin}/api/http/services/legacy@file`)).body;
  assert.deepEqual([...legacySvc.usedBy].sort(), ['local@file', 'x@consulcatalog']);
  const whoamiSvc = (await getJson<{ usedBy: string[] }>(`${admin}/api/http/services/whoami@consulcatalog`)).body;
  assert.deepEqual([...whoamiSvc.usedBy].sort(), ['to-consul@file', 'whoami@consulcatalog']);

  const unqualified = (await getJson<RouterView>(`${admin}/api/http/routers/unqualified-consul@file`)).body;
  assert.equal(unqualified.status, 'disabled');
  assert.match(unqualified.error?.join('\n') ?? '', /"whoami@file" does not exist/);
  const xUnqualified = (await getJson<RouterView>(`${admin}/api/http/routers/x-unqualified@consulcatalog`)).body;
  assert.equal(xUnqualified.status, 'disabled');
  assert.match(xUnqualified.error?.join('\n') ?? '', /"legacy@consulcatalog" does not exist/);

  // An edit of the file reaches the Consul router: a new password, then the service taken away.
  const newSha = `{SHA}${createHash('sha1').update('n3w').digest('base64')}`;
  await saveAtomically(file, fileConfig(legacy.url).replace(SHA, newSha));
  await waitForState(gateway, (s) => JSON.stringify(s.middlewares['auth@file']?.basicAuth).includes(newSha));
  assert.equal((await request(`${web}/`, { headers: { host: 'x.test', authorization: BASIC } })).status, 401);
  const newBasic = `Basic ${Buffer.from('ops:n3w').toString('base64')}`;
  assert.equal((await request(`${web}/`, { headers: { host: 'x.test', authorization: newBasic } })).status, 200);

  await saveAtomically(file, fileConfig(legacy.url).replace(/  services:[\s\S]*$/, ''));
  await waitForState(gateway, (s) => s.routers['x@consulcatalog']?.status === 'disabled');
  assert.match(gateway.state().routers['x@consulcatalog']!.error!.join('\n'), /"legacy@file" does not exist/);
  assert.equal((await request(`${web}/`, { headers: { host: 'x.test', authorization: newBasic } })).status, 404);
});
