import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, loadStaticConfig, redactStatic, staticConfigSchema } from '../../src/static/index.ts';
import { staticDesc } from '../../src/static/describe.ts';
import type { StructDesc } from '../../src/labels/index.ts';

describe('redactStatic', () => {
  const config = loadStaticConfig({
    argv: [
      '--providers.consulCatalog.endpoint.token=tok', '--providers.consulCatalog.endpoint.httpAuth.username=u',
      '--providers.consulCatalog.endpoint.httpAuth.password=pw', '--providers.consulCatalog.endpoint.tls.key=/k.pem',
      '--providers.consulCatalog.endpoint.tls.cert=/c.pem', '--tracing.otlp.http.headers.Authorization=Bearer x',
      '--tracing.otlp.http.tls.key=/otlp.pem', '--tracing.resourceAttributes.team=edge',
    ],
    env: {},
  });
  const red = redactStatic(config) as typeof config;

  const cases: { desc: string; get: (c: typeof config) => unknown; want: unknown }[] = [
    { desc: 'Consul token', get: (c) => c.providers.consulCatalog!.endpoint.token, want: 'xxxx' },
    { desc: 'HTTP auth password, not the user', get: (c) => c.providers.consulCatalog!.endpoint.httpAuth, want: { username: 'u', password: 'xxxx' } },
    { desc: 'Consul TLS key, not the certificate', get: (c) => c.providers.consulCatalog!.endpoint.tls, want: { cert: '/c.pem', key: 'xxxx', insecureSkipVerify: false } },
    { desc: 'every OTLP header value', get: (c) => c.tracing!.otlp.http.headers, want: { Authorization: 'xxxx' } },
    { desc: 'OTLP TLS key', get: (c) => c.tracing!.otlp.http.tls!.key, want: 'xxxx' },
    { desc: 'non-secret maps untouched', get: (c) => c.tracing!.resourceAttributes, want: { team: 'edge' } },
    { desc: 'non-secret strings untouched', get: (c) => c.providers.consulCatalog!.endpoint.address, want: '127.0.0.1:8500' },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(c.get(red), c.want));

  it('does not modify the configuration', () => assert.equal(config.providers.consulCatalog!.endpoint.token, 'tok'));
  it('leaves empty secrets empty (nothing to hide)', () => {
    const plain = loadStaticConfig({ argv: ['--providers.consulCatalog'], env: {} });
    assert.equal((redactStatic(plain) as typeof plain).providers.consulCatalog!.endpoint.token, '');
  });
});

describe('helpText', () => {
  const text = helpText();

  function leaves(desc: StructDesc, prefix: string, out: string[]): string[] {
    for (const [name, f] of Object.entries(desc.fields)) {
      if (f.kind === 'struct') leaves(f.struct!, `${prefix}${name}.`, out);
      else if (f.kind === 'structMap') leaves(f.struct!, `${prefix}${name}.<name>.`, out);
      else out.push(`--${prefix}${name}${f.kind === 'stringMap' ? '.<name>' : ''} `);
    }
    return out;
  }

  it('lists every option of the schema', () => {
    const missing = leaves(staticDesc(), '', []).filter((flag) => !text.includes(flag));
    assert.deepEqual(missing, []);
  });

  const defaults: { desc: string; line: string }[] = [
    { desc: 'Consul address', line: '(default: "127.0.0.1:8500")' },
    { desc: 'durations in Go form', line: 'Poll interval when watch is off. (default: 15s)' },
    { desc: 'lists', line: '(default: passing,warning)' },
    { desc: 'default rule', line: '(default: "Host(`{{ normalize .Name }}`)")' },
    { desc: 'workers', line: '(default: number of cores)' },
    { desc: 'OTLP endpoint', line: '(default: "http://localhost:4318/v1/traces")' },
    { desc: 'batch', line: 'Spans buffered before dropping. (default: 2048)' },
  ];
  for (const d of defaults) it(`shows the default: ${d.desc}`, () => assert.ok(text.includes(d.line), d.line));
});

describe('staticConfigSchema', () => {
  it('rejects input the decoders would never produce, with a path', () => {
    const r = staticConfigSchema.safeParse({ providers: { consulCatalog: { prefix: 3 } } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues[0]!.path, ['providers', 'consulCatalog', 'prefix']);
  });

  it('marks durations and secrets for the decoders', () => {
    const cc = staticDesc().fields.providers!.struct!.fields.consulCatalog!.struct!;
    assert.equal(cc.fields.refreshInterval!.kind, 'duration');
    assert.equal(cc.fields.endpoint!.struct!.fields.token!.secret, true);
    assert.equal(cc.fields.strictChecks!.kind, 'stringList');
  });
});
