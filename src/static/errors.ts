/** One reason the static configuration was refused. */
export interface StaticProblem {
  /** Canonical key path, e.g. "providers.consulCatalog.endpoint.address". */
  path: string;
  file?: string;
  line?: number;
  /** Where a flag or env value came from ("--api.insecure", "TAGWAY_LOG_LEVEL"), when not from the file. */
  source?: string;
  message: string;
  suggestion?: string;
}

/** One line per problem: `FILE:LINE: key.path: message (did you mean "x"?)`. */
export function formatProblem(p: StaticProblem): string {
  const where = p.file !== undefined ? `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ` : p.source !== undefined ? `${p.source}: ` : '';
  const path = p.path !== '' ? `${p.path}: ` : '';
  const hint = p.suggestion !== undefined ? ` (did you mean "${p.suggestion}"?)` : '';
  return `${where}${path}${p.message}${hint}`;
}

/** The static configuration cannot be used; tagway refuses to start. Match on `code`. */
export class StaticConfigError extends Error {
  readonly code = 'TAGWAY_BAD_STATIC_CONFIG';
  readonly problems: StaticProblem[];
  constructor(problems: StaticProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'StaticConfigError';
    this.problems = problems;
  }
}
