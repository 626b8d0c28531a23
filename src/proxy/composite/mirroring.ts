import type { Mirroring } from '../../dynamic/types.ts';
import { respond, type RequestContext } from '../../http/context.ts';
import { readBody } from '../../http/body.ts';
import type { ProxyLogger } from '../errors.ts';
import type { ServiceHandler } from '../service.ts';
import { blackHoleResponse, followStatus, type ChildService } from './child.ts';

interface Mirror { child: ChildService; percent: number; count: number }

/**
 * A `mirroring` service (file provider only): each request goes to `service`, whose answer the client gets; once
 * that answer is complete, a copy goes to each mirror whose share is due (`percent` of the requests, counted as
 * Traefik does: a mirror is used when count·100 < total·percent). Mirrors run after the main answer and into a
 * black hole: they never slow, change or fail it, and a client that leaves before its answer is complete gets
 * no mirrored copy. `mirrorBody` (default true) reads the body first (at most `maxBodySize`, default -1: no limit)
 * so mirrors get it too; a larger body goes to the main service whole and is not mirrored. Without `mirrorBody`
 * mirrors get the request without its body. With `healthCheck` the service reports the main service's health.
 *
 * @throws {Error} for a percent outside 0..100, or `healthCheck` on a main service that cannot report its health.
 * @example
 * createMirroringService('shop@file', { service: 'v1@file', mirrors: [{ name: 'v2@file', percent: 10 }] }, main, mirrors)
 */
export function createMirroringService(name: string, cfg: Mirroring, main: ChildService, mirrorChildren: readonly ChildService[], logger?: ProxyLogger): ServiceHandler {
  const mirrorBody = cfg.mirrorBody ?? true;
  const maxBodySize = cfg.maxBodySize ?? -1;
  const mirrors: Mirror[] = (cfg.mirrors ?? []).map((m, i) => {
    const percent = m.percent ?? 0;
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`service "${name}": mirrors[${i}] (${m.name}): percent must be between 0 and 100`);
    return { child: mirrorChildren[i]!, percent, count: 0 };
  });
  let total = 0;

  function activeMirrors(): Mirror[] {
    total++;
    const active: Mirror[] = [];
    for (const m of mirrors) {
      if (m.count * 100 < total * m.percent) { m.count++; active.push(m); }
    }
    return active;
  }

  function mirror(ctx: RequestContext, snapshot: Pick<RequestContext, 'path' | 'rawQuery' | 'headers'>, body: Buffer, active: Mirror[]): void {
    for (const m of active) {
      const headers: RequestContext['headers'] = Object.assign({}, snapshot.headers);
      if (body.length === 0) { delete headers['content-length']; delete headers['transfer-encoding']; }
      delete headers.expect;
      const copy: RequestContext = {
        ...ctx, res: blackHoleResponse(), path: snapshot.path, rawQuery: snapshot.rawQuery, headers, body, attempts: 0,
        trace: undefined, onResponseHead: undefined, responseTransforms: undefined, onAttemptFailed: undefined, status: undefined,
      };
      try {
        m.child.handler.handle(copy);
      } catch (err) {
        logger?.debug('mirror failed', { service: name, mirror: m.child.name, error: err });
      }
    }
  }

  return {
    handle: function mirroringHandler(ctx: RequestContext): void {
      const active = activeMirrors();
      if (active.length === 0) { main.handler.handle(ctx); return; }
      const snapshot = { path: ctx.path, rawQuery: ctx.rawQuery, headers: Object.assign({}, ctx.headers) };
      const start = (body: Buffer): void => {
        const res = ctx.res;
        res.once('close', function mirrorAfterMain() {
          // Traefik: "No mirroring, request has been canceled during main handler ServeHTTP".
          if (!res.writableFinished) return;
          setImmediate(() => mirror(ctx, snapshot, body, active));
        });
        main.handler.handle(ctx);
      };
      if (!mirrorBody) { start(Buffer.alloc(0)); return; }
      readBody(ctx, maxBodySize, function mirroredBody(err, body) {
        if (ctx.res.destroyed || ctx.res.headersSent) return;
        if (err === 'tooLarge') { main.handler.handle(ctx); return; } // no mirroring, the main service gets it all
        if (err !== undefined) { respond(ctx, 500, 'Internal Server Error\n'); return; }
        ctx.body = body;
        start(body);
      }, { keepOnTooLarge: true });
    },
    serverStatus: () => ({}),
    serverHealth: () => undefined,
    close(): void { /* children are closed by whoever built them */ },
    settled: () => Promise.resolve(),
    registerStatusUpdater(fn) {
      if (cfg.healthCheck === undefined) return new Error('healthCheck not enabled in config for this mirroring service');
      const stop = followStatus(main, name, fn);
      return stop instanceof Error ? new Error(`cannot register service of mirroring as updater: ${stop.message}`, { cause: stop }) : stop;
    },
  };
}
