import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDynamicDocument, decodeDynamicLabels, decodeExtraConfig, MAX_KEY_LENGTH, MAX_VALUE_LENGTH } from '../../src/labels/index.ts';

// Keys built from real label fragments, typos and junk, so the decoder's deep paths are reached.
const fragment = fc.oneof(
  fc.constantFrom('http', 'HTTP', 'tcp', 'routers', 'services', 'middlewares', 'loadbalancer', 'server', 'servers', 'port',
    'rule', 'tls', 'domains[0]', 'domains[2]', 'domains[9999]', 'main', 'sans', 'sticky', 'cookie', 'headers',
    'customrequestheaders', 'X-Foo', 'observability', 'tracing', 'traceverbosity', 'compress', 'healthcheck', 'interval',
    'priority', '__proto__', 'constructor', 'toString', 'enable', 'consulcatalog', '[0]', 'a[', ']', ''),
  fc.string({ maxLength: 8 }),
);
const key = fc.array(fragment, { minLength: 0, maxLength: 8 }).map((parts) => ['traefik', ...parts].join('.'));
const value = fc.oneof(fc.constantFrom('true', 'false', '1', '10s', 'x,y', '', '0x10', '-1', 'NaN'), fc.string({ maxLength: 12 }));
const labels = fc.dictionary(fc.oneof(key, fc.string({ maxLength: 20 })), value, { maxKeys: 12 });

describe('decoders never throw on user input', () => {
  it('decodeDynamicLabels returns a configuration and well-formed errors', () => {
    fc.assert(fc.property(labels, (input) => {
      const r = decodeDynamicLabels(input, 'traefik');
      const { http } = r.configuration;
      assert.equal(typeof http.routers, 'object');
      assert.equal(typeof http.services, 'object');
      assert.equal(typeof http.middlewares, 'object');
      for (const e of [...r.errors, ...r.warnings]) {
        assert.ok(Object.hasOwn(input, e.key), `error names an input key: ${e.key}`);
        assert.equal(typeof e.path, 'string');
        assert.ok(e.message.length > 0);
      }
      assert.equal(Object.getPrototypeOf(http.routers), Object.prototype);
      JSON.stringify(r.configuration);
    }), { numRuns: 3000, seed: 20261126 });
  });

  it('decodeExtraConfig never throws', () => {
    fc.assert(fc.property(labels, (input) => { decodeExtraConfig(input, 'traefik'); }), { numRuns: 1000, seed: 7 });
  });

  it('decodeDynamicDocument never throws on arbitrary JSON-like values', () => {
    const doc = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({ http: fc.record({ routers: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }) }) }),
    );
    fc.assert(fc.property(doc, (d) => {
      const r = decodeDynamicDocument(d, () => 1);
      assert.equal(typeof r.configuration.http.routers, 'object');
      for (const e of r.errors) assert.equal(typeof e.path, 'string');
    }), { numRuns: 2000, seed: 11 });
  });

  it('valid generated routers always decode without errors', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
    fc.assert(fc.property(name, fc.integer({ min: -1000, max: 1000 }), fc.boolean(), (router, priority, tracing) => {
      const r = decodeDynamicLabels({
        [`traefik.http.routers.${router}.rule`]: 'Path(`/`)',
        [`traefik.http.routers.${router}.priority`]: String(priority),
        [`traefik.http.routers.${router}.observability.tracing`]: String(tracing),
      }, 'traefik');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.configuration.http.routers[router], { rule: 'Path(`/`)', priority, observability: { tracing } });
    }), { numRuns: 500, seed: 3 });
  });
});

describe('label limits and cost', () => {
  it(`a key longer than ${MAX_KEY_LENGTH} or a value longer than ${MAX_VALUE_LENGTH} characters is an error on that label only`, () => {
    const longKey = `traefik.http.routers.${'r'.repeat(MAX_KEY_LENGTH)}.rule`;
    const r = decodeDynamicLabels({
      [longKey]: 'Path(`/`)',
      'traefik.http.routers.big.rule': 'x'.repeat(MAX_VALUE_LENGTH + 1),
      'traefik.http.routers.ok.rule': 'Path(`/`)',
    }, 'traefik');
    assert.deepEqual(Object.keys(r.configuration.http.routers), ['ok']);
    const byKey = new Map(r.errors.map((e) => [e.key, e]));
    assert.match(byKey.get(longKey)!.message, /key is \d+ characters long, more than the limit of 1024/);
    assert.ok(byKey.get(longKey)!.path.length < 300, 'the path in the error is cut');
    assert.match(byKey.get('traefik.http.routers.big.rule')!.message, /value is 65537 characters long, more than the limit of 65536/);
  });

  it('decodes one instance with 20,000 router tags in linear time (CPU time; 3.6-4 s before, quadratic)', () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 20000; i++) labels[`traefik.http.routers.r${i}.rule`] = `Host(\`h${i}.example.com\`)`;
    const before = process.cpuUsage();
    decodeExtraConfig(labels, 'traefik');
    const r = decodeDynamicLabels(labels, 'traefik');
    const cpuMs = process.cpuUsage(before).user / 1000;
    assert.equal(Object.keys(r.configuration.http.routers).length, 20000);
    assert.deepEqual(r.errors, []);
    assert.ok(cpuMs < 1500, `took ${cpuMs.toFixed(0)} ms of CPU`);
  });
});
