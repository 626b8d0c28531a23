/**
 * Child process: an OTLP receiver over HTTP and over gRPC (h2c) that accepts every export, drains the body and
 * answers success (HTTP 200 `{}`; gRPC an empty ExportTraceServiceResponse, `grpc-status: 0`), counting exports and
 * bytes of both (`GET /stats` answers `{"posts":N,"bytes":N}`). It stands in for a collector so the tracing variants
 * pay for the real export (serialisation + HTTP or HTTP/2) without a collector's own cost on the machine.
 * Prints `READY <http port> <grpc port>` when both listen.
 */
import { createServer } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';

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

/** An empty gRPC message: uncompressed, length 0. */
const EMPTY_MESSAGE = Buffer.alloc(5);
const grpc = createH2cServer();
grpc.on('stream', function receiveCall(stream) {
  stream.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  stream.on('end', () => {
    posts++;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(EMPTY_MESSAGE);
  });
  stream.on('error', () => {});
});

const listening = (s: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }): Promise<number> =>
  new Promise((resolve) => { s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)); });
void Promise.all([listening(server), listening(grpc)]).then(([http, h2]) => process.stdout.write(`READY ${http} ${h2}\n`));
process.on('SIGTERM', () => { grpc.close(); server.close(() => process.exit(0)).closeAllConnections(); });
