import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConstraints, ConstraintError, MAX_CONSTRAINTS_DEPTH, MAX_CONSTRAINTS_LENGTH } from '../../../src/providers/consulcatalog/constraints.ts';

describe('compileConstraints', () => {
  const cases: Array<{ desc: string; expr: string; tags: string[]; want: boolean }> = [
    { desc: 'empty expression matches everything', expr: '', tags: [], want: true },
    { desc: 'Tag matches an exact tag', expr: 'Tag(`public`)', tags: ['a', 'public'], want: true },
    { desc: 'Tag is exact, not a prefix', expr: 'Tag(`pub`)', tags: ['public'], want: false },
    { desc: 'double-quoted argument', expr: 'Tag("public")', tags: ['public'], want: true },
    { desc: 'TagRegex is unanchored', expr: 'TagRegex(`env=`)', tags: ['x.env=prod'], want: true },
    { desc: 'TagRegex anchored', expr: 'TagRegex(`^env=(prod|staging)$`)', tags: ['env=staging'], want: true },
    { desc: 'negation', expr: '!Tag(`internal`)', tags: ['internal'], want: false },
    { desc: '&& binds tighter than ||', expr: 'Tag(`a`) || Tag(`b`) && Tag(`c`)', tags: ['a'], want: true },
    { desc: 'parentheses change precedence', expr: '(Tag(`a`) || Tag(`b`)) && Tag(`c`)', tags: ['a'], want: false },
    { desc: 'double negation', expr: '!!Tag(`a`)', tags: ['a'], want: true },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.equal(compileConstraints(c.expr)(c.tags), c.want));
  }

  const bad: Array<{ desc: string; expr: string; message: RegExp }> = [
    { desc: 'unknown function', expr: 'Label(`a`)', message: /unknown function Label/ },
    { desc: 'missing closing parenthesis', expr: '(Tag(`a`)', message: /expected "\)"/ },
    { desc: 'single ampersand', expr: 'Tag(`a`) & Tag(`b`)', message: /expected "&&"/ },
    { desc: 'two arguments', expr: 'Tag(`a`, `b`)', message: /exactly one argument/ },
    { desc: 'bad regular expression', expr: 'TagRegex(`(`)', message: /invalid regular expression/ },
    { desc: 'unterminated string', expr: 'Tag(`a)', message: /unterminated/ },
    { desc: 'trailing operator', expr: 'Tag(`a`) &&', message: /unexpected end/ },
  ];
  for (const c of bad) {
    it(`rejects: ${c.desc}`, () => {
      assert.throws(() => compileConstraints(c.expr), (err: unknown) => err instanceof ConstraintError && err.code === 'TAGWAY_CONSTRAINT_SYNTAX' && c.message.test(err.message));
    });
  }
});

/** An expression and what it means, evaluated independently of the parser. */
type Gen = { text: string; eval: (tags: readonly string[]) => boolean };

const TAGS = ['a', 'b', 'env=prod', 'env=dev'];
const { node } = fc.letrec<{ node: Gen }>((tie) => ({
  node: fc.oneof({ depthSize: 'small' },
    fc.constantFrom(...TAGS).map((t): Gen => ({ text: `Tag(\`${t}\`)`, eval: (tags) => tags.includes(t) })),
    fc.constantFrom('^env=', 'prod$', 'b').map((r): Gen => ({ text: `TagRegex(\`${r}\`)`, eval: (tags) => tags.some((t) => new RegExp(r).test(t)) })),
    tie('node').map((n): Gen => ({ text: `!(${n.text})`, eval: (tags) => !n.eval(tags) })),
    fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((ns): Gen => ({ text: ns.map((n) => `(${n.text})`).join(' && '), eval: (tags) => ns.every((n) => n.eval(tags)) })),
    fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((ns): Gen => ({ text: ns.map((n) => `(${n.text})`).join(' || '), eval: (tags) => ns.some((n) => n.eval(tags)) }))),
}));
const soup = fc.array(fc.oneof(
  fc.constantFrom('Tag(', 'TagRegex(', 'Label(', '`a`', '"b\\"', '`(`', '`[`', '(', ')', '!', '&&', '||', '&', '|', ',', ' ', '`', '"'),
  fc.string({ maxLength: 5 }),
), { maxLength: 20 }).map((parts) => parts.join(''));

describe('constraints parser properties', () => {
  it('any text compiles to a predicate or throws ConstraintError, and the predicate never throws', () => {
    fc.assert(fc.property(fc.oneof(soup, fc.string({ maxLength: 30 })), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), (expr, tags) => {
      let match: (tags: readonly string[]) => boolean;
      try { match = compileConstraints(expr); } catch (err) {
        assert.ok(err instanceof ConstraintError, String(err));
        return;
      }
      assert.equal(typeof match(tags), 'boolean');
    }), { numRuns: 3000, seed: 201 });
  });

  it('well-formed expressions mean what they say (flattened && / || chains included)', () => {
    fc.assert(fc.property(node, fc.subarray(TAGS), (g, tags) => {
      let match: (tags: readonly string[]) => boolean;
      try { match = compileConstraints(g.text); } catch (err) {
        assert.ok(err instanceof ConstraintError && /nest more than/.test(err.message), String(err));
        return;
      }
      assert.equal(match(tags), g.eval(tags), g.text);
    }), { numRuns: 1500, seed: 202 });
  });

  it(`refuses nesting past ${MAX_CONSTRAINTS_DEPTH} and text past ${MAX_CONSTRAINTS_LENGTH} characters with ConstraintError`, () => {
    const deep = `${'('.repeat(5000)}Tag(\`a\`)${')'.repeat(5000)}`;
    assert.throws(() => compileConstraints(deep), (e: unknown) => e instanceof ConstraintError && /nest more than 100 levels/.test(e.message));
    const long = Array.from({ length: 2000 }, () => 'Tag(`a`)').join(' || ');
    assert.throws(() => compileConstraints(long), (e: unknown) => e instanceof ConstraintError && /more than the limit of 16384/.test(e.message) && e.message.length < 300);
    // A long flat chain under the limit is one predicate over a list: matching does not recurse per operand.
    const chain = compileConstraints(Array.from({ length: 1200 }, (_, i) => `Tag(\`t${i}\`)`).join('||'));
    assert.equal(chain(['t1199']), true);
    assert.equal(chain(['x']), false);
  });
});
