import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../support/gateway.ts';
import { startCollector } from '../support/collector.ts';

interface Explained { matched: string | null; traced: boolean; tracedBecause: string }

/** /api/explain decides tracing with the gateway's own decision (shouldTrace), addInternals included. */
describe('explain: the tracing decision of internal routers', () => {
  for (const addInternals of [false, true]) {
    it(`tracing.addInternals=${addInternals}: the API router is ${addInternals ? '' : 'not '}traced`, async (t) => {
      const collector = await startCollector();
      const { admin } = await startTestGateway(t, { consul: false, flags: [`--tracing.otlp.http.endpoint=${collector.endpoint}`, `--tracing.addInternals=${addInternals}`] });
      t.after(() => collector.close());
      const res = await fetch(`${admin}/api/explain?entryPoint=traefik&url=${encodeURIComponent('http://any.test/api/version')}`);
      const body = await res.json() as Explained;
      assert.equal(body.matched, 'api@internal');
      assert.equal(body.traced, addInternals);
      assert.equal(body.tracedBecause, addInternals ? 'observability.tracing is true (from the default)' : 'internal routers are traced only with tracing.addInternals');
    });
  }
});
