import type { QualifiedIssue } from '../dynamic/aggregate.ts';
import { addError, type MiddlewareInfo, type RouterInfo, type RuntimeState, type ServiceInfo } from '../dynamic/runtime.ts';
import { DEFAULT_SOURCES, OBSERVABILITY_DEFAULTS } from '../http/observability.ts';

/** The message of anything thrown (a throw need not be an Error). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  try { return String(err); } catch { return 'unknown error'; }
}

/** What the API shows for a router known only by its name (dropped by its provider, or unreadable). */
export function bareRouter(name: string, provider: string): RouterInfo {
  return { name, provider, priority: 0, status: 'disabled', observability: { ...OBSERVABILITY_DEFAULTS }, observabilitySources: { ...DEFAULT_SOURCES } };
}

export function bareService(name: string, provider: string): ServiceInfo {
  return { name, provider, type: 'loadbalancer', status: 'disabled', usedBy: [] };
}

export function bareMiddleware(name: string, provider: string): MiddlewareInfo {
  return { name, provider, type: 'unknown', status: 'disabled', usedBy: [] };
}

/**
 * Attaches the problems the providers reported to their items; an item the provider dropped is shown
 * disabled with the reason. A router copied per entry point (`renamed`) gets the issue on every copy.
 */
export function attachIssues(state: RuntimeState, issues: readonly QualifiedIssue[], renamed: ReadonlyMap<string, string[]>): void {
  for (const issue of issues) {
    if (issue.kind === 'router' && renamed.has(issue.name)) {
      for (const copy of renamed.get(issue.name)!) if (state.routers[copy]) addError(state.routers[copy], issue.message, issue.dropped);
      continue;
    }
    let item: RouterInfo | ServiceInfo | MiddlewareInfo;
    if (issue.kind === 'router') item = state.routers[issue.name] ??= bareRouter(issue.name, issue.provider);
    else if (issue.kind === 'service') item = state.services[issue.name] ??= bareService(issue.name, issue.provider);
    else item = state.middlewares[issue.name] ??= bareMiddleware(issue.name, issue.provider);
    addError(item, issue.message, issue.dropped);
  }
}
