import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` that sits beside the caller (`base` is the caller's
 * `import.meta.url`). Production runs built JavaScript (dist/), and the thread loads `name.js` directly. When the
 * sources run as TypeScript (tests and benches run with `--import tsx`), Node 20 gives a worker none of the parent's
 * `--import` hooks, so the thread registers tsx first and then imports `name.ts`; that branch never runs from dist/,
 * which the packed-tarball test (installed with --omit=dev) checks.
 *
 * @example
 * const worker = startModuleThread(import.meta.url, 'export-worker', { workerData, name: 'tagway-otlp-export' });
 */
export function startModuleThread(base: string, name: string, options: WorkerOptions): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, base).href;
  return new Worker(`const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`, { ...options, eval: true });
}
