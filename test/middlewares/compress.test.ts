import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Compress } from '../../src/dynamic/types.ts';
import { buildMiddleware, type BuiltMiddleware } from '../../src/middlewares/index.ts';
import { runCase, serve, terminal, type Case } from '../support/terminal.ts';
import { waitFor } from '../support/wait.ts';

function build(cfg: Compress): BuiltMiddleware {
  const built = buildMiddleware('gz@test', { compress: cfg }, () => new Error('none'));
  if (built instanceof Error) throw built;
  return built;
}

const BIG = 'tagway '.repeat(400); // 2800 bytes
const SMALL = 'tiny';
const big = (headers: Record<string, string> = {}, extra: Case['upstream'] = {}): Case['upstream'] => ({ body: BIG, headers, ...extra });
const gzipReq = { headers: { 'accept-encoding': 'gzip' } };

interface Row extends Case { cfg: Compress; encoding?: 'gzip' | 'br' | 'deflate' }

const cases: Row[] = [
  { desc: 'gzip: body compressed, Content-Length removed, Vary added', cfg: {}, request: gzipReq, upstream: big(), encoding: 'gzip',
    responseHeaders: { 'content-length': undefined, vary: 'Accept-Encoding' } },
  { desc: 'without q-values the server order wins (gzip before br)', cfg: {}, request: { headers: { 'accept-encoding': 'br, gzip' } }, upstream: big(), encoding: 'gzip' },
  { desc: 'br alone gives br', cfg: {}, request: { headers: { 'accept-encoding': 'br' } }, upstream: big(), encoding: 'br' },
  { desc: 'q-values: the heaviest acceptable encoding wins', cfg: {}, request: { headers: { 'accept-encoding': 'gzip;q=0.5, br;q=1.0' } }, upstream: big(), encoding: 'br' },
  // Traefik v3.7: "*" means the default encoding (the first configured, gzip), whose writer wants gzip named: not compressed.
  { desc: '"*" alone: the default encoding, gzip, which is not applied to "*"', cfg: {}, request: { headers: { 'accept-encoding': '*' } }, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: '"*" with defaultEncoding br gives br', cfg: { defaultEncoding: 'br' }, request: { headers: { 'accept-encoding': '*' } }, upstream: big(), encoding: 'br' },
  { desc: 'identity;q=0 with nothing else acceptable: left uncompressed', cfg: {}, request: { headers: { 'accept-encoding': 'identity;q=0' } },
    upstream: big(), responseHeaders: { 'content-encoding': undefined, 'content-length': String(BIG.length) } },
  { desc: 'an unknown encoding is not chosen', cfg: {}, request: { headers: { 'accept-encoding': 'lzma' } }, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'deflate when configured', cfg: { encodings: ['deflate', 'gzip'] }, request: { headers: { 'accept-encoding': 'gzip, deflate' } },
    upstream: big(), encoding: 'deflate' },
  { desc: 'deflate is not offered by default', cfg: {}, request: { headers: { 'accept-encoding': 'deflate' } }, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'encodings restricts the choice', cfg: { encodings: ['br'] }, request: { headers: { 'accept-encoding': 'gzip' } }, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'a body below minResponseBodyBytes (1024 by default) stays as is', cfg: {}, request: gzipReq, upstream: { body: SMALL },
    body: SMALL, responseHeaders: { 'content-encoding': undefined, 'content-length': '4', vary: 'Accept-Encoding' } },
  { desc: 'minResponseBodyBytes lowers the threshold', cfg: { minResponseBodyBytes: 4 }, request: gzipReq, upstream: { body: SMALL }, encoding: 'gzip' },
  { desc: 'an answer of unknown length is compressed (the head goes out before the body)', cfg: {}, request: gzipReq,
    upstream: { body: SMALL, chunked: true }, encoding: 'gzip' },
  { desc: 'an upstream Content-Encoding is left alone', cfg: {}, request: gzipReq, upstream: big({ 'content-encoding': 'identity' }),
    responseHeaders: { 'content-encoding': 'identity' }, body: BIG },
  { desc: 'an existing Vary is extended', cfg: {}, request: gzipReq, upstream: big({ vary: 'Origin' }), encoding: 'gzip',
    responseHeaders: { vary: 'Origin, Accept-Encoding' } },
  { desc: 'excludedContentTypes skips that media type', cfg: { excludedContentTypes: ['text/plain'] }, request: gzipReq, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'an excluded type with parameters must match them', cfg: { excludedContentTypes: ['text/plain; charset=ascii'] }, request: gzipReq,
    upstream: big(), encoding: 'gzip' },
  { desc: 'application/grpc answers are never compressed', cfg: {}, request: gzipReq, upstream: big({ 'content-type': 'application/grpc' }),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'includedContentTypes compresses only those', cfg: { includedContentTypes: ['application/json'] }, request: gzipReq,
    upstream: big({ 'content-type': 'application/json' }), encoding: 'gzip' },
  { desc: 'includedContentTypes leaves the others', cfg: { includedContentTypes: ['application/json'] }, request: gzipReq, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'an answer without Content-Type is compressed', cfg: {}, request: gzipReq, upstream: big({ 'content-type': '' }), encoding: 'gzip' },
  { desc: 'no Accept-Encoding: nothing changes, no Vary', cfg: {}, upstream: big(), responseHeaders: { 'content-encoding': undefined, vary: undefined } },
  { desc: 'HEAD is not compressed', cfg: {}, request: { method: 'HEAD', ...gzipReq }, upstream: big(), responseHeaders: { 'content-encoding': undefined } },
  { desc: 'a Range request is not compressed', cfg: {}, request: { headers: { 'accept-encoding': 'gzip', range: 'bytes=0-9' } }, upstream: big(),
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'a 206 with Content-Range is not compressed', cfg: {}, request: gzipReq, upstream: big({ 'content-range': 'bytes 0-2799/9000' }, { status: 206 }),
    status: 206, reached: true, responseHeaders: { 'content-encoding': undefined } },
  { desc: '204 is not compressed', cfg: {}, request: gzipReq, upstream: { status: 204, body: '' }, status: 204, responseHeaders: { 'content-encoding': undefined } },
  { desc: '304 is not compressed', cfg: {}, request: gzipReq, upstream: big({}, { status: 304 }), status: 304, reached: true,
    responseHeaders: { 'content-encoding': undefined } },
  { desc: 'a gRPC request is passed through untouched', cfg: {}, request: { headers: { 'accept-encoding': 'gzip', 'content-type': 'application/grpc' } },
    upstream: big({ 'content-type': 'text/plain' }), responseHeaders: { 'content-encoding': undefined, vary: undefined } },
];

