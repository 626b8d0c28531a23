import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import * as zlib from 'node:zlib';
import type { Compress, Middleware } from '../../src/dynamic/types.ts';
import { buildMiddleware } from '../../src/middlewares/index.ts';
import { Tally, TRAEFIK_VERSION, startCaseGateway, type CaseGateway } from '../support/traefik-tables.ts';

/**
 * Traefik's compress tables (pkg/middlewares/compress/{acceptencoding,compress,compression_handler}_test.go),
 * ported as data and run through the running gateway: the client's Accept-Encoding in, the Content-Encoding,
 * Vary and (decoded) body out. Traefik's `getCompressionEncoding` unit table is read end to end: what its choice
 * does to the answer (identity and not_acceptable: not compressed).
 *
 * compression_handler_test.go tests Traefik's one handler for br and zstd with zstd; here it runs with br (zstd
 * needs Node ≥ 22.15, tagway compresses with zstd where Node has it). Not ported, not observable through HTTP:
 * Test_MultipleWriteHeader (a second WriteHeader is Go's handler API; an upstream sends one status line),
 * the Flush* tests (they drive Go's http.Flusher on the writer; tagway flushes each chunk of an answer of
 * unknown length, tested in compress.test.ts "streaming"), Test_ParseContentType_equals (the helper behind the
 * content-type tables, which are ported), the benchmarks.
 */
const tally = new Tally(`${TRAEFIK_VERSION} pkg/middlewares/compress/{acceptencoding,compress,compression_handler}_test.go`);

const HAS_ZSTD = typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function';
const NO_ZSTD = 'zstd is chosen but not applied: this Node (< 22.15) has no zstd encoder, so the answer goes uncompressed (Traefik compresses)';
const CHUNKED_SMALL = 'an answer of unknown length (chunked) is compressed whatever its size: tagway writes the head before it sees the body '
  + '(Traefik buffers up to minResponseBodyBytes first); an answer with a Content-Length below the minimum is not compressed';
const NO_1XX = 'tagway does not relay 1xx informational answers (103 Early Hints, 102 Processing): the client gets the final answer only '
  + '(compressed, its Link headers as Traefik\'s); Traefik relays each 1xx';

