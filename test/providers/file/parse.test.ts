import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatProblem, keyPathAtLine, parseDynamicFile } from '../../../src/providers/file/parse.ts';
import { mergeFiles } from '../../../src/providers/file/merge.ts';
import type { Configuration } from '../../../src/dynamic/types.ts';
import { MAX_FILE_NESTING } from '../../../src/static/source.ts';

const ROUTER_YAML = 'http:\n  routers:\n    r:\n      rule: "Host(`a.test`)"\n      service: s\n';
const ROUTER_TOML = '[http.routers.r]\n  rule = "Host(`a.test`)"\n  service = "s"\n';

const PROBLEMS = [
  { desc: 'YAML syntax error: line and the key path it sits under', file: 'd.yml', text: ROUTER_YAML.replace('      service', '     service'), want: /^d\.yml:5: http\.routers\.r\.service: syntax error: / },
  { desc: 'YAML duplicate key', file: 'd.yml', text: ROUTER_YAML + '      service: t\n', want: /^d\.yml:6: http\.routers\.r\.service: syntax error: Map keys must be unique/ },
  { desc: 'TOML syntax error', file: 'd.toml', text: ROUTER_TOML.replace('"s"', '"s'), want: /^d\.toml:3: http\.routers\.r\.service: syntax error: / },
  { desc: 'unknown HTTP section', file: 'd.yml', text: 'http:\n  routerz: {}\n', want: /^d\.yml:2: http\.routerz: unknown key "routerz"/ },
];

for (const c of PROBLEMS) {
  test(`parse: ${c.desc} fails the whole file`, () => {
    const parsed = parseDynamicFile(c.file, c.text);
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.problems.length, 1, parsed.problems.map(formatProblem).join('\n'));
    assert.match(formatProblem(parsed.problems[0]!), c.want);
  });
}

// A problem inside one router, service or middleware leaves that item out; the rest of the file applies.
const OTHER_YAML = '    other:\n      rule: "Host(`b.test`)"\n      service: s\n';
const OTHER_TOML = '[http.routers.other]\n  rule = "Host(`b.test`)"\n  service = "s"\n';
const ITEM_PROBLEMS = [
  { desc: 'YAML unknown key with a suggestion', file: 'd.yml', text: ROUTER_YAML.replace('service:', 'servce:') + OTHER_YAML, want: /^d\.yml:5: http\.routers\.r\.servce: unknown key "servce".*\(did you mean "service"\?\)$/ },
  { desc: 'TOML unknown key with a suggestion', file: 'd.toml', text: ROUTER_TOML.replace('service =', 'servce =') + OTHER_TOML, want: /^d\.toml:3: http\.routers\.r\.servce: unknown key "servce".*\(did you mean "service"\?\)$/ },
  { desc: 'wrong type', file: 'd.yml', text: ROUTER_YAML + '      priority: high\n' + OTHER_YAML, want: /^d\.yml:6: http\.routers\.r\.priority: invalid integer "high"$/ },
  { desc: 'wrong type in TOML', file: 'd.toml', text: ROUTER_TOML + '  [http.routers.r.observability]\n    tracing = "nope"\n' + OTHER_TOML, want: /^d\.toml:5: http\.routers\.r\.observability\.tracing: invalid boolean "nope"/ },
  { desc: 'rule that does not parse, on one line', file: 'd.yml', text: ROUTER_YAML.replace('Host(`a.test`)', 'Hots(`a.test`)') + OTHER_YAML, want: /^d\.yml:4: http\.routers\.r\.rule: invalid rule: [^\n]*unknown matcher "Hots"[^\n]*$/ },
];

for (const c of ITEM_PROBLEMS) {
  test(`parse: ${c.desc} leaves only that router out`, () => {
    const parsed = parseDynamicFile(c.file, c.text);
    assert.ok(parsed.ok);
    assert.equal(parsed.itemProblems?.length, 1, JSON.stringify(parsed.itemProblems));
    const p = parsed.itemProblems![0]!;
    assert.deepEqual([p.kind, p.name], ['router', 'r']);
    assert.match(formatProblem(p), c.want);
    assert.deepEqual(Object.keys(parsed.configuration.http.routers), ['other']);
  });
}

