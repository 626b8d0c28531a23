import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPAllowList } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { runCase, type Case } from '../support/terminal.ts';

function build(cfg: IPAllowList): BuiltMiddleware {
  const built = buildMiddleware('ips@test', { ipAllowList: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}
const xff = (v: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': v } });
const forbidden = { status: 403, body: 'Forbidden' };

// Every client here is 127.0.0.1; the entry point trusts loopback, so X-Forwarded-For reaches the strategy.
const cases: Array<Case & { cfg: IPAllowList }> = [
  { desc: 'the peer address in range is allowed', cfg: { sourceRange: ['127.0.0.1/32'] } },
  { desc: 'the peer address out of range gets 403 Forbidden', cfg: { sourceRange: ['10.0.0.0/8'] }, ...forbidden },
  { desc: 'without ipStrategy X-Forwarded-For is ignored', cfg: { sourceRange: ['10.0.0.0/8'] }, request: xff('10.1.1.1'), ...forbidden },
  { desc: 'rejectStatusCode changes the answer', cfg: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 404 }, status: 404, body: 'Not Found' },
  { desc: 'a single address entry (no prefix length) works', cfg: { sourceRange: ['10.0.0.1', '127.0.0.1'] } },
  { desc: 'depth 1 takes the rightmost X-Forwarded-For entry', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 1 } },
    request: xff('192.168.0.9, 10.1.1.1') },
  { desc: 'depth 2 takes the second entry from the right', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 2 } },
    request: xff('10.1.1.1, 192.168.0.1') },
  { desc: 'depth beyond the header length gives no IP: refused', cfg: { sourceRange: ['0.0.0.0/0'], ipStrategy: { depth: 3 } },
    request: xff('10.1.1.1, 10.1.1.2'), ...forbidden },
  { desc: 'excludedIPs: the rightmost entry not excluded', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { excludedIPs: ['192.168.0.0/16'] } },
    request: xff('10.1.1.1, 192.168.0.1, 192.168.0.2') },
  { desc: 'excludedIPs: all excluded gives no IP: refused', cfg: { sourceRange: ['0.0.0.0/0'], ipStrategy: { excludedIPs: ['192.168.0.0/16'] } },
    request: xff('192.168.0.1'), ...forbidden },
  { desc: 'depth wins over excludedIPs', cfg: { sourceRange: ['192.168.0.0/16'], ipStrategy: { depth: 1, excludedIPs: ['192.168.0.0/16'] } },
    request: xff('10.1.1.1, 192.168.0.2') },
  { desc: 'an untrusted peer cannot spoof X-Forwarded-For', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: 1 } },
    serve: { trusted: [] }, request: xff('10.1.1.1'), ...forbidden },
  { desc: 'ipv6Subnet masks the client address before the check', cfg: { sourceRange: ['2001:db8::'], ipStrategy: { depth: 1, ipv6Subnet: 64 } },
    request: xff('2001:db8::abcd') },
  { desc: 'without ipv6Subnet the same address is refused', cfg: { sourceRange: ['2001:db8::'], ipStrategy: { depth: 1 } },
    request: xff('2001:db8::abcd'), ...forbidden },
];

describe('ipAllowList', () => {
  for (const c of cases) test(c.desc, async (t) => { await runCase(t, (next) => build(c.cfg).wrap(next), c); });

  test('a refusal is reported to the trace with the IP', async (t) => {
    const reasons: string[] = [];
    const trace = { verbosity: 'minimal' as const, startAttempt: () => { throw new Error('unused'); }, refuse: (r: string) => { reasons.push(r); } };
    await runCase(t, (next) => build({ sourceRange: ['10.0.0.0/8'] }).wrap(next), { desc: '', status: 403, serve: { trace } });
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /127\.0\.0\.1/);
  });

  const bad: Array<{ desc: string; cfg: IPAllowList; message: RegExp }> = [
    { desc: 'an empty sourceRange', cfg: {}, message: /^ipAllowList\.sourceRange: sourceRange is empty/ },
    { desc: 'an invalid CIDR', cfg: { sourceRange: ['10.0.0.0/33'] }, message: /^ipAllowList\.sourceRange: invalid CIDR/ },
    { desc: 'an unknown status code', cfg: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 999 }, message: /^ipAllowList\.rejectStatusCode:/ },
    { desc: 'an invalid excluded IP', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { excludedIPs: ['nope'] } }, message: /^ipAllowList\.ipStrategy\.excludedIPs:/ },
    { desc: 'an out-of-range ipv6Subnet', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { ipv6Subnet: 200 } }, message: /^ipAllowList\.ipStrategy\.ipv6Subnet:/ },
    { desc: 'a negative depth', cfg: { sourceRange: ['10.0.0.0/8'], ipStrategy: { depth: -1 } }, message: /^ipAllowList\.ipStrategy\.depth:/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('ips@test', { ipAllowList: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});
