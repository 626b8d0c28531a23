/**
 * Cost of the regexp defence: Go regexps as tagway compiles them (src/regexp/), matched by V8
 * - `plain`: the backtracking engine alone (no defence: what a process without the V8 flags does),
 * - `fallback`: the defence tagway runs (backtracking first, V8's linear engine once a match backtracks
 *   more than BACKTRACKS_BEFORE_FALLBACK times),
 * - `linear`: the linear engine for every match (the `l` flag),
 * on ordinary rules (ns per match, CPU time) and on hostile inputs (ms per match). Not a test: it prints figures.
 *
 *   node --import tsx bench/regexp.ts            (BENCH_ROUNDS=5 for steadier figures on a busy machine)
 *
 * Each mode runs in its own process (V8 flags are per process and must precede compilation).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Case { name: string; pattern: string; inputs: string[] }

const ORDINARY: Case[] = [
  { name: 'PathRegexp api', pattern: '^/api/v[0-9]+/users/[^/]+$', inputs: ['/api/v2/users/42', '/api/v2/orders/42', '/static/app.js'] },
  { name: 'PathRegexp ext', pattern: '^/static/.*\\.(css|js|png)$', inputs: ['/static/a/b/app.js', '/static/a/b/app.map', '/api/x'] },
  { name: 'PathRegexp (?i)', pattern: '(?i)^/products/(shoes|socks)/[0-9]+$', inputs: ['/Products/SHOES/31', '/products/hats/1'] },
  { name: 'HostRegexp', pattern: '^[a-z0-9-]+\\.example\\.com$', inputs: ['svc-12.example.com', 'svc.example.org'] },
  { name: 'HostRegexp {1,63}', pattern: '^([a-z0-9-]{1,63}\\.)+example\\.com$', inputs: ['a.b.example.com', 'a.b.example.org'] },
  { name: 'HeaderRegexp', pattern: '^Bearer [A-Za-z0-9._-]+$', inputs: ['Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', 'Basic dXNlcg=='] },
  { name: 'CORS origin', pattern: '^https://([a-z]+\\.)?example\\.com$', inputs: ['https://app.example.com', 'https://evil.com'] },
];

const HOSTILE: Case[] = [
  { name: '(a+)+ 28 B', pattern: '^/p/(a+)+$', inputs: ['/p/' + 'a'.repeat(24) + '!'] },
  { name: '(a+)+ 4 KB', pattern: '^/p/(a+)+$', inputs: ['/p/' + 'a'.repeat(4096) + '!'] },
  { name: '(a|aa)+ 4 KB', pattern: '^(a|aa)+$', inputs: ['a'.repeat(4096) + '!'] },
  { name: '(.*a){12} 4 KB', pattern: '^(.*a){12}$', inputs: ['a'.repeat(4096) + '!'] },
];

type Mode = 'plain' | 'fallback' | 'linear';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Compiled { name: string; source: string; flags: string; inputs: string[] }

function child(mode: Mode, ordinary: Compiled[], hostile: Compiled[], backtracks: number): void {
  const { setFlagsFromString } = process.getBuiltinModule('node:v8') as typeof import('node:v8');
  if (mode !== 'plain') {
    setFlagsFromString('--enable-experimental-regexp-engine');
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    setFlagsFromString(`--regexp-backtracks-before-fallback=${backtracks}`);
  }
  const flags = (c: Compiled): string => c.flags + (mode === 'linear' ? 'l' : '');
  const out: Record<string, number> = {};
  for (const c of ordinary) {
    const re = new RegExp(c.source, flags(c));
    let hits = 0;
    for (let k = 0; k < 20_000; k++) for (const s of c.inputs) if (re.test(s)) hits++; // warm-up, tier-up
    const n = 200_000;
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const t0 = process.cpuUsage();
      for (let k = 0; k < n; k++) for (const s of c.inputs) if (re.test(s)) hits++;
      const t = process.cpuUsage(t0);
      best = Math.min(best, ((t.user + t.system) * 1000) / (n * c.inputs.length));
    }
    out[c.name] = best;
    if (hits < 0) console.log(hits);
  }
  for (const c of hostile) {
    if (mode === 'plain' && !c.name.includes('28 B')) { out[c.name] = NaN; continue; }
    const re = new RegExp(c.source, flags(c));
    const t0 = performance.now();
    re.test(c.inputs[0]!);
    out[c.name] = performance.now() - t0;
  }
  process.stdout.write(JSON.stringify(out));
}

async function main(): Promise<void> {
  const [, , role, mode, payload] = process.argv;
  if (role === '--child') {
    const { ordinary, hostile, backtracks } = JSON.parse(payload!) as { ordinary: Compiled[]; hostile: Compiled[]; backtracks: number };
    child(mode as Mode, ordinary, hostile, backtracks);
    return;
  }
  const { compileGoRegexp } = await import('../src/regexp/index.ts');
  const { BACKTRACKS_BEFORE_FALLBACK } = await import('../src/regexp/engine.ts');
  const compile = (c: Case): Compiled => ({ name: c.name, ...compileGoRegexp(c.pattern).translated, inputs: c.inputs });
  const payloadJson = JSON.stringify({ ordinary: ORDINARY.map(compile), hostile: HOSTILE.map(compile), backtracks: BACKTRACKS_BEFORE_FALLBACK });
  const self = fileURLToPath(import.meta.url);
  // Rounds interleave the modes; each figure is the median over rounds (of each child's best of 3).
  const rounds: Array<Record<Mode, Record<string, number>>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = { plain: {}, fallback: {}, linear: {} } as Record<Mode, Record<string, number>>;
    for (const mode of ['plain', 'fallback', 'linear'] as const) {
      round[mode] = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', mode, payloadJson], { encoding: 'utf8', timeout: 120_000 })) as Record<string, number>;
    }
    rounds.push(round);
  }
  const median = (xs: number[]): number => { const v = [...xs].sort((a, b) => a - b); return v[Math.floor(v.length / 2)]!; };
  const results = { plain: {}, fallback: {}, linear: {} } as Record<Mode, Record<string, number>>;
  for (const mode of ['plain', 'fallback', 'linear'] as const) {
    for (const name of Object.keys(rounds[0]![mode])) results[mode][name] = median(rounds.map((r) => r[mode][name] ?? NaN));
  }
  console.log(`node ${process.version}, regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}, median of ${ROUNDS} rounds`);
  console.log('ordinary rules, ns per match (CPU)   plain   fallback   linear');
  for (const c of ORDINARY) {
    const f = (m: Mode): string => results[m][c.name]!.toFixed(0).padStart(9);
    console.log(`  ${c.name.padEnd(34)}${f('plain')}${f('fallback')}${f('linear')}`);
  }
  console.log('hostile inputs, ms per match        plain   fallback   linear');
  for (const c of HOSTILE) {
    const f = (m: Mode): string => { const v = results[m][c.name]; return (v === null || v === undefined || Number.isNaN(v) ? '(skip)' : v!.toFixed(1)).padStart(9); };
    console.log(`  ${c.name.padEnd(34)}${f('plain')}${f('fallback')}${f('linear')}`);
  }
}

await main();
