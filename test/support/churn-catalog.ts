/**
 * A devcatalog with the churn fleet (src/dev/devcatalog/churn.ts) in a child process, so a test can measure the
 * gateway's event loop without the catalog's own work (serialising 15,000 checks per answer) on it.
 *
 *   node --import tsx test/support/churn-catalog.ts '{"services":5000,"ports":[8081]}'
 * prints `READY <address>`; each line `flip` on stdin flips one instance and prints `FLIP <service> <status>`.
 */
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDevCatalog } from '../../src/dev/devcatalog/index.ts';
import { registerFleet, startChurn } from '../../src/dev/devcatalog/churn.ts';

export interface ChurnCatalog {
  address: string;
  /** Flips one instance; resolves with what it did once the catalog has applied it. */
  flip(): Promise<{ service: number; status: 'passing' | 'critical' }>;
  close(): Promise<void>;
}

/** Starts the child; `close` (or the test's end) stops it. */
export async function startChurnCatalog(fleet: { services: number; ports: number[] }): Promise<ChurnCatalog> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(fleet)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`churn catalog exited (code ${code})`)); });
  const next = (): Promise<string> => new Promise((resolve, reject) => { waiting.push({ resolve, reject }); });
  const ready = await next();
  const address = /^READY (\S+)$/.exec(ready)?.[1];
  if (!address) throw new Error(`churn catalog: unexpected "${ready}"`);
  return {
    address,
    async flip() {
      const answer = next();
      child.stdin!.write('flip\n');
      const [, service, status] = (await answer).split(' ');
      return { service: Number(service), status: status as 'passing' | 'critical' };
    },
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { services, ports } = JSON.parse(process.argv[2] ?? '{}') as { services: number; ports: number[] };
  const dc = await startDevCatalog();
  const fleet = { services, instances: 3, address: '127.0.0.1', ports };
  registerFleet(dc, fleet);
  const churn = startChurn(dc, fleet, 0);
  process.stdout.write(`READY ${dc.address}\n`);
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line !== 'flip') return;
    const f = churn.flip();
    process.stdout.write(`FLIP ${f.service} ${f.status}\n`);
  });
  const stop = (): void => { void dc.close().then(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  input.once('close', stop);
}
