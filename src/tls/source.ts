import { readFileSync } from 'node:fs';

/** Traefik's FileOrContent: PEM text as is, anything else is a path to read. */
export function readFileOrContent(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Whether the value names a file (rather than holding PEM). */
export function isPath(value: string): boolean { return !value.includes('-----BEGIN'); }
