import { findNginx } from './nginx.ts';
import { defaultOrigin, TARGETS, type Origin } from './targets.ts';

/** Bench parameters: flag (`--duration=10` or `--duration 10`), else env (`BENCH_DURATION`), else default. */
export interface BenchArgs {
  /** Seconds measured per target and round. */
  duration: number;
  connections: number;
  /** Seconds of unmeasured load before each measurement. */
  warmup: number;
  /** Rounds over all targets, each target a fresh process per round; each figure is the median over rounds. */
  repeats: number;
  /** Target ids, in report order; a repeated target is `id#2`, `id#3`… (targetList). */
  targets: string[];
  /** JSON output file. */
  out: string;
  /** Profile these tagway targets with --cpu-prof, in turn, instead of the comparison run (bare flag: `tagway`). */
  cpuProf?: string[];
  /**
   * Niceness for the bench and every process it starts (e.g. -10), so other work on a shared machine
   * disturbs the figures less. Needs root or CAP_SYS_NICE. Undefined: leave the priority alone.
   */
  nice?: number;
  /**
   * Measure the targets of a round at the same time (each its own generator), not one after the other: they
   * share core 0 and whatever else the machine does, so CPU µs per request compares them in the same conditions
   * (an A/B on a busy machine). req/s then says nothing about a target alone.
   */
  together: boolean;
  /**
   * Slices per target and round: the round's measured seconds split into this many, visited in mirrored order
   * (2: A B C C B A), so two targets are measured close in time and a drift of the machine during the round
   * weighs on both alike. Each process warms up before its first slice (`warmup`) and again, briefly, before each
   * later one (`sliceWarmup`).
   */
  slices: number;
  /**
   * Seconds of unmeasured load before each slice after the first. A process idle for ~12 s or more while the others
   * take their slices gives back half of its young generation at its next scavenge (V8 shrinks the new space when
   * the allocation rate since the last GC looks low) and then touches 16 MB of fresh pages: ~3,500 faults, 10 µs
   * each on the bench host, inside whichever target's slice came after a long enough wait.
   */
  sliceWarmup: number;
  /**
   * The upstream every proxy forwards to (and target (a)): `nginx` (the default when installed) or `node` (a bare
   * node:http server, bench/lib/upstream.ts). It shares core 1 with the load generator; a Node upstream costs about
   * as much as the generator, so on a fast host core 1 ran out before the SUT's core did: nginx costs a fraction.
   */
  origin: Origin;
  help: boolean;
}

export const USAGE = `npm run bench -- [--duration=10] [--connections=50] [--warmup=2] [--repeats=3]
                     [--targets=${TARGETS.map((t) => t.id).join(',')}|tracing|all] (a target twice: an A/A pair)
                     [--out=.bench-out/latest.json] [--nice[=-10]] [--cpu-prof[=tagway,tagway-trace1]] [--together] [--slices=2]
                     [--slice-warmup=2] [--origin=nginx|node] (default nginx when installed)
env: BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_REPEATS, BENCH_TARGETS, BENCH_OUT, BENCH_NICE, BENCH_SLICES, BENCH_SLICE_WARMUP, BENCH_ORIGIN`;

/** Rounds × seconds of an ordinary run: every target once per round, a fresh process each round. */
export const DEFAULTS = { repeats: 3, duration: 10, warmup: 2 };
/** `--targets=tracing`: untraced, @1 and @0.01 (bench/README.md), measured after 10 s of warm-up, as a gateway that has run a while (at 0.01 the sampled path runs ~100 times a second). */
export const TRACING_PRESET = { targets: ['tagway', 'tagway-trace1', 'tagway-trace001'], repeats: 6, duration: 6, warmup: 10 };

/**
 * The `--targets` list: ids of TARGETS in order, `tracing` for TRACING_PRESET's three, `all` (or nothing) for every
 * target. A target named again is another instance of the same code, its id suffixed `#2`, `#3`…: an A/A pair.
 */
export function targetList(raw: string | undefined): string[] {
  const ids = TARGETS.map((t) => t.id);
  const given = raw === undefined || raw === 'all' ? ids : raw === 'tracing' ? TRACING_PRESET.targets : raw.split(',').map((s) => s.trim()).filter(Boolean);
  const seen = new Map<string, number>();
  return given.map((t) => {
    if (!ids.includes(t)) throw new Error(`unknown target ${JSON.stringify(t)}; known: ${ids.join(', ')} (or tracing, all)`);
    const n = (seen.get(t) ?? 0) + 1;
    seen.set(t, n);
    return n === 1 ? t : `${t}#${n}`;
  });
}

function profileTargets(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const ids = raw === 'true' ? ['tagway'] : raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!TARGETS.some((t) => t.id === id && t.kind === 'tagway')) {
      throw new Error(`--cpu-prof takes tagway targets (${TARGETS.filter((t) => t.kind === 'tagway').map((t) => t.id).join(', ')}), got ${JSON.stringify(id)}`);
    }
  }
  return ids;
}

function originKind(raw: string | undefined): Origin {
  if (raw === undefined) return defaultOrigin();
  if (raw !== 'nginx' && raw !== 'node') throw new Error(`--origin must be nginx or node, got ${JSON.stringify(raw)}`);
  if (raw === 'nginx' && findNginx() === undefined) throw new Error('--origin=nginx: nginx is not installed (`command -v nginx` found nothing; apt-get install nginx)');
  return raw;
}

function niceness(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = raw === 'true' ? -10 : Number(raw);
  if (!Number.isInteger(n) || n < -20 || n > 19) throw new Error(`--nice must be an integer from -20 to 19, got ${JSON.stringify(raw)}`);
  return n;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): BenchArgs {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i]!.match(/^--([\w-]+)(?:=(.*))?$/);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(argv[i])}\n${USAGE}`);
    const next = argv[i + 1];
    flags.set(m[1]!, m[2] ?? (next !== undefined && !next.startsWith('--') ? (i++, next) : 'true'));
  }
  const known = new Set(['duration', 'connections', 'warmup', 'repeats', 'targets', 'out', 'nice', 'cpu-prof', 'together', 'slices', 'slice-warmup', 'origin', 'help']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  const value = (name: string) => flags.get(name) ?? env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  const number = (name: string, dflt: number, min: number) => {
    const raw = value(name);
    const n = raw === undefined ? dflt : Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const targets = targetList(value('targets'));
  // The tracing preset settles issue 19's 5% goal (bench/README.md, "How many rounds"); other runs keep the defaults.
  const preset = value('targets') === 'tracing' ? TRACING_PRESET : DEFAULTS;
  return {
    duration: number('duration', preset.duration, 1), connections: Math.round(number('connections', 50, 1)), warmup: number('warmup', preset.warmup, 0),
    repeats: Math.round(number('repeats', preset.repeats, 1)), targets, out: value('out') ?? '.bench-out/latest.json',
    cpuProf: profileTargets(flags.get('cpu-prof')), help: flags.has('help'), together: flags.has('together'), nice: niceness(value('nice')),
    slices: Math.round(number('slices', 2, 1)), sliceWarmup: number('slice-warmup', 2, 0), origin: originKind(value('origin')),
  };
}
