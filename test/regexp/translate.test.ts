import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp, RegexpError, translateRegexp } from '../../src/regexp/index.ts';

describe('compileGoRegexp semantics (Go MatchString, unanchored)', () => {
  const cases: Array<{ desc: string; re: string; yes: string[]; no: string[] }> = [
    { desc: 'unanchored like Go', re: 'oo', yes: ['foo', 'oops'], no: ['fo'] },
    { desc: 'anchors', re: '^/api/v[0-9]+$', yes: ['/api/v1', '/api/v22'], no: ['/api/v1/', 'x/api/v1'] },
    { desc: '$ without (?m) is end of text, not before a final newline', re: 'a$', yes: ['ba'], no: ['a\n'] },
    { desc: '\\A and \\z anchor the text', re: '\\Aab\\z', yes: ['ab'], no: ['xab', 'abx', 'ab\n'] },
    { desc: 'dot does not match newline', re: '^a.b$', yes: ['axb', 'a\rb', 'a\u2028b'], no: ['a\nb'] },
    { desc: '(?s) dot matches newline', re: '(?s)^a.b$', yes: ['a\nb'], no: ['ab'] },
    { desc: 'dot matches one astral code point', re: '^.$', yes: ['😀'], no: ['ab'] },
    { desc: 'leading (?i) folds the whole pattern', re: '(?i)^/products', yes: ['/PRODUCTS/x', '/Products'], no: ['/prod'] },
    { desc: 'scoped (?i:...) folds only inside', re: '^a(?i:b)c$', yes: ['abc', 'aBc'], no: ['Abc', 'abC'] },
    { desc: 'mid-pattern (?i) folds the rest of the group', re: '^a(?i)bc$', yes: ['aBC', 'abc'], no: ['ABC'] },
    { desc: '(?i) ends with its group', re: '^(a(?i)b)c$', yes: ['aBc'], no: ['aBC'] },
    { desc: '(?i) flag can be turned off', re: '(?i)^a(?-i)b$', yes: ['Ab', 'ab'], no: ['aB'] },
    { desc: 'scoped (?i) folds a class', re: '^x(?i)[a-c]$', yes: ['xB', 'xb'], no: ['xD'] },
    { desc: 'scoped (?i) on k includes the Kelvin sign', re: '^x(?i)k$', yes: ['xK', 'x\u212a'], no: ['xj'] },
    { desc: '(?m) ^ and $ at newlines', re: '(?m)^b$', yes: ['a\nb\nc', 'b'], no: ['abc', 'a\nbc'] },
    // Known difference (README): JavaScript's m flag also ends lines at \r, U+2028, U+2029; Go only at \n.
    { desc: '(?m) anchors also see \\r as a line end (known difference)', re: '(?m)^b$', yes: ['a\rb\rc'], no: [] },
    { desc: '(?U) swaps greediness', re: '(?U)^(a+)(a*)$', yes: ['aaa'], no: [''] },
    { desc: 'named group (?P<name>)', re: '^/(?P<id>[0-9]+)$', yes: ['/42'], no: ['/x'] },
    { desc: 'named group (?<name>)', re: '^/(?<id>[0-9]+)$', yes: ['/42'], no: ['/x'] },
    { desc: 'POSIX class', re: '^[[:alpha:]]+$', yes: ['abcXYZ'], no: ['ab1'] },
    { desc: 'negated POSIX class', re: '^[[:^digit:]]+$', yes: ['abc'], no: ['a1'] },
    { desc: 'POSIX classes combine with ranges', re: '^[[:digit:]a-f]+$', yes: ['09af'], no: ['g'] },
    { desc: '\\s is Go\'s ASCII space set, without \\v', re: '^\\s$', yes: [' ', '\t', '\n', '\f', '\r'], no: ['\v', '\u00a0', '\u2003'] },
    { desc: '\\w is ASCII', re: '^\\w+$', yes: ['a_Z9'], no: ['é', 'a-b'] },
    { desc: '\\d is ASCII', re: '^\\d$', yes: ['7'], no: ['٧'] },
    { desc: '\\D inside a class', re: '^[\\D]$', yes: ['a', 'é'], no: ['1'] },
    { desc: 'Unicode category', re: '^\\pL+$', yes: ['héllo', 'Ωμέγα'], no: ['a1'] },
    { desc: 'Unicode script name', re: '^\\p{Greek}+$', yes: ['Ωμέγα'], no: ['abc'] },
    { desc: 'negated Unicode script', re: '^\\P{Greek}+$', yes: ['abc'], no: ['Ω'] },
    { desc: '\\p{^Greek} negation', re: '^\\p{^Greek}$', yes: ['a'], no: ['Ω'] },
    { desc: 'literal brace when not a repetition', re: '^a{,2}$', yes: ['a{,2}'], no: ['aa'] },
    { desc: 'literal braces around text', re: '^{x}$', yes: ['{x}'], no: ['x'] },
    { desc: 'counted repetition', re: '^a{2,3}$', yes: ['aa', 'aaa'], no: ['a', 'aaaa'] },
    { desc: 'lazy repetition still matches', re: '^a+?$', yes: ['aaa'], no: [''] },
    { desc: '\\Q...\\E quotes metacharacters', re: '^\\Q.*+?\\E$', yes: ['.*+?'], no: ['abcd'] },
    { desc: 'repetition after \\Q...\\E applies to the last character', re: '^\\Qab\\E{2}$', yes: ['abb'], no: ['abab'] },
    { desc: 'hex and octal escapes', re: '^\\x41\\x{42}\\103$', yes: ['ABC'], no: ['abc'] },
    { desc: 'escaped punctuation', re: '^\\-\\/\\!\\ $', yes: ['-/! '], no: ['-/!'] },
    { desc: 'class with ] first and - last', re: '^[]a-]+$', yes: [']a-'], no: ['b'] },
    { desc: 'negated class matches newline like Go', re: '^[^a]$', yes: ['\n', 'b'], no: ['a'] },
    { desc: 'dash between ranges is literal (Perl mode)', re: '^[a-c-e]+$', yes: ['a-e', 'b'], no: ['d'] },
    { desc: 'repeated anchor is allowed', re: '^*a', yes: ['a'], no: ['b'] },
    { desc: 'alternation with empty branch', re: '^(a|)$', yes: ['a', ''], no: ['b'] },
    { desc: 'empty flag group is a no-op', re: '^(?)a$', yes: ['a'], no: ['b'] },
    { desc: 'word boundary', re: '\\bfoo\\b', yes: ['a foo b'], no: ['afoob'] },
    { desc: 'literal slash is escaped for JS', re: '^/a/b$', yes: ['/a/b'], no: ['/a/c'] },
    { desc: 'case-insensitive with Unicode class', re: '(?i)^\\p{Lu}$', yes: ['A', 'a'], no: ['1'] },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const re = compileGoRegexp(c.re);
      for (const s of c.yes) assert.equal(re.test(s), true, `${c.re} should match ${JSON.stringify(s)}`);
      for (const s of c.no) assert.equal(re.test(s), false, `${c.re} should not match ${JSON.stringify(s)}`);
    });
  }

  it('emits neither the u nor the i flag (V8\'s linear engine takes neither)', () => {
    assert.deepEqual(translateRegexp('(?i)abc'), { source: '[Aa][Bb][Cc]', flags: '' });
    assert.equal(translateRegexp('a(?i)bc').flags, '');
    assert.equal(translateRegexp('(?m)^a$').flags, 'm');
  });

  it('every accepted pattern compiles for the linear engine (the l flag)', () => {
    for (const p of ['(a+)+$', '(((((a+)+)+)+)+)+$', '[a-z0-9-]{1,63}', '(?i)\\pL{3}', '(x{2,5}){3,}']) {
      const { source, flags } = translateRegexp(p);
      assert.doesNotThrow(() => new RegExp(source, flags + 'l'), p);
    }
  });

  it('keeps named groups usable for replacements', () => {
    const re = compileGoRegexp('^/(?P<id>[0-9]+)$');
    assert.equal(re.exec('/42')?.groups[re.groupIndex('id')], '42');
  });

  it('accepts group names JavaScript would refuse (groups are numbered in the emitted form)', () => {
    const re = compileGoRegexp('(?P<1st>x)');
    assert.equal(re.expand('${1st}', re.exec('x')!), 'x');
  });
});

