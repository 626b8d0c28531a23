import type { Configuration, ItemIssue, ItemKind, Message } from './types.ts';

/** `name@provider`, unless the name is already qualified. */
export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** The provider part of a qualified name ("whoami@consulcatalog" → "consulcatalog"). */
export function providerOf(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at === -1 ? '' : qualified.slice(at + 1);
}

export interface QualifiedIssue extends Omit<ItemIssue, 'name'> { name: string; provider: string }

export interface Aggregated {
  /** Every item keyed by its qualified name; references inside items are left as written. */
  configuration: Configuration;
  issues: QualifiedIssue[];
}

/**
 * Merges the last message of every provider into one configuration with qualified names, as
 * Traefik's aggregator does. Providers are visited in name order so the result does not depend on
 * which provider spoke last.
 */
export function aggregate(messages: ReadonlyMap<string, Message>): Aggregated {
  const out: Configuration = { http: { routers: {}, services: {}, middlewares: {} } };
  const issues: QualifiedIssue[] = [];
  for (const provider of [...messages.keys()].sort()) {
    const msg = messages.get(provider)!;
    const http = msg.configuration.http;
    for (const [name, v] of Object.entries(http.routers)) out.http.routers[qualify(name, provider)] = v;
    for (const [name, v] of Object.entries(http.services)) out.http.services[qualify(name, provider)] = v;
    for (const [name, v] of Object.entries(http.middlewares)) out.http.middlewares[qualify(name, provider)] = v;
    for (const issue of msg.issues) issues.push({ ...issue, name: qualify(issue.name, provider), provider });
  }
  return { configuration: out, issues };
}

export function issueKey(kind: ItemKind, name: string): string {
  return `${kind}:${name}`;
}
