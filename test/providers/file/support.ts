import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger, type Logger } from '../../../src/util/log.ts';

/** A fresh temporary directory, removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes a file the way editors save: to a temporary name in the same directory, then a rename over the
 * target (the inode changes, which is what breaks a watcher on the file itself).
 */
export async function saveAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp~`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** A logger that keeps every line (INFO and up) for assertions. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'INFO', write: (line) => lines.push(line) }), lines };
}
