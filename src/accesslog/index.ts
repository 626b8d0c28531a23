import { createWriteStream, type WriteStream } from 'node:fs';
import type { AccessLogConfig } from '../static/types.ts';
import type { RequestContext } from '../http/context.ts';
import type { RequestObserver } from '../http/observer.ts';
import type { Route } from '../http/route.ts';
import { formatCommon, buildFields, type AccessLogFields, type Arrival } from './format.ts';

/** Bytes queued in the stream past which new lines are dropped (and counted) instead of buffered. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export interface AccessLogOptions {
  /** Where lines go when no filePath is set (default: stdout). */
  write?: (line: string) => void;
}

/**
 * Traefik's access log: one line per request, `common` (CLF plus router, server URL and duration) or
 * `json`, honouring the merged per-router `accessLogs` flag. Writing never blocks a request: lines go
 * to an async stream and are dropped (and counted) when it falls too far behind.
 */
export class AccessLog implements RequestObserver {
  readonly #config: AccessLogConfig;
  readonly #stream: WriteStream | undefined;
  readonly #write: (line: string) => void;
  #count = 0;
  #dropped = 0;

  constructor(config: AccessLogConfig, options: AccessLogOptions = {}) {
    this.#config = config;
    if (config.filePath) {
      this.#stream = createWriteStream(config.filePath, { flags: 'a' });
      this.#stream.on('error', () => { /* reported through dropped(); never crash the gateway on a log file */ });
      this.#write = (line) => {
        if (this.#stream!.writableLength > MAX_PENDING_BYTES) { this.#dropped++; return; }
        this.#stream!.write(line + '\n');
      };
    } else {
      this.#write = options.write ?? ((line) => { process.stdout.write(line + '\n'); });
    }
  }

  dropped(): number { return this.#dropped; }

  /**
   * Internal routers (api, dashboard, ping, metrics) log nothing, as Traefik without `accessLog.addInternals`;
   * any other request logs unless its merged `accessLogs` is false (the router's own value, else its entry point's).
   */
  onRequest(ctx: RequestContext, route: Route | undefined): void {
    if (route?.internal) return;
    if (ctx.observability && !ctx.observability.accessLogs) return;
    const arrival: Arrival = { count: ++this.#count, start: new Date(), path: ctx.req.url ?? '' };
    let length = 0;
    // The head goes out with writeHead(status, headers), which getHeader() cannot see: read it here.
    (ctx.onResponseHead ??= []).push(function accessLogHead(_status, headers) { length = Number(headers['content-length'] ?? 0) || 0; });
    ctx.res.once('close', () => this.#log(ctx, arrival, length));
  }

  #log(ctx: RequestContext, arrival: Arrival, length: number): void {
    const fields: AccessLogFields = buildFields(ctx, arrival, this.#config, length);
    // JSON lines also carry what Traefik's log library adds to every entry: level, msg and time.
    this.#write(this.#config.format === 'json' ? JSON.stringify({ ...fields, level: 'info', msg: '', time: new Date().toISOString() }) : formatCommon(fields));
  }

  close(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(() => resolve()));
  }
}
