/**
 * The export thread's entry (started by WorkerChannel, export-thread.ts): it owns the OTLP exporter (HTTP
 * agent or HTTP/2 session, gzip, retries, deadlines) and posts each framed body it is handed, answering with
 * the outcome. Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { postWithDeadline } from './channel.ts';
import { createExporter, type ResolvedExportTarget } from './exporter.ts';
import type { ToExportThread, FromExportThread } from './export-thread.ts';

const port = parentPort;
if (port === null) throw new Error('export-worker.ts runs as a worker thread (see WorkerChannel)');
const out = createExporter(workerData as ResolvedExportTarget);

port.postMessage({ type: 'ready' } satisfies FromExportThread);
port.on('message', function onMessage(message: ToExportThread) {
  if (message.type === 'shutdown') {
    void out.shutdown().then(() => port.postMessage({ type: 'closed' } satisfies FromExportThread));
    return;
  }
  void postWithDeadline(out, message.body, message.timeoutMs)
    .then((outcome) => port.postMessage({ type: 'outcome', id: message.id, outcome } satisfies FromExportThread));
});
