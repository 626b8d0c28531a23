import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Watches the certificate, key and CA files a configuration names (by path, not inline PEM), so that a
 * certificate replaced on disk (renewed by certbot, a Nomad template, a Kubernetes secret mount) is read
 * again: `onChange` runs once per burst of changes, `delayMs` after the last one (the providers' throttle).
 * Directories are watched rather than files, so an atomic replace (write, then rename) is seen too.
 * @example
 * const w = new CertificateWatch(2000, () => stage.reloadCertificates());
 * w.sync(['/etc/tagway/certs/shop.pem', '/etc/tagway/certs/shop.key']);
 */
export class CertificateWatch {
  readonly #delayMs: number;
  readonly #onChange: () => void;
  readonly #dirs = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(delayMs: number, onChange: () => void) {
    this.#delayMs = Math.max(delayMs, 20); // a write and its rename are one change
    this.#onChange = onChange;
  }

  /** Watches exactly these files from now on. */
  sync(paths: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Map<string, Set<string>>();
    for (const p of paths) {
      const abs = resolve(p);
      const names = wanted.get(dirname(abs)) ?? new Set<string>();
      names.add(basename(abs));
      wanted.set(dirname(abs), names);
    }
    for (const [dir, entry] of this.#dirs) if (!wanted.has(dir)) { entry.watcher.close(); this.#dirs.delete(dir); }
    for (const [dir, names] of wanted) {
      const existing = this.#dirs.get(dir);
      if (existing) { existing.names = names; continue; }
      try {
        const entry = { watcher: undefined as unknown as FSWatcher, names };
        entry.watcher = watch(dir, { persistent: false }, (_event, file) => {
          if (file === null || entry.names.has(basename(String(file)))) this.#schedule();
        });
        entry.watcher.on('error', () => { entry.watcher.close(); this.#dirs.delete(dir); });
        this.#dirs.set(dir, entry);
      } catch {
        // A directory that does not exist (yet): the certificate's error says so; the next build tries again.
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const { watcher } of this.#dirs.values()) watcher.close();
    this.#dirs.clear();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { if (!this.#closed) this.#onChange(); }, this.#delayMs);
    this.#timer.unref();
  }
}

/** The files a `tls` section reads (certificates, default certificates, client CAs), leaving inline PEM out. */
export function tlsFiles(tls: import('../dynamic/tls.ts').TLSConfiguration | undefined): string[] {
  if (!tls) return [];
  const out: string[] = [];
  const add = (v: string | undefined): void => { if (v && !v.includes('-----BEGIN')) out.push(v); };
  for (const c of tls.certificates ?? []) { add(c.certFile); add(c.keyFile); }
  for (const s of Object.values(tls.stores ?? {})) { add(s.defaultCertificate?.certFile); add(s.defaultCertificate?.keyFile); }
  for (const o of Object.values(tls.options ?? {})) for (const f of o.clientAuth?.caFiles ?? []) add(f);
  return out;
}
