import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { processTree } from './procstat.ts';

/**
 * Child processes of the benchmark: spawned pinned to CPU cores (when `taskset` exists), tracked in one
 * registry and killed on exit, on SIGINT/SIGTERM and when the run's watchdog fires — a benchmark that
 * leaves a proxy listening behind it poisons the next run.
 */

/** Whether `taskset` can pin processes here; checked once. */
export const CAN_PIN: boolean = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;

export interface Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the child wrote to stderr (last 8 KiB), for error messages. */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the child is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Spawned>();
let bailing = false;

/** True once a signal or the watchdog has started tearing the run down: callers stop measuring. */
export function interrupted(): boolean { return bailing; }

export interface SpawnOptions {
  /** CPU list for taskset, e.g. "0" or "0,1"; ignored when taskset is missing. */
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Line written to stdout that means "ready"; the promise resolves with the first matching line. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** Receives stdout (utf8) from the start; without it and without `readyLine` stdout is discarded. */
  onStdout?: (chunk: string) => void;
  /** A pipe to the child's stdin (`child.stdin`); otherwise stdin is /dev/null. */
  stdin?: boolean;
}

/**
 * Spawns `cmd args…` (under `taskset -c cpus` when possible) and, with `readyLine`, waits for a line of
 * stdout that matches it. Rejects with the child's stderr when it exits or times out first.
 *
 * @example
 * const up = await spawnChild('upstream', process.execPath, ['--import', 'tsx', 'bench/lib/upstream.ts'], { cpus: '1', readyLine: /^READY (\d+)/ });
 * const port = Number(up.ready?.[1]);
 */
export async function spawnChild(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Spawned & { ready?: RegExpMatchArray }> {
  const [file, argv] = opts.cpus !== undefined && CAN_PIN ? ['taskset', ['-c', opts.cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err = (err + chunk).slice(-8192); });
  // 'close' waits for stdout to drain too (the load generator's RESULT line comes last).
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const spawned: Spawned = {
    name, child, exited, stderr: () => err,
    stop(graceMs = 3000) {
      stopping ??= (async function stopChild() {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          // nginx and tagway's cluster have workers: remember them, in case the root dies first.
          const tree = processTree(child.pid);
          child.kill('SIGTERM');
          const timer = setTimeout(() => killTree(tree), graceMs);
          await gone;
          clearTimeout(timer);
          await new Promise((r) => setTimeout(r, 200));
          killTree(tree.slice(1));
        }
        live.delete(spawned);
      })();
      return stopping;
    },
  };
  live.add(spawned);
  exited.then(() => live.delete(spawned), () => {});
  child.stdout!.setEncoding('utf8');
  if (opts.onStdout) child.stdout!.on('data', opts.onStdout);
  if (!opts.readyLine) { child.stdout!.resume(); return spawned; }
  const readyLine = opts.readyLine;
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${opts.readyTimeoutMs ?? 30_000} ms\n${err}`)), opts.readyTimeoutMs ?? 30_000);
    const onData = (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n')) {
        const m = line.match(readyLine);
        if (m) { clearTimeout(timer); child.stdout!.off('data', onData).resume(); resolve(m); return; }
      }
    };
    child.stdout!.on('data', onData);
    exited.then((code) => { clearTimeout(timer); reject(new Error(`${name}: exited (${code}) before it was ready\n${err}`)); });
  }).catch(async (e: unknown) => { await spawned.stop(500); throw e; });
  return Object.assign(spawned, { ready });
}

/** Stops every child still running (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((s) => s.stop(graceMs)));
}

function killTree(pids: number[]): void {
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ } }
}

/** Synchronous last resort for `process.on('exit')`: SIGKILL whatever is left, workers first. */
function killAllNow(): void {
  for (const s of live) if (s.child.pid !== undefined) killTree(processTree(s.child.pid).reverse());
}

/**
 * Installs the handlers that keep the machine clean: exit, SIGINT/SIGTERM, uncaught errors and a
 * watchdog that ends the run after `maxMs` whatever happens.
 */
export function installCleanup(maxMs: number, log: (line: string) => void): void {
  process.on('exit', killAllNow);
  const bail = (why: string, code: number) => {
    if (bailing) return;
    bailing = true;
    process.exitCode = code;
    log(`\nbench: ${why}; stopping ${live.size} child process(es)`);
    stopAll(1000).finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail('interrupted', 130));
  process.once('SIGTERM', () => bail('terminated', 143));
  process.on('uncaughtException', (e) => bail(`uncaught error: ${e.stack ?? e.message}`, 1));
  setTimeout(() => bail(`watchdog: the run exceeded ${Math.round(maxMs / 1000)} s`, 2), maxMs).unref();
}

/** A free TCP port on 127.0.0.1 (for children that take their address as a flag). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Waits until every path answers 200 through a child listening on 127.0.0.1:`port` (polled every 200 ms, for 30 s at
 * most), and fails at once with its stderr if the child exits first.
 */
export async function waitForRoutes(port: number, proc: Spawned, paths: readonly string[]): Promise<void> {
  const ok = (path: string): Promise<boolean> => new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.end();
  });
  for (let i = 0; i < 150; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited:\n${proc.stderr()}`);
    let all = true;
    for (const path of paths) if (!(await ok(path))) { all = false; break; }
    if (all) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name}: not ready on ${port}\n${proc.stderr()}`);
}
