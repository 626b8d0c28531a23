/**
 * Traefik v3.7.9 `pkg/provider/consulcatalog/config_test.go`, as data: every case of `TestDefaultRule`,
 * `Test_buildConfiguration` and `TestFilterHealthStatuses` (Consul items + provider options → dynamic
 * configuration), translated to Traefik's JSON field names. `TestNamespaces` is about provider instances, not
 * the build, and is not here. Traefik's facts, our tables: the expected values are Traefik's, unchanged; where
 * tagway deliberately differs, `traefik-config.test.ts` says so per case and why.
 *
 * - `tagsFromLabels`: Traefik's `Test_buildConfiguration` also sets each item's Consul tags to its labels as
 *   `key=value` (constraints and canary names read tags); the other two tables leave tags empty.
 * - `expected` is Traefik's HTTP configuration; `defaultRule: true` on a router is Traefik's `json:"-"` marker
 *   of routers made from the default rule. `serversTransports` (Consul Connect), `tcpUdp` (names of the TCP/UDP
 *   routers and services Traefik builds) and `tls` are the rest of Traefik's expected configuration.
 */
export interface TraefikItem {
  id: string; node: string; name: string; address: string; port: string; status: string;
  datacenter?: string; namespace?: string; labels: Record<string, string>;
}

export interface TraefikCatalogCase {
  /** Traefik's test function and case `desc`. */
  traefik: string;
  options?: { defaultRule?: string; constraints?: string; connectAware?: boolean; strictChecks?: string[] };
  tagsFromLabels?: boolean;
  items: TraefikItem[];
  expected: { routers: Record<string, object>; services: Record<string, object>; middlewares: Record<string, object> };
  serversTransports?: Record<string, object>;
  tcpUdp?: string[];
  tls?: Record<string, unknown>;
}

