import type { OutgoingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { DEFAULT_COMPRESS_ENCODINGS, type Compress } from '../../dynamic/types.ts';
import type { Handler, RequestContext } from '../../http/context.ts';
import { optionError } from '../shared/errors.ts';
import { headerValue } from '../shared/options.ts';
import { delOut, getOut, setOut } from '../shared/outheaders.ts';
import type { Wrapper } from '../shared/types.ts';
import { acceptsGzip, chooseEncoding } from './encoding.ts';

/** Traefik's defaults: 1024 bytes, and encodings gzip, br, zstd (zstd only where this Node has it). */
export const DEFAULT_MIN_SIZE = 1024;
const DEFAULT_ENCODINGS = DEFAULT_COMPRESS_ENCODINGS;

/** `streaming`: the length is unknown, so every upstream chunk is flushed through (SSE, long polls). */
type Factory = (sizeHint: number | undefined, streaming: boolean) => Transform;

const zstd = (zlib as unknown as { createZstdCompress?: () => Transform }).createZstdCompress;
const SYNC = zlib.constants.Z_SYNC_FLUSH;

/** Encoders we can run; `deflate` is accepted in addition to Traefik's list. */
const ENCODERS: Record<string, Factory | undefined> = {
  gzip: (_size, streaming) => zlib.createGzip(streaming ? { flush: SYNC } : {}),
  br: (size, streaming) => zlib.createBrotliCompress({
    ...(streaming ? { flush: zlib.constants.BROTLI_OPERATION_FLUSH } : {}),
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 6,
      ...(size !== undefined ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size } : {}),
    },
  }),
  zstd: zstd ? () => zstd() : undefined,
  deflate: (_size, streaming) => zlib.createDeflate(streaming ? { flush: SYNC } : {}),
};

interface MediaType { type: string; params: Map<string, string> }

/**
 * compress: compresses responses for clients that accept gzip, br (or zstd, deflate when configured),
 * negotiated from Accept-Encoding with q-values as Traefik v3.7 does (see encoding.ts); without Accept-Encoding,
 * with `defaultEncoding` (br or zstd: gzip wants to be asked). Not compressed: HEAD requests, requests without
 * Accept-Encoding and no default, requests whose own Content-Type is excluded (application/grpc always is), Range
 * requests, 1xx/204/304 answers, answers already carrying Content-Encoding or Content-Range, answers
 * whose Content-Type is excluded (or not included), and answers whose Content-Length is below
 * `minResponseBodyBytes` (default 1024). Vary gets Accept-Encoding; Content-Length is removed.
 * Difference from Traefik: an answer of unknown length (chunked) is compressed whatever its size,
 * because the head is written before the body is seen; such answers are flushed chunk by chunk so
 * event streams keep flowing (Traefik flushes its compressor when the upstream flushes).
 * @example
 * compress({ excludedContentTypes: ['text/event-stream'], minResponseBodyBytes: 2048 })
 */
