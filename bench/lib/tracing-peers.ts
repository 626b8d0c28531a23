import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from './children.ts';
import { compiledHelper } from './compiled.ts';
import { writeDynamicConfig } from './tagway.ts';
import { defaultOrigin, startOrigin } from './targets.ts';

/**
 * What the tracing benches (tracing-cpu.ts, perf-tracing.ts) run beside each gateway: this process moved to core 1,
 * a temp dir removed at exit, the upstream (nginx when installed, as bench/run.ts: it leaves core 1 room enough for
 * the gateway to fill core 0) and the OTLP sink on core 1 (HTTP at `otlpPort`, gRPC at `otlpGrpcPort`), and the file
 * provider's dynamic config routing the bench host to the upstream.
 */
export async function startTracingPeers(name: string): Promise<{ tmp: string; dynamic: string; otlpPort: number; otlpGrpcPort: number }> {
  spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const tmp = mkdtempSync(join(tmpdir(), `tagway-${name}-`));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const upstream = await startOrigin(defaultOrigin(), join(tmp, 'origin'), '1');
  const sink = await spawnChild('sink', process.execPath, [compiledHelper('bench/lib/otlp-sink.ts')], { cpus: '1', readyLine: /^READY (\d+) (\d+)/ });
  return { tmp, dynamic: writeDynamicConfig(tmp, upstream.port), otlpPort: Number(sink.ready![1]), otlpGrpcPort: Number(sink.ready![2]) };
}
