/**
 * Errors of middleware construction. Match on `code`; the message always names the option
 * (`rateLimit.period: ...`) so the API can show the operator exactly what to fix.
 */
export type MiddlewareErrorCode =
  | 'TAGWAY_MIDDLEWARE_CONFIG'
  | 'TAGWAY_MIDDLEWARE_TYPE'
  | 'TAGWAY_MIDDLEWARE_REF'
  | 'TAGWAY_MIDDLEWARE_CYCLE';

export class MiddlewareError extends Error {
  readonly code: MiddlewareErrorCode;
  /** Dotted option path (`basicAuth.users[1]`), when the problem is one option. */
  readonly option?: string;
  constructor(code: MiddlewareErrorCode, message: string, options: { option?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'MiddlewareError';
    this.code = code;
    if (options.option !== undefined) this.option = options.option;
  }
}

/** A bad option value, thrown by a middleware factory and turned into a returned Error by the registry. */
export function optionError(option: string, message: string, cause?: unknown): MiddlewareError {
  return new MiddlewareError('TAGWAY_MIDDLEWARE_CONFIG', `${option}: ${message}`, { option, cause });
}
