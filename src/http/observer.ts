import type { RequestContext } from './context.ts';
import type { Route } from './route.ts';

/** Per-request observers (access log, metrics): called once a request is matched, before its handler. */
export interface RequestObserver {
  onRequest(ctx: RequestContext, route: Route | undefined): void;
  close?(): Promise<void> | void;
}
