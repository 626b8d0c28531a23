import { readFile } from 'node:fs/promises';
import type { ConsulCatalogConfig } from '../static/types.ts';
import { createConsulApi } from '../providers/consulcatalog/client.ts';
import { toInstances, type HealthServiceEntry, type ServiceInstance } from '../providers/consulcatalog/instance.ts';

/** A service in a catalog file: Consul's `/v1/health/service/<name>` entries, or this short form. */
interface ShortService { id?: string; name: string; tags?: string[]; address?: string; port?: number; node?: string; nodeAddress?: string; status?: string }

/**
 * Reads a catalog from a JSON file: either an array of Consul health entries (the concatenated output
 * of `/v1/health/service/<name>`), or an array of `{ name, id, tags, address, port, status }`.
 */
export async function instancesFromFile(path: string): Promise<ServiceInstance[]> {
  const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON array of services`);
  const out: ServiceInstance[] = [];
  raw.forEach((item: unknown, i) => {
    const o = item as Record<string, unknown>;
    if (o && typeof o === 'object' && 'Service' in o) {
      const e = o as HealthServiceEntry;
      out.push(...toInstances(e.Service?.Service ?? '', [e]));
      return;
    }
    const s = o as unknown as ShortService;
    if (!s || typeof s.name !== 'string') throw new Error(`${path}: item ${i} has no "name"`);
    const entry: HealthServiceEntry = {
      Node: { Node: s.node ?? 'node', Address: s.nodeAddress ?? '127.0.0.1', Datacenter: 'dc1' },
      Service: { ID: s.id ?? `${s.name}-${i}`, Service: s.name, Tags: s.tags ?? [], Address: s.address ?? '', Port: s.port ?? 0 },
      Checks: [{ CheckID: 'check', Status: s.status ?? 'passing' }],
    };
    out.push(...toInstances(s.name, [entry]));
  });
  return out;
}

/** Reads every service of a Consul catalog once (no watch), a few services at a time. */
export async function instancesFromConsul(config: ConsulCatalogConfig): Promise<ServiceInstance[]> {
  const api = createConsulApi(config.endpoint, { stale: config.stale, requireConsistent: config.requireConsistent });
  const names = Object.keys((await api.catalogServices({})).value).sort();
  const out: ServiceInstance[] = [];
  const queue = [...names];
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const entries = (await api.healthService(name, {})).value;
      out.push(...toInstances(name, entries as HealthServiceEntry[]));
    }
  }));
  return out;
}
