import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { Middleware } from '../../src/dynamic/types.ts';
import type { Gateway } from '../../src/server/gateway.ts';
import { startFileGateway } from './file-gateway.ts';
import { startUpstream, type SeenRequest } from './upstream.ts';

/**
 * The count every ported Traefik table prints: cases ported, passing, and deliberately different (each with
 * its why). A case is "passing" when tagway gives Traefik's result, or, for a deliberate difference, Traefik's
 * routing result plus what the table says tagway does instead.
 *
 * @example
 * const tally = new Tally('pkg/muxer/http/matcher_test.go (v3.7.9)');
 * it(c.desc, () => tally.run(c.desc, c.differs, () => assert.ok(...)));
 * it('count', (t) => tally.report(t)); // last: the count as a diagnostic line
 */
export class Tally {
  readonly #name: string;
  #ported = 0;
  #passing = 0;
  readonly #different = new Map<string, string>();

  constructor(name: string) {
    this.#name = name;
  }

  /** Runs one ported case; `differs` is the reason tagway deliberately differs in this case (if it does). */
  run(desc: string, differs: string | undefined, check: () => void): void {
    this.#ported++;
    if (differs !== undefined) this.#different.set(desc, differs);
    check();
    this.#passing++;
  }

  async runAsync(desc: string, differs: string | undefined, check: () => Promise<void>): Promise<void> {
    this.#ported++;
    if (differs !== undefined) this.#different.set(desc, differs);
    await check();
    this.#passing++;
  }

  summary(): string {
    return `Traefik ${this.#name}: ported ${this.#ported} / passing ${this.#passing} / deliberately different ${this.#different.size}`;
  }

  /** Prints the count and every deliberate difference with its why (as a test diagnostic). */
  report(t: TestContext): void {
    t.diagnostic(this.summary());
    const byWhy = new Map<string, string[]>();
    for (const [desc, why] of this.#different) byWhy.set(why, [...(byWhy.get(why) ?? []), desc]);
    for (const [why, descs] of byWhy) t.diagnostic(`  ${descs.length} × ${why} (${descs.join('; ')})`);
  }
}

/** The Traefik version the tables were ported from. */
export const TRAEFIK_VERSION = 'v3.7.9';

/**
 * What a ported middleware case runs through: the running gateway (file provider), one router per case chosen
 * by an `X-Traefik-Case` header, the case's middleware(s) on it, and one upstream whose answer each case may
 * choose (Traefik's `next` handler). Requests and answers cross real sockets on 127.0.0.1.
 */
export interface CaseRoute {
  /** Middlewares of the case's router, in order (each defined under its own name). */
  middlewares: Middleware[];
  /** The upstream's answer for this case (Traefik's `next`); default: 200, empty body. */
  next?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Extra router fields (e.g. `tls: {}`). */
  router?: Record<string, unknown>;
  /** Extra service fields (e.g. `loadBalancer.passHostHeader`). */
  service?: Record<string, unknown>;
}

export interface CaseGateway {
  web: string;
  gateway: Gateway;
  /** Every request the upstream received, with the case it belongs to. */
  seen: Array<SeenRequest & { caseIndex: number }>;
  /** Requests the upstream received for case `i`. */
  seenBy(i: number): SeenRequest[];
  /** The header every request of case `i` carries (add it to the request). */
  caseHeader(i: number): Record<string, string>;
}

export const CASE_HEADER = 'x-traefik-case';

/** Starts the gateway for `routes` (see CaseRoute); everything is closed by `t`. */
export async function startCaseGateway(t: TestContext, routes: CaseRoute[], flags: string[] = []): Promise<CaseGateway> {
  const seen: Array<SeenRequest & { caseIndex: number }> = [];
  const up = await startUpstream(t, 'up', function next(req, res) {
    const i = Number(req.headers[CASE_HEADER]);
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, caseIndex: i });
    const handler = routes[i]?.next;
    if (handler) { handler(req, res); return; }
    req.resume();
    req.on('end', () => { res.writeHead(200); res.end(); });
  });
  const routers: Record<string, unknown> = {};
  const middlewares: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  routes.forEach((c, i) => {
    const names = c.middlewares.map((m, j) => { middlewares[`m${i}_${j}`] = m; return `m${i}_${j}`; });
    services[`s${i}`] = { loadBalancer: { servers: [{ url: up.url }], ...c.service } };
    routers[`r${i}`] = { rule: `Header(\`X-Traefik-Case\`, \`${i}\`)`, service: `s${i}`, middlewares: names, ...c.router };
  });
  const gw = await startFileGateway(t, { routers, middlewares, services }, flags);
  return {
    web: gw.web, gateway: gw.gateway, seen,
    seenBy: (i) => seen.filter((s) => s.caseIndex === i),
    caseHeader: (i) => ({ [CASE_HEADER]: String(i) }),
  };
}

/** Headers the transport adds on either side (Node's server and client, the proxy's X-Forwarded-*): left out of comparisons. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'host', CASE_HEADER,
  'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-server', 'x-real-ip']);

/**
 * The headers of a message as Go's `http.Header` would hold them for comparison: lower-case names, values as
 * arrays, transport headers left out (`keep` names the ones a case compares anyway, e.g. content-length).
 */
export function comparableHeaders(h: IncomingHttpHeaders, keep: string[] = [], drop: string[] = ['content-length']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    if (!keep.includes(k) && (TRANSPORT.has(k) || drop.includes(k))) continue;
    out[k] = Array.isArray(v) ? v : [v];
  }
  return out;
}

/** Go's `http.Header` literal, as `comparableHeaders` gives it (names lower-cased). */
export function goHeader(h: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
