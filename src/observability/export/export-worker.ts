/**
 * The export thread's entry (started by WorkerChannel, export-thread.ts): it owns the OTLP exporter (HTTP
 * agent or HTTP/2 session, gzip, retries, deadlines) and posts each framed body it is handed, answering with
 * the outcome. Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { postWithDeadline } from './channel.ts';
import { lowerThreadPriority } from '../../util/thread-priority.ts';
import { createExporter } from './exporter.ts';
import type { ExportThreadData, FromExportThread, ToExportThread } from './export-thread.ts';

const port = parentPort;
if (port === null) throw new Error('export-worker.ts runs as a worker thread (see WorkerChannel)');
const data = workerData as ExportThreadData;
// before anything else runs here: the thread gives way to the serving loop (util/thread-priority.ts)
const priority = data.nice === undefined ? undefined : lowerThreadPriority(data.nice);
const out = createExporter(data.target);

port.postMessage({ type: 'ready', ...(priority === undefined ? {} : { priority }) } satisfies FromExportThread);
port.on('message', function onMessage(message: ToExportThread) {
  if (message.type === 'shutdown') {
    void out.shutdown().then(() => port.postMessage({ type: 'closed' } satisfies FromExportThread));
    return;
  }
  void postWithDeadline(out, message.body, message.timeoutMs)
    .then((outcome) => port.postMessage((outcome.ok && outcome.rejected === undefined ? message.id : { type: 'outcome', id: message.id, outcome }) satisfies FromExportThread));
});
