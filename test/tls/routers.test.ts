import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRouterTls } from '../../src/tls/routers.ts';
import { compileOptions } from '../../src/tls/options.ts';

const options = new Map([['default', compileOptions('default', {})], ['modern@file', compileOptions('modern@file', { minVersion: 'VersionTLS13' })]]);

describe('routers TLS options', () => {
  it('reports the tag trap: tls.options=modern from a Consul tag means modern@consulcatalog; did you mean modern@file', () => {
    const r = resolveRouterTls([{ name: 'shop@consulcatalog', provider: 'consulcatalog', rule: 'Host(`shop.example.com`)', entryPoints: ['websecure'], tls: { options: 'modern' } }], options);
    const errors = r.errors.get('shop@consulcatalog')!;
    assert.equal(errors[0]!.fatal, true);
    assert.match(errors[0]!.message, /unknown TLS options: modern@consulcatalog: did you mean "modern@file"\?/);
    assert.match(errors[0]!.message, /cannot be declared in tags/);
  });

  it('maps hosts from Host() and tls.domains to their options, per entry point', () => {
    const r = resolveRouterTls([
      { name: 'shop@file', provider: 'file', rule: 'Host(`shop.example.com`)', entryPoints: ['websecure'], tls: { options: 'modern', domains: [{ main: 'example.com', sans: ['*.example.com'] }] } },
      { name: 'blog@file', provider: 'file', rule: 'Host(`blog.test`)', entryPoints: ['websecure'], tls: {} },
    ], options);
    assert.deepEqual(Object.fromEntries(r.hostOptions.get('websecure')!), { 'shop.example.com': 'modern@file', 'example.com': 'modern@file', '*.example.com': 'modern@file', 'blog.test': 'default' });
    assert.equal(r.errors.size, 0);
  });

  it('warns when non-default options are set on a router without a domain', () => {
    const r = resolveRouterTls([{ name: 'p@file', provider: 'file', rule: 'PathPrefix(`/`)', entryPoints: ['websecure'], tls: { options: 'modern' } }], options);
    assert.match(r.errors.get('p@file')![0]!.message, /no domain found in rule/);
    assert.equal(r.errors.get('p@file')![0]!.fatal, false);
  });
});
