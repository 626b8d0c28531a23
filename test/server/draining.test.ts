import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, waitForState } from '../support/gateway.ts';

async function ping(admin: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${admin}/ping`, { headers: { connection: 'close' } });
  return { status: res.status, body: await res.text() };
}

describe('/ping while the gateway stops', () => {
  const grace = ['--entryPoints.web.transport.lifeCycle.requestAcceptGraceTimeout=1s', '--entryPoints.web.transport.lifeCycle.graceTimeOut=1s'];

  it('answers 503 during requestAcceptGraceTimeout, so the load balancer in front stops sending', { timeout: 15_000 }, async (t) => {
    const { gateway, admin } = await startTestGateway(t, { consul: false, flags: grace });
    assert.deepEqual(await ping(admin), { status: 200, body: 'OK' });
    const closing = gateway.close(); // what SIGTERM does (src/cli.ts)
    assert.deepEqual(await ping(admin), { status: 503, body: 'Service Unavailable' });
    await closing;
  });

  it('answers ping.terminatingStatusCode when set', { timeout: 15_000 }, async (t) => {
    const { gateway, admin } = await startTestGateway(t, { consul: false, flags: [...grace, '--ping.terminatingStatusCode=500'] });
    await waitForState(gateway, (s) => s.routers['ping@internal'] !== undefined);
    const closing = gateway.close();
    assert.deepEqual(await ping(admin), { status: 500, body: 'Internal Server Error' });
    await closing;
  });
});
