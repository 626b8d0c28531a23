import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { STATUS_CODES } from 'node:http';
import type { ErrorPage } from '../../src/dynamic/types.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { decodeDynamicDocument } from '../../src/labels/index.ts';
import { startFileGateway, send, lb, type FileGateway } from '../support/file-gateway.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

/**
 * pkg/middlewares/customerrors/custom_errors_test.go TestHandler, ported as data through the running gateway:
 * the "backend" is a real upstream answering the case's status with Go's `StatusText\n` (nothing for 304), the
 * error-page service a real upstream running the case's page handler; the request is Traefik's
 * `GET http://localhost/test?foo=bar&baz=buz`. Each case is one router (by Host) with its own errors middleware.
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/customerrors/custom_errors_test.go`);
const NGINX = 'NginxHeaders is internal to Traefik\'s ingress-nginx provider (`file:"-" label:"-"`): no tag or file can set it, '
  + 'so tagway has no such mode; the file key is refused by name';

type Page = 'page' | 'status-page' | 'host' | 'headers';
interface Case { desc: string; mw: ErrorPage; backend: number; page: Page; headers?: Record<string, string>; status: number; contains?: string[]; lacks?: string[]; differs?: string }

const ranges = ['500-501', '503-599'];
const cases: Case[] = [
  { desc: 'no error', mw: { service: 'error', query: '/test', status: ranges }, backend: 200, page: 'page', status: 200, contains: ['OK'] },
  { desc: 'no error, but not a 200', mw: { service: 'error', query: '/test', status: ranges }, backend: 206, page: 'page', status: 206, contains: ['Partial Content'] },
  { desc: 'a 304, so no Write called', mw: { service: 'error', query: '/test', status: ranges }, backend: 304, page: 'page', status: 304, lacks: ['whatever'] },
  { desc: 'in the range', mw: { service: 'error', query: '/test', status: ranges }, backend: 500, page: 'page', status: 500, contains: ['My error page.'] },
  { desc: 'not in the range', mw: { service: 'error', query: '/test', status: ranges }, backend: 502, page: 'page', status: 502, contains: ['Bad Gateway'] },
  { desc: 'query replacement', mw: { service: 'error', query: '/{status}', status: ['503-503'] }, backend: 503, page: 'status-page', status: 503, contains: ['My 503 page.'] },
  { desc: 'single code and query replacement', mw: { service: 'error', query: '/{status}', status: ['503'] }, backend: 503, page: 'status-page', status: 503, contains: ['My 503 page.'] },
  { desc: 'forward request host header', mw: { service: 'error', query: '/test', status: ['503'] }, backend: 503, page: 'host', status: 503, contains: ['localhost'] },
  { desc: 'full query replacement', mw: { service: 'error', query: '/?status={status}&url={url}', status: ['503'] }, backend: 503, page: 'status-page', status: 503, contains: ['My 503 page.'] },
  { desc: 'forward all headers by default', mw: { service: 'error', query: '/test', status: ['503'] }, backend: 503, page: 'headers', headers: { 'X-Request-Id': 'trace-abc', Authorization: 'Bearer secret' }, status: 503, contains: ['trace-abc', 'Bearer secret'] },
  { desc: 'forward only allowlisted headers', mw: { service: 'error', query: '/test', status: ['503'], errorRequestHeaders: ['X-Request-Id'] }, backend: 503, page: 'headers', headers: { 'X-Request-Id': 'trace-abc', Authorization: 'Bearer secret' }, status: 503, contains: ['trace-abc'], lacks: ['Bearer secret'] },
  { desc: 'forward no headers', mw: { service: 'error', query: '/test', status: ['503'], errorRequestHeaders: [] }, backend: 503, page: 'headers', headers: { 'X-Request-Id': 'trace-abc', Authorization: 'Bearer secret' }, status: 503, lacks: ['trace-abc', 'Bearer secret'] },
  { desc: 'nginx headers: backend status code preserved', mw: { service: 'error', query: '/test', status: ['500-599'] }, backend: 500, page: 'page', status: 500, differs: NGINX },
  { desc: 'nginx headers: X-Code and nginx headers forwarded', mw: { service: 'error', query: '/test', status: ['500-599'] }, backend: 502, page: 'page', status: 502, differs: NGINX },
  { desc: 'non-nginx: code modifier enforces original error code', mw: { service: 'error', query: '/test', status: ['500-599'] }, backend: 500, page: 'page', status: 500, contains: ['My error page.'] },
];

/** The page handlers of the table, chosen per request by the X-Page header the case's router adds. */
const STATUS_PAGE_URIS = new Set(['/503', '/?status=503&url=http%3A%2F%2Flocalhost%2Ftest%3Ffoo%3Dbar%26baz%3Dbuz']);

