import type { Failover } from '../../dynamic/types.ts';
import { respond, type RequestContext } from '../../http/context.ts';
import { tapResponse } from '../../http/intercept.ts';
import { codeRanges, inRanges } from '../../util/status-ranges.ts';
import { readBody, restoreContext, snapshotContext } from '../../http/body.ts';
import type { ServiceHandler } from '../service.ts';
import { childUp, followStatus, parentStatus, type ChildService } from './child.ts';

/**
 * A `failover` service (file provider only): requests go to `service` while it has a server up, else to
 * `fallback` (503 "Service Unavailable" when neither is up). `service` must report its health (a load balancer
 * with `healthCheck`, or a weighted/mirroring/failover with `healthCheck`) unless `errors.status` is set; with
 * `healthCheck`, the fallback's health is followed too and the service reports "main or fallback up" to its own
 * parent. `errors.status` (Traefik v3.6+) also sends a request to the fallback when the main service answered one
 * of these statuses: the body is read first (at most `errors.maxRequestBodyBytes`, default -1: no limit; past it
 * 413 "Request body too large") so the fallback gets it again, and the main answer is dropped.
 *
 * @throws {Error} when a child cannot report its health where that is required (Traefik's messages).
 * @example
 * createFailoverService('app@file', { service: 'main@file', fallback: 'backup@file' }, main, backup)
 */
export function createFailoverService(name: string, cfg: Failover, main: ChildService, fallback: ChildService): ServiceHandler {
  const ranges = cfg.errors?.status !== undefined && cfg.errors.status.length > 0 ? codeRanges(cfg.errors.status, 'failover.errors.status') : [];
  const maxBody = cfg.errors?.maxRequestBodyBytes ?? -1;
  const parent = parentStatus(cfg.healthCheck, 'failover');
  let mainUp = true;
  let fallbackUp = true;
  const propagate = (): void => { parent.notify(mainUp || fallbackUp); };
  const stopMain = followStatus(main, name, function mainStatus(up) {
    if (up === mainUp) return;
    mainUp = up;
    propagate();
  });
  if (stopMain instanceof Error) {
    if (ranges.length === 0) throw stopMain;
  } else {
    parent.keep(stopMain);
    mainUp = childUp(main);
  }
  if (cfg.healthCheck !== undefined) {
    const stopFallback = followStatus(fallback, name, function fallbackStatus(up) {
      if (up === fallbackUp) return;
      fallbackUp = up;
      propagate();
    });
    parent.keep(stopFallback);
    fallbackUp = childUp(fallback);
  }

  function toFallback(ctx: RequestContext): void {
    if (fallbackUp) fallback.handler.handle(ctx);
    else respond(ctx, 503, 'Service Unavailable\n');
  }

  return {
    handle: function failoverHandler(ctx: RequestContext): void {
      if (!mainUp) { toFallback(ctx); return; }
      if (ranges.length === 0) { main.handler.handle(ctx); return; }
      const afterBody = function failoverBody(err: string | undefined, body: Buffer | undefined): void {
        if (ctx.res.destroyed || ctx.res.headersSent) return;
        if (err === 'tooLarge') { respond(ctx, 413, 'Request body too large\n', { connection: 'close' }); return; }
        if (err !== undefined) { respond(ctx, 500, 'Internal Server Error\n'); return; }
        if (body !== undefined) ctx.body = body;
        const snapshot = snapshotContext(ctx);
        const res = ctx.res;
        let needFallback = false;
        const release = tapResponse(res, {
          head(status, headers) {
            if (inRanges(ranges, status)) { needFallback = true; return; }
            release();
            res.writeHead(status, headers);
          },
          data() { /* the main answer that needs the fallback is dropped */ },
          end() {
            release();
            if (!needFallback) { res.end(); return; }
            if (res.headersSent || res.destroyed) return;
            restoreContext(ctx, snapshot);
            toFallback(ctx);
          },
        });
        main.handler.handle(ctx);
      };
      // A body buffering stored (partly on disk) is sent again from its store: no need to hold it in memory.
      const stored = ctx.body;
      if (stored !== undefined && !Buffer.isBuffer(stored)) afterBody(maxBody >= 0 && stored.length > maxBody ? 'tooLarge' : undefined, undefined);
      else readBody(ctx, maxBody, afterBody);
    },
    ...parent.members,
  };
}
