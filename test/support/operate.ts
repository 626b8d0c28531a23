import type { TestContext } from 'node:test';
import type { DevCatalog } from '../../src/dev/devcatalog/index.ts';
import type { Gateway } from '../../src/server/gateway.ts';
import { startUpstream, type Upstream } from './upstream.ts';
import { waitForState } from './gateway.ts';

/**
 * Registers a Consul service `name` whose one instance is a fresh upstream, with `tags` (prefix
 * `traefik.`), and waits until the gateway has its router `name@consulcatalog`.
 */
export async function serviceWithUpstream(t: TestContext, gw: Gateway, catalog: DevCatalog, name: string, tags: string[]): Promise<Upstream> {
  const up = await startUpstream(t, name);
  catalog.register({ ID: `${name}-1`, Name: name, Address: '127.0.0.1', Port: up.port, Tags: tags.map((tag) => `traefik.${tag}`) });
  await waitForState(gw, (s) => s.routers[`${name}@consulcatalog`] !== undefined);
  return up;
}

/** Lines written by a sink, with a bounded wait for one that satisfies a predicate. */
export class Lines {
  readonly all: string[] = [];
  #waiters = new Set<() => void>();

  readonly write = (line: string): void => {
    this.all.push(line);
    for (const w of this.#waiters) w();
  };

  async find(predicate: (line: string) => boolean, timeoutMs = 5000): Promise<string> {
    const hit = this.all.find(predicate);
    if (hit !== undefined) return hit;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.all.find(predicate);
        if (found === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => { this.#waiters.delete(check); reject(new Error(`no such line in ${timeoutMs} ms; got:\n${this.all.join('\n')}`)); }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/** One Prometheus text-format sample. */
export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses Prometheus' text exposition format (what prom-client writes): comments skipped. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none. */
export function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
