/**
 * Child process: the upstream every proxy forwards to, and target (a) itself. A bare node:http server on
 * 127.0.0.1 answering every request with the same 100-byte body. Prints `READY <port>` when listening.
 * bench/run.ts starts it, pinned to a core; by hand: node --import tsx bench/lib/upstream.ts
 */
import { createServer } from 'node:http';

/** 100 bytes exactly: the figure the README quotes. */
export const BODY = Buffer.alloc(100, 'x');

const server = createServer(function answer(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
});
// Proxies hold idle keep-alive connections between rounds; Node's 5 s default would close them under them.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
