import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { compileRule, defaultPriority } from '../../src/rules/index.ts';
import { buildRouteTable } from '../../src/routing/index.ts';
import { providerRank } from '../../src/routing/precedence.ts';
import { routingPath } from '../../src/http/path.ts';
import { startTestGateway, waitForState } from '../support/gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';
import {
  emptyHostCases, matcherCases, parseDomainsCases, priorityCases, routingPathCases, rulePriorityCases,
  type TraefikMatchRequest,
} from './traefik-muxer.data.ts';
import type { Gateway } from '../../src/server/gateway.ts';

/**
 * Traefik's muxer tables (./traefik-muxer.data.ts) against tagway. Matcher and TestMuxer cases go through the
 * running gateway: one router per case, its rule AND a `Header(\`X-Traefik-Case\`, …)` naming the case (so the
 * cases share one gateway without meeting), every request sent as raw HTTP/1.1 on a socket. ClientIP cases set
 * the peer address, which loopback cannot: they run the production compiled rule on a request with that address.
 * `X-Forwarded-*` from the client are trusted (`forwardedHeaders.insecure`), as Traefik's unit tests see them.
 * A rule Traefik refuses must be refused by `compileRule`, the compiler providers and the runtime build use.
 */

const tally = new Tally(`${TRAEFIK_VERSION} pkg/muxer/http/{matcher,mux}_test.go`);

/**
 * Requests whose answer over HTTP is not the unit test's (`<traefik desc>#<request index>`): the answer tagway gives,
 * which is also what Traefik gives over the wire, and why the unit test differs.
 */
const NON_CANONICAL = 'Traefik\'s unit test puts a lower-case name in Go\'s header map, which `Header.Values` cannot find; over HTTP, header '
  + 'names are case-insensitive (Go canonicalizes them as it reads the request), so Traefik matches too: 200';
const SETS_PROTO = 'over HTTP Traefik\'s entry point sets X-Forwarded-Proto (http here) before routing, which the unit test skips; '
  + 'both gateways then match `^https?$`: 200';
const LOWER_METHOD = 'a lower-case method: Node\'s HTTP parser refuses it with 400 before routing; Go\'s accepts it and Method(`GET`) '
  + 'does not match (404): neither routes it';
const REQUEST_DIFFERENCES: Record<string, { status: number; why: string }> = {
  'TestMethodMatcher: valid Method matcher#2': { status: 400, why: LOWER_METHOD },
  'TestMethodMatcher: valid Method matcher (lower case)#2': { status: 400, why: LOWER_METHOD },
  'TestHeaderMatcher: valid Header matcher#1': { status: 200, why: NON_CANONICAL },
  'TestHeaderMatcher: valid Header matcher (non-canonical form)#1': { status: 200, why: NON_CANONICAL },
  'TestHeaderRegexpMatcher: valid HeaderRegexp matcher#1': { status: 200, why: NON_CANONICAL },
  'TestHeaderRegexpMatcher: valid HeaderRegexp matcher (non-canonical form)#1': { status: 200, why: NON_CANONICAL },
  'TestHeaderRegexpMatcher: valid HeaderRegexp matcher#5': { status: 200, why: SETS_PROTO },
  'TestHeaderRegexpMatcher: valid HeaderRegexp matcher (non-canonical form)#5': { status: 200, why: SETS_PROTO },
};
/** Cases tagway answers differently as a whole, and why. */
const CASE_DIFFERENCES: Record<string, string> = {
  'TestParseDomains: Host rule with no domain': 'ParseDomains (TLS certificate domains) reads Host() without checking its arity; as a router rule '
    + 'Traefik refuses Host() (TestHostMatcher "no parameter"), and so does tagway\'s compiler',
};

/** The distinct reasons of a case's request differences, or undefined when it has none. */
function whys(desc: string, n: number): string | undefined {
  const all = [...new Set(Array.from({ length: n }, (_, k) => REQUEST_DIFFERENCES[`${desc}#${k}`]?.why).filter((w) => w !== undefined))];
  return all.length > 0 ? all.join('; and ') : undefined;
}

function caseHeader(i: number): string { return `X-Traefik-Case: ${i}\r\n`; }
const EMPTY_HOST_BASE = 1000;


/** Sends one raw HTTP/1.1 request and resolves with the status code of the answer. */
function rawStatus(port: number, raw: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) { socket.destroy(); resolve(Number(m[1])); }
    });
    socket.on('error', reject);
    socket.on('close', () => { if (!/^HTTP\/1\.1 \d{3}/.test(text)) reject(new Error(`no answer to ${JSON.stringify(raw)}: ${JSON.stringify(text)}`)); });
    socket.write(Buffer.from(raw, 'utf8'));
  });
}

/** Traefik's `httptest.NewRequest(method, url)` with header lines, as bytes on the wire. */
function rawRequest(r: TraefikMatchRequest, extra: string): string {
  const m = /^[a-z]+:\/\/([^/?]*)(.*)$/.exec(r.url);
  if (!m) throw new Error(`bad url ${r.url}`);
  const target = m[2] === '' ? '/' : m[2]!.startsWith('?') ? `/${m[2]}` : m[2]!;
  let head = `${r.method ?? 'GET'} ${target} HTTP/1.1\r\nHost: ${m[1]}\r\n${extra}`;
  for (const [name, values] of Object.entries(r.headers ?? {})) for (const v of values) head += `${name}: ${v}\r\n`;
  return `${head}Connection: close\r\n\r\n`;
}

