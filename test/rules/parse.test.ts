import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRule, type MatchRequest, type RuleErrorCode } from '../../src/rules/index.ts';
import { MAX_RULE_DEPTH, MAX_RULE_LENGTH, parseRule, RuleSyntaxError } from '../../src/rules/parse.ts';

const CODES: ReadonlySet<RuleErrorCode> = new Set(['TAGWAY_RULE_SYNTAX', 'TAGWAY_RULE_LIMIT', 'TAGWAY_RULE_MATCHER', 'TAGWAY_RULE_ARGUMENT', 'TAGWAY_RULE_REGEXP']);

function request(over: Partial<MatchRequest> = {}): MatchRequest {
  return { method: 'GET', host: 'a.com', path: '/', rawQuery: '', clientIp: '127.0.0.1', headers: {}, ...over };
}

/** compileRule's contract: a compiled rule, or a RuleError with a known code, a column inside the rule and a short message. */
function assertAnswer(rule: string): ReturnType<typeof compileRule> {
  const r = compileRule(rule);
  if (r.ok) return r;
  assert.ok(CODES.has(r.code), `unknown code ${r.code}`);
  assert.ok(r.column >= 1 && r.column <= rule.length + 1, `column ${r.column} outside the rule`);
  assert.ok(r.reason.length > 0 && r.message.endsWith(r.reason));
  assert.ok(r.message.length <= 2 * (2 * 60 + 3) + r.reason.length, 'the caret line is cut around the column');
  return r;
}

// Rule text from real fragments and junk, so every branch of the tokenizer and the parser is reached.
const token = fc.oneof(
  fc.constantFrom('Host(', 'host(', 'HOST(', 'Path(', 'PathPrefix(', 'PathRegexp(', 'HostRegexp(', 'Header(', 'Query(',
    'ClientIP(', 'Method(', 'Nope(', '`a.com`', '`/x`', '`^/(a+)+$`', '`{x}`', '`10.0.0.0/8`', '"a\\n"', '"\\x41"',
    '"\\u00e9"', '"\\400"', '"\\q"', "'a'", '(', ')', '!', '&&', '||', '&', '|', ',', ' ', '\n', '`', '"', ''),
  fc.string({ maxLength: 6 }),
);
const soup = fc.array(token, { maxLength: 24 }).map((parts) => parts.join(''));

// Well-formed rules over a few hosts and paths, nested with !, &&, || and parentheses.
const { expr } = fc.letrec<{ expr: string; leaf: string }>((tie) => ({
  expr: fc.oneof({ depthSize: 'small' },
    tie('leaf'),
    tie('expr').map((e) => `!${e}`),
    tie('expr').map((e) => `(${e})`),
    fc.array(tie('expr'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join(' && ')),
    fc.array(tie('expr'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join(' || '))),
  leaf: fc.oneof(
    fc.constantFrom('a.com', 'b.com', 'c.com', '*.com', 'A.COM').map((h) => `Host(\`${h}\`)`),
    fc.constantFrom('/', '/x', '/x/y').map((p) => `PathPrefix(\`${p}\`)`),
    fc.constantFrom('GET', 'POST').map((m) => `Method(\`${m}\`)`)),
}));
const req = fc.record({
  host: fc.constantFrom('a.com', 'b.com', 'c.com', 'x.com', 'd.a.com', 'com'),
  path: fc.constantFrom('/', '/x', '/x/y', '/y'),
  method: fc.constantFrom('GET', 'POST'),
}).map((r) => request(r));

describe('rule parser properties', () => {
  it('compileRule answers any text with a compiled rule or a RuleError, never an exception', () => {
    fc.assert(fc.property(fc.oneof(soup, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: 'grapheme' })), (rule) => {
      assertAnswer(rule);
    }), { numRuns: 3000, seed: 101 });
  });

  it('parseRule returns a tree or throws RuleSyntaxError, nothing else', () => {
    fc.assert(fc.property(soup, (rule) => {
      try { parseRule(rule); } catch (error) { assert.ok(error instanceof RuleSyntaxError, String(error)); }
    }), { numRuns: 2000, seed: 102 });
  });

  it('well-formed rules compile, and the host index and the per-host specialization agree with match', () => {
    fc.assert(fc.property(expr, fc.array(req, { minLength: 1, maxLength: 6 }), (rule, reqs) => {
      const r = compileRule(rule);
      if (!r.ok) {
        assert.equal(r.code, 'TAGWAY_RULE_LIMIT', r.message); // only a generated rule nested past the limit
        return;
      }
      for (const q of reqs) {
        const want = r.match(q);
        const special = r.specialize(q.host);
        assert.equal(typeof special === 'boolean' ? special : special(q), want, `specialize(${q.host}) of ${rule}`);
        if (want && r.hosts !== undefined) {
          const inPattern = (r.hostPatterns ?? []).some((p) => p === '*' || (p.startsWith('*.') && q.host.endsWith(p.slice(1))) || (p.startsWith('**.') && q.host.endsWith(p.slice(2))));
          assert.ok(r.hosts.includes(q.host) || inPattern, `hosts ${JSON.stringify(r.hosts)} exclude ${q.host} for ${rule}`);
        }
        assert.equal(r.explain(q) === undefined, want, `explain agrees with match for ${rule}`);
      }
    }), { numRuns: 1500, seed: 103 });
  });
});

