/**
 * The runtime description of a configuration shape that the generic decoders (flat keys, documents)
 * walk. One description serves labels, files, flags and env, so a field is spelled and typed in one place.
 */

/** Scalar kinds; durations are validated with parseDuration. */
export type ScalarKind = 'string' | 'int' | 'float' | 'bool' | 'duration';

export type FieldKind =
  | ScalarKind
  /** `a, b` in flat form, a sequence in documents. */
  | 'stringList'
  | 'floatList'
  /** Keys keep their case (header names, attribute names). */
  | 'stringMap'
  | 'struct'
  /** Named items (routers, services...): keys keep their case. */
  | 'structMap'
  /** Addressed `name[0].field` in flat form. */
  | 'structList';

export interface FieldDesc {
  readonly kind: FieldKind;
  /** For struct, structMap, structList. */
  readonly struct?: StructDesc;
  /** A struct that `true` switches on with its defaults (Traefik's `label:"allowEmpty"`). */
  readonly allowEmpty?: boolean;
  /** Allowed values of a string (matched case-insensitively, output as written here). */
  readonly values?: readonly string[];
  /**
   * Flat-form name of a structList that labels address as one struct (Traefik's `label-slice-as-struct`):
   * `loadBalancer.server.port` fills `servers[0].port`.
   */
  readonly flatName?: string;
  /** Reachable only from flat keys (labels) or only from documents (files). */
  readonly only?: 'flat' | 'document';
  /** Redacted in logs and /api/rawdata. */
  readonly secret?: boolean;
  /** For help text. */
  readonly description?: string;
  readonly default?: unknown;
}

export interface StructDesc {
  /** Type name, for messages and help. */
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldDesc>>;
  /**
   * Names that exist in Traefik but not in tagway, lowercased, with the reason; reported as such instead of
   * as a typo (e.g. middleware `forwardAuth`).
   */
  readonly unsupported?: Readonly<Record<string, string>>;
}

/** The "not supported" message for a name, if the struct lists it. */
export function unsupportedReason(desc: StructDesc, name: string): string | undefined {
  const reason = desc.unsupported?.[name.toLowerCase()];
  return typeof reason === 'string' && Object.hasOwn(desc.unsupported!, name.toLowerCase()) ? reason : undefined;
}

/** How decoded values come out. */
export interface DecodeOptions {
  /** Dynamic config keeps durations as written ("10s"); static config wants milliseconds. Default 'string'. */
  durations?: 'string' | 'ms';
}

/** A problem found while decoding, in decoder terms; the front ends turn it into their own error shapes. */
export interface DecodeIssue {
  /** Canonical path: field names as in the schema, map keys and indexes as given. */
  path: (string | number)[];
  /** The path as the input spelled it (document keys), for line lookup. */
  rawPath: (string | number)[];
  /** Original flat key (label, flag or env name), when the input was flat. */
  key?: string;
  message: string;
  suggestion?: string;
}

/** A user's text in a message: JSON-quoted, cut after 100 characters so one huge value cannot flood the API or the log. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

/** "http.routers.r.tls.domains[0].main" */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** The field a name (any case) designates, as seen from flat keys or documents. */
export function findField(desc: StructDesc, name: string, form: 'flat' | 'document'): [string, FieldDesc] | undefined {
  let byForm = fieldIndex.get(desc);
  if (byForm === undefined) {
    byForm = { flat: new Map(), document: new Map() };
    for (const f of ['flat', 'document'] as const) {
      for (const [fieldName, field] of Object.entries(desc.fields)) {
        if (field.only !== undefined && field.only !== f) continue;
        const lower = (f === 'flat' ? field.flatName ?? fieldName : fieldName).toLowerCase();
        if (!byForm[f].has(lower)) byForm[f].set(lower, [fieldName, field]);
      }
    }
    fieldIndex.set(desc, byForm);
  }
  return byForm[form].get(name.toLowerCase());
}

/** Field lookup by lower-cased name, per struct and form: one lookup per label element, not a scan of the fields. */
const fieldIndex = new WeakMap<StructDesc, Record<'flat' | 'document', Map<string, [string, FieldDesc]>>>();

/** Names a struct offers in one form, for "did you mean". */
export function visibleNames(desc: StructDesc, form: 'flat' | 'document'): string[] {
  const out: string[] = [];
  for (const [fieldName, field] of Object.entries(desc.fields)) {
    if (field.only !== undefined && field.only !== form) continue;
    out.push(form === 'flat' ? field.flatName ?? fieldName : fieldName);
  }
  return out;
}

/** A field that exists but cannot be reached in this form (e.g. `weighted` from labels). */
export function hiddenField(desc: StructDesc, name: string, form: 'flat' | 'document'): string | undefined {
  const other = form === 'flat' ? 'document' : 'flat';
  const hit = findField(desc, name, other);
  if (hit === undefined) return undefined;
  const [fieldName, field] = hit;
  if (field.only === other) return fieldName;
  if (form === 'document' && field.flatName !== undefined && name.toLowerCase() === field.flatName.toLowerCase()) return fieldName;
  if (form === 'flat' && field.flatName !== undefined && name.toLowerCase() === fieldName.toLowerCase()) return fieldName;
  return undefined;
}

/**
 * Sets an own, enumerable property even for names like "__proto__" (router names and header names come from
 * users; plain assignment of "__proto__" would change the object's prototype instead).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment makes the same own data property for every other name, and is much cheaper.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
