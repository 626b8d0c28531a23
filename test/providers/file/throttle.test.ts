import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startTestGateway, waitForState } from '../../support/gateway.ts';
import { request } from '../../support/upstream.ts';
import { tempDir } from './support.ts';

test('with a long providers throttle, the first configuration of each provider still applies at once (as Traefik)', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'dynamic.yml');
  await writeFile(file, 'http:\n  routers:\n    app:\n      rule: "Host(`app.test`)"\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:9"\n');
  const gw = await startTestGateway(t, { consul: false, flags: [`--providers.file.filename=${file}`, '--providers.providersThrottleDuration=10m'] });
  assert.equal(gw.gateway.config.providers.providersThrottleDuration, 600_000);
  // Bounded far below the throttle: a first configuration held back by it would time out here.
  await waitForState(gw.gateway, (s) => s.routers['app@file']?.status === 'enabled' && s.routers['ping@internal'] !== undefined);
  assert.equal((await request(`${gw.admin}/ping`)).status, 200);
});
