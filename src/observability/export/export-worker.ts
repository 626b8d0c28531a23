/**
 * The export worker's entry: frames encoded batches as OTLP JSON requests and posts them to the
 * collector (retries, timeouts, connection handling), off the request thread. Speaks the WorkerChannel protocol (worker-channel.ts): `export` → `result`,
 * `shutdown` → `closed`; says `ready` once loaded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ReusedBody, runExport } from './channel.ts';
import { createExporter } from './exporter.ts';
import type { WorkerData, ToWorker, FromWorker } from './worker-channel.ts';

const port = parentPort!;
const { http, userAgent } = workerData as WorkerData;
const out = createExporter(http, userAgent);
const body = new ReusedBody();

port.on('message', function onMessage(message: ToWorker) {
  if (message.type === 'export') {
    void body.use((b) => runExport(out, message.batch, message.timeoutMs, b)).then((outcome) => {
      port.postMessage({ type: 'result', id: message.id, outcome } satisfies FromWorker);
    });
  } else if (message.type === 'shutdown') {
    void out.shutdown().then(() => port.postMessage({ type: 'closed' } satisfies FromWorker));
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