const decode = { gzip: gunzipSync, br: brotliDecompressSync, deflate: inflateSync };

describe('compress', () => {
  for (const c of cases) {
    test(c.desc, async (t) => {
      const { reply } = await runCase(t, (next) => build(c.cfg).wrap(next), c);
      if (c.encoding) {
        assert.equal(reply.headers['content-encoding'], c.encoding);
        assert.equal(reply.headers['content-length'], undefined);
        const expected = typeof c.upstream?.body === 'string' ? c.upstream.body : '';
        assert.equal(decode[c.encoding](reply.body).toString(), expected);
      }
    });
  }

  const bad: Array<{ desc: string; cfg: Compress; message: RegExp }> = [
    { desc: 'both content-type lists', cfg: { excludedContentTypes: ['a/b'], includedContentTypes: ['c/d'] }, message: /^compress: excludedContentTypes and includedContentTypes/ },
    { desc: 'an unknown encoding', cfg: { encodings: ['gzip', 'lzma'] }, message: /^compress\.encodings\[1\]: unsupported encoding: lzma/ },
    { desc: 'an invalid media type', cfg: { excludedContentTypes: ['not a type'] }, message: /^compress\.excludedContentTypes\[0\]:/ },
  ];
  for (const c of bad) {
    test(`build error: ${c.desc}`, () => {
      const built = buildMiddleware('gz@test', { compress: c.cfg }, () => new Error('none'));
      assert.ok(built instanceof Error);
      assert.match(built.message, c.message);
    });
  }
});

// Accept-Encoding negotiation: Traefik's own table (acceptencoding_test.go) runs in traefik-compress.test.ts.

describe('compress: streaming', () => {
  for (const encoding of ['gzip', 'br', 'deflate'] as const) {
    test(`${encoding}: each upstream chunk of an unknown-length answer reaches the client at once`, { timeout: 10_000 }, async (t) => {
      const { request } = await import('node:http');
      const { createGunzip, createBrotliDecompress, createInflate } = await import('node:zlib');
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const up = terminal({ chunks: async function* events() { yield 'data: one\n\n'; await gate; yield 'data: two\n\n'; } });
      const url = new URL(await serve(t, build({ encodings: [encoding] }).wrap(up.handler)));
      const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'br' ? createBrotliDecompress() : createInflate();
      let text = '';
      decoder.on('data', (c: Buffer) => { text += c.toString(); });
      const ended = new Promise<void>((r) => decoder.on('end', () => r()));
      request({ host: url.hostname, port: url.port, path: '/', headers: { 'accept-encoding': encoding }, agent: false }, (res) => {
        assert.equal(res.headers['content-encoding'], encoding);
        res.pipe(decoder);
      }).end();
      await waitFor('the first event', () => text !== '');
      assert.equal(text, 'data: one\n\n', 'the first event arrived before the upstream finished');
      release();
      await ended;
      assert.equal(text, 'data: one\n\ndata: two\n\n');
    });
  }
});
