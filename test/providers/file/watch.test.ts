import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import type { RuntimeState } from '../../../src/dynamic/runtime.ts';
import { tempDir } from './support.ts';

/** A router whose rule carries a version number, pointing at a service of the same file. */
function versioned(router: string, n: number): string {
  return `http:
  routers:
    ${router}:
      rule: "Host(\`app.test\`) && Path(\`/v${n}\`)"
      service: ${router}
  services:
    ${router}:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9"
`;
}

function versionOf(state: RuntimeState, router: string): number | undefined {
  const m = /\/v(\d+)/.exec(state.routers[router]?.rule ?? '');
  return m ? Number(m[1]) : undefined;
}

test('a Kubernetes-style ConfigMap update (the ..data symlink swapped) reloads a watched filename', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'dynamic.yml'), versioned('app', 1));
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'dynamic.yml'), join(dir, 'dynamic.yml'));
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${join(dir, 'dynamic.yml')}`] });
  await waitForState(gw.gateway, (s) => versionOf(s, 'app@file') === 1);

  // What the kubelet does: a new timestamped directory, a new link to it, renamed over ..data.
  await mkdir(join(dir, '..v2'));
  await writeFile(join(dir, '..v2', 'dynamic.yml'), versioned('app', 2));
  await symlink('..v2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await rm(join(dir, '..v1'), { recursive: true });
  await waitForState(gw.gateway, (s) => versionOf(s, 'app@file') === 2, 2000);
});

test('subdirectories are read and watched; a new one is picked up, a removed one takes its items away', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'team-a'));
  await writeFile(join(dir, 'top.yml'), versioned('top', 1));
  await writeFile(join(dir, 'team-a', 'a.toml'), `[http.routers.a]
  rule = "Host(\`a.test\`)"
  service = "top"
`);
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.directory=${dir}`] });
  await waitForState(gw.gateway, (s) => s.routers['a@file']?.status === 'enabled' && s.routers['top@file']?.status === 'enabled');

  await writeFile(join(dir, 'team-a', 'a.toml'), `[http.routers.a]
  rule = "Host(\`a2.test\`)"
  service = "top"
`);
  await waitForState(gw.gateway, (s) => s.routers['a@file']?.rule === 'Host(`a2.test`)', 2000);

  await mkdir(join(dir, 'team-b'));
  await writeFile(join(dir, 'team-b', 'b.yaml'), versioned('b', 1));
  await waitForState(gw.gateway, (s) => versionOf(s, 'b@file') === 1, 2000);
  // The new subdirectory is watched too.
  await writeFile(join(dir, 'team-b', 'b.yaml'), versioned('b', 2));
  await waitForState(gw.gateway, (s) => versionOf(s, 'b@file') === 2, 2000);

  await rm(join(dir, 'team-b'), { recursive: true });
  await waitForState(gw.gateway, (s) => s.routers['b@file'] === undefined, 2000);
  assert.equal(gw.gateway.state().routers['a@file']?.status, 'enabled');
});

test('a burst of saves ends on the last one, and no reload ever goes back to an older version', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, versioned('app', 0));
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`] });
  await waitForState(gw.gateway, (s) => versionOf(s, 'app@file') === 0);
  const seen: number[] = [];
  const record = (state: RuntimeState): void => { const v = versionOf(state, 'app@file'); if (v !== undefined) seen.push(v); };
  gw.gateway.on('reload', record);
  t.after(() => gw.gateway.off('reload', record));

  const LAST = 30;
  for (let n = 1; n <= LAST; n++) {
    await writeFile(file, versioned('app', n));
    // Every few saves, let the debounce expire so loads and events interleave.
    if (n % 10 === 0) await waitForState(gw.gateway, (s) => versionOf(s, 'app@file') === n, 2000);
  }
  await waitForState(gw.gateway, (s) => versionOf(s, 'app@file') === LAST, 2000);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `versions went backwards: ${seen.join(',')}`);
});
