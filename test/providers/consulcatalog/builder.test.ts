import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfiguration, DEFAULT_BUILD_OPTIONS, type BuildOptions } from '../../../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../../../src/providers/consulcatalog/instance.ts';
import type { HTTPConfiguration, Service } from '../../../src/dynamic/types.ts';

function inst(o: Partial<ServiceInstance> & { tags?: string[] } = {}): ServiceInstance {
  const tags = o.tags ?? [];
  return {
    id: 'Test', node: 'Node1', datacenter: 'dc1', name: 'Test', namespace: 'default',
    address: '127.0.0.1', port: '80', status: 'passing', ...o, tags, labels: o.labels ?? tagsToLabels(tags),
  };
}

function lb(...urls: string[]): Service {
  return { loadBalancer: { servers: urls.map((url) => ({ url })), strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } } };
}

interface ExpectedIssue { kind: 'router' | 'service' | 'middleware'; name: string; severity: 'error' | 'warning'; dropped: boolean; mentions: string[] }

interface Case {
  desc: string;
  instances: ServiceInstance[];
  options?: Partial<BuildOptions>;
  expected: Partial<HTTPConfiguration>;
  issues?: ExpectedIssue[];
}

const cases: Case[] = [
  {
    desc: 'one instance without labels gets the default router and service named after the normalized name',
    instances: [inst({ name: 'dev/Test' })],
    expected: { routers: { 'dev-Test': { rule: 'Host(`dev-Test`)', service: 'dev-Test' } }, services: { 'dev-Test': lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'explicit router with entry points and priority binds to the only (default) service',
    instances: [inst({ tags: ['traefik.http.routers.api.rule=Host(`api.example.com`)', 'traefik.http.routers.api.entrypoints=web,websecure', 'traefik.http.routers.api.priority=42'] })],
    expected: {
      routers: { api: { rule: 'Host(`api.example.com`)', entryPoints: ['web', 'websecure'], priority: 42, service: 'Test' } },
      services: { Test: lb('http://127.0.0.1:80') },
    },
  },
  {
    desc: 'server.port and server.scheme override the instance port and http',
    instances: [inst({ tags: ['traefik.http.services.svc.loadbalancer.server.port=8443', 'traefik.http.services.svc.loadbalancer.server.scheme=https'] })],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'svc' } }, services: { svc: lb('https://127.0.0.1:8443') } },
  },
  {
    desc: 'server.url is kept as given',
    instances: [inst({ tags: ['traefik.http.services.svc.loadbalancer.server.url=http://10.1.2.3:9000/base'] })],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'svc' } }, services: { svc: lb('http://10.1.2.3:9000/base') } },
  },
  {
    desc: 'enable=false on the only instance hides the service, without an issue',
    instances: [inst({ tags: ['traefik.enable=false'] })],
    expected: { routers: {}, services: {} },
    issues: [],
  },
  {
    desc: 'enable=false on one instance hides the whole service (Traefik quirk) and says so',
    instances: [inst({ id: 'a' }), inst({ id: 'b', node: 'Node2', tags: ['traefik.enable=false'] })],
    expected: { routers: {}, services: {} },
    issues: [
      { kind: 'router', name: 'Test', severity: 'error', dropped: true, mentions: ['"Test"', '"b"', '"a"', 'traefik.enable=false'] },
      { kind: 'service', name: 'Test', severity: 'error', dropped: true, mentions: ['"Test"', '"b"', '"a"', 'traefik.enable=false'] },
    ],
  },
  {
    desc: 'exposedByDefault=false keeps only instances with enable=true',
    options: { exposedByDefault: false },
    instances: [
      inst({ id: 'on', tags: ['traefik.enable=true'] }),
      inst({ id: 'off', node: 'Node2', address: '127.0.0.2' }),
      inst({ id: 'other', name: 'Other' }),
    ],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'instances that agree are merged: servers appended, identical routers kept once',
    instances: [
      inst({ id: 'a', tags: ['traefik.http.routers.r.rule=Host(`x`)'] }),
      inst({ id: 'b', node: 'Node2', address: '127.0.0.2', port: '81', tags: ['traefik.http.routers.r.rule=Host(`x`)'] }),
    ],
    expected: { routers: { r: { rule: 'Host(`x`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80', 'http://127.0.0.2:81') } },
  },
  {
    desc: 'conflicting instances drop the router and report both instance IDs and the key',
    instances: [
      inst({ id: 'a', tags: ['traefik.http.routers.r.rule=Host(`x`)'] }),
      inst({ id: 'b', node: 'Node2', address: '127.0.0.2', tags: ['traefik.http.routers.r.rule=Host(`y`)'] }),
    ],
    expected: { routers: {}, services: { Test: lb('http://127.0.0.1:80', 'http://127.0.0.2:80') } },
    issues: [{ kind: 'router', name: 'r', severity: 'error', dropped: true, mentions: ['"Test"', '"a"', '"b"', 'traefik.http.routers.r.rule'] }],
  },
  {
    desc: 'conflicting services drop the service; the router stays with a warning',
    instances: [
      inst({ id: 'a', tags: ['traefik.http.services.s.loadbalancer.passhostheader=false'] }),
      inst({ id: 'b', node: 'Node2', address: '127.0.0.2', tags: ['traefik.http.services.s.loadbalancer.server.port=80'] }),
    ],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 's' } }, services: {} },
    issues: [
      { kind: 'service', name: 's', severity: 'error', dropped: true, mentions: ['"Test"', '"a"', '"b"', 'traefik.http.services.s.loadBalancer.passHostHeader'] },
      { kind: 'router', name: 'Test', severity: 'warning', dropped: false, mentions: ['"Test"', '"a"', '"b"', 'passHostHeader'] },
    ],
  },
  {
    desc: 'two services and a router bound to one of them',
    instances: [inst({ tags: ['traefik.http.services.one.loadbalancer.server.port=81', 'traefik.http.services.two.loadbalancer.server.port=82', 'traefik.http.routers.r.service=two'] })],
    expected: { routers: { r: { rule: 'Host(`Test`)', service: 'two' } }, services: { one: lb('http://127.0.0.1:81'), two: lb('http://127.0.0.1:82') } },
  },
  {
    desc: 'two services and a router without a binding: the router is dropped',
    instances: [inst({ tags: ['traefik.http.services.one.loadbalancer.server.port=81', 'traefik.http.services.two.loadbalancer.server.port=82', 'traefik.http.routers.r.rule=Path(`/`)'] })],
    expected: { routers: {}, services: { one: lb('http://127.0.0.1:81'), two: lb('http://127.0.0.1:82') } },
    issues: [{ kind: 'router', name: 'r', severity: 'error', dropped: true, mentions: ['"Test"', '"Test"', 'traefik.http.routers.r.service', 'too many services'] }],
  },
  {
    desc: 'two services and no router: no default router',
    instances: [inst({ tags: ['traefik.http.services.one.loadbalancer.server.port=81', 'traefik.http.services.two.loadbalancer.server.port=82'] })],
    expected: { routers: {}, services: { one: lb('http://127.0.0.1:81'), two: lb('http://127.0.0.1:82') } },
  },
  {
    desc: 'observability.tracing=false is carried on the router',
    instances: [inst({ tags: ['traefik.http.routers.r.observability.tracing=false'] })],
    expected: { routers: { r: { rule: 'Host(`Test`)', service: 'Test', observability: { tracing: false } } }, services: { Test: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'a custom prefix: only its labels count, traefik.* tags are plain tags',
    options: { prefix: 'tagway' },
    instances: [inst({ tags: ['tagway.http.routers.r.rule=Host(`mine`)', 'traefik.http.routers.other.rule=Host(`theirs`)'] })],
    expected: { routers: { r: { rule: 'Host(`mine`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'a middleware declared and referenced by the router',
    instances: [inst({ tags: ['traefik.http.middlewares.strip.stripprefix.prefixes=/api,/v1', 'traefik.http.routers.r.middlewares=strip'] })],
    expected: {
      routers: { r: { rule: 'Host(`Test`)', service: 'Test', middlewares: ['strip'] } },
      services: { Test: lb('http://127.0.0.1:80') },
      middlewares: { strip: { stripPrefix: { prefixes: ['/api', '/v1'] } } },
    },
  },
  {
    desc: 'strictChecks (default passing, warning) keeps warning, drops critical and maintenance',
    instances: [
      inst({ id: 'ok', status: 'passing' }),
      inst({ id: 'warn', node: 'Node2', address: '127.0.0.2', status: 'warning' }),
      inst({ id: 'crit', node: 'Node3', address: '127.0.0.3', status: 'critical' }),
      inst({ id: 'maint', node: 'Node4', address: '127.0.0.4', status: 'maintenance' }),
    ],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80', 'http://127.0.0.2:80') } },
  },
  {
    desc: 'strictChecks [passing] drops warning',
    options: { strictChecks: ['passing'] },
    instances: [inst({ id: 'ok' }), inst({ id: 'warn', node: 'Node2', address: '127.0.0.2', status: 'warning' })],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'an IPv6 address goes in brackets',
    instances: [inst({ address: '::1', port: '8080' })],
    expected: { routers: { Test: { rule: 'Host(`Test`)', service: 'Test' } }, services: { Test: lb('http://[::1]:8080') } },
  },
  {
    desc: 'constraints select services by tag',
    options: { constraints: 'Tag(`public`) && !TagRegex(`^env=dev`)' },
    instances: [
      inst({ name: 'a', tags: ['public', 'env=prod'] }),
      inst({ name: 'b', tags: ['public', 'env=dev'] }),
      inst({ name: 'c', tags: ['env=prod'] }),
    ],
    expected: { routers: { a: { rule: 'Host(`a`)', service: 'a' } }, services: { a: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'option keys are case-insensitive, names keep their case',
    instances: [inst({ tags: ['traefik.HTTP.Routers.MyRouter.RULE=Host(`x`)', 'traefik.http.routers.MyRouter.EntryPoints=web'] })],
    expected: { routers: { MyRouter: { rule: 'Host(`x`)', entryPoints: ['web'], service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'a misspelled key drops everything the instance declared and suggests the right key',
    instances: [
      inst({ id: 'good', tags: ['traefik.http.routers.r.rule=Host(`x`)'] }),
      inst({ id: 'bad', node: 'Node2', address: '127.0.0.2', tags: ['traefik.http.routers.r.rule=Host(`x`)', 'traefik.http.routers.r.entrypoint=web'] }),
    ],
    expected: { routers: { r: { rule: 'Host(`x`)', service: 'Test' } }, services: { Test: lb('http://127.0.0.1:80') } },
    issues: [{ kind: 'router', name: 'r', severity: 'error', dropped: false, mentions: ['"Test"', '"bad"', 'traefik.http.routers.r.entrypoint', 'entryPoints'] }],
  },
  {
    desc: 'defaultRule with index .Labels and a pipeline',
    options: { defaultRule: 'Host(`{{ .Name | normalize }}.{{ index .Labels "domain" }}`)' },
    instances: [inst({ name: 'my_api', tags: ['domain=example.com'] })],
    expected: { routers: { 'my-api': { rule: 'Host(`my-api.example.com`)', service: 'my-api' } }, services: { 'my-api': lb('http://127.0.0.1:80') } },
  },
  {
    desc: 'defaultRule naming an unknown field drops the default router, keeps the service',
    options: { defaultRule: 'Host(`{{ .Toto }}`)' },
    instances: [inst()],
    expected: { routers: {}, services: { Test: lb('http://127.0.0.1:80') } },
    issues: [{ kind: 'router', name: 'Test', severity: 'error', dropped: true, mentions: ['"Test"', 'Toto', 'defaultRule'] }],
  },
];

describe('buildConfiguration', () => {
  for (const c of cases) {
    it(c.desc, () => {
      const { configuration, issues } = buildConfiguration(c.instances, { ...DEFAULT_BUILD_OPTIONS, ...c.options });
      // The default-rule marker (Traefik's json:"-" DefaultRule) is checked by the ported Traefik tables (traefik-config.test.ts).
      const routers = Object.fromEntries(Object.entries(configuration.http.routers).map(([n, { defaultRule: _marker, ...r }]) => [n, r]));
      assert.deepEqual({ ...configuration.http, routers }, { routers: {}, services: {}, middlewares: {}, ...c.expected });
      if (c.issues) {
        const got = issues.map((i) => ({ kind: i.kind, name: i.name, severity: i.severity, dropped: i.dropped }));
        assert.deepEqual(got, c.issues.map(({ mentions: _m, ...rest }) => rest), JSON.stringify(issues, null, 1));
        c.issues.forEach((want, n) => {
          for (const m of want.mentions) assert.ok(issues[n]!.message.includes(m), `issue ${n} should mention ${m}: ${issues[n]!.message}`);
        });
      }
    });
  }

  it('is deterministic whatever the order of instances', () => {
    const a = inst({ id: 'a', tags: ['traefik.http.routers.r.rule=Host(`x`)'] });
    const b = inst({ id: 'b', node: 'Node2', address: '127.0.0.2', tags: ['traefik.http.routers.r.rule=Host(`x`)'] });
    assert.deepEqual(buildConfiguration([a, b], DEFAULT_BUILD_OPTIONS), buildConfiguration([b, a], DEFAULT_BUILD_OPTIONS));
  });

  it('refuses an unsupported defaultRule template with the option named', () => {
    assert.throws(() => buildConfiguration([inst()], { ...DEFAULT_BUILD_OPTIONS, defaultRule: 'Host(`{{ if .Name }}x{{ end }}`)' }), /defaultRule.*"if" is not supported/);
  });
});
