import type { Sample } from './measure.ts';

/** The figures of one target: medians over the rounds, plus its RSS after its last round. */
export interface TargetResult {
  id: string;
  label: string;
  /** Why it did not run (e.g. nginx missing), if it did not. */
  skipped?: string;
  rps?: number;
  /**
   * Requests per CPU-second of the SUT (req/s ÷ its CPU share): how much work each request costs. It holds
   * up better than req/s when other work on the machine steals the SUT's core.
   */
  perCpu?: number;
  p50?: number;
  p99?: number;
  errors?: number;
  sutCpu?: number;
  genCpu?: number;
  otherCpu?: number;
  helperCpu?: number;
  sinkCpu?: number;
  /** Resident set of the SUT's process tree after its last round, bytes. */
  rss?: number;
  samples: Sample[];
}

/**
 * A ratio between two targets: throughput (higher is better) and p99 (lower is better). Each figure is
 * the median over rounds of the ratio within a round (the two measured minutes apart, in the same state
 * of the machine); `rounds` lists the per-round req/s ratios, to show the spread.
 */
export interface Ratio { name: string; of: string; vs: string; rps?: number; p99?: number; perCpu?: number; rounds?: number[] }

/** A goal from bench/README.md, checked on this run's figures (informational: a bench does not fail). */
export interface Goal { name: string; met?: boolean; detail: string }

