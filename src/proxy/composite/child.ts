import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { ServiceHandler } from '../service.ts';

/** A service a weighted, mirroring or failover service is made of: its qualified name and its built handler. */
export interface ChildService { name: string; handler: ServiceHandler }

/**
 * Follows a child's health as Traefik's `RegisterStatusUpdater` does; the Error names the child and the parent,
 * as Traefik's messages do ("child service X of Y not a healthcheck.StatusUpdater").
 */
export function followStatus(child: ChildService, parent: string, fn: (up: boolean) => void): (() => void) | Error {
  if (child.handler.registerStatusUpdater === undefined) {
    return new Error(`child service ${child.name} of ${parent} not a healthcheck.StatusUpdater`);
  }
  const r = child.handler.registerStatusUpdater(fn);
  return r instanceof Error ? new Error(`cannot register ${child.name} as updater for ${parent}: ${r.message}`, { cause: r }) : r;
}

/** Whether a child has a server up now (a child without servers of its own counts as up, as Traefik starts them). */
export function childUp(child: ChildService): boolean {
  const states = Object.values(child.handler.serverStatus());
  return states.length === 0 || states.includes('UP');
}

/**
 * What weighted and failover share as parents: the updaters that follow them, the child followings to stop on
 * close, and the handler members that are the same for both (no servers of their own; health reported only with
 * `healthCheck`, else Traefik's error naming the kind).
 */
export interface ParentStatus {
  /** Tells every follower. */
  notify(up: boolean): void;
  /** Keeps a child following to stop on close; with an Error, stops those kept so far and throws it. */
  keep(stop: (() => void) | Error): void;
  /** The handler's members besides `handle`. */
  members: Omit<ServiceHandler, 'handle'>;
}

export function parentStatus(healthCheck: unknown, kind: string): ParentStatus {
  const updaters = new Set<(up: boolean) => void>();
  const stops: Array<() => void> = [];
  let closed = false;
  const stopAll = (): void => { for (const stop of stops) stop(); };
  const members: Omit<ServiceHandler, 'handle'> = {
    serverStatus: () => ({}),
    serverHealth: () => undefined,
    close(): void {
      if (closed) return;
      closed = true;
      stopAll();
      updaters.clear();
    },
    settled: () => Promise.resolve(),
    registerStatusUpdater(fn) {
      if (healthCheck === undefined) return new Error(`healthCheck not enabled in config for this ${kind} service`);
      updaters.add(fn);
      return () => { updaters.delete(fn); };
    },
  };
  return {
    notify(up: boolean): void { for (const fn of [...updaters]) fn(up); },
    keep(stop: (() => void) | Error): void {
      if (stop instanceof Error) { stopAll(); throw stop; }
      stops.push(stop);
    },
    members,
  };
}

/**
 * Traefik's blackHoleResponseWriter: where a mirror's answer goes. It takes everything the forwarder writes and
 * keeps nothing; to the forwarder it looks like a client that stays connected until the answer is complete.
 */
export function blackHoleResponse(): ServerResponse {
  const sink = new Writable({
    write(_chunk, _encoding, done) { done(); },
  }) as Writable & { headersSent: boolean; statusCode: number; socket: { destroyed: boolean }; writeHead(status: number, headers?: OutgoingHttpHeaders): unknown; writeContinue(): void; setHeader(): void; getHeader(): undefined };
  sink.headersSent = false;
  sink.statusCode = 200;
  sink.socket = { destroyed: false };
  sink.writeHead = function writeHead(status: number): unknown { sink.headersSent = true; sink.statusCode = status; return sink; };
  sink.writeContinue = function writeContinue(): void { /* nothing to continue */ };
  sink.setHeader = function setHeader(): void { /* dropped */ };
  sink.getHeader = function getHeader(): undefined { return undefined; };
  return sink as unknown as ServerResponse;
}
