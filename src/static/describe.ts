/**
 * Turns the zod static schema into the generic decoder's description (src/labels/descriptor.ts), so files,
 * flags and env are decoded by the same code as tags, from the one schema. It reads the schema through zod's
 * public `z.toJSONSchema()` (input side: what a user may write), with the option marks of `optionMeta`
 * (durations, secrets, descriptions, help defaults) merged into each node.
 */
import { z } from 'zod';
import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';
import { optionMeta, staticObjectSchema, TRAEFIK_ONLY_OPTIONS, type OptionMeta } from './schema.ts';

/** The part of a JSON Schema node this reader uses, with the option marks beside it. */
interface Node extends OptionMeta {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  items?: Node;
}

function fieldOf(node: Node, name: string, path: string, required: boolean): FieldDesc {
  const base = {
    ...(node.secret === true ? { secret: true } : {}),
    ...(node.description !== undefined ? { description: node.description } : {}),
    ...(node.defaultText !== undefined ? { default: node.defaultText } : node.default !== undefined && node.type !== 'object' ? { default: node.default } : {}),
  };
  switch (node.type) {
    case 'string': return node.enum ? { kind: 'string', values: node.enum.map(String), ...base } : { kind: 'string', ...base };
    case 'boolean': return { kind: 'bool', ...base };
    case 'integer': return { kind: node.duration === true ? 'duration' : 'int', ...base };
    case 'number': return { kind: node.duration === true ? 'duration' : 'float', ...base };
    case 'array': {
      const el = node.items?.type;
      return { kind: el === 'number' || el === 'integer' ? 'floatList' : 'stringList', ...base };
    }
    case 'object': {
      const values = node.additionalProperties;
      if (node.properties === undefined && typeof values === 'object') {
        // a record: a map of sections, or of strings
        if (values.type === 'object') return { kind: 'structMap', struct: structOf(values, name, `${path}.*`), ...withMapDefault(node, base) };
        return { kind: 'stringMap', ...withMapDefault(node, base) };
      }
      // Sections are switched on by `--api`, `--tracing=true`... (Traefik's allowEmpty on optional static sections;
      // a section with a default is always there).
      const optional = !required && node.default === undefined;
      return { kind: 'struct', struct: structOf(node, name, path), ...(optional ? { allowEmpty: true } : {}), ...base };
    }
    default:
      throw new Error(`static schema: unsupported JSON Schema type ${String(node.type)} at ${name}`);
  }
}

/** A map's own default (e.g. `{}`) is shown like any other default. */
function withMapDefault(node: Node, base: Record<string, unknown>): Record<string, unknown> {
  return node.default !== undefined && node.defaultText === undefined ? { ...base, default: node.default } : base;
}

function structOf(node: Node, name: string, path: string): StructDesc {
  const fields: Record<string, FieldDesc> = {};
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) fields[key] = fieldOf(child, key, path === '' ? key : `${path}.${key}`, required.has(key));
  const traefikOnly = Object.hasOwn(TRAEFIK_ONLY_OPTIONS, path) ? TRAEFIK_ONLY_OPTIONS[path]! : [];
  if (traefikOnly.length === 0) return { name, fields };
  const unsupported = Object.fromEntries(traefikOnly.map((n) => [n.toLowerCase(), `Traefik option "${n}" is not supported by tagway; remove it`]));
  return { name, fields, unsupported };
}

let cached: StructDesc | undefined;

/** The static configuration as a decoder description (built once). */
export function staticDesc(): StructDesc {
  // refinements (addresses) and transforms have no JSON Schema: their input type is what matters here
  cached ??= structOf(z.toJSONSchema(staticObjectSchema, {
    metadata: optionMeta, io: 'input', unrepresentable: 'any', reused: 'inline',
    // zod leaves out a default that goes through a transform on the input side (the OTLP endpoint): help shows it
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema instanceof z.ZodDefault && jsonSchema.default === undefined) jsonSchema.default = zodSchema.def.defaultValue as never;
    },
  }) as Node, 'static configuration', '');
  return cached;
}
