/** One load in its own process (bench/lib/loadgen.ts, autocannon): the parent waits for its `RESULT` line. */
import { spawnChild } from './children.ts';
import type { LoadResult } from './loadgen.ts';

/** Drives `url` with `connections` keep-alive connections for `duration` seconds after a 1 s warm-up. */
export async function runLoad(url: string, duration: number, connections: number): Promise<LoadResult> {
  let out = '';
  const gen = await spawnChild('loadgen', process.execPath, ['--import', 'tsx', 'bench/lib/loadgen.ts', JSON.stringify({ url, connections, duration, warmup: 1, headers: {} })], {
    onStdout: (chunk) => { out += chunk; },
  });
  await gen.exited;
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`load generator gave no result: ${gen.stderr()}`);
  return JSON.parse(line.slice(7)) as LoadResult;
}
