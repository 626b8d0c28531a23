/**
 * What this machine charges for the things a proxy does besides its own code, so that a figure from bench/ can be
 * read against the host it came from: a system call, a first touch of a page (a minor fault), a loopback TCP write,
 * how much dearer a thread's work gets after a sleep, whether the kernel can see steal time, hardware counters and
 * PCID, and whether the host takes idle memory back (DAMON pageout). On typical bare metal a system call and a minor
 * fault each cost a fraction of a microsecond; on the PVM guest of sessions 9–13, 1.9 and 10 µs. A request through
 * tagway makes four system calls (two reads and two writes) whether traced or not, so a host with dear system calls
 * inflates the untraced request and makes every ratio against it look smaller, and a host with dear faults turns each
 * page a gateway maps anew into a visible cost (`faults/1k req` in `npm run bench`'s table).
 *
 * Run: node --import tsx bench/host.ts (pinned to core 0 when taskset is there; ~5 s). Measures, never asserts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { threadTimes } from './lib/procstat.ts';
import { median as medianOf } from './lib/stats.ts';

const ROUNDS = 5;

/** Median of the per-round figures: a round disturbed by the machine shows in the range, not the figure. */
const median = (xs: number[]): number => medianOf(xs)!;

const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

/** µs per 1-byte read(2) of /dev/zero: one system call, plus Node's binding (~0.1–0.2 µs). */
function syscall(): number[] {
  const fd = openSync('/dev/zero', 'r');
  const b = Buffer.alloc(1);
  const out: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const n = 100_000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) readSync(fd, b, 0, 1, null);
      out.push((performance.now() - t0) * 1000 / n);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** µs per page for the first write to freshly allocated memory (a minor fault each), and for a second write (none). */
function firstTouch(): { first: number[]; again: number[] } {
  const bytes = 32 << 20;
  const page = 4096;
  const first: number[] = [];
  const again: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = Buffer.allocUnsafeSlow(bytes); // above malloc's mmap threshold: fresh pages every round
    const t0 = performance.now();
    for (let i = 0; i < bytes; i += page) b[i] = 1;
    const t1 = performance.now();
    for (let i = 0; i < bytes; i += page) b[i] = 2;
    const t2 = performance.now();
    first.push((t1 - t0) * 1000 / (bytes / page));
    again.push((t2 - t1) * 1000 / (bytes / page));
  }
  return { first, again };
}

/** CPU µs (this process: writer and reader on one core) per 64 KB written and read back over loopback TCP. */
async function loopback(): Promise<number[]> {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const writes = 2000;
  const server = createServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const out: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const u0 = process.cpuUsage();
      for (let i = 0; i < writes; i++) if (!socket.write(chunk)) await new Promise((d) => socket.once('drain', d));
      await new Promise<void>((d) => socket.write('', () => d()));
      const u = process.cpuUsage(u0);
      out.push((u.user + u.system) / writes);
    }
  } finally {
    socket.destroy();
    server.close();
  }
  return out;
}

/**
 * CPU µs a worker thread spends per message round trip (it answers each message at once), with this thread busy for
 * `gapMs` between messages: how much dearer the same work gets when a thread wakes after a long sleep (its code paths
 * gone cold; re-touching idle memory was measured not to be it, README session 12). tagway's export thread wakes once per 512-span batch, every ~17 ms on a busy gateway.
 */
async function wakeUp(gapMs: number): Promise<number> {
  const worker = new Worker(`const { parentPort } = require('node:worker_threads'); const { readFileSync } = require('node:fs');
    parentPort.postMessage(Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]));
    parentPort.on('message', (m) => parentPort.postMessage(m));`, { eval: true });
  try {
    const tid = await new Promise<number>((r) => worker.once('message', r));
    const threadNs = (): number => threadTimes(process.pid).get(tid)?.ns ?? 0;
    const spin = (ms: number): void => { const t = performance.now(); while (performance.now() - t < ms); };
    const n = Math.max(20, Math.round(1500 / (gapMs + 0.5)));
    const t0 = threadNs();
    for (let i = 0; i < n; i++) {
      const answered = new Promise((r) => worker.once('message', r));
      worker.postMessage(i);
      spin(gapMs);
      await answered;
    }
    return (threadNs() - t0) / 1000 / n;
  } finally {
    await worker.terminate();
  }
}

