import type { Sample } from './measure.ts';
import { cv, median, ratioInterval, settles } from './stats.ts';

export { median } from './stats.ts';

/** The figures of one target: medians over the rounds (one fresh process each), their spread, its RSS after its last round. */
export interface TargetResult {
  id: string;
  label: string;
  /** Why it did not run (e.g. nginx missing), if it did not. */
  skipped?: string;
  rps?: number;
  /** Spread of req/s over the rounds: standard deviation ÷ mean. */
  rpsCv?: number;
  /**
   * Requests per CPU-second of the SUT (req/s ÷ its CPU share): how much work each request costs. It holds
   * up better than req/s when other work on the machine steals the SUT's core.
   */
  perCpu?: number;
  /** CPU µs per request of the SUT's process tree (all threads), median over rounds, and its spread. */
  usPerReq?: number;
  usPerReqCv?: number;
  p50?: number;
  p99?: number;
  errors?: number;
  sutCpu?: number;
  genCpu?: number;
  otherCpu?: number;
  helperCpu?: number;
  sinkCpu?: number;
  /** Minor page faults of the SUT's process tree per 1,000 requests, median over rounds. */
  faults?: number;
  /** Resident set of the SUT's process tree after its last round, bytes. */
  rss?: number;
  samples: Sample[];
}

/** A ratio's centre (geometric mean of the per-round ratios) and 95% interval (stats.ts). */
export interface Interval { mean: number; low: number; high: number; n: number }

/**
 * A ratio between two targets: throughput (higher is better), p99 and CPU µs per request (lower is better). Each
 * round measures both targets, each in a fresh process, seconds apart; the ratio is taken within the round. `rps`,
 * `p99`, `perCpu` are medians of the per-round ratios; `rpsInterval` / `usInterval` the geometric mean with its 95%
 * interval (req/s, CPU µs per request); `rounds` lists the per-round req/s ratios.
 */
export interface Ratio {
  name: string; of: string; vs: string; rps?: number; p99?: number; perCpu?: number; rounds?: number[];
  rpsInterval?: Interval; usInterval?: Interval;
}

/** A goal from bench/README.md, checked on this run's figures (informational: a bench does not fail). */
export interface Goal { name: string; met?: boolean; detail: string }

const usPerReq = (s: Sample) => (s.sutCpu && s.rps > 0 ? (s.sutCpu * 10_000) / s.rps : undefined);

/** Folds a target's samples into medians and spreads (each figure on its own: rounds are independent runs). */
export function summarize(id: string, label: string, samples: Sample[], rss?: number): TargetResult {
  const all = (f: (s: Sample) => number | undefined) => samples.map(f).filter((x): x is number => x !== undefined);
  const pick = (f: (s: Sample) => number | undefined) => median(all(f));
  return {
    id, label, samples, rss,
    rps: pick((s) => s.rps), rpsCv: cv(all((s) => s.rps)),
    perCpu: pick((s) => (s.sutCpu ? s.rps / (s.sutCpu / 100) : undefined)),
    usPerReq: pick(usPerReq), usPerReqCv: cv(all(usPerReq)),
    p50: pick((s) => s.p50), p99: pick((s) => s.p99),
    errors: samples.reduce((n, s) => n + s.errors + s.timeouts + s.non2xx, 0),
    sutCpu: pick((s) => s.sutCpu), genCpu: pick((s) => s.genCpu), otherCpu: pick((s) => s.otherCpu), helperCpu: pick((s) => s.helperCpu), sinkCpu: pick((s) => s.sinkCpu),
    faults: pick((s) => s.sutFaults),
  };
}

