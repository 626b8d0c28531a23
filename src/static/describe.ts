/**
 * Turns the zod static schema into the generic decoder's description (src/labels/descriptor.ts), so files,
 * flags and env are decoded by the same code as tags, from the one schema.
 */
import type { z } from 'zod';
import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';
import { staticObjectSchema, TRAEFIK_ONLY_OPTIONS, unwrapStaticSchema } from './schema.ts';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
  format?: string;
  checks?: { _zod: { def: { format?: string } } }[];
  defaultValue?: unknown;
}

function defaultOf(schema: z.ZodType): unknown {
  let s: z.ZodType | undefined = schema;
  while (s !== undefined) {
    const def = s._zod.def as Def & { innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === 'default') return def.defaultValue;
    s = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  }
  return undefined;
}

function isOptional(schema: z.ZodType): boolean {
  return (schema._zod.def as Def).type === 'optional';
}

function fieldOf(schema: z.ZodType, name: string, path: string): FieldDesc {
  const { inner, meta } = unwrapStaticSchema(schema);
  const def = inner._zod.def as Def;
  const base = {
    ...(meta.secret === true ? { secret: true } : {}),
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    ...(meta.defaultText !== undefined ? { default: meta.defaultText } : defaultOf(schema) !== undefined ? { default: defaultOf(schema) } : {}),
  };
  switch (def.type) {
    case 'string': return { kind: 'string', ...base };
    case 'boolean': return { kind: 'bool', ...base };
    case 'enum': return { kind: 'string', values: Object.values(def.entries ?? {}), ...base };
    case 'number': {
      if (meta.duration === true) return { kind: 'duration', ...base };
      const int = def.format === 'safeint' || (def.checks ?? []).some((c) => c._zod.def.format === 'safeint');
      return { kind: int ? 'int' : 'float', ...base };
    }
    case 'array': {
      const el = unwrapStaticSchema(def.element!).inner._zod.def as Def;
      return { kind: el.type === 'number' ? 'floatList' : 'stringList', ...base };
    }
    case 'record': {
      const v = unwrapStaticSchema(def.valueType!).inner;
      const vdef = v._zod.def as Def;
      if (vdef.type === 'object') return { kind: 'structMap', struct: structOf(v, name, `${path}.*`), ...base };
      return { kind: 'stringMap', ...base };
    }
    case 'object':
      // Sections are switched on by `--api`, `--tracing=true`... (Traefik's allowEmpty on static sections).
      return { kind: 'struct', struct: structOf(inner, name, path), ...(isOptional(schema) ? { allowEmpty: true } : {}), ...base };
    default:
      throw new Error(`static schema: unsupported zod type ${def.type} at ${name}`);
  }
}

function structOf(schema: z.ZodType, name: string, path: string): StructDesc {
  const def = unwrapStaticSchema(schema).inner._zod.def as Def;
  const fields: Record<string, FieldDesc> = {};
  for (const [key, s] of Object.entries(def.shape ?? {})) fields[key] = fieldOf(s, key, path === '' ? key : `${path}.${key}`);
  const traefikOnly = Object.hasOwn(TRAEFIK_ONLY_OPTIONS, path) ? TRAEFIK_ONLY_OPTIONS[path]! : [];
  if (traefikOnly.length === 0) return { name, fields };
  const unsupported = Object.fromEntries(traefikOnly.map((n) => [n.toLowerCase(), `Traefik option "${n}" is not supported by tagway; remove it`]));
  return { name, fields, unsupported };
}

let cached: StructDesc | undefined;

/** The static configuration as a decoder description (built once). */
export function staticDesc(): StructDesc {
  cached ??= structOf(staticObjectSchema, 'static configuration', '');
  return cached;
}