/** What the kernel tells about the machine: steal accounting, PCID, page-table isolation, hardware counters. */
function machine(): string[] {
  const lines: string[] = [];
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set((cpuinfo.match(/^flags\s*:\s*(.*)$/m)?.[1] ?? '').split(' '));
  const cmdline = existsSync('/proc/cmdline') ? readFileSync('/proc/cmdline', 'utf8') : '';
  lines.push(`cpu: ${cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown'}; PCID ${flags.has('pcid') ? 'yes' : 'no'}, page-table isolation ${/\bpti=on\b/.test(cmdline) || flags.has('pti') ? 'on' : 'not forced'}`);
  const hyper = spawnSync('dmesg', [], { encoding: 'utf8' }).stdout?.match(/Hypervisor detected: (\S+)/)?.[1];
  lines.push(`hypervisor: ${hyper ?? (flags.has('hypervisor') ? 'yes (dmesg unreadable)' : 'none seen')}`);
  const stat = existsSync('/proc/stat') ? readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/) : [];
  lines.push(`steal time: ${stat.length > 8 ? (Number(stat[8]) > 0 ? `accounted (${stat[8]} ticks so far)` : '0 ticks: none, or not accounted (then a CPU figure includes time the hypervisor gave to others)') : 'n/a'}`);
  lines.push(`proactive reclaim: ${damonPageout()}`);
  const perf = spawnSync('perf', ['stat', '-x,', '-e', 'cycles', '--', 'true'], { encoding: 'utf8' });
  lines.push(`hardware counters (perf cycles): ${perf.error ? 'perf not installed' : /not supported|<not counted>/.test(perf.stderr) ? 'not available' : 'available'}`);
  return lines;
}

/**
 * Whether a DAMON kdamond pages out memory nobody touched for a while (some VM hosts run one to hand idle memory back).
 * Without swap only file pages go: the node binary, node_modules and dist/ pages a process reads again come back from
 * disk (workingset refaults), which lengthens start-ups and the first pass through a cold code path.
 */
function damonPageout(): string {
  const root = '/sys/kernel/mm/damon/admin/kdamonds';
  const read = (path: string): string | undefined => { try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; } };
  const found: string[] = [];
  for (let k = 0; k < Number(read(`${root}/nr_kdamonds`) ?? 0); k++) {
    if (read(`${root}/${k}/state`) !== 'on') continue;
    for (let c = 0; c < Number(read(`${root}/${k}/contexts/nr_contexts`) ?? 0); c++) {
      const ctx = `${root}/${k}/contexts/${c}`;
      const aggrUs = Number(read(`${ctx}/monitoring_attrs/intervals/aggr_us`) ?? 0);
      for (let s = 0; s < Number(read(`${ctx}/schemes/nr_schemes`) ?? 0); s++) {
        if (read(`${ctx}/schemes/${s}/action`) !== 'pageout') continue;
        const minAge = Number(read(`${ctx}/schemes/${s}/access_pattern/age/min`) ?? 0);
        found.push(`pages idle ≥ ${(minAge * aggrUs / 1e6).toFixed(0)} s (${read(`${ctx}/operations`) ?? '?'})`);
      }
    }
  }
  if (found.length === 0) return 'no DAMON pageout scheme running';
  const swap = (read('/proc/swaps') ?? '').split('\n').length > 1;
  const refaults = read('/proc/vmstat')?.match(/^workingset_refault_file (\d+)$/m)?.[1];
  return `DAMON pages out ${found.join(', ')}; ${swap ? 'swap present' : 'no swap: file pages only'}; ${refaults ?? '?'} file pages read back since boot`;
}

async function main(): Promise<void> {
  const pinned = process.env.BENCH_HOST_PINNED === '1';
  if (!pinned && spawnSync('taskset', ['--version']).status === 0) {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, process.argv[1]!], { stdio: 'inherit', env: { ...process.env, BENCH_HOST_PINNED: '1' } });
    process.exit(r.status ?? 1);
  }
  for (const line of machine()) console.log(line);
  const sc = syscall();
  console.log(`system call (1-byte read of /dev/zero): ${median(sc).toFixed(2)} µs (${range(sc)}; typical bare metal without page-table isolation: ~0.1–0.3)`);
  const { first, again } = firstTouch();
  console.log(`first touch of a page (minor fault): ${median(first).toFixed(2)} µs (${range(first)}; typical bare metal: ~0.2–0.5); touched again: ${median(again).toFixed(3)} µs`);
  if (existsSync(`/proc/${process.pid}/task`)) {
    const gaps = [0.2, 2, 17];
    const costs: string[] = [];
    for (const gap of gaps) costs.push(`${(await wakeUp(gap)).toFixed(0)} µs after ${gap} ms`);
    console.log(`a worker's message round trip, its CPU per message: ${costs.join(', ')} (the same work, dearer after a longer sleep)`);
  }
  const lo = await loopback();
  console.log(`loopback TCP, 64 KB written and read in one process: ${median(lo).toFixed(1)} CPU µs (${range(lo)})`);
}

await main();
