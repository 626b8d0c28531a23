import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileProviderConfig } from '../../static/types.ts';

const EXTENSIONS = ['.yml', '.yaml', '.toml'];
/** Subdirectory depth read under `directory` (a bound for deep trees; symlinked directories are not followed). */
const MAX_DEPTH = 8;

/** One read of the provider's files: their text, or why they could not be read. */
export interface FileSnapshot {
  files: string[];
  /** Subdirectories listed (directory mode), to watch. */
  dirs: string[];
  texts: Map<string, string>;
  /** File → message, for files listed (or named by `filename`) that could not be read. */
  unreadable: Map<string, string>;
}

/**
 * Lists and reads the files: `filename`, or every .yml/.yaml/.toml under `directory` and its
 * subdirectories (as Traefik), in name order. Names starting with a dot are skipped: editor swap files,
 * and the `..data` and `..<timestamp>` entries of a Kubernetes ConfigMap volume, whose files are also
 * linked from the top. Throws when the directory cannot be listed.
 *
 * @example
 * const { texts } = await readSnapshot({ directory: 'dynamic', watch: true }, process.cwd());
 */
export async function readSnapshot(config: FileProviderConfig, cwd: string): Promise<FileSnapshot> {
  const files: string[] = [];
  const dirs: string[] = [];
  if (config.filename) files.push(resolve(cwd, config.filename));
  else await walk(resolve(cwd, config.directory!), 0, files, dirs);
  const texts = new Map<string, string>();
  const unreadable = new Map<string, string>();
  for (const file of files) {
    try {
      texts.set(file, await readFile(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A file that vanished between listing and reading is a deleted file; a missing `filename` is reported.
      if (code === 'ENOENT' && config.directory) continue;
      unreadable.set(file, code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`);
    }
  }
  return { files, dirs, texts, unreadable };
}

async function walk(dir: string, depth: number, files: string[], dirs: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth >= MAX_DEPTH) continue;
      dirs.push(path);
      try { await walk(path, depth + 1, files, dirs); } catch { /* removed while listing: its event re-reads */ }
    } else if (EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) {
      files.push(path);
    }
  }
}
