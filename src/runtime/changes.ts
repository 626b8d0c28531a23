import { aggregate, qualify, type Aggregated, type QualifiedIssue } from '../dynamic/aggregate.ts';
import type { Configuration, Message } from '../dynamic/types.ts';
import { changesSince } from '../dynamic/changes.ts';
import type { ConfigChanges } from './build.ts';

const KINDS = ['routers', 'services', 'middlewares'] as const;

/**
 * The aggregated configuration, kept up to date provider message by provider message. Providers send whole
 * snapshots; an item that did not change is the same object in the next one (the Consul provider shares them,
 * a worker's decoded deltas too), so comparing references tells what changed, and only the items of the
 * providers that spoke are looked at. A change of the TLS section asks for a full build.
 *
 * @example
 * const agg = new ConfigurationAggregator();
 * agg.update(messages);               // { aggregated, changes: undefined }: build everything
 * agg.update(next).changes!.services // ['whoami@consulcatalog']
 */
export class ConfigurationAggregator {
  #messages = new Map<string, Message>();
  #aggregated: Aggregated | undefined;
  #tlsJson = '';

  /** `changes` is undefined when the whole configuration must be built (first one, TLS section changed). */
  update(messages: ReadonlyMap<string, Message>): { aggregated: Aggregated; changes: ConfigChanges | undefined } {
    const previous = this.#messages;
    this.#messages = new Map(messages);
    if (this.#aggregated === undefined) return { aggregated: this.#full(), changes: undefined };
    const spoke = [...new Set([...previous.keys(), ...messages.keys()])].filter((p) => previous.get(p) !== messages.get(p)).sort();
    const changes = { routers: new Set<string>(), services: new Set<string>(), middlewares: new Set<string>() };
    if (spoke.length === 0) return { aggregated: this.#aggregated, changes };
    // Sections this class does not follow item by item (a section others add later, too): a full build.
    if (spoke.some((p) => otherSectionsChanged(previous.get(p)?.configuration, messages.get(p)?.configuration))) return { aggregated: this.#full(), changes: undefined };
    if (spoke.some((p) => previous.get(p)?.configuration.tls !== messages.get(p)?.configuration.tls)) {
      const tls = JSON.stringify(aggregate(tlsOnly(messages)).configuration.tls ?? null);
      if (tls !== this.#tlsJson) return { aggregated: this.#full(), changes: undefined };
    }
    const http = this.#aggregated.configuration.http;
    for (const provider of spoke) {
      const before = previous.get(provider)?.configuration.http;
      const after = messages.get(provider)?.configuration.http;
      for (const kind of KINDS) {
        const a: Record<string, unknown> = before?.[kind] ?? {};
        const b: Record<string, unknown> = after?.[kind] ?? {};
        const into = http[kind] as Record<string, unknown>;
        const noted = changesSince(previous.get(provider), messages.get(provider));
        if (noted) {
          // The provider said which items changed: only those are looked at.
          for (const name of noted[kind]) {
            if (a[name] === b[name]) continue;
            const q = qualify(name, provider);
            if (Object.hasOwn(b, name)) into[q] = b[name]; else delete into[q];
            changes[kind].add(q);
          }
          continue;
        }
        for (const name in b) {
          if (a[name] === b[name]) continue;
          const q = qualify(name, provider);
          into[q] = b[name];
          changes[kind].add(q);
        }
        for (const name in a) {
          if (Object.hasOwn(b, name)) continue;
          const q = qualify(name, provider);
          delete into[q];
          changes[kind].add(q);
        }
      }
    }
    this.#aggregated = { configuration: this.#aggregated.configuration, issues: issuesOf(messages) };
    return { aggregated: this.#aggregated, changes };
  }

  #full(): Aggregated {
    this.#aggregated = aggregate(this.#messages);
    this.#tlsJson = JSON.stringify(this.#aggregated.configuration.tls ?? null);
    return this.#aggregated;
  }
}

function otherSectionsChanged(a: Configuration | undefined, b: Configuration | undefined): boolean {
  const ra = (a ?? {}) as unknown as Record<string, unknown>, rb = (b ?? {}) as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) if (key !== 'http' && key !== 'tls' && ra[key] !== rb[key]) return true;
  const ha = (a?.http ?? {}) as unknown as Record<string, unknown>, hb = (b?.http ?? {}) as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ha), ...Object.keys(hb)])) if (!(KINDS as readonly string[]).includes(key) && ha[key] !== hb[key]) return true;
  return false;
}

/** Every provider's issues, names qualified, providers in name order (as `aggregate` lists them). */
function issuesOf(messages: ReadonlyMap<string, Message>): QualifiedIssue[] {
  const issues: QualifiedIssue[] = [];
  for (const provider of [...messages.keys()].sort()) {
    for (const issue of messages.get(provider)!.issues) issues.push({ ...issue, name: qualify(issue.name, provider), provider });
  }
  return issues;
}

function tlsOnly(messages: ReadonlyMap<string, Message>): Map<string, Message> {
  const out = new Map<string, Message>();
  for (const [provider, m] of messages) {
    if (!m.configuration.tls) continue;
    const configuration: Configuration = { http: { routers: {}, services: {}, middlewares: {} }, tls: m.configuration.tls };
    out.set(provider, { providerName: provider, configuration, issues: [] });
  }
  return out;
}
