/**
 * Child process: target (c), `@fastify/http-proxy` on fastify with its defaults (undici pool, logger off),
 * forwarding everything to the upstream given as argv[2] (http://127.0.0.1:PORT). Prints `READY <port>`.
 */
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const upstream = process.argv[2];
if (!upstream) { process.stderr.write('usage: fastify-proxy.ts http://127.0.0.1:PORT\n'); process.exit(2); }

const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
await app.register(proxy, { upstream });
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`READY ${(app.server.address() as { port: number }).port}\n`);
process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)); });
