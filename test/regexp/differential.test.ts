/**
 * The translator against an independent RE2 implementation (re2js, a port of RE2/J): generated Go
 * patterns and inputs must get the same answer (does it match, where, what) from both. Seeded and
 * bounded, so a failure replays. Plus the five patterns on which tagway's two former dialects disagreed,
 * through the production entry points of a rule, a middleware option and a Consul constraint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compileGoRegexp, RegexpError } from '../../src/regexp/index.ts';
import { parseGoRegexp, type Node } from '../../src/regexp/parse.ts';
import { compileRule, type MatchRequest } from '../../src/rules/index.ts';
import { regexOption } from '../../src/middlewares/shared/options.ts';
import { compileConstraints } from '../../src/providers/consulcatalog/constraints.ts';

/** Characters whose answers differ between naive dialects: case orbits (Kelvin sign, long s, ß/ẞ, final sigma, dotless i), line ends, an astral code point. */
const ALPHABET = ['a', 'b', 'A', 'B', 'k', 'K', '\u212a', 's', 'S', '\u017f', 'ß', 'ẞ', 'é', 'É', 'σ', 'Σ', 'ς', 'ı', 'I', 'i',
  '0', '7', '-', '/', '.', ' ', '\n', '\r', '_', '😀', 'Ω', 'ω', 'α', '\u2028', '\t'];

const META = new Set('\\.+*?()|[]{}^$'.split(''));
const lit = fc.constantFrom(...ALPHABET.filter((c) => c !== '\n' && c !== '\r')).map((c) => (META.has(c) ? '\\' + c : c));

const classItem = fc.oneof(
  fc.constantFrom('a', 'b', 'k', 'S', 'é', 'ω', '😀', '0', '/', '\\-', '\\]', '\\n'),
  fc.constantFrom('a-z', 'A-Z', '0-9', 'α-ω', 'a-f'),
  fc.constantFrom('[:alpha:]', '[:^digit:]', '[:word:]', '[:space:]', '[:upper:]', '[:punct:]'),
  fc.constantFrom('\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\pL', '\\p{Greek}', '\\PL', '\\p{Lu}', '\\p{^Ll}'),
);
const cls = fc.tuple(fc.boolean(), fc.array(classItem, { minLength: 1, maxLength: 3 })).map(([neg, items]) => `[${neg ? '^' : ''}${items.join('')}]`);

const atom = fc.oneof(
  { weight: 6, arbitrary: lit },
  { weight: 2, arbitrary: fc.constant('.') },
  { weight: 3, arbitrary: cls },
  { weight: 2, arbitrary: fc.constantFrom('\\d', '\\w', '\\s', '\\W', '\\pL', '\\p{Greek}', '\\PL', '\\x{1F600}', '\\x41', '\\Q.*\\E') },
  { weight: 1, arbitrary: fc.constantFrom('^', '$', '\\A', '\\z', '\\b', '\\B') },
);

const quant = fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?', '+?', '??', '{1,2}?');

const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; piece: string; group: string }>((tie) => ({
  re: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.array(tie('piece'), { minLength: 1, maxLength: 4 }).map((p) => p.join('')),
    fc.tuple(fc.array(tie('piece'), { minLength: 0, maxLength: 3 }), fc.array(tie('piece'), { minLength: 0, maxLength: 3 })).map(([a, b]) => `${a.join('')}|${b.join('')}`),
  ),
  piece: fc.oneof({ depthSize: 'small' },
    { weight: 4, arbitrary: fc.tuple(atom, quant).map(([a, q]) => (/^[$^]|\\[AzbB]$/.test(a) && q !== '' ? a : a + q)) },
    // Counts above V8's replication bound of 16, which the emitter expands.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '[ab]', '(?:ab)', '.'), fc.constantFrom('{17}', '{0,20}', '{3,18}?', '{17,}')).map(([a, q]) => a + q) },
    { weight: 1, arbitrary: fc.tuple(tie('group'), quant).map(([g, q]) => g + q) },
    { weight: 1, arbitrary: fc.constantFrom('(?i)', '(?s)', '(?U)', '(?-i)') },
  ),
  group: fc.tuple(fc.constantFrom('(', '(?:', '(?i:', '(?s:', '(?P<n1>', '(?-s:'), tie('re')).map(([open, body]) => `${open}${body})`),
})).re;

const input = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }).map((cs) => cs.join(''));

function nullable(n: Node): boolean {
  switch (n.t) {
    case 'set': return false;
    case 'group': return nullable(n.body);
    case 'cat': return n.items.every(nullable);
    case 'alt': return n.items.some(nullable);
    case 'rep': return n.min === 0 || nullable(n.sub);
    default: return true;
  }
}

/**
 * `x*`/`x+` whose x can match empty: RE2 ends the loop on an empty iteration, JavaScript rejects it and
 * backtracks into x, so the matched text may differ (whether it matches does not). README: known difference.
 */
function loopsOverEmpty(n: Node): boolean {
  if (n.t === 'rep' && n.max === -1 && nullable(n.sub)) return true;
  if (n.t === 'group') return loopsOverEmpty(n.body);
  if (n.t === 'rep') return loopsOverEmpty(n.sub);
  if (n.t === 'cat' || n.t === 'alt') return n.items.some(loopsOverEmpty);
  return false;
}

/** A capture inside a repetition: Go keeps its value from an earlier iteration, JavaScript resets it (known difference). */
function groupInLoop(n: Node, inLoop = false): boolean {
  if (n.t === 'group') return (inLoop && n.index !== undefined) || groupInLoop(n.body, inLoop);
  if (n.t === 'rep') return groupInLoop(n.sub, inLoop || n.max !== 1);
  if (n.t === 'cat' || n.t === 'alt') return n.items.some((i) => groupInLoop(i, inLoop));
  return false;
}

