import type { OutgoingHttpHeaders } from 'node:http';
import type { GrpcWeb } from '../../dynamic/types.ts';
import { readBody } from '../../http/body.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { tapResponse, writeThrough } from '../../http/intercept.ts';
import { headerValue } from '../shared/options.ts';
import type { Wrapper } from '../shared/types.ts';

const WEB = 'application/grpc-web';
const WEB_TEXT = 'application/grpc-web-text';
/** rs/cors as improbable-eng's wrapper sets it up: preflights cached 10 minutes. */
const PREFLIGHT_MAX_AGE = '600';

/**
 * grpcWeb (Traefik's, improbable-eng/grpc-web's wrapper): a gRPC-Web call (`POST`, `Content-Type:
 * application/grpc-web[+proto]`, or `application/grpc-web-text` with a base64 body) goes to the service as gRPC
 * (`application/grpc…`, HTTP/2 to an `h2c`/`https` server), and the answer comes back as gRPC-Web: the same head
 * with `application/grpc-web…`, the message frames, then the trailers (`grpc-status`, `grpc-message`, …) as a last
 * frame (flag 0x80, `name: value\r\n` lines), all base64 for `-text`. CORS: an allowed `Origin` (`allowOrigins`,
 * `*` for any) gets `Access-Control-Allow-Origin` (the origin) and credentials; a preflight (`OPTIONS` whose
 * `Access-Control-Request-Headers` names `x-grpc-web`) is answered here, 204. Anything else passes untouched.
 * @example
 * grpcWeb({ allowOrigins: ['https://app.example.com'] })
 */
export function grpcWeb(cfg: GrpcWeb): Wrapper {
  const origins = cfg.allowOrigins ?? [];
  const allowed = (origin: string): boolean => origin !== '' && origins.some((o) => o === '*' || o === origin);
  return {
    wrap(next: Handler): Handler {
      return function grpcWebHandler(ctx: RequestContext) {
        const ct = headerValue(ctx.headers, 'content-type');
        const origin = headerValue(ctx.headers, 'origin');
        if (ctx.method === 'OPTIONS' && headerValue(ctx.headers, 'access-control-request-headers').toLowerCase().includes('x-grpc-web')) {
          preflight(ctx, allowed(origin) ? origin : undefined);
          return;
        }
        if (ctx.method !== 'POST' || !ct.startsWith(WEB)) { next(ctx); return; }
        const text = ct.startsWith(WEB_TEXT);
        readBody(ctx, -1, function grpcWebBody(err, body) {
          if (ctx.res.destroyed || ctx.res.headersSent) return;
          if (err !== undefined) { respond(ctx, 400, 'Bad Request\n'); return; }
          ctx.body = text ? Buffer.from(body.toString('latin1').replace(/\s+/g, ''), 'base64') : body;
          ctx.headers['content-type'] = 'application/grpc' + ct.slice(text ? WEB_TEXT.length : WEB.length);
          ctx.headers.te = 'trailers';
          delete ctx.headers['content-length'];
          delete ctx.headers['transfer-encoding'];
          answerAsWeb(ctx, text, allowed(origin) ? origin : undefined);
          // The gRPC answer is made for an HTTP/1.1-style writer (headers, body, trailers), whatever the client speaks.
          next(ctx.req.httpVersionMajor === 2 ? asHttp1(ctx) : ctx);
        });
      };
    },
  };
}

/** rs/cors's preflight: 204; with an allowed origin, what may follow. */
function preflight(ctx: RequestContext, origin: string | undefined): void {
  const headers: OutgoingHttpHeaders = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const method = headerValue(ctx.headers, 'access-control-request-method');
  if (origin !== undefined && method !== '') {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-methods'] = method.toUpperCase();
    const requested = headerValue(ctx.headers, 'access-control-request-headers');
    if (requested !== '') headers['access-control-allow-headers'] = requested;
    headers['access-control-allow-credentials'] = 'true';
    headers['access-control-max-age'] = PREFLIGHT_MAX_AGE;
  }
  ctx.status = 204;
  if (ctx.onResponseHead) for (const hook of ctx.onResponseHead) hook(204, headers);
  ctx.res.writeHead(204, headers);
  ctx.res.end();
}

/** Rewrites the gRPC answer written to `ctx.res` as gRPC-Web. */
function answerAsWeb(ctx: RequestContext, text: boolean, origin: string | undefined): void {
  const res = ctx.res;
  const out = writeThrough(res);
  let trailers: OutgoingHttpHeaders = {};
  let carry = Buffer.alloc(0); // -text: bytes not yet a multiple of 3, so the base64 stream has no inner padding
  const send = (bytes: Buffer): void => {
    if (!text) { out.write(bytes); return; }
    const all = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    const whole = all.length - (all.length % 3);
    if (whole > 0) out.write(Buffer.from(all.subarray(0, whole).toString('base64')));
    carry = Buffer.from(all.subarray(whole));
  };
  let wroteHead = false;
  const release = tapResponse(res, {
    head(status, headers) {
      const h: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(headers)) {
        if (name.toLowerCase() === 'trailer' || value === undefined) continue;
        h[name.toLowerCase()] = value;
      }
      const type = String(h['content-type'] ?? '');
      if (type.startsWith('application/grpc')) h['content-type'] = (text ? WEB_TEXT : WEB) + type.slice('application/grpc'.length);
      delete h['content-length'];
      h['access-control-expose-headers'] = [...Object.keys(h), 'grpc-status', 'grpc-message'].join(', ');
      if (origin !== undefined) { h['access-control-allow-origin'] = origin; h['access-control-allow-credentials'] = 'true'; }
      h.vary = 'Origin';
      ctx.status = status;
      out.writeHead(status, h);
      wroteHead = true;
    },
    data(chunk) { send(chunk); },
    trailers(t) { trailers = { ...trailers, ...t }; },
    end() {
      release();
      if (!wroteHead) { res.end(); return; }
      const status = trailers['grpc-status'];
      if (status !== undefined) ctx.grpcStatus = Number(status);
      let block = '';
      for (const [name, value] of Object.entries(trailers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) block += `${name.toLowerCase()}: ${v}\r\n`;
      }
      if (block !== '') {
        const payload = Buffer.from(block, 'utf8');
        const frame = Buffer.alloc(5);
        frame[0] = 0x80;
        frame.writeUInt32BE(payload.length, 1);
        send(Buffer.concat([frame, payload]));
      }
      if (text && carry.length > 0) out.write(Buffer.from(carry.toString('base64')));
      res.end();
    },
  });
}

/** The context seen through an HTTP/1.1 request, so a trailers-only gRPC answer goes through `writeHead` + `end`. */
function asHttp1(ctx: RequestContext): RequestContext {
  const req = Object.create(ctx.req, { httpVersionMajor: { value: 1 }, httpVersion: { value: '1.1' } }) as RequestContext['req'];
  const inner = Object.create(ctx, { req: { value: req } }) as RequestContext;
  ctx.res.once('close', function syncBack() {
    if (inner.upstream !== undefined) ctx.upstream = inner.upstream;
    ctx.attempts = inner.attempts;
    if (inner.grpcStatus !== undefined && ctx.grpcStatus === undefined) ctx.grpcStatus = inner.grpcStatus;
  });
  return inner;
}
