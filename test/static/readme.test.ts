import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadStaticConfig } from '../../src/static/index.ts';
import { decodeDynamicLabels } from '../../src/labels/index.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('the static configuration shown in the README loads as written', (t) => {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'README has a yaml block');
  const dir = mkdtempSync(join(tmpdir(), 'tagway-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tagway.yml');
  writeFileSync(file, yaml);
  const config = loadStaticConfig({ argv: [`--configFile=${file}`], env: {} });
  assert.deepEqual(Object.keys(config.entryPoints).sort(), ['traefik', 'web']);
  assert.equal(config.providers.consulCatalog?.constraints, 'Tag(`edge`) && !TagRegex(`^internal-.*`)');
  assert.equal(config.tracing?.sampleRate, 1);
  assert.equal(config.workers, 2);
});

test('the Consul service definition shown in the README decodes without errors', () => {
  const json = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(json, 'README has a json block');
  const tags: string[] = JSON.parse(json).service.tags;
  const labels = Object.fromEntries(tags.map((tag) => [tag.slice(0, tag.indexOf('=')), tag.slice(tag.indexOf('=') + 1)]));
  const { configuration, errors } = decodeDynamicLabels(labels, 'traefik');
  assert.deepEqual(errors, []);
  assert.equal(configuration.http.routers['whoami']?.observability?.traceVerbosity, 'detailed');
  assert.deepEqual(configuration.http.middlewares['whoami-strip']?.stripPrefix?.prefixes, ['/whoami']);
});
