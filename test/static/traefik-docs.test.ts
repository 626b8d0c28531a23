import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStaticConfig } from '../../src/static/index.ts';
import { buildOptionsFrom, prepareBuildOptions } from '../../src/providers/consulcatalog/builder.ts';
import { docExamples } from './traefik-docs.data.ts';
import { Tally, TRAEFIK_VERSION } from '../support/traefik-tables.ts';

const tally = new Tally(`${TRAEFIK_VERSION} docs: EntryPoints and Consul Catalog static examples`);

/**
 * Every static example of Traefik's "EntryPoints" and "Consul Catalog" documentation pages (./traefik-docs.data.ts)
 * loads with tagway's own loader, as `tagway --configFile=<it>` (or its CLI flags) would, and passes the checks done
 * at startup (the Consul provider compiles its defaultRule and constraints). Options tagway accepts without
 * implementing them are warned about, one line each, never silently.
 */
const WARNS: Record<string, RegExp[]> = {
  // allowACMEByPass is implemented (the acme-http-bypass router): no warning.
  'forwardedHeaders.connection (YAML)': [/entryPoints\.web\.forwardedHeaders\.connection: accepted, not applied/],
  'forwardedHeaders.connection (TOML)': [/forwardedHeaders\.connection/],
  'forwardedHeaders.connection (CLI)': [/forwardedHeaders\.connection/],
  'reusePort (YAML)': [/entryPoints\.web\.reusePort: accepted, not applied/],
  'reusePort, two entry points (YAML)': [/entryPoints\.web\.reusePort/, /entryPoints\.privateWeb\.reusePort/],
};

describe('Traefik v3.7.9 documentation: static configuration examples start tagway unchanged', () => {
  for (const ex of docExamples) {
    it(`${ex.page}: ${ex.tab}`, async (t) => tally.runAsync(`${ex.page}: ${ex.tab}`, undefined, async () => {
      const warnings: string[] = [];
      let argv = ex.argv ?? [];
      if (ex.text !== undefined) {
        const dir = await mkdtemp(join(tmpdir(), 'tagway-docs-'));
        t.after(() => rm(dir, { recursive: true, force: true }));
        const file = join(dir, `traefik.${ex.format === 'toml' ? 'toml' : 'yml'}`);
        await writeFile(file, ex.text);
        argv = [`--configFile=${file}`];
      }
      const config = loadStaticConfig({ argv, env: {}, onWarning: (w) => warnings.push(w) });
      const cc = config.providers.consulCatalog;
      if (cc) assert.doesNotThrow(() => prepareBuildOptions(buildOptionsFrom(cc)));
      const expected = WARNS[ex.tab] ?? [];
      assert.equal(warnings.length, expected.length, warnings.join('\n'));
      for (const re of expected) assert.ok(warnings.some((w) => re.test(w)), `${re} in ${warnings.join('\n')}`);
    }));
  }

  it('what the examples set is what tagway runs with', () => {
    const yaml = docExamples.find((e) => e.tab === 'underscoreHeadersStrategy (CLI)')!;
    assert.equal(loadStaticConfig({ argv: yaml.argv!, env: {} }).entryPoints['websecure']!.http.underscoreHeadersStrategy, 'delete');
    const cli = loadStaticConfig({ argv: docExamples.find((e) => e.tab === 'defaultRule (CLI)')!.argv!, env: {} });
    assert.equal(cli.providers.consulCatalog!.defaultRule, 'Host(`{{ .Name }}.{{ index .Labels "customLabel"}}`)');
    const ns = loadStaticConfig({ argv: docExamples.find((e) => e.tab === 'namespaces (CLI)')!.argv!, env: {} });
    assert.deepEqual(ns.providers.consulCatalog!.namespaces, ['ns1', 'ns2']);
  });
  it('count', (t) => tally.report(t));
});
