import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileConstraints, ConstraintError } from '../../../src/providers/consulcatalog/constraints.ts';

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
