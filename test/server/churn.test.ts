/**
 * Issue 17 end to end, on real sockets: a devcatalog fleet (the churn scenario), the real Consul client, the
 * running gateway. A health flip is visible in the API within a second, rebuilds that service's router only, and
 * requests in flight (on that very service, and elsewhere) finish untouched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { BuildWork } from '../../src/runtime/build.ts';
import type { ServiceInfo } from '../../src/dynamic/runtime.ts';
import { churnHost, registerFleet, startChurn } from '../../src/dev/devcatalog/churn.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { api, via } from './admin/support.ts';

const SERVICES = 300;

/** A GET whose response headers arrive at once and whose body the upstream holds until `release()`. */
function slowGet(web: string, host: string): Promise<{ res: IncomingMessage; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${web}/slow`, { headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      resolve({ res, body: new Promise((done, fail) => { res.on('end', () => done(body)); res.on('error', fail); res.on('aborted', () => fail(new Error('aborted'))); }) });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('churn through the running gateway', () => {
  it(`${SERVICES} services × 3: a flip is in the API in < 1 s, rebuilds one router, in-flight requests finish`, { timeout: 60_000 }, async (t) => {
    const held: Array<() => void> = [];
    const serve = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
      if (req.url?.endsWith('/slow')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first half;');
        held.push(() => res.end('second half'));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    // Three upstreams, so each service has three distinct servers (instance k on upstream k).
    const ups = [await startUpstream(t, 'fleet-0', serve), await startUpstream(t, 'fleet-1', serve), await startUpstream(t, 'fleet-2', serve)];
    const { gateway, catalog, web, admin } = await startTestGateway(t, { providerThread: true }); // as production runs workers: 1
    const fleet = { services: SERVICES, instances: 3, address: '127.0.0.1', ports: ups.map((u) => u.port) };
    registerFleet(catalog!, fleet);
    await waitForState(gateway, (s) => Object.keys(s.routers).filter((n) => n.endsWith('@consulcatalog')).length === SERVICES, 30_000);

    // The scenario's own flip (svc-0), applied before the in-flight requests start.
    const churn = startChurn(catalog!, fleet, 0);
    const first = churn.flip();
    await waitForState(gateway, (s) => s.services[`svc-${first.service}@consulcatalog`]?.loadBalancer?.servers?.length === 2);

    const onChanged = await slowGet(web, churnHost(1));
    assert.equal(onChanged.res.statusCode, 200);
    const elsewhere = await slowGet(web, churnHost(2));
    assert.equal(elsewhere.res.statusCode, 200);

    // Flip svc-1's instance while a request to it is in flight.
    let works: BuildWork[] = [];
    const onReload = (_state: unknown, work: BuildWork) => { works.push(work); };
    gateway.on('reload', onReload);
    t.after(() => gateway.off('reload', onReload));
    works = [];
    const started = performance.now();
    catalog!.setCheck('check-svc-1-0', 'critical');
    let visible = Infinity;
    for (;;) {
      const got = await api<ServiceInfo>(admin, '/api/http/services/svc-1@consulcatalog');
      if (got.body.loadBalancer?.servers?.length === 2) { visible = performance.now() - started; break; }
      if (performance.now() - started > 5000) break;
      await new Promise<void>((resolve) => gateway.once('reload', () => resolve()));
    }
    assert.ok(visible < 1000, `the flip is visible in the API after ${visible.toFixed(0)} ms`);
    const work = works.find((w) => w.services.includes('svc-1@consulcatalog'))!;
    assert.deepEqual(work, { full: false, routers: ['svc-1@consulcatalog'], services: ['svc-1@consulcatalog'], middlewares: [] }, 'one router and its service rebuilt, of 300');

    // The requests that were in flight across the change finish with their whole body.
    for (const release of held.splice(0)) release();
    assert.equal(await onChanged.body, 'first half;second half');
    assert.equal(await elsewhere.body, 'first half;second half');

    // And new requests follow the change: svc-1 still routes (2 instances up), through its middleware.
    const after = await via(web, churnHost(1), '/strip/x');
    assert.equal(after.status, 200);
    assert.equal(after.body, 'ok');
    assert.ok(ups.some((u) => u.seen.at(-1)?.url === '/x'), 'the strip-prefix middleware still applies');
    churn.stop();
  });
});