const div = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** A ratio of `of` against `vs` from their samples of the same rounds; undefined when they share none. */
export function ratio(name: string, a: TargetResult, b: TargetResult): Ratio {
  const pairs = a.samples.flatMap((s) => {
    const t = b.samples.find((x) => x.round !== undefined && x.round === s.round);
    return t ? [[s, t] as const] : [];
  });
  if (pairs.length === 0) return { name, of: a.id, vs: b.id, rps: div(a.rps, b.rps), p99: div(a.p99, b.p99), perCpu: div(a.perCpu, b.perCpu) };
  const each = (f: (s: Sample) => number | undefined) => pairs.map(([s, t]) => div(f(s), f(t))).filter((x): x is number => x !== undefined);
  const cpuRate = (s: Sample) => (s.sutCpu ? s.rps / (s.sutCpu / 100) : undefined);
  const rounds = each((s) => s.rps);
  return {
    name, of: a.id, vs: b.id, rps: median(rounds), p99: median(each((s) => s.p99)), perCpu: median(each(cpuRate)), rounds,
    rpsInterval: ratioInterval(rounds), usInterval: ratioInterval(each(usPerReq)),
  };
}

/**
 * Every ratio the README explains; a ratio whose two targets did not both run is left out. A target given twice
 * (`--targets=tagway,tagway`: the second is `tagway#2`) is an A/A pair: the same code in other processes, which
 * must come out 1.00 (its interval says how fine the run can resolve).
 */
