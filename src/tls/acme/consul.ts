import type { StaticConfig } from '../../static/types.ts';
import type { Logger } from '../../util/log.ts';
import type { AcmeShared } from './index.ts';

/** Shared mode (`storage: consul`) through providers.consulCatalog's endpoint; undefined without it. */
export function consulAcmeShared(config: StaticConfig, _log: Logger): AcmeShared | undefined {
  if (!config.providers.consulCatalog) return undefined;
  return () => ({ error: 'shared mode is not available yet' });
}
