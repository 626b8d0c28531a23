import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRuleTemplate, MAX_TEMPLATE_LENGTH, MAX_TEMPLATE_OUTPUT, TemplateError } from '../../../src/providers/consulcatalog/template.ts';
import { normalize } from '../../../src/providers/consulcatalog/normalize.ts';

const model = { Name: 'my_api/v2', Labels: { domain: 'example.com', 'traefik.domain': 'foo.bar' } };

describe('compileRuleTemplate', () => {
  const cases: Array<{ desc: string; src: string; want: string }> = [
    { desc: 'Traefik default rule', src: 'Host(`{{ normalize .Name }}`)', want: 'Host(`my-api-v2`)' },
    { desc: 'plain field', src: 'Host(`{{ .Name }}`)', want: 'Host(`my_api/v2`)' },
    { desc: 'pipeline', src: '{{ .Name | normalize | lower }}', want: 'my-api-v2' },
    { desc: 'index on labels', src: 'Host("{{ .Name }}.{{ index .Labels "traefik.domain" }}")', want: 'Host("my_api/v2.foo.bar")' },
    { desc: 'index on a missing label gives empty', src: '{{ index .Labels "nope" }}', want: '' },
    { desc: 'trim markers', src: 'a {{- .Labels.domain -}} b', want: 'aexample.comb' },
    { desc: 'comment', src: 'x{{/* note */}}y', want: 'xy' },
    { desc: 'sprig helpers', src: '{{ trimPrefix "my_" .Name | replace "/" "." | upper }}', want: 'API.V2' },
    { desc: 'no action', src: 'Host(`static`)', want: 'Host(`static`)' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(compileRuleTemplate(c.src)(model), c.want));

  const bad: Array<{ desc: string; src: string; message: RegExp }> = [
    { desc: 'if is refused', src: '{{ if .Name }}x{{ end }}', message: /"if" is not supported/ },
    { desc: 'unknown function', src: '{{ title .Name }}', message: /function "title" not defined/ },
    { desc: 'variables', src: '{{ $x := .Name }}', message: /variables/ },
    { desc: 'unclosed action', src: 'Host({{ .Name )', message: /unclosed/ },
    { desc: 'wrong arity', src: '{{ index .Labels }}', message: /want 2 got 1/ },
  ];
  for (const c of bad) {
    it(`refuses at compile time: ${c.desc}`, () => {
      assert.throws(() => compileRuleTemplate(c.src), (e: unknown) => e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_SYNTAX' && c.message.test(e.message));
    });
  }

  it('fails at run time on an unknown field, as Go does', () => {
    const render = compileRuleTemplate('{{ .Toto }}');
    assert.throws(() => render(model), (e: unknown) => e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_EXEC' && /Toto/.test(e.message));
  });
});

describe('normalize', () => {
  for (const [input, want] of [['dev/Test', 'dev-Test'], ['__a..b__', 'a-b'], ['héllo wörld', 'héllo-wörld'], ['', '']] as const) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => assert.equal(normalize(input), want));
  }
});

const fragment = fc.oneof(
  fc.constantFrom('{{', '}}', '{{-', '-}}', ' ', '.Name', '.Labels', '.Labels.a', '.Toto', '.', '|', '(', ')', '$x', '"q"', '"\\"', '`r`',
    '`', '"', 'normalize', 'lower', 'upper', 'index', 'replace', 'trimPrefix', 'trimSuffix', 'if', 'end', '/*', '*/', 'Host(`', '`)'),
  fc.string({ maxLength: 5 }),
);
const templateText = fc.array(fragment, { maxLength: 16 }).map((parts) => parts.join(''));
const modelArb = fc.record({
  Name: fc.string({ maxLength: 12 }),
  Labels: fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'constructor'), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
});

describe('defaultRule template properties', () => {
  it('a stray ")" in an action is a TemplateError (it threw TypeError)', () => {
    assert.throws(() => compileRuleTemplate('Host(`{{ ) }}`)'), (e: unknown) => e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_SYNTAX' && /unexpected "\)"/.test(e.message));
  });

  it('any text compiles to a renderer or throws TemplateError; rendering gives a string or TemplateError', () => {
    fc.assert(fc.property(fc.oneof(templateText, fc.string({ maxLength: 30 })), modelArb, (source, model) => {
      let render: (m: typeof model) => string;
      try { render = compileRuleTemplate(source); } catch (e) {
        assert.ok(e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_SYNTAX', String(e));
        return;
      }
      try { assert.equal(typeof render(model), 'string'); } catch (e) {
        assert.ok(e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_EXEC', String(e));
      }
    }), { numRuns: 3000, seed: 301 });
  });

  it(`bounds the template (${MAX_TEMPLATE_LENGTH}) and what it renders (${MAX_TEMPLATE_OUTPUT}), before building it`, () => {
    assert.throws(() => compileRuleTemplate('x'.repeat(MAX_TEMPLATE_LENGTH + 1)), (e: unknown) => e instanceof TemplateError && /limit of 16384/.test(e.message));
    const big = `"${'a'.repeat(1000)}"`;
    const render = compileRuleTemplate(`{{ .Name | replace "a" ${big} | replace "a" ${big} | replace "a" ${big} }}`);
    assert.throws(() => render({ Name: 'aaaa', Labels: {} }), (e: unknown) => e instanceof TemplateError && e.code === 'TAGWAY_TEMPLATE_EXEC' && /4000000 characters long/.test(e.message));
    assert.equal(compileRuleTemplate('{{ replace "" "-" .Name }}')({ Name: 'ab', Labels: {} }), '-a-b-', 'an empty old matches around every character, as in Go');
  });
});