interface Answer { ok: true; match: boolean; index?: number; text?: string; groups?: Array<string | undefined> }

function ours(p: string, s: string): Answer | { ok: false; error: string } {
  let re;
  try { re = compileGoRegexp(p); } catch (e) { if (e instanceof RegexpError) return { ok: false, error: e.message }; throw e; }
  const m = re.exec(s);
  const match = re.test(s);
  return m === null ? { ok: true, match } : { ok: true, match, index: m.index, text: m.groups[0], groups: m.groups.slice(1) };
}

function theirs(p: string, s: string): Answer | { ok: false; error: string } {
  let re;
  try { re = RE2JS.compile(p); } catch (e) { return { ok: false, error: (e as Error).message }; }
  const m = re.matcher(s);
  if (!m.find()) return { ok: true, match: false };
  const groups: Array<string | undefined> = [];
  for (let g = 1; g <= m.groupCount(); g++) groups.push(m.group(g) ?? undefined);
  return { ok: true, match: true, index: m.start(), text: m.group(0) ?? undefined, groups };
}

describe('differential: src/regexp against re2js', () => {
  it('generated patterns and inputs get the same answer (match, index, matched text, groups)', () => {
    let compared = 0;
    fc.assert(fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 6 }), (p, inputs) => {
      const first = theirs(p, '');
      if (!first.ok) return; // re2js refuses it: the rejection tests cover our errors
      const ast = parseGoRegexp(p).ast;
      const extents = !loopsOverEmpty(ast);
      const groups = extents && !groupInLoop(ast);
      for (const s of inputs) {
        const a = ours(p, s);
        const b = theirs(p, s);
        assert.ok(b.ok);
        if (!a.ok) {
          // The only refusals allowed for a pattern RE2 takes: a linear form too large.
          assert.match(a.error, /expression too large/, `${JSON.stringify(p)}: ${a.error}`);
          return;
        }
        if (!groups) { delete a.groups; delete b.groups; }
        if (extents) assert.deepEqual(a, b, `pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
        else assert.equal(a.match, b.match, `pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
        compared++;
      }
    }), { seed: 20261206, numRuns: 300 });
    assert.ok(compared > 500, `compared ${compared} pattern/input pairs`);
  });
});

describe('differential: which patterns are valid', () => {
  const token = fc.constantFrom('a', 'b', '(', ')', '[', ']', '{', '}', '*', '+', '?', '|', '^', '$', '\\', '.', '-', ',', '1', '2',
    ':', 'P', '<', '>', 'i', 'd', 'p', 'L', 'z', 'Q', 'E', 'x', '=', '!', '#', 's', 'U', '0');
  it('a pattern is refused by src/regexp exactly when re2js refuses it', () => {
    fc.assert(fc.property(fc.array(token, { maxLength: 8 }).map((t) => t.join('')), (p) => {
      let ours = true;
      try { compileGoRegexp(p); } catch (e) { if (!(e instanceof RegexpError)) throw e; ours = false; }
      let theirs = true;
      try { RE2JS.compile(p); } catch { theirs = false; }
      assert.equal(ours, theirs, `${JSON.stringify(p)}: ours ${ours ? 'accepts' : 'refuses'}, re2js ${theirs ? 'accepts' : 'refuses'}`);
    }), { seed: 20261206, numRuns: 3000 });
  });
});

describe('the five patterns the two former dialects disagreed on: one answer in a rule, a middleware option and a constraint', () => {
  const cases: Array<{ desc: string; re: string; inputs: string[] }> = [
    { desc: '\\pL is a Unicode letter', re: '^\\pL+$', inputs: ['héllo', 'Ωμέγα', 'a1', 'pL'] },
    { desc: '[[:alpha:]] is a POSIX class', re: '^[[:alpha:]]+$', inputs: ['abcXYZ', 'ab1', ':'] },
    { desc: '\\z is the end of the text', re: '^v1\\z', inputs: ['v1', 'v1\n', 'v1x', 'v1z'] },
    { desc: 'a mid-pattern (?i) folds the rest', re: '^/api(?i)/users$', inputs: ['/api/USERS', '/API/users', '/api/users', '/api/u\u017fers'] },
    { desc: '. matches \\r (only \\n ends a line for Go)', re: '^a.b$', inputs: ['a\rb', 'a\nb', 'axb', 'a\u2028b'] },
  ];
  const request = (value: string): MatchRequest => ({ method: 'GET', host: 'h.test', path: '/', rawQuery: '', clientIp: '127.0.0.1', headers: { 'x-v': value } });
  for (const c of cases) {
    it(c.desc, () => {
      const rule = compileRule(`HeaderRegexp(\`X-V\`, \`${c.re}\`)`);
      assert.ok(rule.ok, rule.ok ? '' : rule.message);
      const option = regexOption(c.re, 'replacePathRegex.regex');
      const constraint = compileConstraints(`TagRegex(\`${c.re}\`)`);
      const re2 = RE2JS.compile(c.re);
      for (const s of c.inputs) {
        const want = re2.matcher(s).find();
        assert.equal(rule.match(request(s)), want, `rule on ${JSON.stringify(s)}`);
        assert.equal(option.test(s), want, `middleware option on ${JSON.stringify(s)}`);
        assert.equal(constraint([s]), want, `TagRegex on ${JSON.stringify(s)}`);
      }
    });
  }
});
