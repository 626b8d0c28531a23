/**
 * What the bench runs is JavaScript, as production runs it: tagway from `dist/` (tsc with tsconfig.build.json,
 * what `npm run build` and the Docker image run), the bench's own helpers (upstream, OTLP sink, load generator,
 * fastify) transpiled once into `.bench-out/js/`. Through `--import tsx` every Node target paid for the loader
 * (a profile of tagway showed `fileURLToPath` on every request: source-mapped stack traces) and figures were
 * not production's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import ts from 'typescript';

/** The newest mtime (ms) of the files under `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/**
 * Builds tagway in `root` (this tree, or BENCH_BASELINE's) with its own `npm run build` unless `dist/cli.js` is newer
 * than every file of `src/`; returns the path of `dist/cli.js`.
 */
export function builtGateway(root: string, log: (line: string) => void): string {
  const cli = resolve(root, 'dist', 'cli.js');
  if (existsSync(cli) && statSync(cli).mtimeMs > newest(resolve(root, 'src'))) return cli;
  log(`building tagway in ${root} (npm run build)…`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  if (!existsSync(cli)) throw new Error(`npm run build in ${root} wrote no dist/cli.js`);
  return cli;
}

const HELPERS = resolve('.bench-out', 'js');

/**
 * A bench helper (`bench/lib/upstream.ts`…, files importing packages and node: modules only) transpiled to
 * `.bench-out/js/<name>.js` (packages resolve from the repo's node_modules, above it); returns that path.
 */
export function compiledHelper(file: string): string {
  const out = join(HELPERS, basename(file).replace(/\.ts$/, '.js'));
  if (existsSync(out) && statSync(out).mtimeMs > statSync(file).mtimeMs) return out;
  const source = readFileSync(file, 'utf8');
  if (/^import[^'"]*['"]\.{1,2}\//m.test(source)) throw new Error(`${file} imports a relative module: compiledHelper takes self-contained helpers only`);
  const js = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true, verbatimModuleSyntax: false },
  }).outputText;
  mkdirSync(HELPERS, { recursive: true });
  writeFileSync(out, js);
  return out;
}