export function compress(cfg: Compress): Wrapper {
  const excludedRaw = cfg.excludedContentTypes ?? [];
  const includedRaw = cfg.includedContentTypes ?? [];
  if (excludedRaw.length > 0 && includedRaw.length > 0) {
    throw optionError('compress', 'excludedContentTypes and includedContentTypes options are mutually exclusive');
  }
  const excluded = [parseMediaType('application/grpc')!, ...excludedRaw.map((v, i) => mediaOption(v, `compress.excludedContentTypes[${i}]`))];
  const included = includedRaw.map((v, i) => mediaOption(v, `compress.includedContentTypes[${i}]`));
  const minSize = cfg.minResponseBodyBytes && cfg.minResponseBodyBytes > 0 ? cfg.minResponseBodyBytes : DEFAULT_MIN_SIZE;
  const configured = cfg.encodings && cfg.encodings.length > 0 ? cfg.encodings : [...DEFAULT_ENCODINGS];
  configured.forEach((e, i) => {
    if (!(e in ENCODERS)) throw optionError(`compress.encodings[${i}]`, `unsupported encoding: ${e}`);
  });
  const encodings = configured.filter((e) => ENCODERS[e] !== undefined);
  if (encodings.length === 0) throw optionError('compress.encodings', `none of ${configured.join(', ')} is available in this Node.js`);
  const defaultEncoding = cfg.defaultEncoding ?? '';
  if (defaultEncoding !== '' && !configured.includes(defaultEncoding)) {
    throw optionError('compress.defaultEncoding', `unsupported default encoding: ${defaultEncoding} (not in encodings: ${configured.join(', ')})`);
  }

  function transform(status: number, head: OutgoingHttpHeaders, encoding: string): Transform | undefined {
    const vary = getOut(head, 'vary');
    if (!/(^|,)\s*accept-encoding\s*(,|$)/i.test(vary)) setOut(head, 'vary', vary === '' ? 'Accept-Encoding' : `${vary}, Accept-Encoding`);
    if (status < 200 || status === 204 || status === 304) return undefined;
    if (getOut(head, 'content-encoding') !== '' || getOut(head, 'content-range') !== '') return undefined;
    const ct = getOut(head, 'content-type');
    if (ct !== '') {
      const media = parseMediaType(ct);
      if (!media) return undefined;
      if (included.length > 0 && !included.some((m) => sameMedia(m, media))) return undefined;
      if (excluded.some((m) => sameMedia(m, media))) return undefined;
    }
    const lengthText = getOut(head, 'content-length');
    const length = lengthText === '' ? undefined : Number(lengthText);
    if (length !== undefined && length < minSize) return undefined;
    delOut(head, 'content-length');
    delOut(head, 'accept-ranges');
    setOut(head, 'content-encoding', encoding);
    return ENCODERS[encoding]!(length, length === undefined);
  }

  return {
    wrap(next: Handler): Handler {
      return function compressHandler(ctx: RequestContext) {
        if (ctx.method === 'HEAD' || ctx.headers.range !== undefined) { next(ctx); return; }
        const reqType = parseMediaType(headerValue(ctx.headers, 'content-type'));
        if (reqType && excluded.some((m) => m.type === reqType.type)) { next(ctx); return; }
        const header = ctx.headers['accept-encoding'];
        const accept = header === undefined ? undefined : Array.isArray(header) ? header : [header];
        // RFC 9110 §12.5.3: without Accept-Encoding any coding is acceptable; Traefik then uses defaultEncoding, if set.
        const encoding = accept === undefined ? defaultEncoding : chooseEncoding(accept, configured, defaultEncoding);
        // Traefik's gzip writer (gzhttp) looks at Accept-Encoding again and wants gzip named there.
        if (ENCODERS[encoding] === undefined || !encodings.includes(encoding) || (encoding === 'gzip' && !acceptsGzip(accept ?? []))) { next(ctx); return; }
        (ctx.responseTransforms ??= []).push(function compressResponse(status, head) { return transform(status, head, encoding); });
        next(ctx);
      };
    },
  };
}

function mediaOption(value: string, option: string): MediaType {
  const m = parseMediaType(value);
  if (!m) throw optionError(option, `invalid media type ${JSON.stringify(value)}`);
  return m;
}

/** Go's mime.ParseMediaType, reduced to what matching needs: lower-case type/subtype and parameters. */
function parseMediaType(value: string): MediaType | undefined {
  if (value.trim() === '') return undefined;
  const [typePart, ...rest] = value.split(';');
  const type = typePart!.trim().toLowerCase();
  if (!/^[\w.+-]+\/[\w.+*-]+$/.test(type)) return undefined;
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) { if (p.trim() === '') continue; return undefined; }
    const name = p.slice(0, eq).trim().toLowerCase();
    if (params.has(name)) return undefined; // Go: "mime: duplicate parameter name"
    params.set(name, p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type, params };
}

/** A configured type with parameters must match them all; without, any parameters match. */
function sameMedia(configured: MediaType, actual: MediaType): boolean {
  if (configured.type !== actual.type) return false;
  if (configured.params.size === 0) return true;
  if (configured.params.size !== actual.params.size) return false;
  for (const [k, v] of configured.params) if (actual.params.get(k) !== v) return false;
  return true;
}