export function median(xs: number[]): number | undefined {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

/** Folds a target's samples into medians (each figure on its own: rounds are independent runs). */
export function summarize(id: string, label: string, samples: Sample[], rss?: number): TargetResult {
  const pick = (f: (s: Sample) => number | undefined) => median(samples.map(f).filter((x): x is number => x !== undefined));
  return {
    id, label, samples, rss,
    rps: pick((s) => s.rps), perCpu: pick((s) => (s.sutCpu ? s.rps / (s.sutCpu / 100) : undefined)), p50: pick((s) => s.p50), p99: pick((s) => s.p99),
    errors: samples.reduce((n, s) => n + s.errors + s.timeouts + s.non2xx, 0),
    sutCpu: pick((s) => s.sutCpu), genCpu: pick((s) => s.genCpu), otherCpu: pick((s) => s.otherCpu), helperCpu: pick((s) => s.helperCpu), sinkCpu: pick((s) => s.sinkCpu),
  };
}

const div = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** Every ratio the README explains; a ratio whose two targets did not both run is left out. */
export function ratios(results: TargetResult[]): Ratio[] {
  const by = new Map(results.filter((r) => r.rps !== undefined).map((r) => [r.id, r]));
  const out: Ratio[] = [];
  const add = (name: string, of: string, vs: string) => {
    const a = by.get(of); const b = by.get(vs);
    if (!a || !b) return;
    const pairs = a.samples.flatMap((s) => {
      const t = b.samples.find((x) => x.round !== undefined && x.round === s.round);
      return t ? [[s, t] as const] : [];
    });
    if (pairs.length === 0) { // rounds unknown (older result files): ratio of the medians
      out.push({ name, of, vs, rps: div(a.rps, b.rps), p99: div(a.p99, b.p99), perCpu: div(a.perCpu, b.perCpu) });
      return;
    }
    const per = (f: (s: Sample) => number | undefined) => median(pairs.map(([s, t]) => div(f(s), f(t))).filter((x): x is number => x !== undefined));
    const cpuRate = (s: Sample) => (s.sutCpu ? s.rps / (s.sutCpu / 100) : undefined);
    const rounds = pairs.map(([s, t]) => div(s.rps, t.rps)).filter((x): x is number => x !== undefined);
    out.push({ name, of, vs, rps: per((s) => s.rps), p99: per((s) => s.p99), perCpu: per(cpuRate), rounds });
  };
  for (const r of results) if (r.id !== 'direct') add(`${r.id} vs direct`, r.id, 'direct');
  for (const r of results) if (r.id !== 'fastify' && r.id !== 'direct') add(`${r.id} vs fastify`, r.id, 'fastify');
  add('tracing cost @1 (on vs off)', 'tagway-trace1', 'tagway');
  add('tracing cost @0.01 (on vs off)', 'tagway-trace001', 'tagway');
  add('scaling (workers=2 vs 1)', 'tagway-w2', 'tagway');
  add('dashboard\'s live-traffic counters (API on vs off)', 'tagway-dash', 'tagway');
  add('this tree vs baseline (BENCH_BASELINE)', 'tagway', 'tagway-base');
  add('baseline tracing cost @1 (on vs off)', 'tagway-base-trace1', 'tagway-base');
  add('baseline tracing cost @0.01 (on vs off)', 'tagway-base-trace001', 'tagway-base');
  add('this tree vs baseline, tracing @1', 'tagway-trace1', 'tagway-base-trace1');
  add('this tree vs baseline, tracing @0.01', 'tagway-trace001', 'tagway-base-trace001');
  return out;
}

/** The README's targets: tagway ≥ 1.15× fastify with p99 no worse; tracing@1 costs ≤ 12% with p99 ≤ 1.2×; tracing@0.01 ≤ 5%. */
export function goals(rs: Ratio[]): Goal[] {
  const find = (of: string, vs: string) => rs.find((r) => r.of === of && r.vs === vs);
  const out: Goal[] = [];
  const f = find('tagway', 'fastify');
  out.push(f?.rps !== undefined && f.p99 !== undefined
    ? { name: 'tagway ≥ 1.15× fastify, p99 ≤ fastify', met: f.rps >= 1.15 && f.p99 <= 1, detail: `${f.rps.toFixed(2)}× rps, p99 ${f.p99.toFixed(2)}×${perCpuNote(f)}` }
    : { name: 'tagway ≥ 1.15× fastify, p99 ≤ fastify', detail: 'not measured' });
  // issue 19's targets (issue 4's were ≤ 25%, p99 ≤ 1.5×)
  const t = find('tagway-trace1', 'tagway');
  out.push(t?.rps !== undefined && t.p99 !== undefined
    ? { name: 'tracing@1 costs ≤ 12% rps, p99 ≤ 1.2×', met: t.rps >= 0.88 && t.p99 <= 1.2, detail: `${pct(1 - t.rps)} rps cost, p99 ${t.p99.toFixed(2)}×${perCpuNote(t)}` }
    : { name: 'tracing@1 costs ≤ 12% rps, p99 ≤ 1.2×', detail: 'not measured' });
  const s = find('tagway-trace001', 'tagway');
  out.push(s?.rps !== undefined
    ? { name: 'tracing@0.01 costs ≤ 5% rps', met: s.rps >= 0.95, detail: `${pct(1 - s.rps)} rps cost${perCpuNote(s)}` }
    : { name: 'tracing@0.01 costs ≤ 5% rps', detail: 'not measured' });
  return out;
}

const perCpuNote = (r: Ratio) => (r.perCpu === undefined ? '' : ` (per CPU-second: ${r.perCpu.toFixed(2)}×)`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number | undefined, digits = 0) => (x === undefined ? 'n/a' : x.toFixed(digits));
const mb = (x: number | undefined) => (x === undefined ? 'n/a' : `${(x / 1024 / 1024).toFixed(0)} MB`);
const cpu = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)}%`);
const times = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)}×`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable report: targets, ratios, goals. */
export function formatReport(results: TargetResult[], rs: Ratio[], gs: Goal[]): string {
  const targets = table(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/CPU-s', 'CPU µs/req', 'SUT CPU', 'gen CPU', 'upstream CPU', 'sink CPU', 'other CPU', 'SUT RSS'],
    results.map((r) => r.skipped
      ? [r.label, 'skipped', '', '', '', '', '', '', '', '', '', '', '']
      : [r.label, num(r.rps), num(r.p50, 1), num(r.p99, 1), String(r.errors ?? 0), num(r.perCpu), r.perCpu ? (1e6 / r.perCpu).toFixed(1) : 'n/a',
        cpu(r.sutCpu), cpu(r.genCpu), cpu(r.helperCpu), r.sinkCpu === undefined ? '' : `${r.sinkCpu.toFixed(1)}%`, cpu(r.otherCpu), mb(r.rss)]),
  );
  const ratioTable = table(['ratio', 'req/s', 'p99', 'req/CPU-s', 'req/s by round'], rs.map((r) => [r.name, times(r.rps), times(r.p99), times(r.perCpu), (r.rounds ?? []).map((x) => x.toFixed(2)).join(' ')]));
  const goalLines = gs.map((g) => `  [${g.met === undefined ? ' ?  ' : g.met ? ' ok ' : 'MISS'}] ${g.name}: ${g.detail}`);
  const skipped = results.filter((r) => r.skipped).map((r) => `  ${r.label}: ${r.skipped}`);
  return [targets, '', ratioTable, '', 'goals (bench/README.md):', ...goalLines, ...(skipped.length ? ['', 'skipped:', ...skipped] : [])].join('\n');
}
