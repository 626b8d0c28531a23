import type { Middleware, Router, Service } from './types.ts';
import type { EffectiveObservability, ObservabilityField, ObservabilitySource } from '../http/observability.ts';

/**
 * Runtime state: what `/api/http/*` shows. One record per item with Traefik's `status`
 * (enabled | warning | disabled) and `error` list. Built whole on every configuration change.
 */
export type ItemStatus = 'enabled' | 'warning' | 'disabled';

export interface RouterInfo extends Router {
  name: string;
  provider: string;
  priority: number;
  observability: EffectiveObservability;
  /** Where each observability field came from: router, entryPoint (the first of `using`) or default. */
  observabilitySources: Record<ObservabilityField, ObservabilitySource>;
  status: ItemStatus;
  error?: string[];
  using?: string[];
}

export interface ServiceInfo extends Service {
  name: string;
  provider: string;
  type: string;
  status: ItemStatus;
  error?: string[];
  usedBy: string[];
  serverStatus?: Record<string, 'UP' | 'DOWN'>;
  /**
   * Consul Connect services (tagway): the SPIFFE ID the sidecars must present, the one this gateway presents, and
   * the last refusal either way (a certificate refused, an intention denying the gateway) with a hint.
   */
  connect?: { expectedIdentity: string; identity?: string; lastRefusal?: { at: string; server: string; reason: string; hint?: string } };
}

export interface MiddlewareInfo extends Middleware {
  name: string;
  provider: string;
  type: string;
  status: ItemStatus;
  error?: string[];
  usedBy: string[];
}

export interface RuntimeState {
  routers: Record<string, RouterInfo>;
  services: Record<string, ServiceInfo>;
  middlewares: Record<string, MiddlewareInfo>;
}

/** Attach an error to an item; `critical` disables it, otherwise it becomes a warning (Traefik's AddError). */
export function addError(item: { status: ItemStatus; error?: string[] }, message: string, critical: boolean): void {
  (item.error ??= []).includes(message) || item.error.push(message);
  if (critical) item.status = 'disabled';
  else if (item.status === 'enabled') item.status = 'warning';
}

export function countByStatus(items: Record<string, { status: ItemStatus }>): { total: number; warnings: number; errors: number } {
  let warnings = 0, errors = 0;
  const all = Object.values(items);
  for (const i of all) { if (i.status === 'warning') warnings++; else if (i.status === 'disabled') errors++; }
  return { total: all.length, warnings, errors };
}

/** What `/api/overview` reads of the state: counts, the records not enabled and the services with a server down. */
export interface OverviewSource {
  count(kind: 'routers' | 'services' | 'middlewares'): { total: number; warnings: number; errors: number };
  /** Ordered by name. */
  notEnabled(kind: 'routers' | 'services' | 'middlewares'): Array<{ name: string; status: ItemStatus; error?: string[] }>;
  /** Services with at least one server DOWN, ordered by name. */
  downServices(): ServiceInfo[];
}
