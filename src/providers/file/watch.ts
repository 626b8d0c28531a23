import { watch, type FSWatcher } from 'node:fs';

/**
 * Watches a set of directories and calls `onChange` once per burst of events (debounced). Directories,
 * never files: editors save by writing a temporary file and renaming it over the old one, and Kubernetes
 * swaps a `..data` symlink, either of which leaves a watcher on the file's old inode deaf. Any event,
 * whatever the name, counts: a re-read that finds the same bytes is cheap and emits nothing.
 * One watcher per directory, as Node 20 has no reliable recursive watch on Linux.
 *
 * @example
 * const w = new DirectoryWatch('/etc/tagway', () => void reload(), (m) => log.error(m), 100);
 * w.sync(['/etc/tagway/team-a']);
 */
export class DirectoryWatch {
  readonly #top: string;
  readonly #onChange: () => void;
  readonly #onTopError: (message: string) => void;
  readonly #debounceMs: number;
  readonly #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(top: string, onChange: () => void, onTopError: (message: string) => void, debounceMs: number) {
    this.#top = top;
    this.#onChange = onChange;
    this.#onTopError = onTopError;
    this.#debounceMs = debounceMs;
  }

  /**
   * Watches exactly the top directory and `dirs`. A directory added here may have changed between the
   * read that found it and now, so adding one schedules a change.
   */
  sync(dirs: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set([this.#top, ...dirs]);
    let added = false;
    for (const dir of wanted) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.#schedule());
        w.on('error', (err) => {
          w.close();
          this.#watchers.delete(dir);
          if (dir === this.#top) this.#onTopError(`watching ${dir}: ${err.message}`);
          this.#schedule();
        });
        this.#watchers.set(dir, w);
        if (dir !== this.#top) added = true;
      } catch (err) {
        if (dir === this.#top) this.#onTopError(`cannot watch ${dir}: ${(err as Error).message}`);
      }
    }
    for (const [dir, w] of this.#watchers) if (!wanted.has(dir)) { w.close(); this.#watchers.delete(dir); }
    if (added) this.#schedule();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const onChange = this.#onChange;
    this.#timer = setTimeout(function debounced() { onChange(); }, this.#debounceMs);
  }
}
