import type { StaticConfig } from '../static/types.ts';
import type { Provider } from '../providers/provider.ts';
import type { Logger } from '../util/log.ts';
import { ConsulCatalogProvider } from '../providers/consulcatalog/watcher.ts';
import { FileProvider } from '../providers/file/index.ts';

/** The providers the static configuration switches on, in Traefik's order. */
export function defaultProviders(config: StaticConfig, log: Logger): Provider[] {
  const out: Provider[] = [];
  if (config.providers.consulCatalog) out.push(new ConsulCatalogProvider(config.providers.consulCatalog, { logger: log.child({ provider: 'consulcatalog' }) }));
  if (config.providers.file) out.push(new FileProvider(config.providers.file, { logger: log.child({ provider: 'file' }) }));
  return out;
}
