/**
 * One suite for every RouteTable implementation (hono's common.case.test.ts style): the indexed table and
 * the linear reference table must give exactly the same answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule, defaultPriority, type MatchRequest } from '../../src/rules/index.ts';
import type { RouteInput, RouteTable } from '../../src/routing/index.ts';

export type BuildTable = <T>(routes: ReadonlyArray<RouteInput<T>>) => RouteTable<T>;

export function request(over: Partial<MatchRequest> = {}): MatchRequest {
  return { method: 'GET', host: 'example.com', path: '/', rawQuery: '', clientIp: '127.0.0.1', headers: {}, ...over };
}

/** A route named `name`, valued `name`, priority defaulted from the rule like Traefik. */
export function route(name: string, rule: string, priority?: number, rank?: number): RouteInput<string> {
  const compiled = compileRule(rule);
  if (!compiled.ok) throw new Error(compiled.message);
  const input: RouteInput<string> = { name, rule: compiled, priority: priority ?? defaultPriority(rule), value: name };
  if (rank !== undefined) input.rank = rank;
  return input;
}

interface Case {
  desc: string;
  routes: Array<RouteInput<string>>;
  requests: Array<{ req: Partial<MatchRequest>; want: string | undefined }>;
}

const cases: Case[] = [
  {
    desc: 'empty table matches nothing',
    routes: [],
    requests: [{ req: {}, want: undefined }],
  },
  {
    desc: 'longer rule wins by default priority (Traefik docs example)',
    routes: [route('regexp', 'HostRegexp(`[a-z]+\\.traefik\\.com`)'), route('host', 'Host(`foobar.traefik.com`)')],
    requests: [
      { req: { host: 'foobar.traefik.com' }, want: 'regexp' },
      { req: { host: 'other.traefik.com' }, want: 'regexp' },
      { req: { host: 'traefik.com' }, want: undefined },
    ],
  },
  {
    desc: 'explicit priority overrides rule length',
    routes: [route('regexp', 'HostRegexp(`[a-z]+\\.traefik\\.com`)', 1), route('host', 'Host(`foobar.traefik.com`)', 2)],
    requests: [
      { req: { host: 'foobar.traefik.com' }, want: 'host' },
      { req: { host: 'other.traefik.com' }, want: 'regexp' },
    ],
  },
  {
    desc: 'longer PathPrefix wins over shorter one',
    routes: [route('root', 'PathPrefix(`/`)'), route('api', 'PathPrefix(`/api`)'), route('apiv2', 'PathPrefix(`/api/v2`)')],
    requests: [
      { req: { path: '/api/v2/x' }, want: 'apiv2' },
      { req: { path: '/api/v1' }, want: 'api' },
      { req: { path: '/web' }, want: 'root' },
    ],
  },
  {
    desc: 'equal priority: name ascending decides',
    routes: [route('b@file', 'PathPrefix(`/x`)', 10), route('a@file', 'PathPrefix(`/`)', 10), route('c@file', 'Path(`/x`)', 10)],
    requests: [{ req: { path: '/x' }, want: 'a@file' }],
  },
  {
    desc: 'equal priority: rank before name',
    routes: [route('a@file', 'PathPrefix(`/`)', 10, 2), route('b@consulcatalog', 'PathPrefix(`/`)', 10, 1)],
    requests: [{ req: { path: '/x' }, want: 'b@consulcatalog' }],
  },
  {
    desc: 'negative priority goes last',
    routes: [route('catchall', 'PathPrefix(`/`)', -1), route('host', 'Host(`example.com`)', 1)],
    requests: [
      { req: {}, want: 'host' },
      { req: { host: 'other.com' }, want: 'catchall' },
    ],
  },
  {
    desc: 'host-less route with higher priority beats the host bucket',
    routes: [route('host-a', 'Host(`a.com`)', 5), route('maintenance', 'Header(`X-Maint`, `1`)', 50), route('host-b', 'Host(`b.com`)', 5)],
    requests: [
      { req: { host: 'a.com' }, want: 'host-a' },
      { req: { host: 'a.com', headers: { 'x-maint': '1' } }, want: 'maintenance' },
      { req: { host: 'c.com', headers: { 'x-maint': '1' } }, want: 'maintenance' },
      { req: { host: 'c.com' }, want: undefined },
    ],
  },
  {
    desc: 'host route with higher priority beats host-less routes',
    routes: [route('fallback', 'PathPrefix(`/`)', 1), route('a', 'Host(`a.com`) && PathPrefix(`/api`)', 100), route('a-all', 'Host(`a.com`)', 10)],
    requests: [
      { req: { host: 'a.com', path: '/api/x' }, want: 'a' },
      { req: { host: 'a.com', path: '/web' }, want: 'a-all' },
      { req: { host: 'b.com', path: '/api/x' }, want: 'fallback' },
    ],
  },
  {
    desc: 'interleaved priorities across buckets',
    routes: [
      route('g30', 'Method(`POST`)', 30), route('a40', 'Host(`a.com`) && Method(`POST`)', 40),
      route('a20', 'Host(`a.com`)', 20), route('g10', 'PathPrefix(`/`)', 10), route('a5', 'Host(`a.com`)', 5),
    ],
    requests: [
      { req: { host: 'a.com', method: 'POST' }, want: 'a40' },
      { req: { host: 'b.com', method: 'POST' }, want: 'g30' },
      { req: { host: 'a.com' }, want: 'a20' },
      { req: { host: 'b.com' }, want: 'g10' },
    ],
  },
  {
    desc: 'Host alternatives sit in several buckets',
    routes: [route('ab', 'Host(`a.com`) || Host(`b.com`)'), route('other', 'PathPrefix(`/`)', 1)],
    requests: [
      { req: { host: 'a.com' }, want: 'ab' },
      { req: { host: 'b.com' }, want: 'ab' },
      { req: { host: 'c.com' }, want: 'other' },
    ],
  },
  {
    desc: 'negated Host is host-less',
    routes: [route('not-a', '!Host(`a.com`)', 10), route('a', 'Host(`a.com`)', 1)],
    requests: [
      { req: { host: 'a.com' }, want: 'a' },
      { req: { host: 'b.com' }, want: 'not-a' },
    ],
  },
  {
    desc: 'conflicting Hosts never match',
    routes: [route('never', 'Host(`a.com`) && Host(`b.com`)', 100), route('a', 'Host(`a.com`)', 1)],
    requests: [{ req: { host: 'a.com' }, want: 'a' }],
  },
  {
    desc: 'wildcard hosts: exact beats *. beats **. by default priority',
    routes: [route('double', 'Host(`**.example.com`)'), route('single', 'Host(`*.example.com`)'), route('exact', 'Host(`www.example.com`)')],
    requests: [
      { req: { host: 'www.example.com' }, want: 'exact' },
      { req: { host: 'api.example.com' }, want: 'single' },
      { req: { host: 'a.b.example.com' }, want: 'double' },
      { req: { host: 'example.com' }, want: undefined },
      { req: { host: 'a.example.org' }, want: undefined },
    ],
  },
  {
    desc: 'wildcard routes interleave with exact and host-less routes',
    routes: [
      route('deep-api', 'Host(`**.example.com`) && PathPrefix(`/api`)', 50), route('single', 'Host(`*.example.com`)', 40),
      route('exact', 'Host(`x.example.com`)', 30), route('any', 'PathPrefix(`/`)', 20), route('star', 'Host(`*`) && Method(`POST`)', 60),
      route('both', 'Host(`x.example.com`) || Host(`*.example.com`)', 35),
    ],
    requests: [
      { req: { host: 'x.example.com', path: '/api' }, want: 'deep-api' },
      { req: { host: 'x.example.com', path: '/' }, want: 'single' },
      { req: { host: 'a.b.example.com', path: '/' }, want: 'any' },
      { req: { host: 'localhost', path: '/api', method: 'POST' }, want: 'star' },
      { req: { host: 'x.example.com', path: '/api', method: 'POST' }, want: 'star' },
      { req: { host: 'example.com', path: '/' }, want: 'any' },
    ],
  },
  {
    // Traefik v3.7 (pkg/muxer/http/matcher.go `host`, TestHostMatcher "* match everything").
    desc: 'Host(`*`) matches every host, the empty one included',
    routes: [route('star', 'Host(`*`)'), route('exact', 'Host(`a.b`)', 1)],
    requests: [
      { req: { host: 'localhost' }, want: 'star' },
      { req: { host: 'a.b' }, want: 'star' },
      { req: { host: 'x.y.z' }, want: 'star' },
      { req: { host: '' }, want: 'star' },
    ],
  },
  {
    desc: 'empty host only reaches host-less routes',
    routes: [route('h', 'Host(`.`)'), route('g', 'Path(`/`)')],
    requests: [{ req: { host: '' }, want: 'g' }],
  },
  {
    desc: 'many hosts, each request finds its own',
    routes: Array.from({ length: 200 }, (_, i) => route(`r${i}`, `Host(\`h${i}.example.com\`)`)),
    requests: [
      { req: { host: 'h0.example.com' }, want: 'r0' },
      { req: { host: 'h137.example.com' }, want: 'r137' },
      { req: { host: 'h199.example.com' }, want: 'r199' },
      { req: { host: 'h200.example.com' }, want: undefined },
    ],
  },
];

