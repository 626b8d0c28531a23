import type { Message } from '../dynamic/types.ts';
import { aggregate } from '../dynamic/aggregate.ts';
import type { StaticConfig } from '../static/types.ts';
import { buildConfiguration, buildOptionsFrom } from '../providers/consulcatalog/builder.ts';
import type { ServiceInstance } from '../providers/consulcatalog/instance.ts';
import { buildRuntime } from '../runtime/build.ts';
import { internalMessage } from '../providers/internal.ts';
import type { Handler } from '../http/context.ts';

export interface Finding { severity: 'error' | 'warning'; kind: string; name: string; message: string }

const noop: Handler = () => {};

/**
 * Everything Traefik would silently act on, for a catalog (and the file provider's messages): the
 * builder's issues (unknown keys, conflicts, enable=false hiding siblings) and the runtime's errors
 * (rules that do not parse, missing services and middlewares). Pure: nothing starts, nothing listens.
 */
export function checkCatalog(config: StaticConfig, instances: ServiceInstance[], extra: Message[] = []): Finding[] {
  const messages = new Map<string, Message>();
  const internal = internalMessage(config);
  messages.set('internal', internal);
  if (config.providers.consulCatalog) {
    const built = buildConfiguration(instances, buildOptionsFrom(config.providers.consulCatalog));
    messages.set('consulcatalog', { providerName: 'consulcatalog', configuration: built.configuration, issues: built.issues });
  }
  for (const m of extra) messages.set(m.providerName, m);
  const internalServices = new Map<string, Handler>(['api@internal', 'dashboard@internal', 'ping@internal', 'prometheus@internal'].map((n) => [n, noop]));
  const { state } = buildRuntime({
    aggregated: aggregate(messages),
    entryPoints: config.entryPoints,
    services: { get: () => noop },
    internalServices,
  });
  const findings: Finding[] = [];
  for (const [kind, items] of [['router', state.routers], ['service', state.services], ['middleware', state.middlewares]] as const) {
    for (const item of Object.values(items)) {
      if (item.provider === 'internal') continue;
      for (const message of item.error ?? []) findings.push({ severity: item.status === 'disabled' ? 'error' : 'warning', kind, name: item.name, message });
    }
  }
  return findings.sort((a, b) => (a.severity === b.severity ? (a.name < b.name ? -1 : 1) : a.severity === 'error' ? -1 : 1));
}

export function formatFinding(f: Finding): string {
  return `${f.severity.toUpperCase().padEnd(7)} ${f.kind} ${f.name}: ${f.message}`;
}
