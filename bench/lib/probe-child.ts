/**
 * The host probe's process (host-probe.ts): a fixed piece of work, timed on request. Each line on stdin asks for one
 * reading: the work done three times, the fastest in ms on a line of stdout. Between requests it waits on stdin and
 * takes no CPU. The work touches 1 MB (a gateway's working set is larger than the caches of one core too), with no
 * allocation, no syscall and no I/O: its time changes only with how fast the host runs this core.
 */
const words = new Uint32Array(1 << 18);

function work(): number {
  let x = 0;
  for (let pass = 0; pass < 20; pass++) {
    for (let i = 0; i < words.length; i++) {
      words[i] = (words[i]! + i * pass) | 0;
      x ^= words[i]!;
    }
  }
  return x;
}

function reading(): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    if (work() === 0.5) process.stdout.write(''); // keeps the result used
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

for (let i = 0; i < 10; i++) work(); // optimized before the first reading
let pending = '';
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  pending += chunk;
  for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
    pending = pending.slice(nl + 1);
    process.stdout.write(`${reading().toFixed(3)}\n`);
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('READY\n');
