import { basename, dirname, relative, resolve } from 'node:path';
import type { Configuration, ItemIssue, ItemKind, Message } from '../../dynamic/types.ts';
import type { FileProviderConfig } from '../../static/types.ts';
import type { Provider, ProviderStatus } from '../provider.ts';
import type { Logger } from '../../util/log.ts';
import { silentLogger } from '../../util/log.ts';
import { formatProblem, parseDynamicFile, type FileProblem, type ItemProblem } from './parse.ts';
import { mergeFiles } from './merge.ts';
import { readSnapshot, type FileSnapshot } from './read.ts';
import { DirectoryWatch } from './watch.ts';

const DEFAULT_DEBOUNCE_MS = 100;

export interface FileProviderOptions {
  logger?: Logger;
  /** Debounce of file-system events, ms (default 100): an editor's save is several events. */
  debounceMs?: number;
  cwd?: string;
}

/**
 * Traefik's file provider: one file, or every .yml/.yaml/.toml under a directory, watched by default
 * (see DirectoryWatch). A file that fails to parse or validate keeps its last good version and is
 * reported (log, provider status, a warning on each of its items); a deleted file removes its items;
 * an empty file is an empty configuration. Reads never overlap, and one that finds the same bytes as
 * the last emits nothing.
 *
 * @example
 * const file = new FileProvider({ directory: '/etc/tagway/dynamic', watch: true });
 * await file.provide((msg) => console.log(Object.keys(msg.configuration.http.routers)), signal);
 */
export class FileProvider implements Provider {
  readonly name = 'file';
  readonly #config: FileProviderConfig;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #cwd: string;
  /** Last good configuration of each file (absolute path). */
  #good = new Map<string, Configuration>();
  #problems = new Map<string, FileProblem[]>();
  /** Items a file declares that are left out for their own problems (the rest of the file applies). */
  #itemProblems = new Map<string, ItemProblem[]>();
  /** What the last emitted snapshot was read from (file → text), to skip re-reads that changed nothing. */
  #lastRead: string | undefined;
  #lastTexts: ReadonlyMap<string, string> = new Map();
  #status: ProviderStatus = { name: 'file' };
  #reads = 0;
  /** Reads that found a file emptied or gone and waited for a second read to confirm it. */
  #confirmReads = 0;
  /** The load running now; a load asked for meanwhile runs once after it (loads never overlap). */
  #loading: Promise<void> | undefined;
  #again = false;
  /** Subdirectories found by the last listing (directory mode), each watched. */
  #dirs: string[] = [];

  constructor(config: FileProviderConfig, options: FileProviderOptions = {}) {
    if (!config.filename && !config.directory) throw new Error('providers.file: set filename or directory');
    this.#config = config;
    this.#log = options.logger ?? silentLogger;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#cwd = options.cwd ?? process.cwd();
  }

