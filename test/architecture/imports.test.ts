import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { circles, importGraph } from '../../scripts/import-graph.ts';

/**
 * The rules between the stages (README, "Architecture"): `only` lists the folders a folder may import
 * (besides itself), `never` the folders it must not import.
 */
const RULES: Array<{ desc: string; from: string; only?: string[]; never?: string[] }> = [
  { desc: 'util is a leaf', from: 'src/util/', only: [] },
  { desc: 'the Go regexp translator is a leaf', from: 'src/regexp/', only: [] },
  { desc: 'the request contract depends on util only', from: 'src/http/', only: ['src/util/'] },
  { desc: 'middlewares see the request contract, not the proxy, server or runtime', from: 'src/middlewares/', never: ['src/proxy/', 'src/server/', 'src/runtime/', 'src/observability/'] },
  { desc: 'tracing sees the request contract, not the proxy, server or runtime', from: 'src/observability/', never: ['src/proxy/', 'src/server/', 'src/runtime/', 'src/middlewares/'] },
  { desc: 'access logs observe requests, not the server', from: 'src/accesslog/', never: ['src/proxy/', 'src/server/', 'src/runtime/'] },
  { desc: 'metrics observe requests, not the server', from: 'src/metrics/', never: ['src/proxy/', 'src/server/', 'src/runtime/'] },
  { desc: 'the proxy forwards; it knows no router, middleware or server', from: 'src/proxy/', never: ['src/server/', 'src/runtime/', 'src/middlewares/', 'src/routing/', 'src/observability/'] },
  { desc: 'rules are pure matching', from: 'src/rules/', never: ['src/server/', 'src/runtime/', 'src/proxy/', 'src/middlewares/', 'src/routing/'] },
  { desc: 'routing is pure matching', from: 'src/routing/', never: ['src/server/', 'src/runtime/', 'src/proxy/', 'src/middlewares/'] },
  { desc: 'providers emit configuration; they know nothing of requests', from: 'src/providers/', never: ['src/server/', 'src/runtime/', 'src/proxy/', 'src/middlewares/', 'src/routing/', 'src/http/'] },
  { desc: 'the runtime stage builds the table; it does not listen', from: 'src/runtime/', never: ['src/server/'] },
  { desc: 'the server listens and hands requests to the table; it builds nothing', from: 'src/server/', never: ['src/rules/', 'src/middlewares/', 'src/dynamic/aggregate.ts'] },
];

describe('imports in src/', () => {
  const graph = importGraph('src');

  it('has no import circle (type-only imports count)', () => {
    const found = circles(graph);
    assert.deepEqual(found.map((c) => c.join(' ↔ ')), [], 'import circles in src/ (see `node --import tsx scripts/import-graph.ts src`)');
  });

  for (const rule of RULES) {
    it(rule.desc, () => {
      const broken: string[] = [];
      for (const [file, targets] of graph) {
        if (!file.startsWith(rule.from)) continue;
        for (const t of targets) {
          if (t.startsWith(rule.from)) continue;
          const bad = rule.only ? !rule.only.some((ok) => t.startsWith(ok)) : rule.never!.some((no) => t.startsWith(no));
          if (bad) broken.push(`${file} → ${t}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }
});

describe('importGraph and circles', () => {
  it('finds a circle made of a type-only import, an export-from and a dynamic import', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tagway-imports-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'x.ts'), "// import { nothing } from './nope.ts';\nimport type { Y } from '../y.ts';\nexport type X = Y;\n");
    writeFileSync(join(dir, 'y.ts'), "export { z } from './z.ts';\nexport type Y = number;\n");
    writeFileSync(join(dir, 'z.ts'), "export const z = () => import('./a/x.ts');\nimport { readFileSync } from 'node:fs';\n");
    writeFileSync(join(dir, 'leaf.ts'), "import { z } from './z.ts';\nexport const leaf = z;\n");
    const graph = importGraph(dir, dir);
    assert.deepEqual([...graph.get('a/x.ts')!], ['y.ts']);
    assert.deepEqual(circles(graph), [['a/x.ts', 'y.ts', 'z.ts']]);
  });

  it('finds no circle in a tree without one', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tagway-imports-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.ts';\nexport const a = b;\n");
    writeFileSync(join(dir, 'b.ts'), 'export const b = 1;\n');
    assert.deepEqual(circles(importGraph(dir, dir)), []);
  });
});
