/**
 * devcatalog: an in-process, Consul-compatible HTTP API for tests and `tagway demo`. The gateway talks to it with
 * the real `consul` client, exactly as it talks to a Consul agent.
 */
export { startDevCatalog } from './server.ts';
export type {
  AgentCheckDefinition, AgentServiceRegistration, CatalogCheckRegistration, CatalogDeregistration, CatalogRegistration,
  CatalogServiceJSON, CheckStatus, DevCatalog, DevCatalogFaults, DevCatalogOptions, DevCatalogStats, HealthCheckJSON,
  NodeJSON, ServiceEntryJSON, ServiceJSON, DevConnectCA,
} from './types.ts';
export type { CARootJSON, CARootListJSON, LeafCertJSON } from './connect-ca.ts';
