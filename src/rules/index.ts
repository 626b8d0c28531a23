export type { CompiledRule, CompiledRuleWithHelpers, MatchRequest, RuleError, RuleErrorCode } from './types.ts';
export { compileRule } from './compile.ts';
export { defaultPriority } from './priority.ts';