describe('errors: Traefik customerrors table through the running gateway', () => {
  let gw: FileGateway;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    const backend = await startUpstream(t, 'backend', (req, res) => {
      req.resume();
      const code = Number(req.headers['x-backend-code']);
      res.writeHead(code);
      res.end(code === 304 ? undefined : `${STATUS_CODES[code]}\n`);
    });
    // The case's page handler is the first path segment: each case's "error" service is this upstream with
    // `preservePath` on a server URL naming it, so the page request itself stays as Traefik builds it.
    const pages = await startUpstream(t, 'pages', (req, res) => {
      req.resume();
      const [, kind, ...rest] = (req.url ?? '').split('/');
      const url = '/' + rest.join('/');
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (kind === 'status-page') res.end(STATUS_PAGE_URIS.has(url) ? 'My 503 page.\n' : `unexpected ${url}\n`);
      else if (kind === 'host') res.end(`${req.headers.host}\n`);
      else if (kind === 'headers') res.end(`${req.headers['x-request-id'] ?? ''}\n${req.headers.authorization ?? ''}\n`);
      else res.end(kind === 'page' && url === '/test' ? 'My error page.\n' : `unexpected ${url}\n`);
    });
    const routers: Record<string, unknown> = {};
    const middlewares: Record<string, unknown> = {};
    const services: Record<string, unknown> = { backend: lb(backend.url) };
    cases.forEach((c, i) => {
      middlewares[`e${i}`] = { errors: { ...c.mw, service: `error${i}` } };
      middlewares[`code${i}`] = { headers: { customRequestHeaders: { 'X-Backend-Code': String(c.backend) } } };
      services[`error${i}`] = { loadBalancer: { servers: [{ url: `${pages.url}/${c.page}`, preservePath: true }] } };
      routers[`r${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: 'backend', middlewares: [`code${i}`, `e${i}`] };
    });
    gw = await startFileGateway(t, { routers, middlewares, services });
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  cases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, c.differs, async () => {
      if (c.differs === NGINX) {
        const decoded = decodeDynamicDocument({ http: { middlewares: { e: { errors: { ...c.mw, nginxHeaders: { 'X-Namespaces': 'default' } } } } } });
        assert.ok(decoded.errors.some((e) => String(e.path) === 'http.middlewares.e.errors.nginxHeaders'), JSON.stringify(decoded.errors));
        const built = buildMiddleware('e@file', { errors: c.mw }, () => new Error('none'), { service: () => () => {} });
        assert.ok(!(built instanceof Error), 'the same definition without nginxHeaders builds');
        return;
      }
      const r = await send(gw.web, '/test?foo=bar&baz=buz', { headers: { host: 'localhost', 'x-case': String(i), ...c.headers } });
      assert.equal(r.status, c.status, r.body);
      for (const s of c.contains ?? []) assert.ok(r.body.includes(s), `body ${JSON.stringify(r.body)} contains ${s}`);
      for (const s of c.lacks ?? []) assert.ok(!r.body.includes(s), `body ${JSON.stringify(r.body)} lacks ${s}`);
    }));
  });

  it('count', (t) => tally.report(t));
});

describe('errors through the running gateway', () => {
  it('statusRewrites, {originalStatus}, the page headers, and a pass-through that streams', async (t) => {
    const backend = await startUpstream(t, 'backend', (req, res) => {
      req.resume();
      const code = Number(req.url!.slice(1));
      res.writeHead(code, { 'x-from': 'backend' });
      res.end(`backend ${code}`);
    });
    const pages = await startUpstream(t, 'pages', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/html', 'x-from': 'pages' });
      res.end(`page for ${req.url}`);
    });
    const gw = await startFileGateway(t, {
      routers: { r: { rule: 'PathPrefix(`/`)', service: 'backend', middlewares: ['e'] } },
      middlewares: { e: { errors: { status: ['418', '500-599'], statusRewrites: { '418': 404, '502-504': 503 }, service: 'pages', query: '/err/{status}?was={originalStatus}' } } },
      services: { backend: lb(backend.url), pages: lb(pages.url) },
    });
    const teapot = await send(gw.web, '/418');
    assert.equal(teapot.status, 404);
    assert.equal(teapot.body, 'page for /err/404?was=418');
    assert.equal(teapot.headers['x-from'], 'pages');
    assert.equal(teapot.headers['content-type'], 'text/html');
    const bad = await send(gw.web, '/502');
    assert.equal(bad.status, 503);
    assert.equal(bad.body, 'page for /err/503?was=502');
    const plain = await send(gw.web, '/500');
    assert.equal(plain.status, 500);
    assert.equal(plain.body, 'page for /err/500?was=500');
    const ok = await send(gw.web, '/201');
    assert.equal(ok.status, 201);
    assert.equal(ok.body, 'backend 201');
    assert.equal(ok.headers['x-from'], 'backend');
  });

  it('catches the gateway\'s own errors (upstream down → 502) and an unreachable page service keeps the code', async (t) => {
    const pages = await startUpstream(t, 'pages', (req, res) => { req.resume(); res.end(`sorry (${req.url})`); });
    const down = await startUpstream(undefined, 'down');
    await new Promise<void>((resolve) => down.server.close(() => resolve()));
    const gone = await startUpstream(undefined, 'gone');
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const gw = await startFileGateway(t, {
      routers: {
        r: { rule: 'Path(`/a`)', service: 'down', middlewares: ['e'] },
        r2: { rule: 'Path(`/b`)', service: 'down', middlewares: ['e2'] },
      },
      middlewares: {
        e: { errors: { status: ['502'], service: 'pages', query: '/{status}' } },
        e2: { errors: { status: ['502'], service: 'gone', query: '/{status}' } },
      },
      services: { down: lb(down.url), pages: lb(pages.url), gone: lb(gone.url) },
    });
    const r = await send(gw.web, '/a');
    assert.equal(r.status, 502);
    assert.equal(r.body, 'sorry (/502)');
    const r2 = await send(gw.web, '/b');
    assert.equal(r2.status, 502, 'the page service failing too: still the caught code');
  });

  it('refuses bad status ranges, rewrites and a missing service on the middleware alone', async (t) => {
    const up = await startUpstream(t, 'up');
    const gw = await startFileGateway(t, {
      routers: {
        ok: { rule: 'Path(`/ok`)', service: 'up' },
        bad: { rule: 'Path(`/bad`)', service: 'up', middlewares: ['e'] },
        nosvc: { rule: 'Path(`/nosvc`)', service: 'up', middlewares: ['e2'] },
      },
      middlewares: {
        e: { errors: { status: ['5xx'], service: 'up' } },
        e2: { errors: { status: ['500'], service: 'missing' } },
      },
      services: { up: lb(up.url) },
    });
    const mws = gw.gateway.state().middlewares;
    assert.equal(mws['e@file']?.status, 'disabled');
    assert.match(mws['e@file']?.error?.join() ?? '', /errors\.status\[0\].*"5xx"/);
    assert.match(mws['e2@file']?.error?.join() ?? '', /missing@file" does not exist/);
    assert.equal(gw.gateway.state().routers['bad@file']?.status, 'disabled');
    assert.equal((await send(gw.web, '/ok')).status, 200);
    assert.equal((await send(gw.web, '/bad')).status, 404);
  });
});