describe('compileGoRegexp rejections', () => {
  const cases: Array<{ desc: string; re: string; code: string; message: RegExp; offset: number }> = [
    { desc: 'lookahead is not RE2', re: 'a(?=b)', code: 'TAGWAY_REGEXP_INVALID', message: /invalid or unsupported Perl syntax: `\(\?=`/, offset: 1 },
    { desc: 'negative lookahead is not RE2', re: '(?!b)', code: 'TAGWAY_REGEXP_INVALID', message: /unsupported Perl syntax: `\(\?!`/, offset: 0 },
    { desc: 'lookbehind is not RE2', re: 'x(?<=a)', code: 'TAGWAY_REGEXP_INVALID', message: /`\(\?<=`/, offset: 1 },
    { desc: 'negative lookbehind is not RE2', re: '(?<!a)', code: 'TAGWAY_REGEXP_INVALID', message: /`\(\?<!`/, offset: 0 },
    { desc: 'backreference is an invalid escape', re: '(a)\\1', code: 'TAGWAY_REGEXP_INVALID', message: /invalid escape sequence: `\\1`/, offset: 3 },
    { desc: 'named backreference is unsupported', re: '(?P<a>x)(?P=a)', code: 'TAGWAY_REGEXP_INVALID', message: /invalid or unsupported Perl syntax/, offset: 8 },
    { desc: 'atomic group is unsupported', re: '(?>a)', code: 'TAGWAY_REGEXP_INVALID', message: /unsupported Perl syntax/, offset: 0 },
    { desc: 'comment group is unsupported', re: '(?#x)', code: 'TAGWAY_REGEXP_INVALID', message: /unsupported Perl syntax/, offset: 0 },
    { desc: '\\Z is not RE2', re: 'a\\Z', code: 'TAGWAY_REGEXP_INVALID', message: /invalid escape sequence: `\\Z`/, offset: 1 },
    { desc: 'unknown letter escape', re: '\\i', code: 'TAGWAY_REGEXP_INVALID', message: /invalid escape sequence/, offset: 0 },
    { desc: 'missing closing paren', re: '(ab', code: 'TAGWAY_REGEXP_INVALID', message: /missing closing \): `\(ab`/, offset: 0 },
    { desc: 'unexpected closing paren', re: 'ab)', code: 'TAGWAY_REGEXP_INVALID', message: /unexpected \)/, offset: 2 },
    { desc: 'missing closing bracket', re: '[ab', code: 'TAGWAY_REGEXP_INVALID', message: /missing closing \]/, offset: 0 },
    { desc: 'reversed range', re: 'x[z-a]', code: 'TAGWAY_REGEXP_INVALID', message: /invalid character class range: `z-a`/, offset: 2 },
    { desc: 'unknown POSIX class', re: '[[:foo:]]', code: 'TAGWAY_REGEXP_INVALID', message: /invalid character class range: `\[:foo:\]`/, offset: 1 },
    { desc: 'unknown Unicode class', re: '\\p{Klingon}', code: 'TAGWAY_REGEXP_INVALID', message: /invalid character class range/, offset: 0 },
    { desc: 'nested repetition', re: 'a**', code: 'TAGWAY_REGEXP_INVALID', message: /invalid nested repetition operator: `\*\*`/, offset: 1 },
    { desc: 'possessive quantifier', re: 'a++', code: 'TAGWAY_REGEXP_INVALID', message: /invalid nested repetition operator/, offset: 1 },
    { desc: 'stacked counted repetitions', re: 'a{2}{3}', code: 'TAGWAY_REGEXP_INVALID', message: /invalid nested repetition operator/, offset: 1 },
    { desc: 'repetition without operand', re: '*a', code: 'TAGWAY_REGEXP_INVALID', message: /missing argument to repetition operator: `\*`/, offset: 0 },
    { desc: 'repetition after alternation', re: 'a|+', code: 'TAGWAY_REGEXP_INVALID', message: /missing argument to repetition operator/, offset: 2 },
    { desc: 'repeat count above 1000', re: 'a{1001}', code: 'TAGWAY_REGEXP_INVALID', message: /invalid repeat count: `\{1001\}`/, offset: 1 },
    { desc: 'repeat min above max', re: 'a{3,2}', code: 'TAGWAY_REGEXP_INVALID', message: /invalid repeat count/, offset: 1 },
    { desc: 'trailing backslash', re: 'a\\', code: 'TAGWAY_REGEXP_INVALID', message: /trailing backslash/, offset: 1 },
    { desc: 'duplicate group name', re: '(?P<a>x)(?P<a>y)', code: 'TAGWAY_REGEXP_INVALID', message: /duplicate capture group name/, offset: 8 },
    { desc: 'invalid group name', re: '(?P<a-b>x)', code: 'TAGWAY_REGEXP_INVALID', message: /invalid named capture/, offset: 0 },
    { desc: 'flag negation without flag', re: '(?i-)a', code: 'TAGWAY_REGEXP_INVALID', message: /invalid or unsupported Perl syntax/, offset: 0 },
    { desc: 'line anchors mixed with text anchors', re: '(?m)^a\\z', code: 'TAGWAY_REGEXP_UNTRANSLATABLE', message: /mixes \(\?m\) line anchors/, offset: 0 },
    { desc: 'a repetition whose expansion is too large', re: '\\pL{1000}', code: 'TAGWAY_REGEXP_INVALID', message: /expression too large/, offset: 0 },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.throws(() => compileGoRegexp(c.re), (error: unknown) => {
        assert.ok(error instanceof RegexpError);
        assert.equal(error.code, c.code);
        assert.match(error.message, c.message);
        assert.equal(error.offset, c.offset);
        return true;
      });
    });
  }
});

