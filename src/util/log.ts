/**
 * A small structured logger: `common` prints `time LEVEL message key=value…`, `json` one object a line.
 * Writes go to stderr (or a stream the caller gives) and never block a request: process.stderr is
 * async for pipes and files on Linux.
 */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'PANIC';
const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, PANIC: 6 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'common' | 'json';
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = ORDER[options.level ?? 'INFO'];
  const format = options.format ?? 'common';
  const write = options.write ?? ((line: string) => { process.stderr.write(line + '\n'); });
  function emit(level: LogLevel, message: string, fields?: LogFields): void {
    if (ORDER[level] < min) return;
    const all = fields ? { ...base, ...fields } : base;
    if (format === 'json') {
      write(JSON.stringify({ level: level.toLowerCase(), time: new Date().toISOString(), message, ...all }, errorReplacer));
      return;
    }
    let line = `${new Date().toISOString()} ${level} ${message}`;
    for (const [k, v] of Object.entries(all)) line += ` ${k}=${formatValue(v)}`;
    write(line);
  }
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARN', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
    enabled: (level) => ORDER[level] >= min,
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ level: 'PANIC', write: () => {} });

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
