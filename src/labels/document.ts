import { suggest } from '../util/didyoumean.ts';
import { findField, hiddenField, quoted, setOwn, unsupportedReason, visibleNames } from './descriptor.ts';
import type { DecodeIssue, DecodeOptions, FieldDesc, StructDesc } from './descriptor.ts';
import { isScalarKind, parseGoBool, parseGoFloat, parseScalar } from './scalars.ts';

type Path = (string | number)[];
interface Ctx { errors: DecodeIssue[]; options: DecodeOptions }

/**
 * Decodes a parsed YAML/TOML/JSON document against `root`: field names case-insensitive, map keys kept,
 * scalars read as Traefik's file provider reads them (stringified, then parsed by kind, so `priority: "10"`
 * and `port: 8080` for a string both work). Never throws; problems carry both the canonical path and the
 * path as written (`rawPath`, for line lookup).
 * @example
 * decodeDocument({ Routers: { r: { Priority: '10' } } }, httpConfigurationDesc)
 * // { value: { routers: { r: { priority: 10 } } }, errors: [] }
 */
export function decodeDocument(doc: unknown, root: StructDesc, options: DecodeOptions = {}): { value: Record<string, unknown>; errors: DecodeIssue[] } {
  const errors: DecodeIssue[] = [];
  const ctx: Ctx = { errors, options };
  if (doc === null || doc === undefined) return { value: {}, errors };
  if (!isPlainObject(doc)) {
    errors.push({ path: [], rawPath: [], message: `expected a mapping at the top level, got ${describe(doc)}` });
    return { value: {}, errors };
  }
  return { value: decodeStruct(doc, root, [], [], ctx), errors };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${typeof v === 'string' ? quoted(v) : JSON.stringify(v)}`;
}

function push(ctx: Ctx, path: Path, rawPath: Path, message: string, suggestion?: string): void {
  ctx.errors.push({ path, rawPath, message, ...(suggestion !== undefined ? { suggestion } : {}) });
}

function decodeStruct(obj: Record<string, unknown>, desc: StructDesc, path: Path, rawPath: Path, ctx: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const [key, raw] of Object.entries(obj)) {
    const hit = findField(desc, key, 'document');
    const keyRaw = [...rawPath, key];
    if (hit === undefined) {
      const hidden = hiddenField(desc, key, 'document');
      const unsupported = unsupportedReason(desc, key);
      if (unsupported !== undefined) {
        push(ctx, [...path, key], keyRaw, unsupported);
      } else if (hidden !== undefined && desc.fields[hidden]?.flatName !== undefined) {
        push(ctx, [...path, key], keyRaw, `unknown key "${key}" in ${desc.name}: files use a list "${hidden}"`, hidden);
      } else if (hidden !== undefined) {
        push(ctx, [...path, key], keyRaw, `"${hidden}" can only be set with labels`);
      } else {
        push(ctx, [...path, key], keyRaw, `unknown key "${key}" in ${desc.name}`, suggest(key, visibleNames(desc, 'document')));
      }
      continue;
    }
    const [name, field] = hit;
    const previous = seen.get(name);
    if (previous !== undefined) {
      push(ctx, [...path, name], keyRaw, `"${key}" is set twice (also as "${previous}"; names are case-insensitive)`);
      continue;
    }
    seen.set(name, key);
    const v = decodeField(raw, field, [...path, name], keyRaw, ctx);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function decodeField(raw: unknown, field: FieldDesc, path: Path, rawPath: Path, ctx: Ctx): unknown {
  if (isScalarKind(field.kind)) {
    if (raw === null || raw === undefined) return undefined;
    const text = scalarText(raw);
    if (text === undefined) { push(ctx, path, rawPath, `expected a ${field.kind}, got ${describe(raw)}`); return undefined; }
    const r = parseScalar(text, field, ctx.options);
    if (r.ok) return r.value;
    push(ctx, path, rawPath, r.message, r.suggestion);
    return undefined;
  }
  switch (field.kind) {
    case 'stringList':
    case 'floatList': {
      if (raw === null || raw === undefined) return undefined;
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : undefined;
      if (items === undefined) { push(ctx, path, rawPath, `expected a list, got ${describe(raw)}`); return undefined; }
      const out: unknown[] = [];
      items.forEach((item, i) => {
        const text = scalarText(item);
        if (text === undefined) { push(ctx, [...path, i], [...rawPath, i], `expected a ${field.kind === 'stringList' ? 'string' : 'number'}, got ${describe(item)}`); return; }
        if (field.kind === 'stringList') { out.push(text); return; }
        const n = parseGoFloat(text);
        if (n === undefined) push(ctx, [...path, i], [...rawPath, i], `invalid number ${quoted(text)}`);
        else out.push(n);
      });
      return out;
    }
    case 'stringMap': {
      if (raw === null || raw === undefined) return {};
      if (!isPlainObject(raw)) { push(ctx, path, rawPath, `expected a mapping of names to values, got ${describe(raw)}`); return undefined; }
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) {
        const text = scalarText(v);
        if (text === undefined) { push(ctx, [...path, k], [...rawPath, k], `expected a string, got ${describe(v)}`); continue; }
        setOwn(out, k, text);
      }
      return out;
    }
    case 'struct': {
      if (raw === null || raw === undefined) return field.allowEmpty === true ? {} : undefined;
      if (isPlainObject(raw)) {
        const before = ctx.errors.length;
        const out = decodeStruct(raw, field.struct!, path, rawPath, ctx);
        return Object.keys(out).length === 0 && ctx.errors.length > before ? undefined : out;
      }
      const text = scalarText(raw);
      const b = text === undefined ? undefined : parseGoBool(text.trim());
      if (field.allowEmpty === true && b !== undefined) return b ? {} : undefined;
      push(ctx, path, rawPath, `expected a mapping (${field.struct!.name})${field.allowEmpty === true ? ' or true' : ''}, got ${describe(raw)}`);
      return undefined;
    }
    case 'structMap': {
      if (raw === null || raw === undefined) return {};
      if (!isPlainObject(raw)) { push(ctx, path, rawPath, `expected a mapping of names to ${field.struct!.name}, got ${describe(raw)}`); return undefined; }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        if (v === null || v === undefined) { setOwn(out, k, {}); continue; }
        if (!isPlainObject(v)) { push(ctx, [...path, k], [...rawPath, k], `expected a mapping (${field.struct!.name}), got ${describe(v)}`); continue; }
        setOwn(out, k, decodeStruct(v, field.struct!, [...path, k], [...rawPath, k], ctx));
      }
      return out;
    }
    case 'structList': {
      if (raw === null || raw === undefined) return undefined;
      if (!Array.isArray(raw)) { push(ctx, path, rawPath, `expected a list of ${field.struct!.name}, got ${describe(raw)}`); return undefined; }
      const out: unknown[] = [];
      raw.forEach((item, i) => {
        if (!isPlainObject(item)) { push(ctx, [...path, i], [...rawPath, i], `expected a mapping (${field.struct!.name}), got ${describe(item)}`); return; }
        out.push(decodeStruct(item, field.struct!, [...path, i], [...rawPath, i], ctx));
      });
      return out;
    }
    default:
      return undefined;
  }
}