export function ratios(results: TargetResult[]): Ratio[] {
  const by = new Map(results.filter((r) => r.rps !== undefined).map((r) => [r.id, r]));
  const out: Ratio[] = [];
  const add = (name: string, of: string, vs: string) => {
    const a = by.get(of); const b = by.get(vs);
    if (a && b) out.push(ratio(name, a, b));
  };
  for (const r of results) {
    const m = r.id.match(/^(.+)#\d+$/);
    if (m) add(`A/A: ${r.id} vs ${m[1]} (same code)`, r.id, m[1]!);
  }
  for (const r of results) if (r.id !== 'direct' && !r.id.includes('#')) add(`${r.id} vs direct`, r.id, 'direct');
  for (const r of results) if (r.id !== 'fastify' && r.id !== 'direct' && !r.id.includes('#')) add(`${r.id} vs fastify`, r.id, 'fastify');
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

/** SUT CPU (% of its core) below which a proxy was not the bottleneck: cpu 1 (generator, upstream) set the pace. */
const SATURATED_CPU = 90;

/** The proxies that did not fill their core ('direct' is the upstream itself, not a proxy). */
export function unsaturated(results: TargetResult[]): TargetResult[] {
  return results.filter((r) => r.id !== 'direct' && r.sutCpu !== undefined && r.sutCpu < SATURATED_CPU);
}

/**
 * The README's targets: tagway ≥ 1.15× fastify with p99 no worse; tracing@1 costs ≤ 12% with p99 ≤ 1.2×;
 * tracing@0.01 ≤ 5%. A throughput bound is judged on the ratio's 95% interval when the run has one: `ok` when the
 * whole interval meets it, `MISS` when none of it does, `?` (not settled: more rounds) when it straddles the bound.
 */
export function goals(rs: Ratio[], opts: { byCpu?: boolean; unsaturated?: ReadonlySet<string> } = {}): Goal[] {
  if (opts.byCpu) return cpuGoals(rs);
  const find = (of: string, vs: string) => rs.find((r) => r.of === of && r.vs === vs);
  // a pair with a proxy that did not fill its core (cpu 1 set the pace) is judged on CPU µs per request instead
  const byCpu = (r: Ratio) => r.usInterval !== undefined && (opts.unsaturated?.has(r.of) === true || opts.unsaturated?.has(r.vs) === true);
  const judge = (r: Ratio, bound: number): boolean | undefined => (byCpu(r) ? settles(kept(r.usInterval!), bound, true)
    : r.rpsInterval ? settles(r.rpsInterval, bound, true) : r.rps! >= bound);
  const byCpuNote = `judged by CPU µs/request (a proxy below ${SATURATED_CPU}% of its core)`;
  const costText = (r: Ratio) => (byCpu(r) ? `${byCpuNote}: ${cpuCostText(r)}; ${rpsCostText(r)}` : rpsCostText(r));
  const both = (a: boolean | undefined, b: boolean) => (a === undefined ? (b ? undefined : false) : a && b);
  const out: Goal[] = [];
  const f = find('tagway', 'fastify');
  out.push(f?.rps !== undefined && f.p99 !== undefined
    ? { name: 'tagway ≥ 1.15× fastify, p99 ≤ fastify', met: both(judge(f, 1.15), f.p99 <= 1), detail: `${byCpu(f) ? `${byCpuNote}: ${ivText(kept(f.usInterval!))} by CPU; ` : ''}${rpsText(f)} rps, p99 ${f.p99.toFixed(2)}×${perCpuNote(f)}` }
    : { name: 'tagway ≥ 1.15× fastify, p99 ≤ fastify', detail: 'not measured' });
  // issue 19's targets (issue 4's were ≤ 25%, p99 ≤ 1.5×)
  const t = find('tagway-trace1', 'tagway');
  out.push(t?.rps !== undefined && t.p99 !== undefined
    ? { name: 'tracing@1 costs ≤ 12% rps, p99 ≤ 1.2×', met: both(judge(t, 0.88), t.p99 <= 1.2), detail: `${costText(t)}, p99 ${t.p99.toFixed(2)}×${perCpuNote(t)}` }
    : { name: 'tracing@1 costs ≤ 12% rps, p99 ≤ 1.2×', detail: 'not measured' });
  const s = find('tagway-trace001', 'tagway');
  out.push(s?.rps !== undefined
    ? { name: 'tracing@0.01 costs ≤ 5% rps', met: judge(s, 0.95), detail: `${costText(s)}${perCpuNote(s)}` }
    : { name: 'tracing@0.01 costs ≤ 5% rps', detail: 'not measured' });
  return out;
}

/**
 * The tracing goals of a `--together` run, where req/s only says how the shared core was split (a target with two
 * busy threads gets more of it): judged on CPU µs per request instead, the throughput a CPU-bound target keeps on a
 * core of its own being 1 ÷ that ratio. p99 is not judged (the targets queue behind each other).
 */
function cpuGoals(rs: Ratio[]): Goal[] {
  const find = (of: string, vs: string) => rs.find((r) => r.of === of && r.vs === vs);
  const one = (name: string, r: Ratio | undefined, bound: number): Goal => {
    if (r?.usInterval === undefined) return { name, detail: 'not measured (needs 2 rounds or more)' };
    return { name, met: settles(kept(r.usInterval), bound, true), detail: `${cpuCostText(r)} (CPU µs/request ${r.usInterval.mean.toFixed(2)}×; together run: p99 not judged)` };
  };
  return [
    one('tracing@1 costs ≤ 12% (CPU per request)', find('tagway-trace1', 'tagway'), 0.88),
    one('tracing@0.01 costs ≤ 5% (CPU per request)', find('tagway-trace001', 'tagway'), 0.95),
  ];
}

/** `0.97× [0.95–0.99]` (geometric mean and 95% interval), or the median alone. */
const ivText = (x: Interval) => `${x.mean.toFixed(2)}× [${x.low.toFixed(2)}–${x.high.toFixed(2)}]`;
const rpsText = (r: Ratio) => (r.rpsInterval ? ivText(r.rpsInterval) : `${r.rps!.toFixed(2)}×`);
/** The throughput a CPU-bound target keeps, from the CPU-per-request ratio's interval (1 ÷ each end). */
const kept = (us: Interval): Interval => ({ mean: 1 / us.mean, low: 1 / us.high, high: 1 / us.low, n: us.n });
/** `13.8% throughput cost by CPU µs/request [95%: 4.0% to 22.5%]`. */
const cpuCostText = (r: Ratio) => {
  const k = kept(r.usInterval!);
  return `${pct(1 - k.mean)} throughput cost by CPU µs/request [95%: ${pct(1 - k.high)} to ${pct(1 - k.low)}]`;
};
/** `8.1% rps cost [5.2–10.9%]`. */
const rpsCostText = (r: Ratio) => (r.rpsInterval
  ? `${pct(1 - r.rpsInterval.mean)} rps cost [95%: ${pct(1 - r.rpsInterval.high)} to ${pct(1 - r.rpsInterval.low)}]`
  : `${pct(1 - r.rps!)} rps cost`);
const perCpuNote = (r: Ratio) => (r.usInterval
  ? `; CPU µs/request ${r.usInterval.mean.toFixed(2)}× [${r.usInterval.low.toFixed(2)}–${r.usInterval.high.toFixed(2)}]`
  : r.perCpu === undefined ? '' : ` (per CPU-second: ${r.perCpu.toFixed(2)}×)`);
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

const spread = (x: number | undefined) => (x === undefined ? '' : ` ±${(100 * x).toFixed(1)}%`);
const iv = (x: Interval | undefined) => (x === undefined ? 'n/a' : `${x.mean.toFixed(3)} [${x.low.toFixed(3)}–${x.high.toFixed(3)}]`);

/** The human-readable report: targets (median ± coefficient of variation over rounds), ratios (95% intervals), goals. */
export function formatReport(results: TargetResult[], rs: Ratio[], gs: Goal[]): string {
  const targets = table(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', 'req/CPU-s', 'SUT CPU', 'gen CPU', 'upstream CPU', 'sink CPU', 'other CPU', 'SUT RSS', 'faults/1k req'],
    results.map((r) => r.skipped
      ? [r.label, 'skipped', '', '', '', '', '', '', '', '', '', '', '', '']
      : [r.label, `${num(r.rps)}${spread(r.rpsCv)}`, num(r.p50, 1), num(r.p99, 1), String(r.errors ?? 0), `${num(r.usPerReq, 1)}${spread(r.usPerReqCv)}`, num(r.perCpu),
        cpu(r.sutCpu), cpu(r.genCpu), cpu(r.helperCpu), r.sinkCpu === undefined ? '' : `${r.sinkCpu.toFixed(1)}%`, cpu(r.otherCpu), mb(r.rss), num(r.faults, 1)]),
  );
  const ratioTable = table(['ratio', 'req/s (95% interval)', 'CPU µs/req (95% interval)', 'p99', 'req/s by round'],
    rs.map((r) => [r.name, r.rpsInterval ? iv(r.rpsInterval) : times(r.rps), r.usInterval ? iv(r.usInterval) : times(r.perCpu ? 1 / r.perCpu : undefined), times(r.p99), (r.rounds ?? []).map((x) => x.toFixed(2)).join(' ')]));
  const goalLines = gs.map((g) => `  [${g.met === undefined ? ' ?  ' : g.met ? ' ok ' : 'MISS'}] ${g.name}: ${g.detail}`);
  const skipped = results.filter((r) => r.skipped).map((r) => `  ${r.label}: ${r.skipped}`);
  // What an A/A pair says about this run's resolution: its interval's half-width, and the rounds ±2.5% would take
  // (the half-width shrinks with √rounds).
  const resolution = rs.filter((r) => r.name.startsWith('A/A') && r.rpsInterval).map((r) => {
    const i = r.rpsInterval!;
    const half = (Math.log(i.high) - Math.log(i.low)) / 2;
    const needed = Math.ceil(i.n * (half / Math.log(1.025)) ** 2);
    return `A/A resolution: ±${(100 * (Math.exp(half) - 1)).toFixed(1)}% over ${i.n} rounds; ±2.5% would take about ${Math.max(needed, 2)} rounds of the same seconds`;
  });
  return [
    targets, '(req/s and CPU µs/req: median over rounds ± coefficient of variation)', '',
    ratioTable, '(ratios: geometric mean of the per-round ratios [95% interval]; p99: median of the per-round ratios)', ...resolution, '',
    'goals (bench/README.md; ? = the interval straddles the bound: more rounds needed):', ...goalLines,
    ...(skipped.length ? ['', 'skipped:', ...skipped] : []),
  ].join('\n');
}
