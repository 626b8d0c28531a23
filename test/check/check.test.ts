import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevCatalog } from '../../src/dev/devcatalog/index.ts';
import { runCli } from '../support/cli.ts';

const tag = (s: string): string => `traefik.${s}`;

/** Everything Traefik would silently act on, one instance list (the catalog file's short form). */
const BAD = [
  { name: 'typo', id: 'typo-1', port: 9001, tags: [tag('http.routers.typo.rulle=Host(`typo.test`)')] },
  { name: 'split', id: 'split-1', port: 9002, tags: [tag('http.routers.split.rule=Host(`a.test`)')] },
  { name: 'split', id: 'split-2', port: 9003, tags: [tag('http.routers.split.rule=Host(`b.test`)')] },
  { name: 'hidden', id: 'hidden-1', port: 9004, tags: [tag('http.routers.hidden.rule=Host(`h.test`)')] },
  { name: 'hidden', id: 'hidden-2', port: 9005, tags: [tag('enable=false')] },
  { name: 'orphan', id: 'orphan-1', port: 9006, tags: [tag('http.routers.orphan.rule=Host(`o.test`)'), tag('http.routers.orphan.service=gone'), tag('http.services.gone.loadBalancer.server.port=1')] },
  { name: 'orphan', id: 'orphan-2', port: 9007, tags: [tag('http.routers.orphan.rule=Host(`o.test`)'), tag('http.routers.orphan.service=gone'), tag('http.services.gone.loadBalancer.server.port=2'), tag('http.services.gone.loadBalancer.passHostHeader=false')] },
  { name: 'broken', id: 'broken-1', port: 9008, tags: [tag('http.routers.broken.rule=Host(`x.test`) &&')] },
  { name: 'good', id: 'good-1', port: 9009, tags: [tag('http.routers.good.rule=Host(`good.test`)')] },
];
const GOOD = [
  { name: 'good', id: 'good-1', port: 9009, tags: [tag('http.routers.good.rule=Host(`good.test`)')] },
  { name: 'good', id: 'good-2', port: 9010, tags: [tag('http.routers.good.rule=Host(`good.test`)')] },
];

/** What `tagway check` must say about BAD, one line each (regexes over its stdout lines). */
const PROBLEMS = [
  { desc: 'misspelled key, with a suggestion', want: /^ERROR\s+router typo@consulcatalog: .*instance "typo-1".*traefik\.http\.routers\.typo\.rulle.*did you mean "rule"/ },
  { desc: 'conflicting instances drop the router', want: /^ERROR\s+router split@consulcatalog: .*"split-1", "split-2" define router "split" differently/ },
  { desc: 'enable=false on one instance hides its siblings', want: /^ERROR\s+router hidden@consulcatalog: .*instance "hidden-2" has traefik\.enable=false.*"hidden-1"/ },
  { desc: 'the conflicting service itself', want: /^ERROR\s+service gone@consulcatalog: .*define service "gone" differently.*passHostHeader/ },
  { desc: 'a router whose service was dropped', want: /^ERROR\s+router orphan@consulcatalog: .*service "gone" was dropped/ },
  { desc: 'a rule that does not parse', want: /^ERROR\s+router broken@consulcatalog: invalid rule at column 18/ },
];

describe('tagway check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagway-check-'));
  const write = (name: string, data: unknown): string => { const p = join(dir, name); writeFileSync(p, JSON.stringify(data)); return p; };
  const bad = write('bad.json', BAD);
  const good = write('good.json', GOOD);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every problem of a catalog file and exits 1', async () => {
    const r = await runCli(['check', `--catalog=${bad}`]);
    const lines = r.stdout.split('\n');
    for (const p of PROBLEMS) assert.ok(lines.some((l) => p.want.test(l)), `${p.desc}: ${p.want}\n--- got:\n${r.stdout}${r.stderr}`);
    assert.ok(!r.stdout.includes('good@'), 'nothing about the clean service');
    assert.match(r.stdout, /^9 instance\(s\) checked: \d+ error\(s\), 0 warning\(s\)$/m);
    assert.equal(r.code, 1);
  });

  it('exits 0 with a clean catalog', async () => {
    const r = await runCli(['check', `--catalog=${good}`]);
    assert.equal(r.stdout, '2 instance(s) checked: 0 error(s), 0 warning(s)\n');
    assert.equal(r.code, 0);
  });

  it('reads a live Consul catalog (devcatalog) through the configured endpoint', async (t) => {
    const catalog = await startDevCatalog();
    t.after(() => catalog.close());
    for (const s of BAD) catalog.register({ ID: s.id, Name: s.name, Address: '127.0.0.1', Port: s.port, Tags: s.tags });
    const r = await runCli(['check', `--providers.consulCatalog.endpoint.address=${catalog.address}`]);
    for (const p of PROBLEMS) assert.ok(r.stdout.split('\n').some((l) => p.want.test(l)), `${p.desc}\n--- got:\n${r.stdout}${r.stderr}`);
    assert.equal(r.code, 1);
  });

  it('reads the file provider\'s files too: each problem once, by file and line', async () => {
    const dyn = join(dir, 'dynamic.yml');
    writeFileSync(dyn, 'http:\n  routers:\n    r:\n      rulle: Host(`a.test`)\n      service: s\n');
    const r = await runCli(['check', `--catalog=${good}`, `--providers.file.filename=${dyn}`]);
    assert.equal(r.stdout, `ERROR   router r@file: ${dyn}:4: http.routers.r.rulle: unknown key "rulle" in Router (did you mean "rule"?)\n`
      + '2 instance(s) checked: 1 error(s), 0 warning(s)\n');
    assert.equal(r.code, 1);
  });

  it('refuses a bad static configuration or an unreadable catalog, one line per problem, exit 1', async () => {
    const cases = [
      { desc: 'misspelled static flag', args: ['check', `--catalog=${good}`, '--providers.consulCatalog.exposedByDefualt=false'], want: /exposedByDefualt/ },
      { desc: 'missing catalog file', args: ['check', `--catalog=${join(dir, 'none.json')}`], want: /^cannot read the catalog: .*none\.json/m },
      { desc: 'catalog is not an array', args: ['check', `--catalog=${write('obj.json', { name: 'x' })}`], want: /expected a JSON array/ },
    ];
    const results = await Promise.all(cases.map((c) => runCli(c.args)));
    for (const [i, c] of cases.entries()) {
      assert.equal(results[i]!.code, 1, c.desc);
      assert.match(results[i]!.stderr, c.want, c.desc);
      assert.doesNotMatch(results[i]!.stderr, /^\s+at /m, `${c.desc}: no stack trace`);
    }
  });
});
