import { isDeepStrictEqual } from 'node:util';
import { basename } from 'node:path';
import { emptyConfiguration, type Configuration, type ItemIssue, type ItemKind } from '../../dynamic/types.ts';

/**
 * Merges the files of a directory. An item that two files define identically is kept once; defined
 * differently, it is dropped and reported with both files (as the catalog's conflicting instances).
 * `label` names a file in messages (default: its base name).
 *
 * @example
 * mergeFiles(new Map([['/d/a.yml', a], ['/d/b.yml', b]])).issues // [{ kind: 'router', name: 'r', dropped: true, ... }]
 */
export function mergeFiles(
  files: ReadonlyMap<string, Configuration>,
  label: (file: string) => string = basename,
): { configuration: Configuration; issues: ItemIssue[] } {
  const out: Configuration = emptyConfiguration();
  const issues: ItemIssue[] = [];
  const origin = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  for (const [file, conf] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const kind of ['router', 'service', 'middleware'] as ItemKind[]) {
      const from = pick(conf, kind);
      const into = pick(out, kind);
      for (const [name, item] of Object.entries(from)) {
        const key = `${kind}:${name}`;
        if (conflicted.has(key)) { conflicted.get(key)!.add(label(file)); continue; }
        if (!(name in into)) { into[name] = item; origin.set(key, label(file)); continue; }
        if (isDeepStrictEqual(into[name], item)) continue;
        delete into[name];
        conflicted.set(key, new Set([origin.get(key)!, label(file)]));
      }
    }
  }
  for (const [, conf] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) if (conf.tls) mergeTLS(out, conf.tls);
  // serversTransports by name, the first file (by name) wins, as TLS options.
  for (const [, conf] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const [name, st] of Object.entries(conf.http.serversTransports ?? {})) if (!out.http.serversTransports?.[name]) (out.http.serversTransports ??= {})[name] = st;
  }
  for (const [key, where] of conflicted) {
    const [kind, name] = [key.slice(0, key.indexOf(':')) as ItemKind, key.slice(key.indexOf(':') + 1)];
    issues.push({ kind, name, severity: 'error', dropped: true, message: `${kind} "${name}" is defined differently in ${[...where].join(' and ')}; it is not served until the definitions agree` });
  }
  return { configuration: out, issues };
}

function pick(conf: Configuration, kind: ItemKind): Record<string, unknown> {
  return (kind === 'router' ? conf.http.routers : kind === 'service' ? conf.http.services : conf.http.middlewares) as Record<string, unknown>;
}

/** `tls` of several files: certificates add up; options and stores by name, the first file (by name) wins. */
function mergeTLS(out: Configuration, tls: NonNullable<Configuration['tls']>): void {
  const into = (out.tls ??= {});
  if (tls.certificates?.length) into.certificates = [...(into.certificates ?? []), ...tls.certificates];
  for (const [name, o] of Object.entries(tls.options ?? {})) if (!into.options?.[name]) (into.options ??= {})[name] = o;
  for (const [name, st] of Object.entries(tls.stores ?? {})) if (!into.stores?.[name]) (into.stores ??= {})[name] = st;
}
