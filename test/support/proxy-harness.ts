import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import type { Handler, RequestContext } from '../../src/http/context.ts';
import { responseForUpgrade } from '../../src/proxy/upgrade.ts';
import { newRequestContext, type EntryPointInfo } from '../../src/http/request-context.ts';
import { TrustedNetworks } from '../../src/util/ipnet.ts';

export interface ProxyFront {
  url: string;
  port: number;
  server: Server;
  /** Every context the front built, in order (to inspect status/upstream after the fact). */
  contexts: RequestContext[];
}

/**
 * A tiny entry point on 127.0.0.1:0: builds the request context like the gateway does and hands it
 * to `handler` (usually a service handler). `decorate` may add hooks/transforms/retry to the context.
 * Upgrade requests go through `responseForUpgrade`, as the gateway must do for WebSockets; with
 * `checkContinue`, `Expect: 100-continue` requests reach the handler before any "100 Continue".
 */
export async function startFront(t: TestContext, handler: Handler, decorate?: (ctx: RequestContext) => void, options: { checkContinue?: boolean } = {}): Promise<ProxyFront> {
  const port = { value: 0 };
  const ep: EntryPointInfo = { name: 'web', scheme: 'http', get port() { return String(port.value); }, trusted: new TrustedNetworks([]) };
  const contexts: RequestContext[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const ctx = newRequestContext(req, res, ep);
    if (!ctx) { res.writeHead(400); res.end(); return; }
    contexts.push(ctx);
    decorate?.(ctx);
    handler(ctx);
  };
  const server = createServer(listener);
  // With a 'checkContinue' listener Node does not answer "100 Continue" itself: the proxy relays the upstream's.
  if (options.checkContinue) server.on('checkContinue', listener);
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => listener(req, responseForUpgrade(req, socket, head)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port.value = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${port.value}`, port: port.value, server, contexts };
}
