/** The Consul Catalog provider: watcher (I/O) and the pure pieces `tagway check` and tests reuse. */
export { ConsulCatalogProvider } from './watcher.ts';
export type { CatalogApi, ConsulCatalogProviderOptions } from './watcher.ts';
export { buildConfiguration, buildOptionsFrom, prepareBuildOptions, DEFAULT_BUILD_OPTIONS } from './builder.ts';
export type { BuildOptions, BuildResult } from './builder.ts';
export { toInstances, aggregateStatus, tagsToLabels } from './instance.ts';
export type { ServiceInstance, HealthServiceEntry, HealthCheckEntry } from './instance.ts';
export { compileConstraints, ConstraintError } from './constraints.ts';
export type { TagPredicate } from './constraints.ts';
export { compileRuleTemplate, TemplateError } from './template.ts';
export { normalize } from './normalize.ts';
