/**
 * Traefik v3.7's providers routing precedence (`providers.precedence`, default its list of provider names): on
 * equal priority, a router of a provider earlier in the list is evaluated first; a provider not in the list
 * (`internal`, an unknown name) comes after every listed one. Within one provider, equal priorities are in
 * name order (Traefik's sort is unstable there, so its order is unspecified).
 */
export const TRAEFIK_PROVIDER_PRECEDENCE: readonly string[] = Object.freeze([
  'kubernetesgateway', 'kubernetescrd', 'kubernetes', 'kubernetesingressnginx', 'swarm', 'docker', 'file', 'redis',
  'knative', 'consul', 'consulcatalog', 'nomad', 'etcd', 'ecs', 'http', 'zookeeper', 'rest',
]);

/**
 * The route table's `rank` of a provider's routers (lower is evaluated first on equal priority).
 *
 * @example
 * providerRank('file', TRAEFIK_PROVIDER_PRECEDENCE) < providerRank('consulcatalog', TRAEFIK_PROVIDER_PRECEDENCE) // true
 * providerRank('internal', TRAEFIK_PROVIDER_PRECEDENCE) // 17: after every listed provider
 */
export function providerRank(provider: string, precedence: readonly string[]): number {
  const i = precedence.indexOf(provider.toLowerCase());
  return i === -1 ? precedence.length : i;
}
