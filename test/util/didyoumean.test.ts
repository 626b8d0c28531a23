import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { suggest } from '../../src/util/didyoumean.ts';

describe('suggest', () => {
  const fields = ['entryPoints', 'middlewares', 'service', 'rule', 'ruleSyntax', 'priority', 'tls', 'observability'];
  const cases: { desc: string; input: string; candidates?: string[]; want: string | undefined }[] = [
    { desc: 'transposition costs one edit', input: 'tsl', want: 'tls' },
    { desc: 'missing letter', input: 'entrypoint', want: 'entryPoints' },
    { desc: 'case-insensitive exact match', input: 'PRIORITY', want: 'priority' },
    { desc: 'extra letter', input: 'services', want: 'service' },
    { desc: 'two typos in a long word', input: 'middlewars', want: 'middlewares' },
    { desc: 'too far away', input: 'zzz', want: undefined },
    { desc: 'short words need a close match', input: 'tcp', want: undefined },
    { desc: 'no candidates', input: 'rule', candidates: [], want: undefined },
    { desc: 'closest wins over first', input: 'rulesyntax', want: 'ruleSyntax' },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(suggest(c.input, c.candidates ?? fields), c.want));

  it('accepts any iterable', () => assert.equal(suggest('sevice', new Set(['service'])), 'service'));
});