/** generateBytes in Traefik's tests: any compressible bytes of that length. */
const bytes = (n: number): Buffer => Buffer.from('abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n));
const SMALL = Buffer.from('aaabbc' + 'aaabbbccc'.repeat(9) + 'aaabbbc');
const BIG = Buffer.from(('aaabbbccc'.repeat(66) + ' ').repeat(6) + 'aaabbbccc'.repeat(66));
const DEFAULT_ENCODINGS = ['gzip', 'br', 'zstd'];

type Next = (req: IncomingMessage, res: ServerResponse) => void;
const body = (b: Buffer, headers: Record<string, string> = {}, status = 200): Next => function next(req, res) {
  req.resume();
  req.on('end', () => { res.writeHead(status, { ...headers, 'content-length': b.length }); res.end(b); });
};
/** Go's handler writing without Content-Length: the body goes out chunked. */
const chunked = (chunks: Buffer[], headers: Record<string, string> = {}, status = 200): Next => function next(req, res) {
  req.resume();
  req.on('end', () => { res.writeHead(status, headers); for (const c of chunks) res.write(c); res.end(); });
};

interface CompressCase {
  desc: string;
  cfg: Compress;
  method?: string;
  /** Accept-Encoding lines (absent when undefined). */
  accept?: string[];
  requestHeaders?: Record<string, string>;
  next: Next;
  status?: number;
  /** The Content-Encoding the client gets (undefined: none). */
  encoding?: string;
  vary?: string | null;
  /** The body the upstream sent, which the client must get back (decoded). */
  sent?: Buffer;
  differs?: string;
}

/** Traefik's choice → the Content-Encoding on the wire (identity, not_acceptable: none; gzip only when named, gzhttp). */
function onTheWire(choice: string, accept: string[]): string | undefined {
  if (choice === 'identity' || choice === 'not_acceptable') return undefined;
  if (choice === 'gzip' && !/(^|,)\s*gzip\s*(;\s*q=(0\.\d*[1-9]|1)[\d.]*)?\s*(,|$)/i.test(accept[0] ?? '')) return undefined;
  return choice;
}

// acceptencoding_test.go Test_getCompressionEncoding: [desc, Accept-Encoding, defaultEncoding, encodings, Traefik's choice].
const choices: Array<[string, string, string, string[] | undefined, string]> = [
  ['Empty Accept-Encoding', '', '', undefined, 'identity'],
  ['gzip > br (no weight)', 'gzip, br', '', undefined, 'gzip'],
  ['gzip > br > zstd (no weight)', 'gzip, br, zstd', '', undefined, 'gzip'],
  ['known compression encoding (no weight)', 'compress, gzip', '', undefined, 'gzip'],
  ['unknown compression encoding (no weight), no encoding', 'compress, rar', '', undefined, 'not_acceptable'],
  // gzip is chosen for "*", and Traefik's gzip writer then leaves "*" uncompressed (TestNegotiation "accept any header").
  ['wildcard returns the default compression encoding', '*', '', undefined, 'gzip'],
  ['wildcard returns the custom default compression encoding', '*', 'br', undefined, 'br'],
  ['follows weight', 'br;q=0.8, gzip;q=1.0, *;q=0.1', '', undefined, 'gzip'],
  ['identity with higher weight is preferred', 'br;q=0.8, identity;q=1.0', '', undefined, 'identity'],
  ['identity with equal weight is not preferred', 'br;q=0.8, identity;q=0.8', '', undefined, 'br'],
  ['ignore unknown compression encoding', 'compress;q=1.0, gzip;q=0.5', '', undefined, 'gzip'],
  ['fallback on non-zero compression encoding', 'compress;q=1.0, gzip, identity;q=0', '', undefined, 'gzip'],
  ['not acceptable (identity)', 'compress;q=1.0, identity;q=0', '', undefined, 'not_acceptable'],
  ['not acceptable (wildcard)', 'compress;q=1.0, *;q=0', '', undefined, 'not_acceptable'],
  ['non-zero is higher than 0', 'gzip, *;q=0', '', undefined, 'gzip'],
  ['zstd forbidden, brotli first', 'zstd, gzip, br', '', ['br', 'gzip'], 'br'],
  ['follows weight, ignores forbidden encoding', 'br;q=0.8, gzip;q=1.0, *;q=0.1', '', ['zstd', 'br'], 'br'],
  ['mixed weight', 'gzip, br;q=0.9', '', ['gzip', 'br'], 'gzip'],
  ['Zero weights, no compression', 'br;q=0, gzip;q=0, zstd;q=0', '', undefined, 'not_acceptable'],
  ['Zero weights, default encoding, no compression', 'br;q=0, gzip;q=0, zstd;q=0', 'br', undefined, 'not_acceptable'],
  ['Same weight, first supported encoding', 'br;q=1.0, gzip;q=1.0, zstd;q=1.0', '', undefined, 'gzip'],
  ['Same weight, first supported encoding, order has no effect', 'br;q=1.0, zstd;q=1.0, gzip;q=1.0', '', undefined, 'gzip'],
  ['Same weight, first supported encoding, defaultEncoding has no effect', 'br;q=1.0, zstd;q=1.0, gzip;q=1.0', 'br', undefined, 'gzip'],
];
const encodingCases: CompressCase[] = choices.map(([desc, accept, defaultEncoding, encodings, choice]) => {
  const wire = onTheWire(choice, [accept]);
  return {
    desc: `Test_getCompressionEncoding: ${desc}`, cfg: { encodings: encodings ?? DEFAULT_ENCODINGS, ...(defaultEncoding ? { defaultEncoding } : {}) },
    accept: [accept], next: body(bytes(2048)), sent: bytes(2048), encoding: wire,
    ...(wire === 'zstd' && !HAS_ZSTD ? { differs: NO_ZSTD, encoding: undefined } : {}),
  };
});

// compress_test.go TestNegotiation: 10 bytes, minResponseBodyBytes 1.
const negotiation: Array<[string, string | undefined, string | undefined]> = [
  ['no accept header', undefined, undefined],
  ['unsupported accept header', 'notreal', undefined],
  ['accept any header', '*', undefined],
  ['gzip accept header', 'gzip', 'gzip'],
  ['br accept header', 'br', 'br'],
  ['multi accept header, prefer br', 'br;q=0.8, gzip;q=0.6', 'br'],
  ['multi accept header, prefer gzip', 'gzip;q=1.0, br;q=0.8', 'gzip'],
  ['multi accept header list, prefer br', 'gzip, br', 'gzip'],
  ['zstd accept header', 'zstd', 'zstd'],
  ['multi accept header, prefer zstd', 'zstd;q=0.9, br;q=0.8, gzip;q=0.6', 'zstd'],
  ['multi accept header, prefer brotli', 'gzip;q=0.8, br;q=1.0, zstd;q=0.7', 'br'],
  ['multi accept header, prefer gzip (zstd listed)', 'gzip;q=1.0, br;q=0.8, zstd;q=0.7', 'gzip'],
  ['multi accept header list, prefer best', 'gzip, br, zstd', 'gzip'],
];
const negotiationCases: CompressCase[] = negotiation.map(([desc, accept, encoding]) => ({
  desc: `TestNegotiation: ${desc}`, cfg: { minResponseBodyBytes: 1, encodings: DEFAULT_ENCODINGS }, ...(accept !== undefined ? { accept: [accept] } : {}),
  next: body(bytes(10)), sent: bytes(10), encoding, ...(encoding === 'zstd' && !HAS_ZSTD ? { differs: NO_ZSTD, encoding: undefined } : {}),
}));

const GZ = ['gzip'];
const compressCases: CompressCase[] = [
  { desc: 'TestShouldCompressWhenNoContentEncodingHeader', cfg: {}, accept: GZ, next: body(bytes(1024)), sent: bytes(1024), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestShouldNotCompressWhenContentEncodingHeader', cfg: {}, accept: GZ, next: body(bytes(1024), { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestShouldNotCompressWhenNoAcceptEncodingHeader', cfg: {}, next: body(bytes(1024)), sent: bytes(1024), vary: null },
  { desc: 'TestEmptyAcceptEncoding', cfg: {}, accept: [''], next: body(bytes(1024)), sent: bytes(1024), vary: null },
  { desc: 'TestShouldNotCompressWhenIdentityAcceptEncodingHeader', cfg: {}, accept: ['identity'], next: body(bytes(1024)), sent: bytes(1024), vary: null },
  { desc: 'TestShouldNotCompressWhenEmptyAcceptEncodingHeader', cfg: {}, accept: [''], next: body(bytes(1024)), sent: bytes(1024), vary: null },
  { desc: 'TestShouldNotCompressHeadRequest', cfg: {}, method: 'HEAD', accept: GZ, next: body(bytes(1024)), vary: null },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Exclude Request Content-Type', cfg: { excludedContentTypes: ['text/event-stream'] }, accept: GZ,
    requestHeaders: { 'Content-Type': 'text/event-stream' }, next: body(bytes(1024)), sent: bytes(1024) },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Exclude Response Content-Type', cfg: { excludedContentTypes: ['text/event-stream'] }, accept: GZ,
    next: body(bytes(1024), { 'Content-Type': 'text/event-stream' }), sent: bytes(1024) },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Include Response Content-Type', cfg: { includedContentTypes: ['text/plain'] }, accept: GZ,
    next: body(bytes(1024), { 'Content-Type': 'text/html' }), sent: bytes(1024) },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Ignoring application/grpc with exclude option', cfg: { excludedContentTypes: ['application/json'] }, accept: GZ,
    requestHeaders: { 'Content-Type': 'application/grpc' }, next: body(bytes(1024)), sent: bytes(1024) },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Ignoring application/grpc with include option', cfg: { includedContentTypes: ['application/json'] }, accept: GZ,
    requestHeaders: { 'Content-Type': 'application/grpc' }, next: body(bytes(1024)), sent: bytes(1024) },
  { desc: 'TestShouldNotCompressWhenSpecificContentType: Ignoring application/grpc with no option', cfg: {}, accept: GZ,
    requestHeaders: { 'Content-Type': 'application/grpc' }, next: body(bytes(1024)), sent: bytes(1024) },
  { desc: 'TestShouldCompressWhenSpecificContentType: Include Response Content-Type', cfg: { includedContentTypes: ['text/html'] }, accept: GZ,
    next: body(bytes(1024), { 'Content-Type': 'text/html' }), sent: bytes(1024), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestIntegrationShouldNotCompress: when content already compressed', cfg: {}, accept: GZ,
    next: body(bytes(100000), { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestIntegrationShouldNotCompress: when content already compressed and status code Created', cfg: {}, accept: GZ, status: 201,
    next: body(bytes(100000), { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }, 201), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestShouldWriteHeaderWhenFlush', cfg: {}, accept: GZ, status: 401,
    next: chunked([Buffer.from('short')], { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }, 401), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestIntegrationShouldCompress: when AcceptEncoding header is present', cfg: {}, accept: GZ, next: body(bytes(100000)), sent: bytes(100000), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestIntegrationShouldCompress: when AcceptEncoding header is present and status code Created', cfg: {}, accept: GZ, status: 201,
    next: body(bytes(100000), {}, 201), sent: bytes(100000), encoding: 'gzip', vary: 'Accept-Encoding' },
  { desc: 'TestMinResponseBodyBytes: should compress', cfg: {}, accept: GZ, next: body(bytes(100000)), sent: bytes(100000), encoding: 'gzip' },
  { desc: 'TestMinResponseBodyBytes: should not compress', cfg: { minResponseBodyBytes: 100001 }, accept: GZ, next: body(bytes(100000)), sent: bytes(100000) },
  ...(['gzip', 'br', 'zstd'] as const).map((enc): CompressCase => ({
    desc: `Test1xxResponses: ${enc === 'br' ? 'brotli' : enc}`, cfg: { encodings: DEFAULT_ENCODINGS }, accept: [enc], differs: enc === 'zstd' && !HAS_ZSTD ? NO_ZSTD : NO_1XX,
    next(_req, res) {
      res.writeEarlyHints({ link: ['</style.css>; rel=preload; as=style', '</script.js>; rel=preload; as=script'] });
      res.writeProcessing();
      res.writeHead(200, { link: ['</style.css>; rel=preload; as=style', '</script.js>; rel=preload; as=script', '</foo.js>; rel=preload; as=script'], 'content-length': 2048 });
      res.end(bytes(2048));
    },
    sent: bytes(2048), encoding: enc === 'zstd' && !HAS_ZSTD ? undefined : enc,
  })),
];

// compression_handler_test.go, with br (see above); bodies of 204 bytes (small) and 4,013 bytes (big), status 202.
const ctype = (desc: string, contentType: string, list: string[] | undefined, compressed: boolean, key: 'excludedContentTypes' | 'includedContentTypes'): CompressCase => ({
  desc: `${key === 'excludedContentTypes' ? 'Test_ExcludedContentTypes' : 'Test_IncludedContentTypes'}: ${desc}`,
  cfg: { minResponseBodyBytes: 1024, encodings: ['br'], ...(list ? { [key]: list } : {}) }, accept: ['br'], status: 202,
  next: body(BIG, { 'Content-Type': contentType }, 202), sent: BIG, ...(compressed ? { encoding: 'br' } : {}),
});
const handlerCases: CompressCase[] = [
  { desc: 'Test_Vary: brotli', cfg: { encodings: ['br'] }, accept: ['br'], status: 202, next: body(SMALL, {}, 202), vary: 'Accept-Encoding' },
  { desc: 'Test_SmallBodyNoCompression: brotli', cfg: { encodings: ['br'] }, accept: ['br'], status: 202, next: body(SMALL, {}, 202), sent: SMALL },
  { desc: 'Test_AlreadyCompressed: brotli', cfg: { encodings: ['br'] }, accept: ['br'], status: 202, next: body(BIG, { 'Content-Encoding': 'br' }, 202), encoding: 'br' },
  ...([['status no content', 204], ['status not modified', 304], ['status OK with empty body', 200], ['status OK with nil body', 200]] as const).map(([desc, status]): CompressCase => ({
    desc: `Test_NoBody: ${desc}`, cfg: { minResponseBodyBytes: 1024, encodings: ['br'] }, accept: ['br'], status,
    // Go's handler writes no Content-Length: a 200 with an empty body goes out chunked (204/304 have no body at all).
    next(req, res) { req.resume(); res.writeHead(status); res.end(); }, sent: Buffer.alloc(0),
    ...(status === 200 ? { encoding: 'br', differs: CHUNKED_SMALL } : {}),
  })),
  { desc: 'Test_MinSize: short response is not compressed', cfg: { minResponseBodyBytes: 128, encodings: ['br'] }, accept: ['br'],
    next: chunked(Array.from({ length: 127 }, () => Buffer.from('x'))), sent: Buffer.alloc(127, 'x'), encoding: 'br', differs: CHUNKED_SMALL },
  { desc: 'Test_MinSize: long response is compressed', cfg: { minResponseBodyBytes: 128, encodings: ['br'] }, accept: ['br'],
    next: chunked(Array.from({ length: 128 }, () => Buffer.from('x'))), sent: Buffer.alloc(128, 'x'), encoding: 'br' },
  ...([
    ['Always compress when content types are empty', '', undefined, true],
    ['MIME malformed', 'application/json;charset=UTF-8;charset=utf-8', undefined, false],
    ['MIME match', 'application/json', ['application/json'], false],
    ['MIME no match', 'text/xml', ['application/json'], true],
    ['MIME match with no other directive ignores non-MIME directives', 'application/json; charset=utf-8', ['application/json'], false],
    ['MIME match with other directives requires all directives be equal, different charset', 'application/json; charset=ascii', ['application/json; charset=utf-8'], true],
    ['MIME match with other directives requires all directives be equal, same charset', 'application/json; charset=utf-8', ['application/json; charset=utf-8'], false],
    ['MIME match with other directives requires all directives be equal, missing charset', 'application/json', ['application/json; charset=ascii'], true],
    ['MIME match case insensitive', 'Application/Json', ['application/json'], false],
    ['MIME match ignore whitespace', 'application/json;charset=utf-8', ['application/json;            charset=utf-8'], false],
  ] as const).map(([desc, ct, list, compressed]) => ctype(desc, ct, list ? [...list] : undefined, compressed, 'excludedContentTypes')),
  ...([
    ['Always compress when content types are empty', '', undefined, true],
    ['MIME malformed', 'application/json;charset=UTF-8;charset=utf-8', undefined, false],
    ['MIME match', 'application/json', ['application/json'], true],
    ['MIME no match', 'text/xml', ['application/json'], false],
    ['MIME match with no other directive ignores non-MIME directives', 'application/json; charset=utf-8', ['application/json'], true],
    ['MIME match with other directives requires all directives be equal, different charset', 'application/json; charset=ascii', ['application/json; charset=utf-8'], false],
    ['MIME match with other directives requires all directives be equal, same charset', 'application/json; charset=utf-8', ['application/json; charset=utf-8'], true],
    ['MIME match with other directives requires all directives be equal, missing charset', 'application/json', ['application/json; charset=ascii'], false],
    ['MIME match case insensitive', 'Application/Json', ['application/json'], true],
    ['MIME match ignore whitespace', 'application/json;charset=utf-8', ['application/json;            charset=utf-8'], true],
  ] as const).map(([desc, ct, list, compressed]) => ctype(desc, ct, list ? [...list] : undefined, compressed, 'includedContentTypes')),
];

const cases: CompressCase[] = [...encodingCases, ...negotiationCases, ...compressCases, ...handlerCases];

/** Constructors (compress.go New): refused or built. */
const constructed: Array<{ desc: string; mw: Middleware; refused: boolean }> = [
  { desc: 'New: excludedContentTypes and includedContentTypes are mutually exclusive', mw: { compress: { excludedContentTypes: ['a/b'], includedContentTypes: ['c/d'] } }, refused: true },
  { desc: 'New: unsupported encoding', mw: { compress: { encodings: ['rar'] } }, refused: true },
  { desc: 'New: a default encoding outside encodings', mw: { compress: { encodings: ['gzip'], defaultEncoding: 'br' } }, refused: true },
];

function decode(encoding: string | undefined, raw: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(raw);
  if (encoding === 'br') return zlib.brotliDecompressSync(raw);
  if (encoding === 'zstd') return (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync(raw);
  return raw;
}

describe('Traefik compress tables through the running gateway', () => {
  let gw: CaseGateway;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
    gw = await startCaseGateway(t, cases.map((c) => ({ middlewares: [{ compress: c.cfg }], next: c.next })));
  });
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  function get(i: number, c: CompressCase): Promise<{ status: number; headers: IncomingHttpHeaders; raw: Buffer }> {
    const url = new URL(gw.web);
    const headers: Record<string, string | string[]> = { ...c.requestHeaders, ...gw.caseHeader(i) };
    if (c.accept !== undefined) headers['accept-encoding'] = c.accept.length === 1 ? c.accept[0]! : c.accept;
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/whatever', method: c.method ?? 'GET', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  cases.forEach((c, i) => {
    it(c.desc, () => tally.runAsync(c.desc, c.differs, async () => {
      const r = await get(i, c);
      assert.equal(r.status, c.status ?? 200);
      assert.equal(r.headers['content-encoding'], c.encoding, 'Content-Encoding');
      if (c.vary === null) assert.equal(r.headers.vary, undefined, 'no Vary');
      else if (c.vary !== undefined) assert.equal(r.headers.vary, c.vary);
      if (c.sent) assert.deepEqual(decode(c.encoding, r.raw), c.sent, 'the body, decoded');
      if (c.method === 'HEAD') assert.equal(r.raw.length, 0);
    }));
  });

  constructed.forEach((c) => {
    it(c.desc, () => tally.run(c.desc, undefined, () => {
      const built = buildMiddleware('m@test', c.mw, () => new Error('no references'));
      assert.equal(built instanceof Error, c.refused, built instanceof Error ? built.message : 'built');
    }));
  });

  it('count', (t) => tally.report(t));
});
