import { readdir, readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Configuration, ItemIssue, ItemKind, Message } from '../../dynamic/types.ts';
import type { FileProviderConfig } from '../../static/types.ts';
import type { Provider, ProviderStatus } from '../provider.ts';
import type { Logger } from '../../util/log.ts';
import { silentLogger } from '../../util/log.ts';
import { formatProblem, parseDynamicFile, type FileProblem } from './parse.ts';
import { mergeFiles } from './merge.ts';

const EXTENSIONS = ['.yml', '.yaml', '.toml'];

export interface FileProviderOptions {
  logger?: Logger;
  /** Debounce of file-system events, ms (default 100): an editor's save is several events. */
  debounceMs?: number;
  cwd?: string;
}

/**
 * Traefik's file provider: one file or every .yml/.yaml/.toml in a directory, watched by default.
 * A file that fails to parse or validate keeps its last good version and is reported; a deleted
 * file removes its items; an empty file is an empty configuration.
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
  #status: ProviderStatus = { name: 'file' };

  constructor(config: FileProviderConfig, options: FileProviderOptions = {}) {
    if (!config.filename && !config.directory) throw new Error('providers.file: set filename or directory');
    this.#config = config;
    this.#log = options.logger ?? silentLogger;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#cwd = options.cwd ?? process.cwd();
  }

  status(): ProviderStatus { return { ...this.#status }; }

  async provide(emit: (message: Message) => void, signal: AbortSignal): Promise<void> {
    await this.#load(emit);
    if (!this.#config.watch || signal.aborted) return;
    const target = resolve(this.#cwd, this.#config.directory ?? dirname(this.#config.filename!));
    const only = this.#config.directory ? undefined : basename(this.#config.filename!);
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher;
    try {
      watcher = watch(target, { persistent: false }, (_event, name) => {
        if (only && name && name !== only) return;
        clearTimeout(timer);
        timer = setTimeout(() => { void this.#load(emit); }, this.#debounceMs);
      });
    } catch (err) {
      this.#fail(`cannot watch ${target}: ${(err as Error).message}`);
      return;
    }
    watcher.on('error', (err) => this.#fail(`watching ${target}: ${err.message}`));
    signal.addEventListener('abort', () => { clearTimeout(timer); watcher.close(); }, { once: true });
  }

  async #files(): Promise<string[]> {
    if (this.#config.filename) return [resolve(this.#cwd, this.#config.filename)];
    const dir = resolve(this.#cwd, this.#config.directory!);
    const names = await readdir(dir);
    return names.filter((n) => EXTENSIONS.some((e) => n.toLowerCase().endsWith(e)) && !n.startsWith('.')).sort().map((n) => join(dir, n));
  }

  async #load(emit: (message: Message) => void): Promise<void> {
    let files: string[];
    try {
      files = await this.#files();
    } catch (err) {
      this.#fail(`cannot list ${this.#config.directory}: ${(err as Error).message}`);
      return;
    }
    const present = new Set(files);
    for (const f of [...this.#good.keys()]) if (!present.has(f)) this.#good.delete(f);
    for (const f of [...this.#problems.keys()]) if (!present.has(f)) this.#problems.delete(f);
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') { this.#good.delete(file); this.#problems.delete(file); continue; }
        this.#problems.set(file, [{ file, message: `cannot read: ${(err as Error).message}` }]);
        continue;
      }
      const parsed = parseDynamicFile(file, text);
      if (parsed.ok) {
        this.#good.set(file, parsed.configuration);
        if (this.#problems.delete(file)) this.#log.info('file fixed; configuration applied', { file });
      } else {
        const before = JSON.stringify(this.#problems.get(file));
        this.#problems.set(file, parsed.problems);
        if (before !== JSON.stringify(parsed.problems)) {
          for (const p of parsed.problems) this.#log.error(`dynamic configuration error, keeping the last good version of the file: ${formatProblem(p)}`);
        }
      }
    }
    const merged = mergeFiles(this.#good);
    const issues: ItemIssue[] = [...merged.issues];
    // Items still served from a file whose latest edit is broken carry a warning naming the problem.
    for (const [file, problems] of this.#problems) {
      const good = this.#good.get(file);
      const text = problems.map(formatProblem).join('; ');
      if (!good) continue;
      for (const kind of ['router', 'service', 'middleware'] as ItemKind[]) {
        const items = kind === 'router' ? good.http.routers : kind === 'service' ? good.http.services : good.http.middlewares;
        for (const name of Object.keys(items)) {
          issues.push({ kind, name, severity: 'warning', dropped: false, message: `serving the last good version of ${file}; the current one has errors: ${text}` });
        }
      }
    }
    const now = Date.now();
    const allProblems = [...this.#problems.values()].flat();
    this.#status = {
      name: 'file',
      lastContact: now,
      configurationAt: now,
      ...(allProblems.length > 0 ? { error: allProblems.map(formatProblem).join('\n'), errorSince: this.#status.errorSince ?? now } : {}),
      counters: { files: files.length, filesWithErrors: this.#problems.size },
    };
    emit({ providerName: 'file', configuration: merged.configuration, issues });
  }

  #fail(message: string): void {
    this.#log.error(message);
    this.#status = { ...this.#status, error: message, errorSince: this.#status.errorSince ?? Date.now() };
  }
}
