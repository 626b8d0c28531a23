import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfiguration, DEFAULT_BUILD_OPTIONS } from '../../../src/providers/consulcatalog/builder.ts';
import type { ServiceInstance } from '../../../src/providers/consulcatalog/instance.ts';
import type { ItemIssue } from '../../../src/dynamic/types.ts';
import type { MeshCertificates } from '../../../src/providers/consulcatalog/connect.ts';
import { Tally, TRAEFIK_VERSION } from '../../support/traefik-tables.ts';
import { traefikCatalogCases, type TraefikCatalogCase } from './traefik-config.data.ts';

/**
 * Traefik's consulcatalog `config_test.go` tables (./traefik-config.data.ts) through tagway's production builder.
 * Every case must give Traefik's HTTP configuration. Where tagway deliberately differs, `DIFFERENCES` says why
 * and which issues tagway reports (kind and name of the item, severity, whether it is out of the configuration,
 * and words the message must contain); a case without an entry must build with no issue at all.
 */

interface ExpectedIssue { item: `${ItemIssue['kind']} ${string}`; severity: ItemIssue['severity']; dropped: boolean; mentions: string[] }
interface Difference {
  why: string;
  issues: ExpectedIssue[];
  /** What tagway builds instead of Traefik's configuration (only where tagway lacks the feature). */
  builds?: TraefikCatalogCase['expected'];
}

const REPORTS_SILENT_DROP = 'Traefik drops this silently (a log line at most); tagway builds the same configuration and shows the dropped item in the API with why';
const REPORTS_IGNORED_KEY = 'Traefik ignores an unknown key under the prefix without a word; tagway builds the same configuration and warns (a typo shows)';
const TCP_UDP = 'tagway routes HTTP only: it builds what Traefik builds for HTTP, and reports the TCP/UDP routers and services it does not build';
const empty = { routers: {}, services: {}, middlewares: {} };

const DIFFERENCES: Record<string, Difference> = {
  'TestDefaultRule: default rule with label': { why: REPORTS_IGNORED_KEY, issues: [{ item: 'service Test', severity: 'warning', dropped: false, mentions: ['traefik.domain', 'ignored'] }] },
  'TestDefaultRule: invalid rule': { why: REPORTS_SILENT_DROP, issues: [{ item: 'router Test', severity: 'error', dropped: true, mentions: ['defaultRule', 'Toto'] }] },
  'TestDefaultRule: undefined rule': { why: REPORTS_SILENT_DROP, issues: [{ item: 'router Test', severity: 'error', dropped: true, mentions: ['undefined rule'] }] },
  'Test_buildConfiguration: two containers with same service name & id no label on same node': {
    why: 'Traefik keys instances by node-name-ID, so the second registration silently replaces the first; tagway does the same and warns',
    issues: [
      { item: 'router Test', severity: 'warning', dropped: false, mentions: ['"1"', 'only the last one counts'] },
      { item: 'service Test', severity: 'warning', dropped: false, mentions: ['"1"', 'only the last one counts'] },
    ],
  },
  'Test_buildConfiguration: one container with rule label and two services': { why: REPORTS_SILENT_DROP, issues: [{ item: 'router Router1', severity: 'error', dropped: true, mentions: ['too many services', 'Service1, Service2'] }] },
  'Test_buildConfiguration: two containers with same service name and different passhostheader': {
    why: REPORTS_SILENT_DROP,
    issues: [
      { item: 'service Service1', severity: 'error', dropped: true, mentions: ['"1", "2"', 'passHostHeader'] },
      { item: 'router Test', severity: 'warning', dropped: false, mentions: ['"Service1" was dropped'] },
    ],
  },
  'Test_buildConfiguration: three containers with same service name and different passhostheader': {
    why: REPORTS_SILENT_DROP,
    issues: [
      { item: 'service Service1', severity: 'error', dropped: true, mentions: ['"1", "2", "3"', 'passHostHeader'] },
      { item: 'router Test', severity: 'warning', dropped: false, mentions: ['"Service1" was dropped'] },
    ],
  },
  'Test_buildConfiguration: two containers with two different routers with same name': { why: REPORTS_SILENT_DROP, issues: [{ item: 'router Router1', severity: 'error', dropped: true, mentions: ['"1", "2"', 'rule'] }] },
  'Test_buildConfiguration: three containers with different routers with same name': { why: REPORTS_SILENT_DROP, issues: [{ item: 'router Router1', severity: 'error', dropped: true, mentions: ['"1", "2", "3"', 'rule'] }] },
  'Test_buildConfiguration: one container with bad label': { why: REPORTS_IGNORED_KEY, issues: [{ item: 'service Test', severity: 'warning', dropped: false, mentions: ['traefik.wrong.label'] }] },
  'Test_buildConfiguration: one container with label url and port': { why: REPORTS_SILENT_DROP, issues: [{ item: 'service Service1', severity: 'error', dropped: true, mentions: ['scheme or port is not allowed when URL is defined'] }] },
  'Test_buildConfiguration: one container with label url and scheme': { why: REPORTS_SILENT_DROP, issues: [{ item: 'service Service1', severity: 'error', dropped: true, mentions: ['scheme or port is not allowed when URL is defined'] }] },
  'Test_buildConfiguration: one container without port': { why: REPORTS_SILENT_DROP, issues: [{ item: 'service Test', severity: 'error', dropped: true, mentions: ['port is missing'] }] },
  'Test_buildConfiguration: one container with matching constraints': { why: REPORTS_IGNORED_KEY, issues: [{ item: 'service Test', severity: 'warning', dropped: false, mentions: ['traefik.tags'] }] },
  'Test_buildConfiguration: two containers with two different middlewares with same name': { why: REPORTS_SILENT_DROP, issues: [{ item: 'middleware Middleware1', severity: 'error', dropped: true, mentions: ['"1", "2"', 'inFlightReq'] }] },
  'Test_buildConfiguration: three containers with different middlewares with same name': { why: REPORTS_SILENT_DROP, issues: [{ item: 'middleware Middleware1', severity: 'error', dropped: true, mentions: ['"1", "2", "3"', 'inFlightReq'] }] },
  'Test_buildConfiguration: one container without port with middleware': { why: REPORTS_SILENT_DROP, issues: [{ item: 'service Test', severity: 'error', dropped: true, mentions: ['port is missing'] }] },
  'Test_buildConfiguration: one container with default generated certificate labels': {
    why: 'TLS stores come with TLS termination (not in tagway yet): tagway builds the same HTTP configuration and warns that the tls labels are not built',
    issues: [{ item: 'service dev-Test', severity: 'warning', dropped: false, mentions: ['TLS', 'traefik.tls.stores.default.defaultgeneratedcert.resolver'] }],
  },
};

