/**
 * The provider thread's entry (a `node:worker_threads` Worker started by provider-thread.ts): the Consul Catalog
 * provider runs here, watch, answers parsed and diffed, services fetched and built, so none of it runs on the loop
 * that serves requests. Each configuration it emits goes to the main thread as a delta (deltas.ts); its status is
 * posted when it changes, its log records as they come. `tagway:stop` aborts it; the thread ends once the provider
 * has stopped and its connections are closed.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { ConsulCatalogProvider } from '../providers/consulcatalog/watcher.ts';
import type { LogFields, Logger, LogLevel } from '../util/log.ts';
import { DeltaFanout } from './deltas.ts';
import { lowerThreadPriority } from '../util/thread-priority.ts';
import type { FromThread, ThreadData, ThreadLogLevel, ToThread } from './provider-thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('provider-thread-main runs as a worker thread (see provider-thread.ts)');
const data = workerData as ThreadData;
const post = (m: FromThread): void => port.postMessage(m);

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, PANIC: 6 };
const LEVEL: Record<ThreadLogLevel, LogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** A logger whose records the main thread writes, with its own logger (format, destination, provider field). */
function portLogger(min: LogLevel, base: LogFields): Logger {
  const send = (level: ThreadLogLevel, message: string, fields?: LogFields): void => {
    if (ORDER[LEVEL[level]] < ORDER[min]) return;
    const all = fields || Object.keys(base).length > 0 ? { ...base, ...fields } : undefined;
    try {
      post({ type: 'tagway:log', level, message, ...(all ? { fields: all } : {}) });
    } catch {
      // a field the structured clone refuses (a function...): its JSON form instead
      post({ type: 'tagway:log', level, message, fields: JSON.parse(JSON.stringify(all, (_k, v: unknown) => (v instanceof Error ? v.message : v))) as LogFields });
    }
  };
  return {
    debug: (m, f) => send('debug', m, f),
    info: (m, f) => send('info', m, f),
    warn: (m, f) => send('warn', m, f),
    error: (m, f) => send('error', m, f),
    child: (fields) => portLogger(min, { ...base, ...fields }),
    enabled: (level) => ORDER[level] >= ORDER[min],
  };
}

// Before anything else runs here: the thread gives way to the serving loop (util/thread-priority.ts).
const priority = data.nice === undefined ? undefined : lowerThreadPriority(data.nice);
const logger = portLogger(data.logLevel, {});
if (priority?.ok) logger.debug('provider thread runs below the serving loop', { tid: priority.tid, nice: priority.nice });
else if (priority) logger.warn('could not lower the provider thread\'s priority: its work on a catalog change competes with requests for the CPU', { error: priority.error });

const abort = new AbortController();
const provider = new ConsulCatalogProvider(data.consulCatalog, { logger });
const fanout = new DeltaFanout<0>((_peer, m) => post(m));
port.on('message', function fromMain(m: ToThread) {
  if (m.type === 'tagway:ack') fanout.ack(0, m.seq);
  else if (m.type === 'tagway:resync') fanout.join(0);
  else if (m.type === 'tagway:stop') abort.abort();
});

let lastStatus = '';
function postStatus(): void {
  const status = provider.status();
  // The thread's heap in MiB (whole ones, so the status changes when memory does, not on every answer).
  status.counters = { ...status.counters, threadHeapMiB: Math.round(getHeapStatistics().used_heap_size / 1048576) };
  // The thread's nice value as set, or as it stayed when that was refused (the log said why).
  if (priority?.nice !== undefined) status.counters.threadNice = priority.nice;
  const json = JSON.stringify(status);
  if (json === lastStatus) return;
  lastStatus = json;
  post({ type: 'tagway:status', status });
}
const statusTimer = setInterval(postStatus, data.statusEveryMs);

fanout.join(0);
postStatus();
try {
  await provider.provide(function publish(message) {
    postStatus(); // the status that goes with this configuration arrives first
    fanout.publish(message);
  }, abort.signal);
} finally {
  clearInterval(statusTimer);
  postStatus();
  port.close(); // nothing left: the thread ends
}
