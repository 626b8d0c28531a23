import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from there, as `npm run` would. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs `node --import tsx src/cli.ts …args` to completion (bounded), as an operator would. */
export function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') { reject(new Error(`${err.message}\n${stderr}`)); return; }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Starts the CLI as a long-running child (the demo); the caller stops it. `env` adds variables. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
}

/**
 * Calls `onLine` with each JSON line the child writes on stdout or stderr (`--log.format=json`); other lines are
 * skipped. A line split across chunks is put back together first.
 */
export function onJsonLines<T>(child: ChildProcess, onLine: (line: T) => void): void {
  let output = '';
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    let nl: number;
    while ((nl = output.indexOf('\n')) !== -1) {
      const raw = output.slice(0, nl);
      output = output.slice(nl + 1);
      let line: T;
      try { line = JSON.parse(raw) as T; } catch { continue; }
      onLine(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
}
