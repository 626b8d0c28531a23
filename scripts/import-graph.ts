/**
 * The import graph of a source tree, and its circles. Every relative import counts: static, `export … from`,
 * `import type` (a type-only import ties the two files' meaning as much as a value import) and `import()`.
 * Imports are read with TypeScript's own pre-processor (comments and strings cannot fool it).
 *
 * Run: `node --import tsx scripts/import-graph.ts [src]` prints each circle; exit code 1 when there is one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** File → the files of the tree it imports (paths relative to the tree's parent, with `/`). */
export type ImportGraph = Map<string, Set<string>>;

const SOURCE = /\.(ts|mts|tsx|js|mjs)$/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // a package or a node: builtin
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|ts|mts)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.mts`, `${stem}.tsx`, `${stem}.js`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/**
 * Reads every source file under `root` and returns its imports inside the tree. Names are relative to
 * `base` (default: the current directory), e.g. `src/http/context.ts`.
 * @example
 * const graph = importGraph('src');
 * graph.get('src/http/route.ts') // → Set { 'src/http/context.ts', 'src/http/observability.ts' }
 */
export function importGraph(root: string, base = process.cwd()): ImportGraph {
  const name = (p: string): string => relative(base, p).split('\\').join('/');
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(resolve(root))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      const target = resolveSpecifier(file, ref.fileName);
      if (target && target !== file) targets.add(name(target));
    }
    graph.set(name(file), targets);
  }
  return graph;
}

/**
 * The circles of a graph: each strongly connected set of two or more files (Tarjan), files sorted.
 * @example
 * circles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]])) // → [['a', 'b']]
 */
export function circles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const found = circles(importGraph(process.argv[2] ?? 'src'));
  for (const c of found) console.log(`circle of ${c.length}: ${c.join(', ')}`);
  console.log(`import circles: ${found.length}`);
  process.exitCode = found.length > 0 ? 1 : 0;
}
