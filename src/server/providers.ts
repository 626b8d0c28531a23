import type { StaticConfig } from '../static/types.ts';
import type { Provider } from '../providers/provider.ts';
import type { Logger } from '../util/log.ts';
import { ConsulCatalogProvider } from '../providers/consulcatalog/watcher.ts';

/** The providers the static configuration switches on, in Traefik's order. */
export function defaultProviders(config: StaticConfig, log: Logger): Provider[] {
  const out: Provider[] = [];
  if (config.providers.consulCatalog) out.push(new ConsulCatalogProvider(config.providers.consulCatalog, { logger: log.child({ provider: 'consulcatalog' }) }));
  return out;
}
