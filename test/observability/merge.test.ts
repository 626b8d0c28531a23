import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouterObservability } from '../../src/dynamic/types.ts';
import { shouldTrace } from '../../src/observability/decision.ts';
import { mergeObservability } from '../../src/observability/merge.ts';
import type { EntryPointConfig } from '../../src/static/types.ts';

describe('mergeObservability', () => {
  const cases: Array<{ desc: string; router?: RouterObservability; ep?: EntryPointConfig['observability']; want: object }> = [
    {
      desc: 'nothing set gives the defaults',
      want: { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal', sources: { accessLogs: 'default', metrics: 'default', tracing: 'default', traceVerbosity: 'default' } },
    },
    {
      desc: 'entry point values fill what the router leaves unset',
      ep: { tracing: false, traceVerbosity: 'detailed' },
      want: { accessLogs: true, metrics: true, tracing: false, traceVerbosity: 'detailed', sources: { accessLogs: 'default', metrics: 'default', tracing: 'entryPoint', traceVerbosity: 'entryPoint' } },
    },
    {
      desc: 'router values win over the entry point, field by field',
      router: { tracing: true, accessLogs: false },
      ep: { tracing: false, accessLogs: true, metrics: false, traceVerbosity: 'detailed' },
      want: { accessLogs: false, metrics: false, tracing: true, traceVerbosity: 'detailed', sources: { accessLogs: 'router', metrics: 'entryPoint', tracing: 'router', traceVerbosity: 'entryPoint' } },
    },
    {
      desc: 'an explicit false on the router is not "unset"',
      router: { metrics: false, traceVerbosity: 'minimal' },
      ep: { metrics: true, traceVerbosity: 'detailed' },
      want: { accessLogs: true, metrics: false, tracing: true, traceVerbosity: 'minimal', sources: { accessLogs: 'default', metrics: 'router', tracing: 'default', traceVerbosity: 'router' } },
    },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(mergeObservability(c.router, c.ep), c.want));
});

describe('shouldTrace', () => {
  // merged `tracing` for each (entry point, router) value: the router wins, then the entry point, then true
  const tracingAxis: Array<{ ep: boolean | undefined; router: boolean | undefined; merged: boolean }> = [
    { ep: undefined, router: undefined, merged: true },
    { ep: undefined, router: true, merged: true },
    { ep: undefined, router: false, merged: false },
    { ep: true, router: undefined, merged: true },
    { ep: true, router: true, merged: true },
    { ep: true, router: false, merged: false },
    { ep: false, router: undefined, merged: false },
    { ep: false, router: true, merged: true },
    { ep: false, router: false, merged: false },
  ];
  // whether a router with merged tracing=true gets spans, per global/internal settings
  const globalAxis: Array<{ configured: boolean; internal: boolean; addInternals: boolean; allowed: boolean }> = [
    { configured: false, internal: false, addInternals: false, allowed: false },
    { configured: false, internal: false, addInternals: true, allowed: false },
    { configured: false, internal: true, addInternals: false, allowed: false },
    { configured: false, internal: true, addInternals: true, allowed: false },
    { configured: true, internal: false, addInternals: false, allowed: true },
    { configured: true, internal: false, addInternals: true, allowed: true },
    { configured: true, internal: true, addInternals: false, allowed: false },
    { configured: true, internal: true, addInternals: true, allowed: true },
  ];
  for (const g of globalAxis) {
    for (const a of tracingAxis) {
      const want = g.allowed && a.merged;
      const desc = `tracing section ${g.configured ? 'set' : 'absent'}, ${g.internal ? 'internal' : 'user'} router, addInternals=${g.addInternals}, ` +
        `entry point ${String(a.ep)}, router ${String(a.router)} → ${want}`;
      it(desc, () => {
        const merged = mergeObservability({ tracing: a.router }, { tracing: a.ep });
        assert.equal(merged.tracing, a.merged);
        assert.equal(shouldTrace({ tracingConfigured: g.configured, internal: g.internal, addInternals: g.addInternals, tracing: merged.tracing }), want);
      });
    }
  }
});