describe('rule limits', () => {
  it(`refuses 2,000 nested parentheses with TAGWAY_RULE_LIMIT (limit ${MAX_RULE_DEPTH})`, () => {
    const r = assertAnswer(`${'('.repeat(2000)}Host(\`a\`)${')'.repeat(2000)}`);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.code, 'TAGWAY_RULE_LIMIT');
      assert.match(r.reason, /nest more than 100 levels/);
      assert.equal(r.column, MAX_RULE_DEPTH + 1);
    }
  });

  it('refuses 8,000 nested "!" with a typed error (the tree walks overflowed the stack before)', () => {
    const r = assertAnswer(`${'!'.repeat(8000)}Host(\`a\`)`);
    assert.equal(r.ok ? undefined : r.code, 'TAGWAY_RULE_LIMIT');
  });

  it('refuses a regexp argument with 2,000 nested groups as Go does (the translator overflowed the stack)', () => {
    for (const matcher of ['PathRegexp', 'HostRegexp']) {
      const r = assertAnswer(`${matcher}(\`${'('.repeat(2000)}a${')'.repeat(2000)}\`)`);
      assert.equal(r.ok ? undefined : r.code, 'TAGWAY_RULE_REGEXP', matcher);
      if (!r.ok) assert.match(r.reason, /expression nests too deeply/);
    }
    assert.equal(compileRule(`PathRegexp(\`${'('.repeat(1000)}a${')'.repeat(1000)}\`)`).ok, true, "Go's own limit is 1000");
  });

  it(`refuses a rule longer than ${MAX_RULE_LENGTH} characters, naming the limit, with a short message`, () => {
    const rule = Array.from({ length: 2000 }, (_, i) => `Host(\`h${i}.example.com\`)`).join(' || ');
    const r = assertAnswer(rule);
    assert.equal(r.ok ? undefined : r.code, 'TAGWAY_RULE_LIMIT');
    if (!r.ok) assert.match(r.reason, new RegExp(`${rule.length} characters long, more than the limit of ${MAX_RULE_LENGTH}`));
  });

  it('accepts nesting up to the limit and long flat chains (the tree does not deepen with && and ||)', () => {
    const nested = `${'('.repeat(MAX_RULE_DEPTH)}Host(\`a.com\`)${')'.repeat(MAX_RULE_DEPTH)}`;
    assert.equal(compileRule(nested).ok, true);
    const hosts = Array.from({ length: 600 }, (_, i) => `h${i}.example.com`);
    const chain = compileRule(hosts.map((h) => `Host(\`${h}\`)`).join('||'));
    assert.ok(chain.ok);
    assert.equal(chain.hosts?.length, 600);
    for (const h of hosts) assert.equal(chain.specialize(h), true);
    assert.equal(chain.specialize('other.example.com'), false);
  });
});
