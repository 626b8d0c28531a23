import { createServer, type Server } from 'node:http';
import { listen } from '../../server/listen.ts';

export interface DemoUpstream { name: string; port: number; server: Server }

/**
 * A small demo service on 127.0.0.1: answers who it is, the path it saw and the trace context it
 * received, so the effect of routing, stripPrefix and tracing can be seen with curl.
 */
export async function startDemoUpstream(name: string, instance: string): Promise<DemoUpstream> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        service: name,
        instance,
        method: req.method,
        path: req.url,
        host: req.headers.host,
        traceparent: req.headers.traceparent ?? null,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
        forwardedPrefix: req.headers['x-forwarded-prefix'] ?? null,
        // Behind a Connect sidecar: the client identity it verified (Envoy's x-forwarded-client-cert).
        ...(req.headers['x-forwarded-client-cert'] ? { clientCert: req.headers['x-forwarded-client-cert'] } : {}),
      }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body + '\n');
    });
  });
  const bound = await listen(server, '127.0.0.1:0', `demo upstream ${name}`);
  return { name, port: bound.port, server };
}
