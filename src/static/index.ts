export { loadStaticConfig } from './load.ts';
export type { LoadStaticOptions } from './load.ts';
export { StaticConfigError, formatProblem } from './errors.ts';
export type { StaticProblem } from './errors.ts';
export { staticConfigSchema, redactStatic, optionMeta, DEFAULT_ENTRY_POINT, ADMIN_ENTRY_POINT } from './schema.ts';
export type { OptionMeta } from './schema.ts';
export { helpText } from './help.ts';
export type * from './types.ts';
export { defaultEntryPoints } from './entrypoints.ts';
