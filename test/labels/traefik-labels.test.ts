import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDynamicLabels, UNSUPPORTED_TCP_UDP, UNSUPPORTED_TLS } from '../../src/labels/index.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';
import { allowEmptyCases, decodeCases, parserErrorCases, skipped, type TraefikLabelCase } from './traefik-labels.data.ts';

/**
 * Traefik's label decoding table (./traefik-labels.data.ts) through tagway's production label decoder
 * (`decodeDynamicLabels`, what the Consul provider calls on an instance's tags). Each case decodes the labels of one
 * HTTP item and must give the item Traefik's expected configuration holds, with no error, warning or unsupported
 * label. Where tagway deliberately differs, `DIFFERENCES` says why, what tagway decodes instead and which labels it
 * reports (each named with its key: the instance's configuration then does not apply, as for any refused label).
 */

interface Difference {
  why: string;
  /** The item tagway decodes instead of Traefik's. */
  decodes: unknown;
  /** Labels (as written) reported as errors, each message containing `mentions`. */
  refused: string[];
  mentions: string;
}

const UNSUPPORTED_MIDDLEWARE = 'tagway has no such middleware: every label of it is refused by key ("not supported by tagway"), so the instance is not routed without a middleware its owner asked for';
const MISSING_OPTION = 'tagway\'s middleware lacks these options (Traefik\'s deprecated SSL*/featurePolicy headers, publicKey, contentSecurityPolicyReportOnly; retry\'s timeout, status, body limit and network/idempotency switches): each is refused by key rather than ignored, so nothing runs weaker than configured';

function keysOf(c: TraefikLabelCase, part?: string): string[] {
  return Object.keys(c.labels).filter((k) => part === undefined || k.toLowerCase().includes(part.toLowerCase()));
}

function unsupported(name: string, mw: string): [string, Difference] {
  const c = decodeCases.find((x) => x.name === name)!;
  return [c.desc, { why: UNSUPPORTED_MIDDLEWARE, decodes: {}, refused: keysOf(c), mentions: `middleware "${mw}" is not supported by tagway` }];
}

function withoutOptions(name: string, section: string, options: string[]): [string, Difference] {
  const c = decodeCases.find((x) => x.name === name)!;
  const expected = c.expected as Record<string, Record<string, unknown>>;
  const kept = Object.fromEntries(Object.entries(expected[section]!).filter(([k]) => !options.includes(k)));
  const refused = keysOf(c).filter((k) => options.some((o) => k.toLowerCase().split('.').includes(o.toLowerCase())));
  return [c.desc, { why: MISSING_OPTION, decodes: { [section]: kept }, refused, mentions: 'unknown key' }];
}

const DIFFERENCES: Record<string, Difference> = Object.fromEntries([
  unsupported('Middleware20', 'plugin'),
  withoutOptions('Middleware8', 'headers', ['sslTemporaryRedirect', 'sslHost', 'sslProxyHeaders', 'sslForceHost', 'contentSecurityPolicyReportOnly', 'publicKey', 'featurePolicy']),
  withoutOptions('Middleware16', 'retry', ['timeout', 'maxRequestBodyBytes', 'status', 'disableRetryOnNetworkError', 'retryNonIdempotentMethod']),
]);

const tally = new Tally(`${TRAEFIK_VERSION} pkg/config/label/label_test.go (TestDecodeConfiguration, HTTP part; ${Object.keys(skipped).length} TCP/UDP/TLS-store labels not ported; TestEncodeConfiguration not ported: tagway has no encoder)`);

describe('Traefik pkg/config/label/label_test.go through decodeDynamicLabels', () => {
  for (const c of decodeCases) {
    const diff = DIFFERENCES[c.desc];
    it(c.desc, () => tally.run(c.desc, diff?.why, () => {
      const r = decodeDynamicLabels(c.labels, 'traefik');
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(r.unsupported, []);
      const item = (r.configuration.http[c.kind] as Record<string, unknown>)[c.name];
      if (diff === undefined) {
        assert.deepEqual(r.errors, []);
        assert.deepEqual(item, c.expected);
        return;
      }
      assert.notDeepEqual(diff.decodes, c.expected);
      assert.deepEqual(item, diff.decodes);
      assert.ok(diff.refused.length > 0);
      assert.deepEqual([...new Set(r.errors.map((e) => e.key))].sort(), [...diff.refused].sort());
      for (const e of r.errors) assert.ok(e.message.includes(diff.mentions), `${e.key}: ${e.message}`);
    }));
  }

  it('the TCP, UDP and TLS-store labels of the same map are reported as unsupported, each by key (not ported as cases)', () => {
    const r = decodeDynamicLabels(skipped, 'traefik');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.unsupported.map((u) => u.key).sort(), Object.keys(skipped).sort());
    for (const u of r.unsupported) assert.ok([UNSUPPORTED_TCP_UDP, UNSUPPORTED_TLS].includes(u.message), u.message);
  });

  it('count', (t) => tally.report(t));
});

const errorTally = new Tally('paerser parser/*_test.go error cases (the parser pkg/config/label calls), on Traefik HTTP fields');

describe('Traefik\'s label parser error cases through decodeDynamicLabels', () => {
  for (const c of parserErrorCases) {
    it(`${c.desc} (on ${c.on})`, () => errorTally.run(c.desc, undefined, () => {
      const r = decodeDynamicLabels(c.labels, 'traefik');
      assert.deepEqual([...new Set(r.errors.map((e) => e.key))].sort(), Object.keys(c.labels).sort());
      for (const e of r.errors) assert.ok(e.message.includes(c.mentions), `${e.key}: ${e.message}`);
      // A refused value is not decoded into the configuration.
      const decoded = JSON.stringify(r.configuration);
      for (const value of Object.values(c.labels)) if (value !== '') assert.ok(!decoded.includes(JSON.stringify(value)), decoded);
    }));
  }

  it('count', (t) => errorTally.report(t));
});

const allowEmptyTally = new Tally('paerser parser/*_test.go allowEmpty cases (a section switched on or off by its value), on a router\'s tls');

describe('Traefik\'s label parser allowEmpty cases through decodeDynamicLabels', () => {
  for (const c of allowEmptyCases) {
    it(c.desc, () => allowEmptyTally.run(c.desc, undefined, () => {
      const r = decodeDynamicLabels({ 'traefik.http.routers.r.service': 'app', ...c.labels }, 'traefik');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.configuration.http.routers['r'], { service: 'app', ...(c.tls !== undefined ? { tls: c.tls } : {}) });
    }));
  }

  it('count', (t) => allowEmptyTally.report(t));
});