export const traefikCatalogCases: TraefikCatalogCase[] = [
  {
    traefik: 'TestDefaultRule: default rule with no variable',
    options: { defaultRule: 'Host(`foo.bar`)' },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`foo.bar`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestDefaultRule: default rule with label',
    options: { defaultRule: 'Host("{{ .Name }}.{{ index .Labels "traefik.domain" }}")' },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.domain': 'foo.bar' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host("Test.foo.bar")', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestDefaultRule: invalid rule',
    options: { defaultRule: 'Host("{{ .Toto }}")' },
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: {},
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestDefaultRule: undefined rule',
    options: { defaultRule: '' },
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: {},
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestDefaultRule: default template rule',
    options: { defaultRule: 'Host(`{{ normalize .Name }}`)' },
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container no label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'dev/Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: {
        'dev-Test': {
          service: 'dev-Test',
          rule: 'Host(`dev-Test.traefik.wtf`)',
          defaultRule: true,
        },
      },
      services: {
        'dev-Test': {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one connect container',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'dev/Test',
        address: '127.0.0.1',
        port: '443',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.consulcatalog.connect': 'true' },
      },
    ],
    expected: {
      routers: {
        'dev-Test': {
          service: 'dev-Test',
          rule: 'Host(`dev-Test.traefik.wtf`)',
          defaultRule: true,
        },
      },
      services: {
        'dev-Test': {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'https://127.0.0.1:443' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
            serversTransport: 'tls-ns-dc1-dev-Test',
          },
        },
      },
      middlewares: {},
    },
    serversTransports: {
      'tls-ns-dc1-dev-Test': {
        serverName: 'ns-dc1-dev/Test',
        insecureSkipVerify: true,
        rootCAs: ['root'],
        certificates: [{ certFile: 'cert', keyFile: 'key' }],
        peerCertURI: 'spiffe:///ns/ns/dc/dc1/svc/dev/Test',
      },
    },
  },
  {
    traefik: 'Test_buildConfiguration: two connect containers on same service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test1',
        node: 'Node1',
        name: 'dev/Test',
        address: '127.0.0.1',
        port: '443',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.consulcatalog.connect': 'true' },
      },
      {
        id: 'Test2',
        node: 'Node2',
        name: 'dev/Test',
        address: '127.0.0.2',
        port: '444',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.consulcatalog.connect': 'true' },
      },
    ],
    expected: {
      routers: {
        'dev-Test': {
          service: 'dev-Test',
          rule: 'Host(`dev-Test.traefik.wtf`)',
          defaultRule: true,
        },
      },
      services: {
        'dev-Test': {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'https://127.0.0.1:443' },
              { url: 'https://127.0.0.2:444' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
            serversTransport: 'tls-ns-dc1-dev-Test',
          },
        },
      },
      middlewares: {},
    },
    serversTransports: {
      'tls-ns-dc1-dev-Test': {
        serverName: 'ns-dc1-dev/Test',
        insecureSkipVerify: true,
        rootCAs: ['root'],
        certificates: [{ certFile: 'cert', keyFile: 'key' }],
        peerCertURI: 'spiffe:///ns/ns/dc/dc1/svc/dev/Test',
      },
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers no label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
      {
        id: 'Test2',
        node: 'Node1',
        name: 'Test2',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: {},
      },
    ],
    expected: {
      routers: {
        Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true },
        Test2: { service: 'Test2', rule: 'Host(`Test2.traefik.wtf`)', defaultRule: true },
      },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.2:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with same service name no label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      { id: '1', node: 'Node1', name: 'Test', address: '127.0.0.1', port: '80', status: 'passing', labels: {} },
      { id: '2', node: 'Node1', name: 'Test', address: '127.0.0.2', port: '80', status: 'passing', labels: {} },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with same service name & id no label on same node',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      { id: '1', node: 'Node1', name: 'Test', address: '127.0.0.1', port: '80', status: 'passing', labels: {} },
      { id: '1', node: 'Node1', name: 'Test', address: '127.0.0.2', port: '80', status: 'passing', labels: {} },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.2:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with same service name & id no label on different nodes',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      { id: '1', node: 'Node1', name: 'Test', address: '127.0.0.1', port: '80', status: 'passing', labels: {} },
      { id: '1', node: 'Node2', name: 'Test', address: '127.0.0.2', port: '80', status: 'passing', labels: {} },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label (not on server)',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with labels',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
          'traefik.http.routers.Router1.rule': 'Host(`foo.com`)',
          'traefik.http.routers.Router1.service': 'Service1',
        },
      },
    ],
    expected: {
      routers: { Router1: { service: 'Service1', rule: 'Host(`foo.com`)' } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with rule label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' },
      },
    ],
    expected: {
      routers: { Router1: { service: 'Test', rule: 'Host(`foo.com`)' } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with rule label and one service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.routers.Router1.rule': 'Host(`foo.com`)',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        },
      },
    ],
    expected: {
      routers: { Router1: { service: 'Service1', rule: 'Host(`foo.com`)' } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with rule label and two services',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.routers.Router1.rule': 'Host(`foo.com`)',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
          'traefik.http.services.Service2.loadbalancer.passhostheader': 'true',
        },
      },
    ],
    expected: {
      routers: {},
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Service2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with same service name and different passhostheader',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'false' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {},
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: three containers with same service name and different passhostheader',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'false' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
      {
        id: '3',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {},
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with same service name and same LB methods',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.loadbalancer.passhostheader': 'true' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with InFlightReq in label (default value)',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: { Middleware1: { inFlightReq: { amount: 42 } } },
    },
  },
  {
    traefik: 'Test_buildConfiguration: two services with two identical middlewares',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: { Middleware1: { inFlightReq: { amount: 42 } } },
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with two different middlewares with same name',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '41' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: three containers with different middlewares with same name',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '41' },
      },
      {
        id: '3',
        node: '',
        name: 'Test',
        address: '127.0.0.3',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '40' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
              { url: 'http://127.0.0.3:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with two different routers with same name',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`bar.com`)' },
      },
    ],
    expected: {
      routers: {},
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: three containers with different routers with same name',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`bar.com`)' },
      },
      {
        id: '3',
        node: '',
        name: 'Test',
        address: '127.0.0.3',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foobar.com`)' },
      },
    ],
    expected: {
      routers: {},
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
              { url: 'http://127.0.0.3:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: two containers with two identical routers',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.routers.Router1.rule': 'Host(`foo.com`)' },
      },
    ],
    expected: {
      routers: { Router1: { service: 'Test', rule: 'Host(`foo.com`)' } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with bad label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.wrong.label': '42' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label port',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.LoadBalancer.server.scheme': 'h2c',
          'traefik.http.services.Service1.LoadBalancer.server.port': '8080',
        },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'h2c://127.0.0.1:8080' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label url',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.http.services.Service1.LoadBalancer.server.url': 'http://1.2.3.4:5678' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://1.2.3.4:5678' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label url and preserve path',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.LoadBalancer.server.url': 'http://1.2.3.4:5678',
          'traefik.http.services.Service1.LoadBalancer.server.preservepath': 'true',
        },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://1.2.3.4:5678', preservePath: true }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label url and port',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.LoadBalancer.server.url': 'http://1.2.3.4:5678',
          'traefik.http.services.Service1.LoadBalancer.server.port': '1234',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label url and scheme',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.LoadBalancer.server.url': 'http://1.2.3.4:5678',
          'traefik.http.services.Service1.LoadBalancer.server.scheme': 'https',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container with label port on two services',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.services.Service1.LoadBalancer.server.port': '',
          'traefik.http.services.Service2.LoadBalancer.server.port': '8080',
        },
      },
    ],
    expected: {
      routers: {},
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Service2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:8080' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: one container without port',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.2',
        port: '',
        status: 'passing',
        labels: {},
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container without port with middleware',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '',
        status: 'passing',
        labels: { 'traefik.http.middlewares.Middleware1.inflightreq.amount': '42' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container with traefik.enable false',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: '',
        labels: { 'traefik.enable': 'false' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container not healthy',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'critical',
        labels: {},
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container with non matching constraints',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', constraints: 'Tag("traefik.tags=bar")' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.tags': 'foo' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'Test_buildConfiguration: one container with matching constraints',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', constraints: 'Tag("traefik.tags=foo")' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.tags': 'foo' },
      },
    ],
    expected: {
      routers: { Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'Test_buildConfiguration: Middlewares used in router',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.http.middlewares.Middleware1.basicauth.users': 'test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/,test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0',
          'traefik.http.routers.Test.middlewares': 'Middleware1',
        },
      },
    ],
    expected: {
      routers: {
        Test: {
          service: 'Test',
          rule: 'Host(`Test.traefik.wtf`)',
          defaultRule: true,
          middlewares: ['Middleware1'],
        },
      },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {
        Middleware1: {
          basicAuth: {
            users: [
              'test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/',
              'test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0',
            ],
          },
        },
      },
    },
  },
  {
    traefik: 'Test_buildConfiguration: Middlewares used in TCP router',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.tcp.routers.Test.rule': 'HostSNI(`foo.bar`)',
          'traefik.tcp.middlewares.Middleware1.ipallowlist.sourcerange': 'foobar, fiibar',
          'traefik.tcp.routers.Test.middlewares': 'Middleware1',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp router Test', 'tcp service Test', 'tcp middleware Middleware1'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: {
          'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
          'traefik.tcp.routers.foo.tls': 'true',
          'traefik.consulcatalog.connect': 'true',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp router foo', 'tcp service Test'],
  },
  {
    traefik: 'Test_buildConfiguration: udp with label',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.udp.routers.foo.entrypoints': 'mydns' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['udp router foo', 'udp service Test'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label without rule',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.tcp.routers.foo.tls': 'true' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp service Test'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label and port',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
          'traefik.tcp.routers.foo.tls.options': 'foo',
          'traefik.tcp.services.foo.loadbalancer.server.port': '8080',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp router foo', 'tcp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: udp with label and port',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.udp.routers.foo.entrypoints': 'mydns',
          'traefik.udp.services.foo.loadbalancer.server.port': '80',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['udp router foo', 'udp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label and port and http service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
          'traefik.tcp.routers.foo.tls': 'true',
          'traefik.tcp.services.foo.loadbalancer.server.port': '80',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.tcp.routers.foo.rule': 'HostSNI(`foo.bar`)',
          'traefik.tcp.routers.foo.tls': 'true',
          'traefik.tcp.services.foo.loadbalancer.server.port': '80',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
    tcpUdp: ['tcp router foo', 'tcp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: udp with label and port and http service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.udp.routers.foo.entrypoints': 'mydns',
          'traefik.udp.services.foo.loadbalancer.server.port': '80',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        },
      },
      {
        id: '2',
        node: '',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.udp.routers.foo.entrypoints': 'mydns',
          'traefik.udp.services.foo.loadbalancer.server.port': '80',
          'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
        },
      },
    ],
    expected: {
      routers: { Test: { service: 'Service1', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true } },
      services: {
        Service1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [
              { url: 'http://127.0.0.1:80' },
              { url: 'http://127.0.0.2:80' },
            ],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
    tcpUdp: ['udp router foo', 'udp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label for tcp service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.tcp.services.foo.loadbalancer.server.port': '80' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: udp with label for tcp service',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.udp.services.foo.loadbalancer.server.port': '80' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['udp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: tcp with label for tcp service, with termination delay',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: '',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: { 'traefik.tcp.services.foo.loadbalancer.server.port': '80' },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp service foo'],
  },
  {
    traefik: 'Test_buildConfiguration: two HTTP service instances with one canary',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.consulcatalog.connect': 'true' },
      },
      {
        id: '2',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.consulcatalog.connect': 'true', 'traefik.consulcatalog.canary': 'true' },
      },
    ],
    expected: {
      routers: {
        Test: { service: 'Test', rule: 'Host(`Test.traefik.wtf`)', defaultRule: true },
        'Test-97077516270503695': {
          service: 'Test-97077516270503695',
          rule: 'Host(`Test.traefik.wtf`)',
          defaultRule: true,
        },
      },
      services: {
        Test: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'https://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
            serversTransport: 'tls-ns-dc1-Test',
          },
        },
        'Test-97077516270503695': {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'https://127.0.0.2:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
            serversTransport: 'tls-ns-dc1-Test',
          },
        },
      },
      middlewares: {},
    },
    serversTransports: {
      'tls-ns-dc1-Test': {
        serverName: 'ns-dc1-Test',
        insecureSkipVerify: true,
        rootCAs: ['root'],
        certificates: [{ certFile: 'cert', keyFile: 'key' }],
        peerCertURI: 'spiffe:///ns/ns/dc/dc1/svc/Test',
      },
    },
  },
  {
    traefik: 'Test_buildConfiguration: two TCP service instances with one canary',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.tcp.routers.test.rule': 'HostSNI(`foobar`)' },
      },
      {
        id: '2',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: {
          'traefik.consulcatalog.canary': 'true',
          'traefik.tcp.routers.test-canary.rule': 'HostSNI(`canary.foobar`)',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['tcp router test', 'tcp router test-canary', 'tcp service Test', 'tcp service Test-17573747155436217342'],
  },
  {
    traefik: 'Test_buildConfiguration: two UDP service instances with one canary',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: { 'traefik.udp.routers.test.entrypoints': 'udp' },
      },
      {
        id: '2',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.2',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: {
          'traefik.consulcatalog.canary': 'true',
          'traefik.udp.routers.test-canary.entrypoints': 'udp',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['udp router test', 'udp router test-canary', 'udp service Test', 'udp service Test-12825244908842506376'],
  },
  {
    traefik: 'Test_buildConfiguration: UDP service with labels only',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)', connectAware: true },
    tagsFromLabels: true,
    items: [
      {
        id: '1',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        datacenter: 'dc1',
        namespace: 'ns',
        labels: {
          'traefik.udp.routers.test-udp-label.service': 'test-udp-label-service',
          'traefik.udp.routers.test-udp-label.entryPoints': 'udp',
          'traefik.udp.services.test-udp-label-service.loadBalancer.server.port': '21116',
        },
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
    tcpUdp: ['udp router test-udp-label', 'udp service test-udp-label-service'],
  },
  {
    traefik: 'Test_buildConfiguration: one container with default generated certificate labels',
    options: { defaultRule: 'Host(`{{ normalize .Name }}.traefik.wtf`)' },
    tagsFromLabels: true,
    items: [
      {
        id: 'Test',
        node: 'Node1',
        name: 'dev/Test',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {
          'traefik.tls.stores.default.defaultgeneratedcert.resolver': 'foobar',
          'traefik.tls.stores.default.defaultgeneratedcert.domain.main': 'foobar',
          'traefik.tls.stores.default.defaultgeneratedcert.domain.sans': 'foobar, fiibar',
        },
      },
    ],
    expected: {
      routers: {
        'dev-Test': {
          service: 'dev-Test',
          rule: 'Host(`dev-Test.traefik.wtf`)',
          defaultRule: true,
        },
      },
      services: {
        'dev-Test': {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
    tls: {
      stores: {
        default: {
          defaultGeneratedCert: {
            resolver: 'foobar',
            domain: { main: 'foobar', sans: ['foobar', 'fiibar'] },
          },
        },
      },
    },
  },
  {
    traefik: 'TestFilterHealthStatuses: test default strict checks',
    options: { defaultRule: 'Host(`foo.bar`)', strictChecks: ['passing', 'warning'] },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test1',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
      {
        id: 'id',
        node: 'Node2',
        name: 'Test2',
        address: '127.0.0.1',
        port: '81',
        status: 'warning',
        labels: {},
      },
    ],
    expected: {
      routers: {
        Test1: { service: 'Test1', rule: 'Host(`foo.bar`)', defaultRule: true },
        Test2: { service: 'Test2', rule: 'Host(`foo.bar`)', defaultRule: true },
      },
      services: {
        Test1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:81' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestFilterHealthStatuses: test status not included',
    options: { defaultRule: 'Host(`foo.bar`)', strictChecks: ['passing', 'warning'] },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test',
        address: '127.0.0.1',
        port: '80',
        status: 'critical',
        labels: {},
      },
    ],
    expected: { routers: {}, services: {}, middlewares: {} },
  },
  {
    traefik: 'TestFilterHealthStatuses: test only include warning',
    options: { defaultRule: 'Host(`foo.bar`)', strictChecks: ['warning'] },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test1',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
      {
        id: 'id2',
        node: 'Node2',
        name: 'Test2',
        address: '127.0.0.1',
        port: '81',
        status: 'warning',
        labels: {},
      },
    ],
    expected: {
      routers: { Test2: { service: 'Test2', rule: 'Host(`foo.bar`)', defaultRule: true } },
      services: {
        Test2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:81' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: 'TestFilterHealthStatuses: test critical status not included',
    options: { defaultRule: 'Host(`foo.bar`)', strictChecks: ['passing', 'warning'] },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test1',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
      {
        id: 'id2',
        node: 'Node2',
        name: 'Test2',
        address: '127.0.0.1',
        port: '81',
        status: 'warning',
        labels: {},
      },
      {
        id: 'id3',
        node: 'Node3',
        name: 'Test3',
        address: '127.0.0.1',
        port: '82',
        status: 'critical',
        labels: {},
      },
    ],
    expected: {
      routers: {
        Test1: { service: 'Test1', rule: 'Host(`foo.bar`)', defaultRule: true },
        Test2: { service: 'Test2', rule: 'Host(`foo.bar`)', defaultRule: true },
      },
      services: {
        Test1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:81' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
  {
    traefik: "TestFilterHealthStatuses: test include 'any' health status",
    options: { defaultRule: 'Host(`foo.bar`)', strictChecks: ['any'] },
    items: [
      {
        id: 'id',
        node: 'Node1',
        name: 'Test1',
        address: '127.0.0.1',
        port: '80',
        status: 'passing',
        labels: {},
      },
      {
        id: 'id2',
        node: 'Node2',
        name: 'Test2',
        address: '127.0.0.1',
        port: '81',
        status: 'warning',
        labels: {},
      },
      {
        id: 'id3',
        node: 'Node3',
        name: 'Test3',
        address: '127.0.0.1',
        port: '82',
        status: 'critical',
        labels: {},
      },
      {
        id: 'id4',
        node: 'Node4',
        name: 'Test4',
        address: '127.0.0.1',
        port: '83',
        status: 'some unsupported status',
        labels: {},
      },
    ],
    expected: {
      routers: {
        Test1: { service: 'Test1', rule: 'Host(`foo.bar`)', defaultRule: true },
        Test2: { service: 'Test2', rule: 'Host(`foo.bar`)', defaultRule: true },
        Test3: { service: 'Test3', rule: 'Host(`foo.bar`)', defaultRule: true },
        Test4: { service: 'Test4', rule: 'Host(`foo.bar`)', defaultRule: true },
      },
      services: {
        Test1: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:80' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test2: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:81' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test3: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:82' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
        Test4: {
          loadBalancer: {
            strategy: 'wrr',
            servers: [{ url: 'http://127.0.0.1:83' }],
            passHostHeader: true,
            responseForwarding: { flushInterval: '100ms' },
          },
        },
      },
      middlewares: {},
    },
  },
];
