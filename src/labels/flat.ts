import { suggest } from '../util/didyoumean.ts';
import { findField, hiddenField, quoted, setOwn, unsupportedReason, visibleNames } from './descriptor.ts';
import type { DecodeIssue, DecodeOptions, FieldDesc, StructDesc } from './descriptor.ts';
import { isScalarKind, parseGoBool, parseGoFloat, parseScalar } from './scalars.ts';

/** One flat pair: `segments` is the key below the root, split (`domains[0]` → `domains`, `[0]`). */
export interface FlatEntry {
  /** The original key, named in errors (full label, `--flag` or `ENV_NAME`). */
  key: string;
  segments: string[];
  value: string;
}

/** Indexes above this are refused so a typo like `domains[99999999]` cannot allocate a huge array. */
export const MAX_INDEX = 1000;
/** The longest flat key (label, flag or env name) accepted, in characters; real keys are under 200. */
export const MAX_KEY_LENGTH = 1024;
/** The longest flat value accepted, in characters (a rule is bounded tighter by the rule compiler). */
export const MAX_VALUE_LENGTH = 65536;

interface Node {
  name: string;
  value?: string;
  /** Original key of `value`. */
  key?: string;
  children: Node[];
  /**
   * Children by lower-cased name, created with the second child: a lookup per segment keeps decoding linear
   * in the number of labels (a scan of `children` made 20,000 router tags cost seconds).
   */
  index?: Map<string, Node>;
  /** Every original key at or below this node. */
  keys: string[];
}

/**
 * Splits `a.b[0].c` into `a`, `b`, `[0]`, `c`. Returns a message instead when the key is malformed
 * (empty element, stray bracket), as Traefik's parser refuses them.
 */
export function splitFlatKey(text: string): string[] | string {
  if (text.length > MAX_KEY_LENGTH) return `key is ${text.length} characters long, more than the limit of ${MAX_KEY_LENGTH}`;
  const out: string[] = [];
  for (const part of text.split('.')) {
    if (part === '') return `empty element in key ${quoted(text)}`;
    const open = part.indexOf('[');
    if (open === -1) {
      if (part.indexOf(']') !== -1) return `unexpected "]" in ${quoted(part)}`;
      out.push(part);
      continue;
    }
    if (open === 0) return `a key element cannot start with "[" (brackets index lists): ${quoted(part)}`;
    const m = /^([^[\]]+)((?:\[\d+\])+)$/.exec(part);
    if (m === null) return `invalid list index in ${quoted(part)} (expected name[0])`;
    out.push(m[1]!);
    for (const idx of m[2]!.match(/\[\d+\]/g)!) out.push(idx);
  }
  return out;
}

/**
 * Decodes flat pairs against `root`, the way Traefik's label parser does: keys sorted, element names matched
 * case-insensitively (two spellings of one name merge, the first in sort order names it), values parsed by kind.
 * Never throws on input; problems come back in `errors` with the original key.
 * @example
 * decodeFlat([{ key: 'traefik.http.routers.r.rule', segments: ['routers', 'r', 'rule'], value: 'Path(`/`)' }], httpConfigurationDesc)
 * // { value: { routers: { r: { rule: 'Path(`/`)' } } }, errors: [] }
 */
export function decodeFlat(entries: readonly FlatEntry[], root: StructDesc, options: DecodeOptions = {}): { value: Record<string, unknown>; errors: DecodeIssue[] } {
  const errors: DecodeIssue[] = [];
  const tree: Node = { name: '', children: [], keys: [] };
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const entry of sorted) {
    if (entry.value.length > MAX_VALUE_LENGTH) {
      errors.push({ path: entry.segments, rawPath: entry.segments, key: entry.key, message: `value is ${entry.value.length} characters long, more than the limit of ${MAX_VALUE_LENGTH}` });
      continue;
    }
    insert(tree, entry);
  }
  const ctx = { errors, options };
  if (tree.value !== undefined && tree.key !== undefined) {
    errors.push({ path: [], rawPath: [], key: tree.key, message: 'expected sub-keys, not a value' });
  }
  const value = decodeStruct(tree, root, [], ctx) ?? {};
  return { value, errors };
}

