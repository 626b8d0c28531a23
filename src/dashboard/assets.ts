import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extname, join, normalize, sep } from 'node:path';

/**
 * The dashboard's files: our own modules (the package's `webui/` folder, plain ES modules, no build step) and
 * the front-end libraries, resolved from the package's own dependencies at run time, so they ship with the
 * package and never come from a CDN. Each file is read once and kept (they are a few hundred KiB in all).
 */

/** URL name under /dashboard/vendor/ → the module the libraries' own `exports` give an ES-module import. */
const VENDOR: Readonly<Record<string, () => string>> = {
  'preact.mjs': () => import.meta.resolve('preact'),
  'hooks.mjs': () => import.meta.resolve('preact/hooks'),
  'htm.mjs': () => import.meta.resolve('htm'),
  'uplot.mjs': () => import.meta.resolve('uplot/dist/uPlot.esm.js'),
  'uplot.css': () => import.meta.resolve('uplot/dist/uPlot.min.css'),
};

/** The import map the page declares: bare names the modules import → where this app serves them. */
export const IMPORT_MAP = {
  imports: {
    preact: '/dashboard/vendor/preact.mjs',
    'preact/hooks': '/dashboard/vendor/hooks.mjs',
    htm: '/dashboard/vendor/htm.mjs',
    uplot: '/dashboard/vendor/uplot.mjs',
  },
};

/** `webui/` beside `src/` (running from source) or beside `dist/` (the package): both are two levels up. */
const UI_DIR = fileURLToPath(new URL('../../webui/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
};

export interface Asset { body: Buffer; type: string }

const cache = new Map<string, Promise<Asset | undefined>>();

/**
 * The file behind `/dashboard/vendor/<name>` or `/dashboard/app/<path>`, or undefined (a 404).
 * @example await dashboardAsset('vendor', 'preact.mjs') // { body, type: 'text/javascript; charset=utf-8' }
 */
export function dashboardAsset(kind: 'vendor' | 'app', name: string): Promise<Asset | undefined> {
  const key = `${kind}/${name}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = load(kind, name);
    cache.set(key, hit);
    // a miss is not kept: the names asked for are the client's, the cache holds only files that exist
    void hit.then((a) => { if (!a) cache.delete(key); });
  }
  return hit;
}

async function load(kind: 'vendor' | 'app', name: string): Promise<Asset | undefined> {
  let file: string;
  if (kind === 'vendor') {
    const resolve = VENDOR[name];
    if (!resolve) return undefined;
    file = fileURLToPath(resolve());
  } else {
    // Only files under webui/, only the kinds listed (no dot files, no escape with ..).
    file = normalize(join(UI_DIR, name));
    if (!file.startsWith(UI_DIR.endsWith(sep) ? UI_DIR : UI_DIR + sep) || !TYPES[extname(file)]) return undefined;
  }
  const type = TYPES[extname(file)];
  if (!type) return undefined;
  try {
    return { body: await readFile(file), type };
  } catch {
    return undefined;
  }
}
