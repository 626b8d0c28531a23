/**
 * Child process: an OTLP/HTTP receiver that accepts every POST, drains the body and answers 200 `{}`,
 * counting requests and bytes (`GET /stats` answers `{"posts":N,"bytes":N}`). It stands in for a collector so the tracing variants
 * pay for the real export (serialisation + HTTP) without a collector's own cost on the machine.
 * Prints `READY <port>` when listening.
 */
import { createServer } from 'node:http';

let posts = 0;
let bytes = 0;
const server = createServer(function receive(req, res) {
  if (req.method === 'GET' && req.url === '/stats') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ posts, bytes })); return; }
  if (req.method !== 'POST') { res.writeHead(405).end(); return; }
  req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  req.on('end', () => {
    posts++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
