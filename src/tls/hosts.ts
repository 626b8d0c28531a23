import type { RouterInfo } from '../dynamic/runtime.ts';
import { ruleHostArguments } from '../rules/compile.ts';
import type { TlsExplanation, TlsTable } from './table.ts';

export type RouterTlsHost = { entryPoint: string; host: string } & TlsExplanation;

/**
 * Per TLS router, what a handshake for each of its domains (`Host()` and `tls.domains`) gets on each of its
 * entry points: options and certificate, or why it is refused (`/api/tls/routers`, the dashboard).
 */
export function routerTlsHosts(routers: Readonly<Record<string, RouterInfo>>, tls: TlsTable): Record<string, RouterTlsHost[]> {
  const out: Record<string, RouterTlsHost[]> = {};
  for (const r of Object.values(routers)) {
    if (!r.tls) continue;
    const hosts = new Set(ruleHostArguments(r.rule ?? '') ?? []);
    for (const d of r.tls.domains ?? []) for (const n of [d.main, ...(d.sans ?? [])]) if (n) hosts.add(n.toLowerCase());
    out[r.name] = (r.using ?? []).flatMap((ep) => [...hosts].map((host) => ({ entryPoint: ep, host, ...tls.explain(ep, host) })));
  }
  return out;
}
