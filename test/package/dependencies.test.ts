import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`); undefined for relative and built-in ones. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Packages the shipped code loads at run time, per source file: each file of src/ compiled as tsc
 * emits it (imports used only as types are erased), then its static and dynamic imports read back.
 */
function runtimeImports(): Map<string, Set<string>> {
  const byPackage = new Map<string, Set<string>>();
  for (const file of sources(join(ROOT, 'src'))) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    }).outputText;
    // import.meta.resolve('pkg/file') counts too: the dashboard serves its libraries' files (src/dashboard/assets.ts).
    for (const m of js.matchAll(/(?:^|[\s;])(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\bimport\.meta\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const name = packageOf(m[1] ?? m[2] ?? m[3]!);
      if (name === undefined) continue;
      if (!byPackage.has(name)) byPackage.set(name, new Set());
      byPackage.get(name)!.add(relative(ROOT, file));
    }
  }
  return byPackage;
}

/**
 * Dev dependencies src/ may name, and the one file that may: a worker thread started from the TypeScript sources
 * (tests, benches) registers tsx in that thread first (Node 20 gives a worker none of the parent's `--import` hooks);
 * from dist/ (import.meta.url ending in .js) that branch never runs, which the packed-tarball test (--omit=dev) checks.
 */
const SOURCES_ONLY = new Map([['tsx', 'src/util/worker-thread.ts']]);

test('every package in dependencies is imported by the shipped code (src/), and the shipped code imports nothing else', () => {
  const imports = runtimeImports();
  for (const [name, file] of SOURCES_ONLY) {
    assert.deepEqual([...imports.get(name) ?? []], [file], `${name} is named only by ${file}`);
    imports.delete(name);
  }
  const declared = Object.keys(pkg.dependencies).sort();
  assert.deepEqual(declared.filter((name) => !imports.has(name)), [], 'dependencies nothing in src/ imports at run time (remove them, or move them to devDependencies)');
  const undeclared = [...imports].filter(([name]) => !(name in pkg.dependencies)).map(([name, files]) => `${name} (${[...files].join(', ')})`);
  assert.deepEqual(undeclared, [], 'packages src/ imports at run time that dependencies does not list (a dev dependency is absent from an --omit=dev install)');
});

test('the reader sees what tsc keeps: a value import counts, a type-only one does not', () => {
  const read = (source: string): string => ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext } }).outputText;
  assert.match(read("import { z } from 'zod';\nexport const s = z.string();"), /from ['"]zod['"]/);
  assert.doesNotMatch(read("import type { Attributes } from '@opentelemetry/api';\nexport let a: Attributes;"), /@opentelemetry\/api/);
  assert.doesNotMatch(read("import { type Resource } from '@opentelemetry/resources';\nexport let r: Resource;"), /@opentelemetry\/resources/);
  assert.equal(packageOf('@opentelemetry/core/build/x'), '@opentelemetry/core');
  assert.equal(packageOf('node:fs'), undefined);
  assert.equal(packageOf('yaml'), 'yaml');
  assert.match(read("export const f = () => import.meta.resolve('uplot/dist/uPlot.esm.js');"), /import\.meta\.resolve\('uplot/);
});
