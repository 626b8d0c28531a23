import type { DevCatalog } from '../devcatalog/index.ts';
import type { DemoUpstream } from './upstreams.ts';
import type { Sidecar } from '../sidecar/index.ts';

/**
 * The demo catalog: what an operator would register in Consul. `whoami` has two weighted instances,
 * `untraced` turns tracing off for its router, `assets` sits behind a stripPrefix middleware.
 */
export function registerDemoServices(catalog: DevCatalog, upstreams: DemoUpstream[]): void {
  const [w1, w2, untraced, assets] = upstreams as [DemoUpstream, DemoUpstream, DemoUpstream, DemoUpstream];
  // HTTP checks as an agent would run them; devcatalog stores them (it runs no probes), starting passing.
  const httpCheck = (id: string, port: number) => ({ CheckID: `${id}-http`, Name: 'http', HTTP: `http://127.0.0.1:${port}/`, Interval: '10s', Status: 'passing' as const });
  catalog.register({
    ID: 'whoami-1', Name: 'whoami', Address: '127.0.0.1', Port: w1.port, Check: httpCheck('whoami-1', w1.port),
    Tags: ['traefik.http.routers.whoami.rule=Host(`whoami.localhost`)', 'traefik.http.services.whoami.loadBalancer.server.weight=3'],
  });
  catalog.register({
    ID: 'whoami-2', Name: 'whoami', Address: '127.0.0.1', Port: w2.port, Check: httpCheck('whoami-2', w2.port),
    Tags: ['traefik.http.routers.whoami.rule=Host(`whoami.localhost`)', 'traefik.http.services.whoami.loadBalancer.server.weight=1'],
  });
  catalog.register({
    ID: 'untraced-1', Name: 'untraced', Address: '127.0.0.1', Port: untraced.port, Check: httpCheck('untraced-1', untraced.port),
    Tags: ['traefik.http.routers.untraced.rule=Host(`untraced.localhost`)', 'traefik.http.routers.untraced.observability.tracing=false'],
  });
  catalog.register({
    ID: 'assets-1', Name: 'assets', Address: '127.0.0.1', Port: assets.port, Check: httpCheck('assets-1', assets.port),
    Tags: [
      'traefik.http.routers.assets.rule=PathPrefix(`/assets`)',
      'traefik.http.routers.assets.middlewares=assets-strip',
      'traefik.http.middlewares.assets-strip.stripPrefix.prefixes=/assets',
    ],
  });
}

/**
 * Two Connect services, registered as Nomad registers a task group with `connect { sidecar_service {} }`: the app
 * and its sidecar (the stand-in in front of it). Tagged as Connect services, so the sidecars' inherited copies of
 * the tags build nothing.
 */
export function registerMeshServices(catalog: DevCatalog, apps: DemoUpstream[], sidecars: Sidecar[]): void {
  apps.forEach((app, i) => {
    const name = app.name;
    catalog.register({
      ID: `${name}-1`, Name: name, Address: '127.0.0.1', Port: app.port,
      Check: { CheckID: `${name}-1-http`, Name: 'http', HTTP: `http://127.0.0.1:${app.port}/`, Interval: '10s', Status: 'passing' },
      Tags: ['traefik.consulcatalog.connect=true', `traefik.http.routers.${name}.rule=Host(\`${name}.localhost\`)`],
      Connect: { SidecarService: { Port: sidecars[i]!.port } },
    });
  });
}