describe(`Traefik ${TRAEFIK_VERSION} muxer tables`, () => {
  let gateway: Gateway;
  let port = 0;
  const routed = matcherCases.map((c, i) => ({ c, i })).filter(({ c }) => !c.error && !c.traefik.startsWith('TestClientIPMatcher'));

  const cleanups: Array<() => unknown> = [];
  after(async () => { for (const f of cleanups.reverse()) await f(); });
  before(async () => {
    // One gateway for the whole table; what startTestGateway registers with `after` is run by the suite's `after`.
    const ctx = { after: (f: () => unknown) => { cleanups.push(f); } } as unknown as Parameters<typeof startTestGateway>[0];
    const up = await startUpstream(ctx, 'ok');
    const routers: Record<string, unknown> = {};
    const cases = [...routed.map(({ c, i }) => ({ rule: c.rule, i })), ...emptyHostCases.map((c, k) => ({ rule: c.rule, i: EMPTY_HOST_BASE + k }))];
    for (const { rule, i } of cases) {
      routers[`case${i}`] = { rule: `Header(\`X-Traefik-Case\`, \`${i}\`) && (${rule})`, priority: 1, service: 'ok', entryPoints: ['web'] };
    }
    const dir = await mkdtemp(join(tmpdir(), 'tagway-mux-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, stringify({ http: { routers, services: { ok: { loadBalancer: { servers: [{ url: up.url }] } } } } }));
    ({ gateway } = await startTestGateway(ctx, { consul: false, flags: [`--providers.file.filename=${file}`, '--entryPoints.web.forwardedHeaders.insecure=true'] }));
    await waitForState(gateway, (s) => Object.keys(s.routers).filter((n) => n.endsWith('@file')).length === cases.length);
    port = Number(new URL(gateway.url('web')).port);
  });

  for (const [i, c] of matcherCases.entries()) {
    const clientIp = c.traefik.startsWith('TestClientIPMatcher');
    it(c.traefik, async () => tally.runAsync(c.traefik, CASE_DIFFERENCES[c.traefik] ?? whys(c.traefik, c.requests?.length ?? 0), async () => {
      // A rule Traefik's AddRoute refuses: tagway's compiler (what every provider and the runtime build use) refuses it.
      if (c.error) { assert.equal(compileRule(c.rule).ok, false, `rule ${c.rule} must be refused`); return; }
      const got: number[] = [];
      const want: number[] = [];
      for (const [k, r] of (c.requests ?? []).entries()) {
        want.push(REQUEST_DIFFERENCES[`${c.traefik}#${k}`]?.status ?? r.status);
        if (clientIp) {
          const compiled = compileRule(c.rule);
          assert.ok(compiled.ok);
          got.push(compiled.match({ method: 'GET', host: 'example.com', path: '/', rawQuery: '', clientIp: r.remoteAddr ?? '', headers: {} }) ? 200 : 404);
        } else {
          got.push(await rawStatus(port, rawRequest(r, caseHeader(i))));
        }
      }
      assert.deepEqual(got, want, JSON.stringify(c.requests));
    }));
  }

  for (const c of priorityCases) {
    it(c.traefik, () => tally.run(c.traefik, undefined, () => {
      // Traefik's test muxer has this providers precedence; tagway's table takes it as `rank` (src/routing/precedence.ts).
      const precedence = ['kubernetesgateway', 'kubernetescrd', 'kubernetes', 'kubernetesingressnginx'];
      const table = buildRouteTable(c.routes.map((r, k) => {
        const rule = compileRule(r.rule);
        assert.ok(rule.ok);
        return { name: `r${k}`, rule, priority: r.priority || defaultPriority(r.rule), rank: providerRank(r.provider ?? '', precedence), value: r.xFrom };
      }));
      assert.equal(table.match({ method: 'GET', host: '', path: c.path, rawQuery: '', clientIp: '127.0.0.1', headers: {} }), c.expected);
    }));
  }

  for (const c of rulePriorityCases) it(c.traefik, () => tally.run(c.traefik, undefined, () => assert.equal(defaultPriority(c.rule), c.priority)));
  for (const c of routingPathCases) it(c.traefik, () => tally.run(c.traefik, undefined, () => assert.equal(routingPath(c.path), c.routingPath)));
  for (const c of parseDomainsCases) {
    it(c.traefik, () => tally.run(c.traefik, CASE_DIFFERENCES[c.traefik], () => {
      const compiled = compileRule(c.rule);
      if (c.error || CASE_DIFFERENCES[c.traefik]) { assert.equal(compiled.ok, false); return; }
      assert.ok(compiled.ok, c.rule);
      assert.deepEqual(compiled.hosts ?? [], c.domains);
    }));
  }
  for (const [k, c] of emptyHostCases.entries()) {
    it(c.traefik, async () => tally.runAsync(c.traefik, CASE_DIFFERENCES[c.traefik], async () => {
      const lineEnd = c.raw.indexOf('\r\n') + 2;
      const raw = c.raw.slice(0, lineEnd) + caseHeader(EMPTY_HOST_BASE + k) + 'Connection: close\r\n' + c.raw.slice(lineEnd);
      const got = await rawStatus(port, raw);
      assert.equal(got, c.status);
    }));
  }
  it('count', (t) => tally.report(t));
});
