import type { StaticConfig } from '../static/types.ts';
import type { Provider } from '../providers/provider.ts';
import type { Logger } from '../util/log.ts';
import { ConsulCatalogProvider } from '../providers/consulcatalog/watcher.ts';
import { FileProvider } from '../providers/file/index.ts';
import { ProviderThread } from './provider-thread.ts';

/**
 * The providers the static configuration switches on, in Traefik's order. With `thread`, the Consul Catalog
 * provider runs on a worker thread (provider-thread.ts): the process that serves requests (`workers: 1`) then
 * never parses or diffs the catalog on its loop. The file provider stays here: it costs only when an operator edits
 * a file, and its result is a full build on this thread anyway.
 */
export function defaultProviders(config: StaticConfig, log: Logger, options: { thread?: boolean } = {}): Provider[] {
  const out: Provider[] = [];
  const consul = config.providers.consulCatalog;
  if (consul) {
    const logger = log.child({ provider: 'consulcatalog' });
    if (options.thread) {
      ConsulCatalogProvider.check(consul); // a bad defaultRule, constraints or TLS file stops startup, as in-process
      out.push(new ProviderThread(consul, { logger }));
    } else out.push(new ConsulCatalogProvider(consul, { logger }));
  }
  if (config.providers.file) out.push(new FileProvider(config.providers.file, { logger: log.child({ provider: 'file' }) }));
  return out;
}
