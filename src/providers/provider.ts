import type { Message } from '../dynamic/types.ts';

/** What a provider tells the API about itself (watcher health, last contact, configuration age). */
export interface ProviderStatus {
  name: string;
  /** ms epoch of the last successful contact with the source, or undefined if never. */
  lastContact?: number;
  /** ms epoch when the configuration currently emitted was built. */
  configurationAt?: number;
  /** Current failure, if the source is failing; routing keeps the last good configuration meanwhile. */
  error?: string;
  errorSince?: number;
  /** Free-form counters (requests made, resyncs...). */
  counters?: Record<string, number>;
  /** Consul Connect (consulCatalog with connectAware): the gateway's mesh identity and the certificates it holds. */
  connect?: ConnectStatus;
}

export interface ConnectStatus {
  /** `providers.consulCatalog.serviceName`: whose leaf certificate the gateway presents. */
  serviceName: string;
  /** 'waiting' until both the leaf and the CA roots arrived (Connect services are not routed meanwhile). */
  state: 'waiting' | 'ready';
  waitingSince?: number;
  /** The SPIFFE ID the sidecars see (the leaf's URI SAN), its serial and end of validity. */
  identity?: string;
  leafSerial?: string;
  leafValidBefore?: string;
  trustDomain?: string;
  activeRootId?: string;
  roots?: number;
}

/**
 * A configuration source. `provide` starts it: it calls `emit` with a whole snapshot each time the
 * configuration changes (and once at start when it has one) until `signal` aborts.
 * It never throws for source failures: it keeps the last good snapshot and reports through `status()`.
 */
export interface Provider {
  readonly name: string;
  provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void>;
  status(): ProviderStatus;
}