test('parse: an unsupported middleware and service type are items left out', () => {
  const parsed = parseDynamicFile('d.yml', 'http:\n  middlewares:\n    p:\n      plugin: {}\n    a:\n      addPrefix:\n        prefix: /x\n  services:\n    h:\n      highestRandomWeight: {}\n');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.itemProblems?.map((p) => [p.kind, p.name]), [['middleware', 'p'], ['service', 'h']]);
  assert.deepEqual(Object.keys(parsed.configuration.http.middlewares), ['a']);
  assert.deepEqual(parsed.configuration.http.services, {});
});

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

// Properties: whatever the text, parseDynamicFile answers { ok } or { problems }, never an exception.

const yamlPiece = fc.oneof(
  fc.constantFrom('http:', 'routers:', 'r:', 'rule: ', 'Host(`a`)', 'service: s', '&x ', '*x', '*|', '<<: ', '- ', '[', ']', '{', '}',
    ',', ':', '? ', '!!str ', '!!binary ', '|', '>', '"', "'", '#', '---', '...', '%YAML 1.2', '\n', '  ', '\t', 'null', '~'),
  fc.string({ maxLength: 4 }),
);
const tomlPiece = fc.oneof(
  fc.constantFrom('[http.routers.r]', '[[a]]', 'rule = ', '"Host(`a`)"', "'x'", '"""', '[', ']', '{', '}', '=', '.', ',', '1979-05-27',
    '0x10', 'inf', 'nan', 'true', '#', '\n', ' '),
  fc.string({ maxLength: 4 }),
);

function assertAnswer(file: string, text: string): void {
  const r = parseDynamicFile(file, text);
  if (r.ok) { assert.equal(typeof r.configuration.http.routers, 'object'); return; }
  assert.ok(r.problems.length > 0);
  for (const p of r.problems) { assert.equal(p.file, file); assert.ok(p.message.length > 0); }
}

test('an unknown YAML alias is a syntax error on the file (toJS threw ReferenceError)', () => {
  const r = parseDynamicFile('d.yml', 'a: &x [1]\nb: *|');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(formatProblem(r.problems[0]!), /^d\.yml: syntax error: Unresolved alias/);
});

test('an alias bomb is a syntax error on the file', () => {
  const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (const [n, p] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) rows.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
  const r = parseDynamicFile('d.yml', rows.join('\n'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0]!.message, /syntax error: Excessive alias count/);
});

test(`nesting deeper than ${MAX_FILE_NESTING} is refused before the YAML composer recurses (two 50,000-deep files in a row aborted Node)`, () => {
  for (const text of ['['.repeat(20000) + ']'.repeat(20000), '['.repeat(20000) + ']'.repeat(20000), `${'- '.repeat(5000)}a`, `http: ${'{a: '.repeat(200)}1${'}'.repeat(200)}`]) {
    const r = parseDynamicFile('d.yml', text);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems[0]!.message, /nest more than 100 levels deep/);
  }
  const toml = parseDynamicFile('d.toml', `a = ${'['.repeat(5000)}${']'.repeat(5000)}`);
  assert.equal(toml.ok, false);
  const fine = parseDynamicFile('d.yml', `x: ${'['.repeat(MAX_FILE_NESTING - 1)}${']'.repeat(MAX_FILE_NESTING - 1)}`);
  assert.ok(!fine.ok && /unknown key "x"/.test(fine.problems[0]!.message), 'nesting under the limit reaches the decoder');
});

test('a long line of spaces costs linear time in the TOML scan and the error-line lookup (it was cubic)', () => {
  const started = performance.now();
  assertAnswer('d.toml', `a${' '.repeat(20000)}\n`);
  assert.equal(keyPathAtLine(`a${' '.repeat(20000)}\nb`, 2, 'yaml'), undefined);
  assert.equal(keyPathAtLine(`[${' '.repeat(20000)}\nb`, 2, 'toml'), undefined);
  assert.ok(performance.now() - started < 2000, 'seconds to minutes before');
});

test('parseDynamicFile answers any YAML text with a configuration or problems', () => {
  fc.assert(fc.property(fc.array(yamlPiece, { maxLength: 30 }).map((p) => p.join('')), (text) => assertAnswer('d.yml', text)),
    { numRuns: 1500, seed: 401 });
});

test('parseDynamicFile answers any TOML text with a configuration or problems', () => {
  fc.assert(fc.property(fc.array(tomlPiece, { maxLength: 30 }).map((p) => p.join('')), (text) => assertAnswer('d.toml', text)),
    { numRuns: 1500, seed: 402 });
});