function instances(c: TraefikCatalogCase): ServiceInstance[] {
  return c.items.map((it) => ({
    id: it.id, node: it.node, datacenter: it.datacenter ?? '', name: it.name, namespace: it.namespace ?? 'default',
    address: it.address, port: it.port, status: it.status, labels: { ...it.labels },
    tags: c.tagsFromLabels ? Object.entries(it.labels).map(([k, v]) => `${k}=${v}`) : [],
  }));
}

/** Traefik's expected HTTP configuration, its `json:"-"` default-rule marker included (tagway keeps it too). */
function routingResult(c: TraefikCatalogCase): TraefikCatalogCase['expected'] {
  return c.serversTransports ? { ...c.expected, serversTransports: c.serversTransports } as TraefikCatalogCase['expected'] : c.expected;
}

/** Traefik's test certificates (`connectCert{root: ["root"], leaf: {cert, key}}`, no trust domain), as tagway holds them. */
const TRAEFIK_TEST_MESH: MeshCertificates = {
  leaf: { certPem: 'cert', keyPem: 'key', serviceURI: 'spiffe:///ns/default/dc/dc1/svc/traefik', serial: '01', validBefore: '' },
  roots: { trustDomain: '', activeRootId: '', pems: ['root'] },
};

function tcpUdpOnly(c: TraefikCatalogCase): boolean {
  return c.tcpUdp !== undefined && Object.keys(c.expected.routers).length === 0 && Object.keys(c.expected.services).length === 0;
}

const tally = new Tally(`${TRAEFIK_VERSION} pkg/provider/consulcatalog/config_test.go`);

describe(`Traefik ${TRAEFIK_VERSION} consulcatalog config_test.go tables through the production builder`, () => {
  for (const c of traefikCatalogCases) {
    const diff = DIFFERENCES[c.traefik];
    const why = diff?.why ?? (c.tcpUdp ? TCP_UDP : undefined);
    it(c.traefik, () => tally.run(c.traefik, why, () => {
      const { configuration, issues } = buildConfiguration(instances(c), { ...DEFAULT_BUILD_OPTIONS, ...c.options }, TRAEFIK_TEST_MESH);
      const shown = issues.map((i) => `${i.kind} ${i.name} ${i.severity}${i.dropped ? ' dropped' : ''}: ${i.message}`);
      assert.deepEqual(JSON.parse(JSON.stringify(configuration.http)), diff?.builds ?? routingResult(c), shown.join('\n'));
      if (c.tcpUdp) {
        // Every TCP/UDP label is named in an issue; an instance with only TCP/UDP labels gets an error, else warnings.
        for (const key of c.items.flatMap((it) => Object.keys(it.labels)).filter((k) => /^traefik\.(tcp|udp)\./i.test(k))) {
          assert.ok(issues.some((i) => i.message.includes(key) && i.message.includes('TCP/UDP routing is not supported')), `${key} not reported:\n${shown.join('\n')}`);
        }
        assert.ok(issues.every((i) => i.severity === (tcpUdpOnly(c) ? 'error' : 'warning')), shown.join('\n'));
        return;
      }
      const expected = diff?.issues ?? [];
      assert.equal(issues.length, expected.length, `issues:\n${shown.join('\n')}`);
      for (const want of expected) {
        const hit = issues.find((i) => `${i.kind} ${i.name}` === want.item && i.severity === want.severity && i.dropped === want.dropped && want.mentions.every((m) => i.message.includes(m)));
        assert.ok(hit, `no issue like ${JSON.stringify(want)} in:\n${shown.join('\n')}`);
      }
    }));
  }
  it('count', (t) => tally.report(t));
});