describe('replaceAll and Go templates (Regexp.ReplaceAllString, Regexp.Expand)', () => {
  const rows: Array<{ desc: string; re: string; template: string; input: string; out: string }> = [
    { desc: 'numbered groups', re: '^/(\\w+)/(\\w+)$', template: '/$2/$1', input: '/a/b', out: '/b/a' },
    { desc: '$1x is the (missing) group named "1x"', re: '^/(a)', template: '$1x', input: '/a', out: '' },
    { desc: '${1}x is group 1 then x', re: '^/(a)', template: '${1}x', input: '/a', out: 'ax' },
    { desc: 'a named group by name', re: '(?P<word>b+)', template: '[${word}]', input: 'abba', out: 'a[bb]a' },
    { desc: 'a lone $ stays', re: 'a', template: 'x$', input: 'a', out: 'x$' },
    { desc: '$$ is a dollar', re: 'a', template: '$$', input: 'a', out: '$' },
    { desc: 'an empty match after a match is skipped (Go)', re: 'x*', template: '-', input: 'abc', out: '-a-b-c-' },
    { desc: '(?i) leading flag', re: '(?i)ABC', template: 'z', input: 'xabcx', out: 'xzx' },
  ];
  for (const r of rows) test(r.desc, () => { assert.equal(compileGoRegexp(r.re).replaceAll(r.input, r.template), r.out); });

  test('expand reads groups of one match', () => {
    const re = compileGoRegexp('(a)(b)');
    assert.equal(re.expand('$0|$1|${2}', re.exec('ab')!), 'ab|a|b');
  });
  test('groups repeated by a counted repetition report the last iteration, like Go', () => {
    assert.deepEqual(compileGoRegexp('^(?:(\\w)-){3}$').exec('a-b-c-')?.groups, ['a-b-c-', 'c']);
    assert.deepEqual(compileGoRegexp('^(\\w)+$').exec('abc')?.groups, ['abc', 'c']);
  });
  test('an empty match advances by one code point, not one UTF-16 unit', () => {
    assert.equal(compileGoRegexp('x*').replaceAll('a😀b', '-'), '-a-😀-b-');
  });
});

