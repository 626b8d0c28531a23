import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectContentType } from '../../src/middlewares/content-type/sniff.ts';
import { startFileGateway, send, lb } from '../support/file-gateway.ts';
import { startUpstream } from '../support/upstream.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/contenttype/content_type_test.go`);

// content_type_test.go TestAutoDetection: the upstream writes "Test", with or without a Content-Type.
const cases = [
  { desc: 'Keep the Content-Type returned by the server', autoDetect: false, contentType: 'application/json', want: 'application/json' },
  { desc: "Don't auto-detect Content-Type header by default when not set by the server", autoDetect: false, contentType: '', want: undefined },
  { desc: 'Keep the Content-Type returned by the server with auto-detection middleware', autoDetect: true, contentType: 'application/json', want: 'application/json' },
  { desc: 'Auto-detect when Content-Type header is not already set by the server with auto-detection middleware', autoDetect: true, contentType: '', want: 'text/plain; charset=utf-8' },
];

describe('contentType through the running gateway', () => {
  it('Traefik TestAutoDetection cases', async (t) => {
    const up = await startUpstream(t, 'up', (req, res) => {
      req.resume();
      const ct = req.headers['x-ct'];
      res.writeHead(200, ct ? { 'content-type': String(ct) } : {});
      res.end(req.url === '/html' ? '<!DOCTYPE html><p>hi</p>' : 'Test');
    });
    const gw = await startFileGateway(t, {
      routers: {
        plain: { rule: 'Header(`X-Mw`, `no`)', service: 'up' },
        detect: { rule: 'Header(`X-Mw`, `yes`)', service: 'up', middlewares: ['ct'] },
        off: { rule: 'Header(`X-Mw`, `off`)', service: 'up', middlewares: ['ctoff'] },
      },
      middlewares: { ct: { contentType: {} }, ctoff: { contentType: { autoDetect: false } } },
      services: { up: lb(up.url) },
    });
    for (const c of cases) {
      await tally.runAsync(c.desc, undefined, async () => {
        const r = await send(gw.web, '/', { headers: { 'x-mw': c.autoDetect ? 'yes' : 'no', ...(c.contentType ? { 'x-ct': c.contentType } : {}) } });
        assert.equal(r.status, 200);
        assert.equal(r.body, 'Test');
        assert.equal(r.headers['content-type'], c.want, c.desc);
      });
    }
    const html = await send(gw.web, '/html', { headers: { 'x-mw': 'yes' } });
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    const off = await send(gw.web, '/', { headers: { 'x-mw': 'off' } });
    assert.equal(off.headers['content-type'], undefined, 'autoDetect: false (deprecated) leaves detection off');
    tally.report(t);
  });

  it('detects as Go does', () => {
    const table: Array<[string | Buffer, string]> = [
      ['', 'text/plain; charset=utf-8'],
      ['  <HTML>', 'text/html; charset=utf-8'],
      ['<?xml version="1.0"?>', 'text/xml; charset=utf-8'],
      ['%PDF-1.4', 'application/pdf'],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'image/png'],
      [Buffer.from([0x1f, 0x8b, 0x08, 0]), 'application/x-gzip'],
      [Buffer.from([0, 1, 2, 3, 4]), 'application/octet-stream'],
      ['{"a":1}', 'text/plain; charset=utf-8'],
      ['<a href="x">', 'text/html; charset=utf-8'],
      ['<abbr>', 'text/plain; charset=utf-8'],
    ];
    for (const [input, want] of table) assert.equal(detectContentType(Buffer.from(input)), want, JSON.stringify(String(input)));
  });
});
