import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../support/upstream.ts';
import { getJson } from '../support/gateway.ts';
import { lb, send, servedBy, startFileGateway } from '../support/file-gateway.ts';
import { defaultEntryPoints } from '../../src/static/index.ts';
import { loadStaticConfig } from '../../src/static/load.ts';

/** Routers without `entryPoints` (Traefik v3 `entryPoints.<ep>.asDefault`), through the running gateway. */
describe('entryPoints.<ep>.asDefault', () => {
  it('routers without entryPoints attach only to the entry points marked asDefault', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startFileGateway(t, {
      routers: { app: { rule: 'Host(`app.test`)', service: 'app' }, pinned: { rule: 'Host(`pinned.test`)', service: 'app', entryPoints: ['other'] } },
      services: { app: lb(up.url) },
    }, ['--entryPoints.other.address=127.0.0.1:0', '--entryPoints.web.asDefault=true']);
    const other = gw.gateway.url('other');
    assert.equal(servedBy(await send(gw.web, '/', { headers: { host: 'app.test' } })), 'app');
    assert.equal((await send(other, '/', { headers: { host: 'app.test' } })).status, 404, 'not on the entry point without asDefault');
    assert.equal(servedBy(await send(other, '/', { headers: { host: 'pinned.test' } })), 'app', 'explicit entryPoints still win');
    const { body } = await getJson<{ entryPoints: string[]; using: string[] }>(`${gw.admin}/api/http/routers/app@file`);
    assert.deepEqual(body.entryPoints, ['web']);
    assert.deepEqual(body.using, ['web']);
    const explained = await getJson<{ request: { entryPoint: string } }>(`${gw.admin}/api/explain?url=${encodeURIComponent('http://app.test/')}`);
    assert.equal(explained.body.request.entryPoint, 'web', 'explain defaults to the first default entry point');
  });

  it('with no entry point marked, routers attach to all but traefik', async (t) => {
    const up = await startUpstream(t, 'app');
    const gw = await startFileGateway(t, { routers: { app: { rule: 'Host(`app.test`)', service: 'app' } }, services: { app: lb(up.url) } },
      ['--entryPoints.other.address=127.0.0.1:0']);
    assert.equal(servedBy(await send(gw.web, '/', { headers: { host: 'app.test' } })), 'app');
    assert.equal(servedBy(await send(gw.gateway.url('other'), '/', { headers: { host: 'app.test' } })), 'app');
    const { body } = await getJson<{ entryPoints: string[]; using: string[] }>(`${gw.admin}/api/http/routers/app@file`);
    assert.deepEqual(body.entryPoints, ['other', 'web']);
    assert.deepEqual(body.using, ['other', 'web'], 'never the admin entry point');
  });

  it('traefik marked asDefault stays out of the defaults (Traefik getDefaultsEntrypoints)', () => {
    const config = loadStaticConfig({ argv: ['--entryPoints.web.address=:80', '--entryPoints.websecure.address=:443', '--entryPoints.traefik.address=:8080',
      '--entryPoints.traefik.asDefault=true'], env: {} });
    assert.deepEqual(defaultEntryPoints(config.entryPoints), []);
    const yaml = loadStaticConfig({ argv: ['--entryPoints.b.address=:81', '--entryPoints.a.address=:80', '--entryPoints.a.asDefault=true', '--entryPoints.b.asDefault=true'], env: {} });
    assert.deepEqual(defaultEntryPoints(yaml.entryPoints), ['a', 'b']);
  });
});
