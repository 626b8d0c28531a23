export type RegexpErrorCode = 'TAGWAY_REGEXP_INVALID' | 'TAGWAY_REGEXP_UNTRANSLATABLE';

/** A pattern Go would reject (INVALID) or that has no faithful linear-time JavaScript form (UNTRANSLATABLE). */
export class RegexpError extends Error {
  readonly code: RegexpErrorCode;
  /** Code-unit offset in the pattern where the problem starts. */
  readonly offset: number;
  constructor(code: RegexpErrorCode, message: string, offset: number) {
    super(message);
    this.name = 'RegexpError';
    this.code = code;
    this.offset = offset;
  }
}
