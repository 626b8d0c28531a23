import type { EntryPointConfig } from './types.ts';
import { ADMIN_ENTRY_POINT } from './schema.ts';

/**
 * The entry points of a router that names none (Traefik v3 `getDefaultsEntrypoints`): those marked
 * `asDefault`, or every entry point when none is marked; never the admin entry point `traefik`
 * (even when marked), sorted by name.
 *
 * @example
 * defaultEntryPoints({ web: { asDefault: true, … }, websecure: { asDefault: false, … }, traefik: … }) // ['web']
 */
export function defaultEntryPoints(entryPoints: Readonly<Record<string, Pick<EntryPointConfig, 'asDefault'>>>): string[] {
  const names = Object.keys(entryPoints);
  const marked = names.some((n) => entryPoints[n]!.asDefault);
  return names.filter((n) => n !== ADMIN_ENTRY_POINT.name && (!marked || entryPoints[n]!.asDefault)).sort();
}
