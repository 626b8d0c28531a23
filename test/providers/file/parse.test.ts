import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, keyPathAtLine, parseDynamicFile } from '../../../src/providers/file/parse.ts';
import { mergeFiles } from '../../../src/providers/file/merge.ts';
import type { Configuration } from '../../../src/dynamic/types.ts';

const ROUTER_YAML = 'http:\n  routers:\n    r:\n      rule: "Host(`a.test`)"\n      service: s\n';
const ROUTER_TOML = '[http.routers.r]\n  rule = "Host(`a.test`)"\n  service = "s"\n';

const PROBLEMS = [
  { desc: 'YAML syntax error: line and the key path it sits under', file: 'd.yml', text: ROUTER_YAML.replace('      service', '     service'), want: /^d\.yml:5: http\.routers\.r\.service: syntax error: / },
  { desc: 'YAML duplicate key', file: 'd.yml', text: ROUTER_YAML + '      service: t\n', want: /^d\.yml:6: http\.routers\.r\.service: syntax error: Map keys must be unique/ },
  { desc: 'TOML syntax error', file: 'd.toml', text: ROUTER_TOML.replace('"s"', '"s'), want: /^d\.toml:3: http\.routers\.r\.service: syntax error: / },
  { desc: 'YAML unknown key with a suggestion', file: 'd.yml', text: ROUTER_YAML.replace('service:', 'servce:'), want: /^d\.yml:5: http\.routers\.r\.servce: unknown key "servce".*\(did you mean "service"\?\)$/ },
  { desc: 'TOML unknown key with a suggestion', file: 'd.toml', text: ROUTER_TOML.replace('service =', 'servce ='), want: /^d\.toml:3: http\.routers\.r\.servce: unknown key "servce".*\(did you mean "service"\?\)$/ },
  { desc: 'wrong type', file: 'd.yml', text: ROUTER_YAML + '      priority: high\n', want: /^d\.yml:6: http\.routers\.r\.priority: invalid integer "high"$/ },
  { desc: 'wrong type in TOML', file: 'd.toml', text: ROUTER_TOML + '  [http.routers.r.observability]\n    tracing = "nope"\n', want: /^d\.toml:5: http\.routers\.r\.observability\.tracing: invalid boolean "nope"/ },
  { desc: 'rule that does not parse, on one line', file: 'd.yml', text: ROUTER_YAML.replace('Host(`a.test`)', 'Hots(`a.test`)'), want: /^d\.yml:4: http\.routers\.r\.rule: invalid rule: [^\n]*unknown matcher "Hots"[^\n]*$/ },
];

for (const c of PROBLEMS) {
  test(`parse: ${c.desc}`, () => {
    const parsed = parseDynamicFile(c.file, c.text);
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.problems.length, 1, parsed.problems.map(formatProblem).join('\n'));
    assert.match(formatProblem(parsed.problems[0]!), c.want);
  });
}

const EMPTY = [
  { desc: 'empty file', text: '' },
  { desc: 'whitespace only', text: '\n  \n' },
  { desc: 'comments only (YAML)', text: '# nothing\n' },
  { desc: 'http with nothing under it', text: 'http:\n' },
  { desc: 'empty sections', text: 'http:\n  routers: {}\n  services: {}\n' },
];

for (const c of EMPTY) {
  test(`parse: ${c.desc} is an empty configuration`, () => {
    const parsed = parseDynamicFile('e.yml', c.text);
    assert.deepEqual(parsed, { ok: true, configuration: { http: { routers: {}, services: {}, middlewares: {} } } });
  });
}

test('parse: the TOML document of the issue decodes to tracing false', () => {
  const parsed = parseDynamicFile('d.toml', '[http.routers.my-router.observability]\n  tracing = false\n');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.configuration.http.routers['my-router'], { observability: { tracing: false } });
});

const PATHS = [
  { desc: 'nested YAML key', text: 'http:\n  routers:\n    r:\n      rule: x\n', line: 4, format: 'yaml' as const, want: 'http.routers.r.rule' },
  { desc: 'YAML sibling after a deeper block', text: 'http:\n  routers:\n    r:\n      rule: x\n  services:\n', line: 5, format: 'yaml' as const, want: 'http.services' },
  { desc: 'YAML list item key', text: 'a:\n  servers:\n    - url: x\n', line: 3, format: 'yaml' as const, want: 'a.servers.url' },
  { desc: 'quoted YAML key', text: 'http:\n  "my.router":\n', line: 2, format: 'yaml' as const, want: 'http.my.router' },
  { desc: 'TOML table and key', text: '[http.routers.r]\nrule = "x"\n', line: 2, format: 'toml' as const, want: 'http.routers.r.rule' },
  { desc: 'TOML array of tables', text: '[[http.services.s.loadBalancer.servers]]\nurl = "x"\n', line: 2, format: 'toml' as const, want: 'http.services.s.loadBalancer.servers.url' },
  { desc: 'nothing above', text: '{\n', line: 1, format: 'yaml' as const, want: undefined },
];

for (const c of PATHS) {
  test(`keyPathAtLine: ${c.desc}`, () => {
    assert.equal(keyPathAtLine(c.text, c.line, c.format), c.want);
  });
}

function routerConf(rule: string): Configuration {
  return { http: { routers: { r: { rule, service: 's' } }, services: {}, middlewares: {} } };
}

const MERGES = [
  { desc: 'identical definitions are kept once', files: [['/d/a.yml', 'Host(`a`)'], ['/d/b.yml', 'Host(`a`)']], rule: 'Host(`a`)', conflict: undefined },
  { desc: 'different definitions drop the item and name both files', files: [['/d/a.yml', 'Host(`a`)'], ['/d/b.yml', 'Host(`b`)']], rule: undefined, conflict: /a\.yml and b\.yml/ },
  { desc: 'three files: every one that disagrees is named', files: [['/d/a.yml', 'Host(`a`)'], ['/d/b.yml', 'Host(`b`)'], ['/d/c.yml', 'Host(`c`)']], rule: undefined, conflict: /a\.yml and b\.yml and c\.yml/ },
  { desc: 'the label tells same-named files of two subdirectories apart', files: [['/d/x/r.yml', 'Host(`a`)'], ['/d/y/r.yml', 'Host(`b`)']], rule: undefined, conflict: /x\/r\.yml and y\/r\.yml/ },
] as const;

for (const c of MERGES) {
  test(`merge: ${c.desc}`, () => {
    const files = new Map(c.files.map(([f, rule]) => [f, routerConf(rule)]));
    const { configuration, issues } = mergeFiles(files, (f) => f.slice('/d/'.length));
    assert.equal(configuration.http.routers['r']?.rule, c.rule);
    if (!c.conflict) { assert.deepEqual(issues, []); return; }
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.dropped, true);
    assert.equal(issues[0]!.severity, 'error');
    assert.match(issues[0]!.message, c.conflict);
  });
}
