import type { Configuration, ItemIssue, ItemKind } from '../../dynamic/types.ts';
import { cachedServicePart, finishIssues, optionsKeyOf, prepareBuildOptions, type BuildOptions, type ConnectTarget, type PendingIssue, type Prepared, type ServicePart } from './builder.ts';
import type { ServiceInstance } from './instance.ts';
import { deepEqual, mergeFragments, type Conflict } from './merge.ts';

type Section = 'routers' | 'services' | 'middlewares';
const SECTION: Record<ItemKind, Section> = { router: 'routers', service: 'services', middleware: 'middlewares' };

export interface CatalogBuildResult {
  configuration: Configuration;
  issues: ItemIssue[];
  /** Log lines of the services built this time. */
  log: string[];
  /**
   * Item names whose value differs from the previous result (added, removed or replaced). The maps of
   * `configuration.http` are the same objects from one result to the next, patched in place: this is the only
   * record of what changed (the provider's message notes it: dynamic/changes.ts).
   */
  changed: Record<Section, string[]>;
}

/**
 * `buildConfigurationByService`, kept between builds: a service whose instance list is a new array is built
 * again and only the item names it declared or declares are merged again (with the other services declaring the
 * same name, Traefik's merge being per name). The issues are gathered again only when a service with issues or a
 * conflict is involved. Each result's item maps are the build's own, patched in place (a copy per change was the
 * largest cost of a health flip at 5,000 services), so unchanged items are the same objects and `changed` names the
 * rest.
 *
 * @example
 * const build = new CatalogBuild(options);
 * build.update(instancesByService).changed // { routers: [], services: ['whoami'], middlewares: [] } after a health flip
 */
export class CatalogBuild {
  readonly #options: BuildOptions;
  readonly #key: string;
  readonly #prepared: Prepared;
  readonly #groups = new Map<string, readonly ServiceInstance[]>();
  readonly #parts = new Map<string, ServicePart>();
  /** The services whose part asks for Connect transports (usually none: then nothing is walked per build). */
  readonly #connectParts = new Set<string>();
  /** `kind\0name` → the services declaring it. */
  readonly #declarers = new Map<string, Set<string>>();
  readonly #items: Configuration['http'] = { routers: {}, services: {}, middlewares: {} };
  readonly #conflicts = new Map<string, Conflict[]>();
  #issues: ItemIssue[] = [];

  constructor(options: BuildOptions) {
    this.#options = options;
    this.#key = optionsKeyOf(options);
    this.#prepared = prepareBuildOptions(options);
  }

  /** Connect: the transports the current services' instances ask for (see `ConnectOverlay`). */
  connectTargets(): ConnectTarget[] {
    if (this.#connectParts.size === 0) return [];
    return [...this.#parts.values()].flatMap((p) => p.connect);
  }

  update(groups: ReadonlyMap<string, readonly ServiceInstance[]>): CatalogBuildResult {
    // The groups that are new arrays (a look-up each: no copy of 5,000 entries per change).
    const touched: string[] = [];
    let kept = 0;
    for (const [name, group] of groups) {
      const was = this.#groups.get(name);
      if (was === undefined) touched.push(name); else { kept++; if (was !== group) touched.push(name); }
    }
    // Some of the groups known before are gone (only then is the old list walked).
    if (kept < this.#groups.size) for (const name of this.#groups.keys()) if (!groups.has(name)) touched.push(name);
    for (const name of touched) {
      const group = groups.get(name);
      if (group === undefined) this.#groups.delete(name); else this.#groups.set(name, group);
    }
    const affected = new Set<string>();
    const log: string[] = [];
    let issuesDirty = false;
    for (const name of touched.sort()) {
      const before = this.#parts.get(name);
      const group = groups.get(name);
      const after = group ? cachedServicePart(name, group, this.#options, this.#key, this.#prepared) : undefined;
      if (before === after) continue;
      if (before) for (const key of before.declared) { affected.add(key); this.#declarers.get(key)?.delete(name); }
      if (after) {
        for (const key of after.declared) {
          affected.add(key);
          const set = this.#declarers.get(key);
          if (set) set.add(name); else this.#declarers.set(key, new Set([name]));
        }
        this.#parts.set(name, after);
        log.push(...after.log);
      } else this.#parts.delete(name);
      if (after && after.connect.length > 0) this.#connectParts.add(name); else this.#connectParts.delete(name);
      if ((before?.pending.length ?? 0) > 0 || (after?.pending.length ?? 0) > 0) issuesDirty = true;
    }

    const changed: Record<Section, string[]> = { routers: [], services: [], middlewares: [] };
    for (const key of affected) {
      const [kind, name] = key.split('\0') as [ItemKind, string];
      const section = this.#items[SECTION[kind]] as Record<string, unknown>;
      const services = this.#declarers.get(key);
      let item: unknown;
      let conflicts: Conflict[] = [];
      if (!services || services.size === 0) {
        this.#declarers.delete(key);
      } else if (services.size === 1) {
        const local = this.#parts.get([...services][0]!)!.local;
        item = (local.configuration.http[SECTION[kind]] as Record<string, unknown>)[name];
        conflicts = local.conflicts.filter((c) => c.kind === kind && c.name === name);
      } else {
        // A name several services declare: merged over their fragments, as the full build does.
        const merged = mergeFragments([...services].sort().flatMap((s) => this.#parts.get(s)!.fragments));
        item = (merged.configuration.http[SECTION[kind]] as Record<string, unknown>)[name];
        conflicts = merged.conflicts.filter((c) => c.kind === kind && c.name === name);
      }
      if ((this.#conflicts.get(key)?.length ?? 0) > 0 || conflicts.length > 0) issuesDirty = true;
      if (conflicts.length > 0) this.#conflicts.set(key, conflicts); else this.#conflicts.delete(key);
      // Equal to what was there (another instance's identical copy): the previous object stays.
      if (section[name] === item || (section[name] !== undefined && item !== undefined && deepEqual(section[name], item))) continue;
      if (item === undefined) delete section[name]; else section[name] = item;
      changed[SECTION[kind]].push(name);
    }

    // The item maps are this build's own, patched in place and shared by every result (a change costs its items, not
    // a copy of 3 × 5,000 entries): a result is valid until the next update, and `changed` says what moved.
    const configuration: Configuration = { http: { routers: this.#items.routers, services: this.#items.services, middlewares: this.#items.middlewares } };
    // Router warnings and dropped services read the whole configuration: gathered again when issues can move.
    const anyChanged = changed.routers.length + changed.services.length + changed.middlewares.length > 0;
    if (issuesDirty || (anyChanged && this.#issues.length > 0)) {
      const pending: PendingIssue[] = [];
      for (const name of [...this.#parts.keys()].sort()) pending.push(...this.#parts.get(name)!.pending);
      this.#issues = finishIssues(pending, [...this.#conflicts.values()].flat(), configuration, this.#options);
    }
    return { configuration, issues: this.#issues, log, changed };
  }
}
