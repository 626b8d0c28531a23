/**
 * Child process: the steady client of the churn bench. One keep-alive connection, one request at a time to one
 * router (by Host), for `seconds`; every latency measured with performance.now(). argv[2] is a JSON
 * `{ url, host, seconds }`; prints `START`, then `RESULT {"count","p50","p99","max"}` (ms).
 */
import { Agent, request } from 'node:http';

const { url, host, seconds } = JSON.parse(process.argv[2]!) as { url: string; host: string; seconds: number };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const latencies: number[] = [];
let errors = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) latencies.push(performance.now() - t0); else errors++; resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end();
  });
}

for (let i = 0; i < 200; i++) await once(); // warm: connection, JIT
latencies.length = 0;
errors = 0;
process.stdout.write('START\n');
const end = performance.now() + seconds * 1000;
while (performance.now() < end) await once();
const sorted = [...latencies].sort((a, b) => a - b);
const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
process.stdout.write(`RESULT ${JSON.stringify({ count: sorted.length, errors, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN })}\n`);
agent.destroy();
