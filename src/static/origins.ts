/**
 * Where each static option came from: the file, a flag or a `TAGWAY_*` variable (the loader's layers),
 * else the schema's default. The loader records its layers against the config it returns; a config
 * built in code (tests, benches) has no record, and then any value that differs from the default counts
 * as the file's.
 */
export type StaticOrigin = 'file' | 'flag' | 'env' | 'default';

type Tree = Record<string, unknown>;
interface Layers { file: Tree; flag: Tree; env: Tree }

const recorded = new WeakMap<object, { layers: Layers; prefix: readonly string[] }>();

/** Called by the loader: `config` (and its sections, by `sections`) came from these layers. */
export function recordOrigins(config: object, layers: Layers, sections: Record<string, object | undefined> = {}): void {
  recorded.set(config, { layers, prefix: [] });
  for (const [name, section] of Object.entries(sections)) if (section !== undefined) recorded.set(section, { layers, prefix: [name] });
}

/**
 * The origin of the option at `path` below `section` (a config or one of its recorded sections).
 *
 * @example
 * staticOrigin(config.tracing, ['otlp', 'http', 'endpoint'], defaults.otlp.http.endpoint) // → 'flag' after --tracing.otlp.http.endpoint=…
 */
export function staticOrigin(section: object, path: readonly string[], defaultValue: unknown, value: unknown): StaticOrigin {
  const record = recorded.get(section);
  if (record === undefined) return JSON.stringify(value) === JSON.stringify(defaultValue) ? 'default' : 'file';
  const full = [...record.prefix, ...path];
  if (has(record.layers.env, full)) return 'env';
  if (has(record.layers.flag, full)) return 'flag';
  if (has(record.layers.file, full)) return 'file';
  return 'default';
}

/** Names match case-insensitively, as the loader merges them. */
function has(tree: unknown, path: readonly string[]): boolean {
  let node = tree;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
    const key = Object.keys(node).find((k) => k.toLowerCase() === seg.toLowerCase());
    if (key === undefined) return false;
    node = (node as Tree)[key];
  }
  return true;
}