/** Registers the shared vectors for one implementation. */
export function runRouteTableSuite(label: string, build: BuildTable): void {
  describe(`${label}: route table vectors`, () => {
    for (const c of cases) {
      it(c.desc, () => {
        const table = build(c.routes);
        assert.equal(table.size, c.routes.length);
        for (const { req, want } of c.requests) {
          assert.equal(table.match(request(req)), want, `request ${JSON.stringify(req)}`);
        }
      });
      it(`${c.desc} (input order does not matter)`, () => {
        const table = build([...c.routes].reverse());
        for (const { req, want } of c.requests) assert.equal(table.match(request(req)), want);
      });
      it(`${c.desc} (explain agrees with match)`, () => {
        const table = build(c.routes);
        for (const { req, want } of c.requests) {
          const explained = table.explain(request(req));
          assert.equal(explained.length, c.routes.length);
          const winner = explained.find((e) => e.matched);
          assert.equal(winner?.name, want);
          for (let i = 1; i < explained.length; i++) {
            const prev = explained[i - 1]!;
            const cur = explained[i]!;
            assert.ok(prev.priority > cur.priority || (prev.priority === cur.priority), 'priority order');
          }
        }
      });
    }

    it('explain gives reasons: selected, shadowed, failing matcher', () => {
      const table = build([route('a', 'Host(`a.com`)', 30), route('b', 'PathPrefix(`/`)', 20), route('c', 'Path(`/x`)', 10)]);
      assert.deepEqual(table.explain(request({ host: 'b.com' })), [
        { name: 'a', priority: 30, matched: false, reason: 'Host(`a.com`) is false (host "b.com")' },
        { name: 'b', priority: 20, matched: true, reason: 'selected: first matching route in priority order' },
        { name: 'c', priority: 10, matched: false, reason: 'Path(`/x`) is false (path "/")' },
      ]);
      assert.deepEqual(table.explain(request({ host: 'a.com', path: '/x' })).map((e) => e.reason), [
        'selected: first matching route in priority order',
        'shadowed by a (priority 30), evaluated first',
        'shadowed by a (priority 30), evaluated first',
      ]);
    });
  });
}
