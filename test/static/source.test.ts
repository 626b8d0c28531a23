import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadStaticConfig, StaticConfigError } from '../../src/static/index.ts';
import { MAX_FILE_NESTING, parseSource } from '../../src/static/source.ts';
import { parseEnv, parseFlags } from '../../src/static/flat-sources.ts';
import { staticDesc } from '../../src/static/describe.ts';

// Static configuration from a file, flags and env: a configuration, or StaticConfigError naming the problems.
const keyPart = fc.oneof(
  fc.constantFrom('entryPoints', 'web', 'address', 'providers', 'consulCatalog', 'endpoint', 'refreshInterval', 'tracing',
    'sampleRate', 'log', 'level', 'api', 'insecure', 'ping', 'configFile', 'domains[0]', '[0]', '__proto__', 'x', ''),
  fc.string({ maxLength: 5 }),
);
const flatKey = fc.array(keyPart, { minLength: 1, maxLength: 5 }).map((p) => p.join('.'));
const flatValue = fc.oneof(fc.constantFrom('true', '1s', ':8000', '0.5', '-1', 'DEBUG', '', 'nope', '10m', '9999999999999h'), fc.string({ maxLength: 8 }));
const argv = fc.array(fc.oneof(
  fc.tuple(flatKey, flatValue).map(([k, v]) => `--${k}=${v}`),
  flatKey.map((k) => `--${k}`),
  flatValue,
  fc.constant('--'),
), { maxLength: 6 });
const env = fc.dictionary(
  fc.oneof(fc.array(keyPart, { minLength: 1, maxLength: 4 }).map((p) => `TAGWAY_${p.join('_').toUpperCase()}`), fc.string({ maxLength: 10 })),
  flatValue, { maxKeys: 5 });

const yamlText = fc.array(fc.oneof(
  fc.constantFrom('entryPoints:', '  web:', '    address: ":8000"', 'log:', '  level: DEBUG', 'providers:', '  consulCatalog:',
    '    refreshInterval: 15s', '    refreshInterval: [1]', 'tracing: {}', '&a ', '*a', '*b', '<<: ', '- ', '[', ']', '{', '}', ': ', '\n', '  '),
  fc.string({ maxLength: 4 }),
), { maxLength: 24 }).map((p) => p.join(''));
const tomlText = fc.array(fc.oneof(
  fc.constantFrom('[entryPoints.web]', 'address = ":8000"', '[log]', 'level = "DEBUG"', '[providers.consulCatalog]', 'refreshInterval = "15s"',
    'refreshInterval = 15', '[[x]]', '[', ']', '{', '}', '=', '"', '\n', ' '),
  fc.string({ maxLength: 4 }),
), { maxLength: 24 }).map((p) => p.join(''));

function loadOrStaticError(options: Parameters<typeof loadStaticConfig>[0]): void {
  try {
    loadStaticConfig(options);
  } catch (error) {
    assert.ok(error instanceof StaticConfigError, String(error));
    assert.ok(error.problems.length > 0 && error.message.length > 0);
  }
}

describe('static configuration sources never throw anything but StaticConfigError', () => {
  it('parseSource answers any YAML or TOML text with a document or syntax errors', () => {
    fc.assert(fc.property(fc.oneof(yamlText, tomlText), fc.constantFrom('yaml', 'toml') as fc.Arbitrary<'yaml' | 'toml'>, (text, format) => {
      const parsed = parseSource(text, format);
      for (const e of parsed.syntaxErrors) assert.ok(e.message.length > 0);
      parsed.locate(['entryPoints', 'web', 'address']);
    }), { numRuns: 2000, seed: 501 });
  });

  it('flags and env: parseFlags and parseEnv give entries and problems, loadStaticConfig a config or StaticConfigError', () => {
    const desc = staticDesc();
    fc.assert(fc.property(argv, env, (args, vars) => {
      const flags = parseFlags(args.filter((a) => !/^--configfile/i.test(a)), desc);
      for (const p of flags.problems) assert.ok(p.message.length > 0);
      parseEnv(vars, desc);
      const noFile = Object.fromEntries(Object.entries(vars).filter(([k]) => !/configfile/i.test(k)));
      loadOrStaticError({ argv: args.filter((a) => !/configfile/i.test(a)), env: noFile });
    }), { numRuns: 1500, seed: 502 });
  });

  it('a configuration file of any text: a config or StaticConfigError', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tagway-static-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    fc.assert(fc.property(fc.oneof(yamlText.map((x) => ['c.yml', x]), tomlText.map((x) => ['c.toml', x])), ([name, text]) => {
      writeFileSync(join(dir, name!), text!);
      loadOrStaticError({ argv: [`--configFile=${name}`], env: {}, cwd: dir });
    }), { numRuns: 300, seed: 503 });
  });

  it(`an unknown alias and nesting past ${MAX_FILE_NESTING} are StaticConfigError with the file named`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tagway-static-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cases: Array<[string, RegExp]> = [
      ['log: &x {level: DEBUG}\napi: *|\n', /^c\.yml: syntax error: Unresolved alias/m],
      [`log: ${'['.repeat(20000)}${']'.repeat(20000)}\n`, /^c\.yml:1: syntax error: mappings and lists nest more than 100 levels deep/m],
    ];
    for (const [text, want] of cases) {
      writeFileSync(join(dir, 'c.yml'), text);
      assert.throws(() => loadStaticConfig({ argv: ['--configFile=c.yml'], env: {}, cwd: dir }), (e: unknown) => e instanceof StaticConfigError && want.test(e.message));
    }
  });
});
