/**
 * Sums the self time of a V8 .cpuprofile (node --cpu-prof) by function and by file, so "where does the
 * time go" fits in a dozen lines. Also a CLI: node --import tsx bench/lib/profile-summary.ts FILE [top].
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface SelfTime { name: string; ms: number; share: number }

/**
 * Self time per function (`name file:line`) and per file, biggest first. With `window` (monotonic µs, the
 * clock of process.hrtime) only samples inside it count, so start-up (module loading) stays out.
 */
export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }): { totalMs: number; functions: SelfTime[]; files: SelfTime[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const url = new Map<string, number>();
  let total = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!);
    const us = p.timeDeltas[i] ?? 0;
    t += us;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // Idle time is the event loop waiting: leave it out so shares are of busy time.
    if (!node || node.callFrame.functionName === '(idle)') continue;
    total += us;
    const short = shorten(node.callFrame.url);
    // tsx-compiled files report line 0 for every function (positions are in the generated code): omit it.
    const line = node.callFrame.lineNumber > 0 ? `:${node.callFrame.lineNumber + 1}` : '';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${short}${short ? line : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const where = short || node.callFrame.functionName;
    url.set(where, (url.get(where) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): SelfTime[] => [...m].map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, functions: rank(fn), files: rank(url) };
}

/** Paths relative to the repo, node_modules reduced to the package. */
function shorten(u: string): string {
  const path = u.startsWith('file://') ? u.slice(7) : u;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm);
  const cwd = process.cwd() + '/';
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

export function formatProfile(s: ReturnType<typeof summarizeProfile>, top = 25): string {
  const line = (t: SelfTime) => `${(100 * t.share).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(6)} ms  ${t.name}`;
  return [`${s.totalMs.toFixed(0)} ms busy (idle excluded)`, '', `top ${top} functions by self time:`, ...s.functions.slice(0, top).map(line),
    '', `top ${Math.min(top, 15)} files by self time:`, ...s.files.slice(0, Math.min(top, 15)).map(line)].join('\n');
}

/** One profiled target: its summary and the requests served in the measured window. */
export interface ProfileRun { label: string; summary: ReturnType<typeof summarizeProfile>; requests: number }

/**
 * Self time per request (µs) of each run against the first, function by function, biggest differences first,
 * and the total of tagway's tracing code (dist/observability, src/observability, @opentelemetry) per request.
 */
export function formatProfileDiff(runs: ProfileRun[], top = 30): string {
  const [base, ...others] = runs;
  const perReq = (r: ProfileRun, list: SelfTime[]) => new Map(list.map((f) => [f.name, (1000 * f.ms) / r.requests]));
  const tracing = (r: ProfileRun) => r.summary.files.filter((f) => /observability\/|@opentelemetry\//.test(f.name)).reduce((t, f) => t + (1000 * f.ms) / r.requests, 0);
  const out: string[] = [`busy µs per request: ${runs.map((r) => `${r.label} ${((1000 * r.summary.totalMs) / r.requests).toFixed(1)}`).join(', ')}`,
    `of which tracing code (observability/, @opentelemetry/): ${runs.map((r) => `${r.label} ${tracing(r).toFixed(2)}`).join(', ')}`];
  const a = perReq(base!, base!.summary.functions);
  for (const r of others) {
    const b = perReq(r, r.summary.functions);
    const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => ({ name, a: a.get(name) ?? 0, b: b.get(name) ?? 0 }))
      .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)).slice(0, top);
    out.push('', `${r.label} − ${base!.label}, self µs per request (${base!.label}, ${r.label}):`,
      ...rows.map((x) => `${(x.b - x.a >= 0 ? '+' : '') + (x.b - x.a).toFixed(2)}`.padStart(8) + `  ${x.a.toFixed(2).padStart(6)} ${x.b.toFixed(2).padStart(6)}  ${x.name}`));
  }
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) { process.stderr.write('usage: profile-summary.ts FILE.cpuprofile [top]\n'); process.exit(2); }
  process.stdout.write(formatProfile(summarizeProfile(file), Number(process.argv[3] ?? 25)) + '\n');
}