function childNamed(node: Node, lower: string): Node | undefined {
  if (node.index !== undefined) return node.index.get(lower);
  const only = node.children[0];
  return only !== undefined && only.name.toLowerCase() === lower ? only : undefined;
}

function insert(root: Node, entry: FlatEntry): void {
  let node = root;
  node.keys.push(entry.key);
  for (const seg of entry.segments) {
    const lower = seg.toLowerCase();
    let child = childNamed(node, lower);
    if (child === undefined) {
      child = { name: seg, children: [], keys: [] };
      node.children.push(child);
      if (node.index !== undefined) node.index.set(lower, child);
      else if (node.children.length > 1) node.index = new Map(node.children.map((c) => [c.name.toLowerCase(), c]));
    }
    child.keys.push(entry.key);
    node = child;
  }
  node.value = entry.value;
  node.key = entry.key;
}

interface Ctx { errors: DecodeIssue[]; options: DecodeOptions }

function issue(ctx: Ctx, node: Node, path: (string | number)[], message: string, suggestion?: string, everyKey = false): void {
  const keys = everyKey ? node.keys : [node.key ?? node.keys[0] ?? ''];
  for (const key of keys) {
    ctx.errors.push({ path, rawPath: path, key, message, ...(suggestion !== undefined ? { suggestion } : {}) });
  }
}

