import { parseDuration } from '../util/duration.ts';
import { suggest } from '../util/didyoumean.ts';
import type { FieldDesc, DecodeOptions } from './descriptor.ts';
import { quoted } from './descriptor.ts';

/** Outcome of parsing one scalar: a value, or a message (plus maybe a suggestion). */
export type ScalarResult = { ok: true; value: unknown } | { ok: false; message: string; suggestion?: string };

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool, which Traefik uses for labels. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

const INT = /^[+-]?(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO]?[0-7](?:_?[0-7])*|[1-9](?:_?\d)*|0)$/;
const FLOAT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;

/** strconv.ParseInt(s, 0, 64): decimal, 0x, 0o/0 (octal), 0b, underscores between digits. */
export function parseGoInt(text: string): number | undefined {
  const s = text.trim();
  if (!INT.test(s)) return undefined;
  const neg = s.startsWith('-');
  const body = s.replace(/^[+-]/, '').replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = Number(body);
  else if (/^0[bB]/.test(body)) n = Number(body);
  else if (/^0[oO]/.test(body)) n = Number(body);
  else if (/^0[0-7]+$/.test(body)) n = Number(`0o${body.slice(1)}`);
  else n = Number(body);
  if (!Number.isSafeInteger(n)) return undefined;
  return neg ? -n : n;
}

export function parseGoFloat(text: string): number | undefined {
  const s = text.trim();
  if (!FLOAT.test(s)) return undefined;
  const n = Number(s.replace(/_/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** Parses the text of a scalar field (labels give text; documents' numbers and booleans are stringified first). */
export function parseScalar(text: string, field: FieldDesc, options: DecodeOptions): ScalarResult {
  switch (field.kind) {
    case 'string': {
      if (field.values === undefined) return { ok: true, value: text };
      const hit = field.values.find((v) => v.toLowerCase() === text.trim().toLowerCase());
      if (hit !== undefined) return { ok: true, value: hit };
      const s = suggest(text, field.values);
      return { ok: false, message: `invalid value ${quoted(text)}: expected one of ${field.values.join(', ')}`, ...(s !== undefined ? { suggestion: s } : {}) };
    }
    case 'bool': {
      const b = parseGoBool(text.trim());
      return b === undefined ? { ok: false, message: `invalid boolean ${quoted(text)}: expected true or false` } : { ok: true, value: b };
    }
    case 'int': {
      const n = parseGoInt(text);
      return n === undefined ? { ok: false, message: `invalid integer ${quoted(text)}` } : { ok: true, value: n };
    }
    case 'float': {
      const n = parseGoFloat(text);
      return n === undefined ? { ok: false, message: `invalid number ${quoted(text)}` } : { ok: true, value: n };
    }
    case 'duration': {
      try {
        const ms = parseDuration(text.trim());
        return { ok: true, value: options.durations === 'ms' ? ms : text.trim() };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    }
    default:
      return { ok: false, message: `internal: ${field.kind} is not a scalar` };
  }
}

export function isScalarKind(kind: FieldDesc['kind']): boolean {
  return kind === 'string' || kind === 'int' || kind === 'float' || kind === 'bool' || kind === 'duration';
}
