import { readdirSync, readFileSync } from 'node:fs';

/**
 * Linux /proc readings for the system under test: its whole process tree (nginx's workers, tagway's
 * cluster workers), resident memory and CPU time. Elsewhere these return undefined and the report says n/a.
 */

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its closing one.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch { return undefined; }
}

/** `pid` and all its descendants that are alive now. */
export function processTree(pid: number): number[] {
  let pids: number[];
  try { pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number); } catch { return [pid]; }
  const children = new Map<number, number[]>();
  for (const p of pids) {
    const ppid = Number(statFields(p)?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(p);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Sum of VmRSS over the tree, bytes; undefined without /proc. */
export function treeRss(pid: number): number | undefined {
  let total = 0;
  let seen = false;
  for (const p of processTree(pid)) {
    try {
      const m = readFileSync(`/proc/${p}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
      if (m) { total += Number(m[1]) * 1024; seen = true; }
    } catch { /* exited meanwhile */ }
  }
  return seen ? total : undefined;
}

/** User + system CPU seconds used so far by the tree; undefined without /proc. */
export function treeCpuSeconds(pid: number): number | undefined {
  const split = treeUserSystemSeconds(pid);
  return split === undefined ? undefined : split.user + split.system;
}

/** treeCpuSeconds split into user and system time (ticks of 10 ms: coarse below a few seconds of CPU). */
export function treeUserSystemSeconds(pid: number): { user: number; system: number } | undefined {
  let user = 0;
  let system = 0;
  let seen = false;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    // after the command name: state is index 0, utime index 11, stime index 12 (fields 14 and 15)
    if (f) { user += Number(f[11]); system += Number(f[12]); seen = true; }
  }
  return seen ? { user: user / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND } : undefined;
}

/**
 * Minor page faults taken so far by the tree (a first touch of memory: freshly mapped, or given back to the kernel and
 * touched again); undefined without /proc. Worth counting where a fault is dear: `bench/host.ts` measures its price.
 */
export function treeMinorFaults(pid: number): number | undefined {
  let faults = 0;
  let seen = false;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    // after the command name: minflt is index 7 (field 10)
    if (f) { faults += Number(f[7]); seen = true; }
  }
  return seen ? faults : undefined;
}

/**
 * CPU seconds the whole machine spent busy so far (all cores: user, nice, system, irq, softirq, steal);
 * undefined without /proc. The bench subtracts its own processes to show how much else was running.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch { return undefined; }
}

/**
 * Per thread of `pid` (those alive now): schedstat CPU ns, utime/stime ticks and nice value, from
 * /proc/<pid>/task/<tid>/{schedstat,stat}. Empty without /proc.
 */
export function threadTimes(pid: number): Map<number, { ns: number; user: number; system: number; nice: number }> {
  const out = new Map<number, { ns: number; user: number; system: number; nice: number }>();
  let tids: string[];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tids) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // after the command name: utime index 11, stime 12, nice 16 (fields 14, 15 and 19)
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { ns, user: Number(f[11]), system: Number(f[12]), nice: Number(f[16]) });
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

/** CPU nanoseconds used so far by every thread of `pid`'s process tree (threads alive now; schedstat, finer than ticks). */
export function treeCpuNs(pid: number): number {
  let ns = 0;
  for (const p of processTree(pid)) for (const t of threadTimes(p).values()) ns += t.ns;
  return ns;
}
