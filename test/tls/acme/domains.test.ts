import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deleteUnnecessaryDomains, matchDomain, renewDurations, sanitizeDomains, wantedCertificates } from '../../../src/tls/acme/domains.ts';

// Traefik's pkg/provider/acme/provider_test.go TestDeleteUnnecessaryDomains, as data (a domain as [main, ...sans]).
const deleteCases: Array<{ desc: string; domains: string[][]; want: string[][] }> = [
  { desc: 'no domain to delete', domains: [['acme.wtf', 'traefik.acme.wtf', 'foo.bar'], ['*.foo.acme.wtf'], ['acme02.wtf', 'traefik.acme02.wtf', 'bar.foo']], want: [['acme.wtf', 'traefik.acme.wtf', 'foo.bar'], ['*.foo.acme.wtf'], ['acme02.wtf', 'traefik.acme02.wtf', 'bar.foo']] },
  { desc: 'wildcard and root domain', domains: [['acme.wtf'], ['*.acme.wtf', 'acme.wtf']], want: [['acme.wtf'], ['*.acme.wtf']] },
  { desc: '2 equals domains', domains: [['acme.wtf', 'traefik.acme.wtf', 'foo.bar'], ['acme.wtf', 'traefik.acme.wtf', 'foo.bar']], want: [['acme.wtf', 'traefik.acme.wtf', 'foo.bar']] },
  { desc: '2 domains with same values', domains: [['acme.wtf', 'traefik.acme.wtf'], ['acme.wtf', 'traefik.acme.wtf', 'foo.bar']], want: [['acme.wtf', 'traefik.acme.wtf'], ['foo.bar']] },
  { desc: 'domain totally checked by wildcard', domains: [['who.acme.wtf', 'traefik.acme.wtf', 'bar.acme.wtf'], ['*.acme.wtf']], want: [['*.acme.wtf']] },
  { desc: 'duplicated wildcard', domains: [['*.acme.wtf', 'acme.wtf'], ['*.acme.wtf']], want: [['*.acme.wtf', 'acme.wtf']] },
  { desc: 'domain partially checked by wildcard', domains: [['traefik.acme.wtf', 'acme.wtf', 'foo.bar'], ['*.acme.wtf'], ['who.acme.wtf', 'traefik.acme.wtf', 'bar.acme.wtf']], want: [['acme.wtf', 'foo.bar'], ['*.acme.wtf']] },
];

describe('ACME domains (Traefik\'s rules)', () => {
  for (const c of deleteCases) {
    it(`deleteUnnecessaryDomains: ${c.desc}`, () => {
      assert.deepEqual(deleteUnnecessaryDomains(c.domains.map(([main, ...sans]) => ({ main, sans }))), c.want);
    });
  }

  it('matchDomain: exact, or leading labels as *', () => {
    assert.equal(matchDomain('a.example.com', '*.example.com'), true);
    assert.equal(matchDomain('a.b.example.com', '*.example.com'), false);
    assert.equal(matchDomain('example.com', '*.example.com'), false);
    assert.equal(matchDomain('a.example.com', 'a.example.com.'), false); // Go compares the domain as given
    assert.equal(matchDomain('a.example.com', '*.example.com.'), true);
  });

  it('sanitizeDomains: canonical names, *.* refused', () => {
    assert.deepEqual(sanitizeDomains([' Shop.Example.COM. ']), ['shop.example.com']);
    assert.throws(() => sanitizeDomains(['*.*.example.com']), /ACME does not allow '\*\.\*' wildcard domain/);
  });

  it('renewDurations: Traefik\'s table', () => {
    const H = 3_600_000;
    assert.deepEqual(renewDurations(2160), { renewBeforeMs: 30 * 24 * H, checkEveryMs: 24 * H });
    assert.deepEqual(renewDurations(365 * 24), { renewBeforeMs: 120 * 24 * H, checkEveryMs: 7 * 24 * H });
    assert.deepEqual(renewDurations(24), { renewBeforeMs: 6 * H, checkEveryMs: 10 * 60_000 });
    assert.deepEqual(renewDurations(1), { renewBeforeMs: 20 * 60_000, checkEveryMs: 60_000 });
  });

  it('wantedCertificates: Host() names as one certificate, tls.domains each, names already covered skipped, other resolvers ignored', () => {
    const got = wantedCertificates([
      { name: 'a@file', rule: 'Host(`a.example.com`) || (Host(`B.example.com`) && Path(`/x`))', tls: { certResolver: 'le' } },
      { name: 'b@file', rule: 'Host(`x.example.com`)', tls: { certResolver: 'le', domains: [{ main: 'example.org', sans: ['www.example.org'] }, { main: 'covered.example.net' }] } },
      { name: 'c@file', rule: 'Host(`a.example.com`) || Host(`b.example.com`)', tls: { certResolver: 'le' } },
      { name: 'd@file', rule: 'Host(`d.example.com`)', tls: { certResolver: 'other' } },
      { name: 'e@file', rule: 'PathPrefix(`/`)', tls: { certResolver: 'le' } },
    ], 'le', ['*.example.net']);
    assert.deepEqual(got.wanted, [
      { domains: ['a.example.com', 'b.example.com'], routers: ['a@file', 'c@file'] },
      { domains: ['example.org', 'www.example.org'], routers: ['b@file'] },
    ]);
    assert.deepEqual([...got.errors], [['e@file', 'ACME (le): no domain in the rule (only Host() names are asked for) and no tls.domains']]);
  });
});
