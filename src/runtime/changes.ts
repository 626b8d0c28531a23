import { isDeepStrictEqual } from 'node:util';
import { aggregate, qualify, type Aggregated, type QualifiedIssue } from '../dynamic/aggregate.ts';
import type { Configuration, Message } from '../dynamic/types.ts';
import { changesSince } from '../dynamic/changes.ts';
import type { ConfigChanges } from './build.ts';

const KINDS = ['routers', 'services', 'middlewares'] as const;

/** The items of one provider as the aggregator last took them (by kind, by name as the provider wrote it). */
type Taken = Record<typeof KINDS[number], Map<string, unknown>>;

/**
 * The aggregated configuration, kept up to date provider message by provider message. Providers send whole
 * snapshots; an item that did not change is the same object in the next one (the Consul provider shares them,
 * a worker's decoded deltas too), so comparing references tells what changed, and only the items of the
 * providers that spoke are looked at — only those a provider noted as changed, when it did. Comparisons are
 * against what this aggregator took last (its own record), never against the provider's previous message, so a
 * provider may patch its item maps in place (a worker's delta receiver does). A change of the TLS section asks
 * for a full build.
 *
 * @example
 * const agg = new ConfigurationAggregator();
 * agg.update(messages);               // { aggregated, changes: undefined }: build everything
 * agg.update(next).changes!.services // ['whoami@consulcatalog']
 */
export class ConfigurationAggregator {
  #messages = new Map<string, Message>();
  #aggregated: Aggregated | undefined;
  #taken = new Map<string, Taken>();
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
      const after = messages.get(provider)?.configuration.http;
      const noted = changesSince(previous.get(provider), messages.get(provider));
      let taken = this.#taken.get(provider);
      if (taken === undefined) this.#taken.set(provider, taken = { routers: new Map(), services: new Map(), middlewares: new Map() });
      for (const kind of KINDS) {
        const b: Record<string, unknown> = after?.[kind] ?? {};
        const mine = taken[kind];
        const into = http[kind] as Record<string, unknown>;
        const take = (name: string, compare: boolean): void => {
          const value = Object.hasOwn(b, name) ? b[name] : undefined;
          const had = mine.get(name);
          if (had === value) return;
          const q = qualify(name, provider);
          if (value === undefined) { delete into[q]; mine.delete(name); changes[kind].add(q); return; }
          mine.set(name, value);
          // A message the provider did not note (a thread's or a worker's snapshot: every item a new object) is
          // compared by value: an item equal to the one built keeps its build (the configuration keeps its object).
          if (compare && had !== undefined && isDeepStrictEqual(had, value)) return;
          into[q] = value;
          changes[kind].add(q);
        };
        if (noted) {
          // The provider said which items changed: only those are looked at.
          for (const name of noted[kind]) take(name, false);
          continue;
        }
        for (const name in b) take(name, true);
        for (const name of [...mine.keys()]) if (!Object.hasOwn(b, name)) take(name, true);
      }
      if (!messages.has(provider)) this.#taken.delete(provider);
    }
    const issuesMoved = spoke.some((p) => previous.get(p)?.issues !== messages.get(p)?.issues);
    this.#aggregated = { configuration: this.#aggregated.configuration, issues: issuesMoved ? issuesOf(messages) : this.#aggregated.issues };
    return { aggregated: this.#aggregated, changes };
  }

  #full(): Aggregated {
    this.#aggregated = aggregate(this.#messages);
    this.#tlsJson = JSON.stringify(this.#aggregated.configuration.tls ?? null);
    this.#taken = new Map();
    for (const [provider, m] of this.#messages) {
      const http = m.configuration.http;
      this.#taken.set(provider, { routers: new Map(Object.entries(http.routers)), services: new Map(Object.entries(http.services)), middlewares: new Map(Object.entries(http.middlewares)) });
    }
    return this.#aggregated;
  }
}

function otherSectionsChanged(a: Configuration | undefined, b: Configuration | undefined): boolean {
  const differ = (x: unknown, y: unknown): boolean => x !== y && !isDeepStrictEqual(x, y);
  const ra = (a ?? {}) as unknown as Record<string, unknown>, rb = (b ?? {}) as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) if (key !== 'http' && key !== 'tls' && differ(ra[key], rb[key])) return true;
  const ha = (a?.http ?? {}) as unknown as Record<string, unknown>, hb = (b?.http ?? {}) as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ha), ...Object.keys(hb)])) if (!(KINDS as readonly string[]).includes(key) && differ(ha[key], hb[key])) return true;
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