  status(): ProviderStatus { return { ...this.#status }; }

  async provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    const guarded = (message: Message): void => { if (!signal.aborted) emit(message); };
    if (!this.#config.watch) { await this.#reload(guarded); return; }
    const top = resolve(this.#cwd, this.#config.directory ?? dirname(this.#config.filename!));
    const reload = async (): Promise<void> => {
      if (signal.aborted) return;
      await this.#reload(guarded);
      watcher.sync(this.#dirs);
    };
    const watcher = new DirectoryWatch(top, () => { void reload(); }, (message) => this.#fail(message), this.#debounceMs);
    signal.addEventListener('abort', () => watcher.close(), { once: true });
    // The top directory is watched before the first read, so that no edit falls between the two.
    watcher.sync([]);
    await reload();
  }

  /** Runs a load, or marks one to run right after the current one: the last emit always reflects the disk. */
  #reload(emit: (message: Message) => void): Promise<void> {
    if (this.#loading) { this.#again = true; return this.#loading; }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        try {
          await this.#load(emit);
        } catch (err) {
          this.#fail(`loading the dynamic configuration failed: ${(err as Error).message}`);
        }
      } while (this.#again);
    };
    this.#loading = run().finally(() => { this.#loading = undefined; });
    return this.#loading;
  }

  /** Lists and reads every file; undefined when the directory cannot be listed (reported). */
  async #read(): Promise<FileSnapshot | undefined> {
    try {
      const snapshot = await readSnapshot(this.#config, this.#cwd);
      this.#dirs = snapshot.dirs;
      return snapshot;
    } catch (err) {
      this.#fail(`cannot list ${this.#config.directory}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * Whether a file that had content is now empty or gone. That is also what a save looks like half-way
   * (an in-place save truncates, then writes; some tools delete, then create), and acting on it would
   * take routes away for a moment, so such a read is confirmed by a second one a debounce later.
   */
  #lostContent(texts: ReadonlyMap<string, string>): boolean {
    for (const [file, before] of this.#lastTexts) {
      if (before.trim() !== '' && (texts.get(file) ?? '').trim() === '') return true;
    }
    return false;
  }

  async #load(emit: (message: Message) => void): Promise<void> {
    let read = await this.#read();
    const debounceMs = this.#debounceMs;
    if (read && this.#lostContent(read.texts)) {
      this.#confirmReads++;
      this.#status = { ...this.#status, counters: { ...this.#status.counters, confirmReads: this.#confirmReads } };
      await new Promise<void>(function confirmLater(resolve) { setTimeout(resolve, debounceMs); });
      read = await this.#read();
    }
    if (!read) return;
    const { files, texts, unreadable } = read;
    this.#reads++;
    const signature = JSON.stringify([[...texts], [...unreadable]]);
    if (signature === this.#lastRead) {
      // Nothing to emit, but a listing or watch failure reported meanwhile is over.
      this.#setStatus(files.length, this.#status.configurationAt);
      return;
    }
    this.#lastRead = signature;
    this.#lastTexts = texts;

    for (const f of [...this.#good.keys()]) if (!texts.has(f) && !unreadable.has(f)) this.#good.delete(f);
    for (const f of [...this.#problems.keys()]) if (!texts.has(f) && !unreadable.has(f)) this.#problems.delete(f);
    for (const f of [...this.#itemProblems.keys()]) if (!texts.has(f)) this.#itemProblems.delete(f);
    for (const [file, message] of unreadable) {
      // A `filename` that is gone serves nothing until it is back; an unreadable one keeps its last good version.
      if (message === 'file not found') this.#good.delete(file);
      this.#setProblems(file, [{ file, message }]);
    }
    for (const [file, text] of texts) {
      const parsed = parseDynamicFile(file, text);
      if (parsed.ok) {
        this.#good.set(file, parsed.configuration);
        this.#setItemProblems(file, parsed.itemProblems ?? []);
        if (this.#problems.delete(file)) this.#log.info('dynamic configuration file fixed; its current version is applied', { file });
      } else {
        this.#setProblems(file, parsed.problems);
      }
    }
    const top = this.#config.directory ? resolve(this.#cwd, this.#config.directory) : undefined;
    const merged = mergeFiles(this.#good, (file) => (top ? relative(top, file) : basename(file)));
    const issues: ItemIssue[] = [...merged.issues, ...this.#staleIssues(), ...this.#leftOutIssues()];
    this.#setStatus(files.length, Date.now());
    emit({ providerName: 'file', configuration: merged.configuration, issues });
  }

  /** The status after a successful read: its error is the files' problems, nothing else. */
  #setStatus(files: number, configurationAt: number | undefined): void {
    const now = Date.now();
    // Items left out for their own problems carry them (API, `tagway check`); the status names the file's own.
    const problems = [...this.#problems.values()].flat();
    this.#status = {
      name: 'file',
      lastContact: now,
      ...(configurationAt !== undefined ? { configurationAt } : {}),
      ...(problems.length > 0 ? { error: problems.map(formatProblem).join('\n'), errorSince: this.#status.errorSince ?? now } : {}),
      counters: { files, filesWithErrors: this.#problems.size, reads: this.#reads, confirmReads: this.#confirmReads },
    };
  }

  /** Records a file's problems; logs them when they differ from what was already reported. */
  #setProblems(file: string, problems: FileProblem[]): void {
    const before = JSON.stringify(this.#problems.get(file));
    this.#problems.set(file, problems);
    if (before === JSON.stringify(problems)) return;
    const kept = this.#good.has(file) ? 'keeping the last good version of the file' : 'the file serves nothing until it is fixed';
    for (const p of problems) {
      this.#log.error(`dynamic configuration error, ${kept}: ${formatProblem(p)}`, { file: p.file, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.path ? { key: p.path } : {}) });
    }
  }

  /** Records the items a file leaves out; logs them when they differ from what was already reported. */
  #setItemProblems(file: string, problems: ItemProblem[]): void {
    const before = JSON.stringify(this.#itemProblems.get(file) ?? []);
    if (problems.length === 0) this.#itemProblems.delete(file);
    else this.#itemProblems.set(file, problems);
    if (before === JSON.stringify(problems)) return;
    for (const p of problems) {
      this.#log.error(`dynamic configuration error, ${p.kind} "${p.name}" is left out (the rest of the file applies): ${formatProblem(p)}`, { file: p.file, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.path ? { key: p.path } : {}) });
    }
  }

  /** One error per item left out for its own problems (shown in the API on the item, disabled). */
  #leftOutIssues(): ItemIssue[] {
    const byItem = new Map<string, { kind: ItemKind; name: string; messages: string[] }>();
    for (const problems of this.#itemProblems.values()) {
      for (const p of problems) {
        const key = `${p.kind}\0${p.name}`;
        const entry = byItem.get(key) ?? { kind: p.kind, name: p.name, messages: [] };
        entry.messages.push(formatProblem(p));
        byItem.set(key, entry);
      }
    }
    return [...byItem.values()].map((e) => ({ kind: e.kind, name: e.name, severity: 'error' as const, dropped: true, message: e.messages.join('; ') }));
  }

  /** Items still served from a file whose latest edit is broken carry a warning naming the problems. */
  #staleIssues(): ItemIssue[] {
    const issues: ItemIssue[] = [];
    for (const [file, problems] of this.#problems) {
      const good = this.#good.get(file);
      if (!good) continue;
      const text = problems.map(formatProblem).join('; ');
      for (const kind of ['router', 'service', 'middleware'] as ItemKind[]) {
        const items = kind === 'router' ? good.http.routers : kind === 'service' ? good.http.services : good.http.middlewares;
        for (const name of Object.keys(items)) {
          issues.push({ kind, name, severity: 'warning', dropped: false, message: `serving the last good version of ${file}; the current one has errors: ${text}` });
        }
      }
    }
    return issues;
  }

  #fail(message: string): void {
    this.#log.error(message);
    this.#status = { ...this.#status, error: message, errorSince: this.#status.errorSince ?? Date.now() };
  }
}
