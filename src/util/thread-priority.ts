/**
 * Background threads give way to the loop that serves requests: the Consul provider thread (issue 17) and the OTLP
 * export thread (issue 19). With `workers: 1` such a thread shares the process, and usually the core, with the
 * serving loop: every millisecond it spends (a catalog change read and built, a batch of spans posted) is a
 * millisecond a request may wait, and a woken thread of equal priority takes the core at once. Linux schedules
 * threads, not processes, and a thread has a nice value of its own: `setpriority(PRIO_PROCESS, tid)` (what
 * `os.setPriority(tid, n)` calls) sets the calling thread's when given its thread ID, which a thread reads from
 * `/proc/thread-self`. Raising one's own nice value needs no privilege, but a sandbox (seccomp, a container
 * runtime) may refuse it, and other systems have no per-thread value: then the thread runs as before and says so.
 * A lowered thread still gets its share of a busy core (CFS weights: ~10% at nice 10), so it is delayed, not starved.
 */
import { readlinkSync, stat } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice value of the provider thread: the serving loop (0) wins the core whenever it has work. */
export const PROVIDER_THREAD_NICE = 10;
/** Nice value of the OTLP export thread, for the same reason. */
export const EXPORT_THREAD_NICE = 10;

/**
 * One request to libuv's thread pool (fs, dns, zlib, crypto for the whole process), which starts it if it has not
 * started: its threads inherit the nice value of the thread that starts it. Call it from the serving thread before
 * starting a thread that lowers itself, so the pool never runs at that thread's priority.
 */
export function startThreadPool(): void {
  stat(process.execPath, () => {});
}

export type PriorityOutcome =
  | { ok: true; tid: number; nice: number }
  | { ok: false; error: string; nice?: number };

/** What the function needs of the system (the real one by default; tests hand in a refusing one). */
export interface PrioritySystem {
  platform: NodeJS.Platform;
  threadSelf(): string;
  setPriority(tid: number, nice: number): void;
  getPriority(tid: number): number;
}

const SYSTEM: PrioritySystem = {
  platform: process.platform,
  threadSelf: () => readlinkSync('/proc/thread-self'),
  setPriority: (tid, nice) => setPriority(tid, nice),
  getPriority: (tid) => getPriority(tid),
};

/**
 * Sets the calling thread's nice value (never lower than it is: a thread already below stays there). Never throws.
 *
 * @example
 * lowerThreadPriority(10) // { ok: true, tid: 4242, nice: 10 } on Linux
 */
export function lowerThreadPriority(nice: number, sys: PrioritySystem = SYSTEM): PriorityOutcome {
  if (sys.platform !== 'linux') return { ok: false, error: `no per-thread priority on ${sys.platform}` };
  let tid: number;
  try {
    // "<pid>/task/<tid>"
    tid = Number(/\/task\/(\d+)$/.exec(sys.threadSelf())?.[1]);
    if (!Number.isInteger(tid) || tid <= 0) return { ok: false, error: 'cannot tell this thread\'s ID from /proc/thread-self' };
  } catch (err) {
    return { ok: false, error: `cannot read /proc/thread-self (${(err as Error).message})` };
  }
  let before: number | undefined;
  try {
    before = sys.getPriority(tid);
    if (before < nice) sys.setPriority(tid, nice);
    return { ok: true, tid, nice: sys.getPriority(tid) };
  } catch (err) {
    return { ok: false, error: `setpriority(${tid}, ${nice}) refused: ${(err as Error).message}`, ...(before === undefined ? {} : { nice: before }) };
  }
}