function decodeStruct(node: Node, desc: StructDesc, path: (string | number)[], ctx: Ctx): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const child of node.children) {
    const hit = findField(desc, child.name, 'flat');
    if (hit === undefined) {
      const childPath = [...path, child.name];
      const hidden = hiddenField(desc, child.name, 'flat');
      const flatName = hidden !== undefined ? desc.fields[hidden]?.flatName : undefined;
      const unsupported = unsupportedReason(desc, child.name);
      if (unsupported !== undefined) {
        issue(ctx, child, childPath, unsupported, undefined, true);
      } else if (hidden !== undefined && flatName !== undefined) {
        issue(ctx, child, childPath, `unknown key "${child.name}": labels address this list as "${flatName}"`, flatName, true);
      } else if (hidden !== undefined) {
        issue(ctx, child, childPath, `"${hidden}" cannot be set with labels (only in files)`, undefined, true);
      } else if (child.name.startsWith('[')) {
        issue(ctx, child, childPath, `${desc.name} is not a list`, undefined, true);
      } else {
        issue(ctx, child, childPath, `unknown key "${child.name}" in ${desc.name}`, suggest(child.name, visibleNames(desc, 'flat')), true);
      }
      continue;
    }
    const [name, field] = hit;
    const v = decodeField(child, field, [...path, name], ctx);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function decodeField(node: Node, field: FieldDesc, path: (string | number)[], ctx: Ctx): unknown {
  if (isScalarKind(field.kind) || field.kind === 'stringList' || field.kind === 'floatList') {
    if (node.children.length > 0) {
      issue(ctx, node, [...path, node.children[0]!.name], `unknown key "${node.children[0]!.name}": ${path.at(-1)} takes a value, not sub-keys`, undefined, true);
      return undefined;
    }
    return decodeLeaf(node, field, path, ctx);
  }
  switch (field.kind) {
    case 'stringMap': {
      if (node.children.length === 0) { issue(ctx, node, path, 'expected sub-keys (name=value), not a value'); return undefined; }
      const out: Record<string, string> = {};
      for (const child of node.children) {
        if (child.children.length > 0) { issue(ctx, child, [...path, child.name], 'expected a value, not sub-keys', undefined, true); continue; }
        setOwn(out, child.name, child.value ?? '');
      }
      return out;
    }
    case 'struct': {
      const desc = field.struct!;
      if (node.children.length === 0) return switchOn(node, field, path, ctx);
      const on = node.value === undefined ? undefined : onOff(node.value, field);
      if (node.value !== undefined && on === undefined) {
        issue(ctx, node, path, `invalid value ${quoted(node.value)}: ${path.at(-1)} is a section (use its sub-keys, or true)`);
      }
      // `sticky=false` beside `sticky.cookie.name=…`: false switches an allowEmpty section off, its sub-keys included
      // (Traefik's parser marks the node disabled); on other sections Traefik ignores the value and keeps the sub-keys.
      if (on === false && field.allowEmpty === true) return undefined;
      const before = ctx.errors.length;
      const out = decodeStruct(node, desc, path, ctx);
      // A section whose only content was rejected is left out rather than kept empty.
      return out !== undefined && Object.keys(out).length === 0 && ctx.errors.length > before ? undefined : out;
    }
    case 'structMap': {
      if (node.children.length === 0) { issue(ctx, node, path, 'expected a name and sub-keys, not a value'); return undefined; }
      if (node.value !== undefined) issue(ctx, node, path, 'expected a name and sub-keys, not a value');
      const out: Record<string, unknown> = {};
      for (const child of node.children) {
        const itemPath = [...path, child.name];
        if (child.children.length === 0) {
          issue(ctx, child, itemPath, `expected sub-keys of ${field.struct!.name}, not a value`, undefined, true);
          continue;
        }
        setOwn(out, child.name, decodeStruct(child, field.struct!, itemPath, ctx) ?? {});
      }
      return out;
    }
    case 'structList': {
      if (field.flatName !== undefined) {
        const item = node.children.length === 0 ? switchOn(node, { ...field, kind: 'struct' }, path, ctx) : decodeStruct(node, field.struct!, [...path, 0], ctx);
        return item === undefined ? undefined : [item];
      }
      if (node.children.length === 0) { issue(ctx, node, path, `expected indexed sub-keys like ${path.at(-1)}[0].…, not a value`); return undefined; }
      const items: unknown[] = [];
      for (const child of node.children) {
        const m = /^\[(\d+)\]$/.exec(child.name);
        if (m === null) { issue(ctx, child, [...path, child.name], `expected an index like [0], got "${child.name}"`, undefined, true); continue; }
        const index = Number(m[1]);
        if (index > MAX_INDEX) { issue(ctx, child, [...path, index], `index ${index} is too large (max ${MAX_INDEX})`, undefined, true); continue; }
        if (child.children.length === 0) { issue(ctx, child, [...path, index], `expected sub-keys of ${field.struct!.name}, not a value`, undefined, true); continue; }
        items[index] = decodeStruct(child, field.struct!, [...path, index], ctx) ?? {};
      }
      for (let i = 0; i < items.length; i++) if (items[i] === undefined) items[i] = {};
      return items;
    }
    default:
      return undefined;
  }
}

/**
 * A section's value as on/off. Traefik's parser switches an allowEmpty section on with any case of `true` (`TruE`)
 * or an empty value, and off with `false`; other sections take Go's booleans.
 */
function onOff(value: string, field: FieldDesc): boolean | undefined {
  const text = value.trim();
  if (field.allowEmpty === true && (text === '' || text.toLowerCase() === 'true')) return true;
  return parseGoBool(text);
}

/** `tls=true` on an allowEmpty section creates it empty; `false` leaves it unset. */
function switchOn(node: Node, field: FieldDesc, path: (string | number)[], ctx: Ctx): Record<string, unknown> | undefined {
  const b = onOff(node.value ?? '', field);
  if (field.allowEmpty === true && b !== undefined) return b ? {} : undefined;
  const first = Object.keys(field.struct!.fields)[0] ?? 'option';
  issue(ctx, node, path, field.allowEmpty === true
    ? `invalid value ${quoted(node.value ?? '')}: expected true, false or sub-keys`
    : `${path.at(-1)} is a section: set one of its options (e.g. ${String(path.at(-1))}.${first}=…), not a value`);
  return undefined;
}

function decodeLeaf(node: Node, field: FieldDesc, path: (string | number)[], ctx: Ctx): unknown {
  const text = node.value ?? '';
  if (field.kind === 'stringList') return text.split(',').map((s) => s.trim());
  if (field.kind === 'floatList') {
    const out: number[] = [];
    for (const part of text.split(',')) {
      const n = parseGoFloat(part);
      if (n === undefined) { issue(ctx, node, path, `invalid number ${quoted(part.trim())} in list`); return undefined; }
      out.push(n);
    }
    return out;
  }
  const r = parseScalar(text, field, ctx.options);
  if (r.ok) return r.value;
  issue(ctx, node, path, r.message, r.suggestion);
  return undefined;
}
