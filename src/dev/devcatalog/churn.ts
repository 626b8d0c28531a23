/**
 * The churn scenario (issue 17): many services, each with a few instances behind one upstream, and one health
 * check flipping at a steady pace, as a busy Nomad cluster deploys and flaps. For the churn bench and tests;
 * it drives a devcatalog through its own API (`register`, `setCheck`), like an agent would.
 */
import type { DevCatalog } from './types.ts';

export interface ChurnFleet {
  /** Services registered, `svc-0` … `svc-<n-1>`, each routed by `Host(\`svc-<i>.churn.test\`)`. */
  services: number;
  /** Instances per service, `svc-<i>-<k>`, each with a passing TTL check `check-svc-<i>-<k>`. */
  instances: number;
  /** Where the instances point: instance k of every service at `ports[k % ports.length]` (distinct servers per service). */
  address: string;
  ports: readonly number[];
}

/** The host a fleet's service answers on. */
export const churnHost = (service: number): string => `svc-${service}.churn.test`;

/**
 * Registers the fleet: per service a router on its host with a strip-prefix middleware, a load balancer over its
 * instances (spread over 50 nodes, as a real cluster's), a TTL check per instance.
 */
export function registerFleet(dc: DevCatalog, fleet: ChurnFleet): void {
  for (let s = 0; s < fleet.services; s++) {
    const name = `svc-${s}`;
    const tags = [
      `traefik.http.routers.${name}.rule=Host(\`${churnHost(s)}\`)`,
      `traefik.http.routers.${name}.middlewares=${name}-strip`,
      `traefik.http.middlewares.${name}-strip.stripprefix.prefixes=/strip`,
    ];
    for (let k = 0; k < fleet.instances; k++) {
      const id = `${name}-${k}`;
      dc.register({ ID: id, Name: name, Address: fleet.address, Port: fleet.ports[k % fleet.ports.length]!, Tags: tags, Check: { CheckID: `check-${id}`, TTL: '24h', Status: 'passing' } },
        { name: `node-${(s * fleet.instances + k) % 50}`, address: fleet.address });
    }
  }
}

export interface Churn {
  /** Flips so far. */
  readonly flips: number;
  /** The next flip now (tests step it by hand). Returns the service it touched. */
  flip(): { service: number; instance: number; status: 'passing' | 'critical' };
  stop(): void;
}

/**
 * Flips one instance's check every `everyMs` (0: only by `flip()`), walking the services with a stride so
 * consecutive flips touch services far apart; an instance goes critical, and passing again at its next turn.
 * Never more than one instance of a service is down.
 */
export function startChurn(dc: DevCatalog, fleet: ChurnFleet, everyMs: number, onFlip?: (f: { service: number; instance: number; status: 'passing' | 'critical'; at: number }) => void): Churn {
  let flips = 0;
  const down = new Map<number, number>();
  const stride = 7919; // a prime: visits every service before repeating (unless it divides the count)
  const flip = (): { service: number; instance: number; status: 'passing' | 'critical' } => {
    const service = (flips * stride) % fleet.services;
    const was = down.get(service);
    const instance = was ?? flips % fleet.instances;
    const status = was === undefined ? 'critical' as const : 'passing' as const;
    if (was === undefined) down.set(service, instance); else down.delete(service);
    dc.setCheck(`check-svc-${service}-${instance}`, status);
    flips++;
    onFlip?.({ service, instance, status, at: performance.now() });
    return { service, instance, status };
  };
  const timer = everyMs > 0 ? setInterval(flip, everyMs) : undefined;
  timer?.unref();
  return {
    get flips() { return flips; },
    flip,
    stop() { clearInterval(timer); },
  };
}
