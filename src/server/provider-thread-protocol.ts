/**
 * What the gateway and its provider thread say to each other (provider-thread.ts, provider-thread-main.ts). The
 * configuration travels as the cluster's does (deltas.ts): numbered deltas, acknowledged, a snapshot to start and
 * after a gap; besides, the provider's status and its log records, since the API and the log live on the main thread.
 */
import type { ConsulCatalogConfig } from '../static/types.ts';
import type { ProviderStatus } from '../providers/provider.ts';
import type { LogFields, LogLevel } from '../util/log.ts';
import type { FanoutMessage } from './deltas.ts';

/** `workerData` of the thread. */
export interface ThreadData {
  consulCatalog: ConsulCatalogConfig;
  /** The lowest level the main thread's logger writes (the thread drops the others before posting). */
  logLevel: LogLevel;
  /** How often the thread looks for a change of its provider's status, ms. */
  statusEveryMs: number;
  /** The thread's nice value (util/thread-priority.ts); undefined leaves it as inherited. */
  nice?: number;
}

export type ThreadLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** From the thread. */
export type FromThread =
  | FanoutMessage
  | { type: 'tagway:status'; status: ProviderStatus }
  | { type: 'tagway:log'; level: ThreadLogLevel; message: string; fields?: LogFields };

/** To the thread: acknowledgements (DeltaReceiver's replies) and the order to stop. */
export type ToThread = { type: 'tagway:ack'; seq: number } | { type: 'tagway:resync' } | { type: 'tagway:stop' };
