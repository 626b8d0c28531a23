import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Packages that would mean TypeScript is compiled at run time. */
const LOADERS = ['tsx', 'typescript', 'ts-node', 'esbuild', '@esbuild', '@swc', 'jiti', 'sucrase'];

/** Whether the configured npm registry answers (CI reaches it; a sandbox without network may not). */
async function registryReachable(): Promise<string | undefined> {
  const registry = execFileSync(NPM, ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const res = await fetch(new URL('-/ping', registry.endsWith('/') ? registry : `${registry}/`), { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return undefined;
  } catch (err) {
    return `npm registry ${registry} unreachable (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}): cannot install the tarball's dependencies`;
  }
}

/** Every package folder under node_modules (scoped ones as `@scope/name`), nested ones included. */
function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      out.push(name);
      out.push(...installedPackages(join(nodeModules, name, 'node_modules')));
    }
  }
  return out;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

test('npm pack, then an --omit=dev install of the tarball in an empty folder: tagway runs JavaScript, no TypeScript loader installed', { timeout: 600_000 }, async (t) => {
  const unreachable = await registryReachable();
  if (unreachable) { t.skip(unreachable); return; }
  const work = mkdtempSync(join(tmpdir(), 'tagway-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // prepack builds dist/ with tsc
  const packed = JSON.parse((await run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 64 << 20 })).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const shipped = packed[0]!.files.map((f) => f.path);
  assert.ok(shipped.includes('bin/tagway.js') && shipped.includes('dist/cli.js'), 'the tarball holds the entry and the compiled CLI');
  assert.deepEqual(shipped.filter((p) => /\.(ts|mts|cts)$/.test(p) && !p.endsWith('.d.ts')), [], 'no TypeScript source in the tarball');
  assert.deepEqual(shipped.filter((p) => p.startsWith('src/') || p.startsWith('test/')), []);
  assert.ok(shipped.includes('webui/app.js') && shipped.includes('webui/style.css'), 'the dashboard\'s modules ship with the package');

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tagway-install-check', private: true }));
  await run(NPM, ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', join(work, packed[0]!.filename)], { cwd: app, maxBuffer: 64 << 20 });

  const installed = installedPackages(join(app, 'node_modules'));
  assert.ok(installed.includes('tagway') && installed.includes('zod'), 'tagway and its dependencies are installed');
  assert.deepEqual(installed.filter((name) => LOADERS.some((l) => name === l || name.startsWith(`${l}/`))), [], 'no TypeScript loader or compiler in the installed tree');
  const tagwayFiles = files(join(app, 'node_modules', 'tagway'));
  assert.deepEqual(tagwayFiles.filter((p) => /\.(ts|mts|cts)$/.test(p) && !p.endsWith('.d.ts')), []);

  // The dashboard's files resolve from the installed package: its own modules and its libraries (no CDN).
  const assets = join(app, 'node_modules', 'tagway', 'dist', 'dashboard', 'assets.js');
  const served = await run(process.execPath, ['--input-type=module', '-e', `const { dashboardAsset } = await import(${JSON.stringify(pathToFileURL(assets).href)});
    const out = {};
    for (const [kind, name] of [['app', 'app.js'], ['vendor', 'preact.mjs'], ['vendor', 'hooks.mjs'], ['vendor', 'htm.mjs'], ['vendor', 'uplot.mjs'], ['vendor', 'uplot.css']]) out[name] = (await dashboardAsset(kind, name))?.body.length ?? 0;
    console.log(JSON.stringify(out));`], { cwd: app });
  const sizes = JSON.parse(served.stdout) as Record<string, number>;
  assert.deepEqual(Object.entries(sizes).filter(([, n]) => !(n > 0)), [], `every dashboard file is served from the installed package: ${served.stdout}`);

  const bin = join(app, 'node_modules', '.bin', 'tagway');
  const started = process.hrtime.bigint();
  const help = await run(bin, ['--help'], { cwd: app, env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.diagnostic(`installed tagway --help: ${ms.toFixed(0)} ms wall (this machine, under the test run's load)`);
  assert.match(help.stdout, /--entryPoints\.<name>\.address/);
  const version = await run(bin, ['--version'], { cwd: app });
  assert.match(version.stdout, /^tagway \d+\.\d+\.\d+/);
  // a bad flag is refused by the compiled config loader, naming the option
  await assert.rejects(run(bin, ['--entryPoints.web.address=nope'], { cwd: app }), (err: { code?: number; stderr?: string }) => err.code === 1 && /entryPoints\.web\.address/.test(err.stderr ?? ''));
});
