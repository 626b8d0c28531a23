import type { ErrorPage } from '../../dynamic/types.ts';
import { respond, type Handler, type RequestContext } from '../../http/context.ts';
import { tapResponse } from '../../http/intercept.ts';
import { snapshotContext, type ContextSnapshot } from '../../http/body.ts';
import { codeRanges as parseRanges, inRanges, type StatusRange } from '../../util/status-ranges.ts';
import { optionError } from '../shared/errors.ts';
import { statusText } from '../shared/options.ts';
import type { Wrapper } from '../shared/types.ts';
import { queryEscape } from '../pass-tls-client-cert/index.ts';

type Range = StatusRange;
/** The handler of the service that serves the pages, or why it cannot be had (resolved by the runtime). */
export type ServiceLookup = (name: string) => Handler | Error;

/**
 * errors (Traefik's CustomError): when the response of what it wraps has a status in `status` (`"500"`,
 * `"500-599"`, one item per list entry), the client gets instead the answer of `service` to
 * `GET <query>`, with the caught status (or the one `statusRewrites` maps it to: `"418": 404`, `"500-503": 502`).
 * `query` may hold `{status}` (the status sent), `{originalStatus}` (the caught one) and `{url}` (the request URL,
 * query-escaped); it is sent with the request's Host. The page request carries every request header, or only
 * `errorRequestHeaders` when set ([]: none), and never a body. The caught response's body is dropped unread
 * beyond what the upstream sends. A response outside the ranges streams through untouched.
 * @example
 * errorPages({ status: ['500-599'], service: 'pages', query: '/{status}.html' }, lookup)
 */
export function errorPages(cfg: ErrorPage, lookup: ServiceLookup | undefined): Wrapper {
  const ranges = codeRanges(cfg.status ?? [], 'errors.status');
  const rewrites: Array<{ from: Range[]; to: number }> = [];
  for (const [from, to] of Object.entries(cfg.statusRewrites ?? {})) {
    const code = typeof to === 'number' ? to : Number(to);
    if (!Number.isInteger(code) || code < 100 || code > 999) throw optionError(`errors.statusRewrites.${from}`, `invalid status code ${JSON.stringify(to)}`);
    rewrites.push({ from: codeRanges([from], 'errors.statusRewrites'), to: code });
  }
  if (!cfg.service) throw optionError('errors.service', 'the service serving the error pages is required');
  if (!lookup) throw optionError('errors.service', 'no service can be reached from here');
  const found = lookup(cfg.service);
  if (found instanceof Error) throw optionError('errors.service', found.message, found);
  const service: Handler = found;
  const query = cfg.query ?? '';
  const headerAllowList = cfg.errorRequestHeaders?.map((h) => h.toLowerCase());

  return {
    wrap(next: Handler): Handler {
      return function errorsHandler(ctx: RequestContext) {
        const res = ctx.res;
        const entry = snapshotContext(ctx);
        let caught: number | undefined;
        const release = tapResponse(res, {
          head(status, headers) {
            if (!inRanges(ranges, status)) {
              release();
              res.writeHead(status, headers);
              return;
            }
            caught = status;
          },
          data() { /* the caught answer's body is dropped */ },
          end() {
            release();
            if (caught === undefined) { res.end(); return; }
            if (res.headersSent || res.destroyed) return;
            servePage(ctx, entry, caught);
          },
        });
        next(ctx);
      };
    },
  };

  function servePage(ctx: RequestContext, entry: ContextSnapshot, original: number): void {
    const code = rewrites.find((r) => inRanges(r.from, original))?.to ?? original;
    const target = pageTarget(ctx, entry, query, code, original);
    if (target === undefined) { respond(ctx, code, statusText(code)); return; }
    const headers: RequestContext['headers'] = {};
    for (const [name, value] of Object.entries(entry.headers)) {
      if (name === 'host' || headerAllowList === undefined || headerAllowList.includes(name)) headers[name] = value;
    }
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers.expect;
    const page: RequestContext = {
      ...ctx, method: 'GET', path: target.path, rawQuery: target.query, headers, body: Buffer.alloc(0), attempts: 0,
      strippedPrefix: undefined, onAttemptFailed: undefined,
      onResponseHead: entry.onResponseHead?.slice(), responseTransforms: entry.responseTransforms?.slice(),
    };
    const res = ctx.res;
    // Traefik's codeModifier: the page's headers and body, with the status decided here.
    const release = tapResponse(res, {
      head(_status, head) { release(); ctx.status = code; res.writeHead(code, head); },
      data(chunk) { release(); res.write(chunk); },
      end() { release(); res.end(); },
    });
    service(page);
  }
}

/** `/` + query with its variables replaced, split like Go's url.Parse of `http://<host><query>` would. */
function pageTarget(ctx: RequestContext, entry: ContextSnapshot, query: string, code: number, original: number): { path: string; query: string } | undefined {
  let q = '';
  if (query.length > 0) {
    const host = String(entry.headers.host ?? ctx.host);
    const url = `${ctx.scheme}://${host}${entry.path}${entry.rawQuery !== '' ? `?${entry.rawQuery}` : ''}`;
    q = ('/' + query.replace(/^\//, ''))
      .replaceAll('{status}', String(code))
      .replaceAll('{originalStatus}', String(original))
      .replaceAll('{url}', queryEscape(url));
  }
  const hash = q.indexOf('#');
  if (hash !== -1) q = q.slice(0, hash);
  if (/[\x00-\x20\x7f]/.test(q)) return undefined; // Go's url.Parse refuses control characters and spaces
  const mark = q.indexOf('?');
  const path = mark === -1 ? q : q.slice(0, mark);
  return { path: path === '' ? '/' : path, query: mark === -1 ? '' : q.slice(mark + 1) };
}

/** Status ranges of an option, refused with the option named (a MiddlewareError). */
function codeRanges(blocks: readonly string[], option: string): Range[] {
  try { return parseRanges(blocks, option); } catch (err) { throw optionError(option, (err as Error).message, err); }
}
