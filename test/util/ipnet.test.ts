import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedNetworks } from '../../src/util/ipnet.ts';

describe('TrustedNetworks (Go net.IPNet semantics)', () => {
  const cases = [
    { desc: 'an IPv6 network never holds an IPv4 client, even ::/0', entries: ['::/0'], ip: '203.0.113.9', want: false },
    { desc: 'nor an IPv4-mapped one (Node on a dual-stack listener)', entries: ['::/0'], ip: '::ffff:127.0.0.1', want: false },
    { desc: '::/0 holds IPv6 clients', entries: ['::/0'], ip: '::1', want: true },
    { desc: '0.0.0.0/0 holds no IPv6 client', entries: ['0.0.0.0/0'], ip: '2001:db8::1', want: false },
    { desc: '0.0.0.0/0 holds an IPv4-mapped client', entries: ['0.0.0.0/0'], ip: '::ffff:198.51.100.1', want: true },
    { desc: 'an IPv4 range holds the mapped form of its addresses', entries: ['10.0.0.0/8'], ip: '::ffff:10.1.2.3', want: true },
    { desc: 'a mapped IPv6 range is the IPv4 range (::ffff:0:0/96 is every IPv4)', entries: ['::ffff:0:0/96'], ip: '192.0.2.1', want: true },
    { desc: 'a mapped IPv6 range with a longer prefix', entries: ['::ffff:10.0.0.0/104'], ip: '10.200.0.1', want: true },
    { desc: 'a mapped IPv6 range with a longer prefix, outside', entries: ['::ffff:10.0.0.0/104'], ip: '11.0.0.1', want: false },
    { desc: 'a single mapped address equals the IPv4 address', entries: ['::ffff:192.0.2.7'], ip: '192.0.2.7', want: true },
    { desc: 'a single IPv4 address', entries: ['192.0.2.7'], ip: '192.0.2.8', want: false },
    { desc: 'an IPv6 range', entries: ['2001:db8::/32'], ip: '2001:db8:ffff::1', want: true },
    { desc: 'an IPv6 range, outside', entries: ['2001:db8::/32'], ip: '2001:db9::1', want: false },
    { desc: 'a zone is not an IP for Go', entries: ['::/0'], ip: 'fe80::1%eth0', want: false },
    { desc: 'an empty address is nobody', entries: ['0.0.0.0/0'], ip: '', want: false },
    { desc: 'no entries: nobody', entries: [], ip: '127.0.0.1', want: false },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(new TrustedNetworks(c.entries).contains(c.ip), c.want));
  }

  it('insecure (all) holds everyone', () => assert.equal(new TrustedNetworks([], { all: true }).contains('203.0.113.9'), true));

  it('refuses invalid entries, naming them', () => {
    assert.throws(() => new TrustedNetworks(['10.0.0.0/33']), /invalid CIDR prefix in "10.0.0.0\/33"/);
    assert.throws(() => new TrustedNetworks(['nope']), /invalid IP or CIDR "nope"/);
    assert.throws(() => new TrustedNetworks(['010.0.0.1']), /invalid IP or CIDR/, 'Go refuses leading zeros');
  });
});
