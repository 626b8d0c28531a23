/**
 * Child process: the floor Node itself sets for TLS. One node:http and one node:https server (same certificate as
 * tagway's), both answering every request with the 100-byte body, no proxying. Prints `READY <http> <https>`.
 * bench/https.ts `--target=node` measures it exactly as it measures tagway, so "HTTPS costs X× per request in tagway"
 * can be set beside "HTTPS costs Y× per request in Node alone".
 */
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const [certFile, keyFile] = process.argv.slice(2);
const BODY = Buffer.alloc(100, 'x');
function answer(_req: unknown, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
}
const plain = createHttp(answer);
const secure = createHttps({ cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, answer);
for (const s of [plain, secure]) s.keepAliveTimeout = 60_000;
plain.listen(0, '127.0.0.1', () => secure.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(plain.address() as AddressInfo).port} ${(secure.address() as AddressInfo).port}\n`);
}));
process.on('SIGTERM', () => { plain.closeAllConnections(); secure.closeAllConnections(); process.exit(0); });
