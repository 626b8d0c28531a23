export type { CompiledRule, CompiledRuleWithHelpers, MatchRequest, RuleError, RuleErrorCode } from './types.ts';
export { compileRule } from './compile.ts';
export { defaultPriority } from './priority.ts';
export { compileGoRegexp, translateRegexp, RegexpError } from './regexp.ts';
export type { RegexpErrorCode, TranslatedRegexp } from './regexp.ts';
