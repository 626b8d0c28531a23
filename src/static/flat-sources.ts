/**
 * CLI flags and environment variables → flat entries for the generic decoder.
 * Flags: `--a.b=v`, `--a.b v`, bare `--a.b` (true, for booleans and sections). Env: `TAGWAY_A_B=v`, where each
 * `_` separates names (names are matched case-insensitively; map keys are lowercased, as Traefik's env reader does).
 */
import type { FieldDesc, StructDesc } from '../labels/descriptor.ts';
import { findField } from '../labels/descriptor.ts';
import { splitFlatKey } from '../labels/flat.ts';
import type { FlatEntry } from '../labels/flat.ts';
import { parseGoBool } from '../labels/scalars.ts';
import type { StaticProblem } from './errors.ts';

export const ENV_PREFIX = 'TAGWAY_';

/** The field a flat path ends on, if it resolves (used to know whether a bare flag takes a value). */
function resolve(segments: string[], root: StructDesc): FieldDesc | undefined {
  let desc: StructDesc | undefined = root;
  let field: FieldDesc | undefined;
  for (let i = 0; i < segments.length; i++) {
    if (desc === undefined) return undefined;
    const hit = findField(desc, segments[i]!, 'flat');
    if (hit === undefined) return undefined;
    field = hit[1];
    if (field.kind === 'structMap') {
      i++;
      if (i >= segments.length) return field;
      desc = field.struct;
      if (i === segments.length - 1) return { kind: 'struct', struct: field.struct! };
    } else if (field.kind === 'stringMap') {
      return i + 1 < segments.length ? { kind: 'string' } : field;
    } else {
      desc = field.struct;
    }
  }
  return field;
}

export interface FlagResult {
  entries: FlatEntry[];
  configFile?: string;
  problems: StaticProblem[];
}

/** Parses `argv` (flags only: no node, script or subcommand). */
export function parseFlags(argv: readonly string[], root: StructDesc): FlagResult {
  const entries: FlatEntry[] = [];
  const problems: StaticProblem[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      problems.push({ path: '', source: arg, message: 'unexpected argument (options are --name=value)' });
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = argv[i + 1];
    if (name.toLowerCase() === 'configfile') {
      if (value === undefined && next !== undefined && !next.startsWith('--')) { value = next; i++; }
      if (value === undefined || value === '') problems.push({ path: 'configFile', source: arg, message: 'expects a file name' });
      else configFile = value;
      continue;
    }
    const segments = splitFlatKey(name);
    if (typeof segments === 'string') { problems.push({ path: name, source: arg, message: segments }); continue; }
    if (value === undefined) {
      const field = resolve(segments, root);
      const switchable = field !== undefined && (field.kind === 'bool' || field.kind === 'struct');
      if (next !== undefined && !next.startsWith('--') && (!switchable || parseGoBool(next) !== undefined)) { value = next; i++; }
      else if (switchable || field === undefined) value = 'true';
      else { problems.push({ path: name, source: `--${name}`, message: 'expects a value (--name=value)' }); continue; }
    }
    entries.push({ key: `--${name}`, segments, value });
  }
  return { entries, ...(configFile !== undefined ? { configFile } : {}), problems };
}

/**
 * `TAGWAY_*` variables → entries. Names split on `_`; a string map takes the rest of the name as its key,
 * a struct map one element. Empty values are ignored (an unset variable in a Nomad template is often empty).
 * A variable that names no option is `foreign`: orchestrators set such variables on their own (Kubernetes
 * injects `TAGWAY_PORT=tcp://…` and `TAGWAY_SERVICE_HOST` for a service named tagway), so the loader warns
 * about them and goes on, where an unknown key in the file or the flags stops startup.
 */
export function parseEnv(env: Readonly<Record<string, string | undefined>>, root: StructDesc): { entries: FlatEntry[]; foreign: FlatEntry[]; configFile?: string } {
  const entries: FlatEntry[] = [];
  const foreign: FlatEntry[] = [];
  let configFile: string | undefined;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || !name.toUpperCase().startsWith(ENV_PREFIX)) continue;
    const parts = name.slice(ENV_PREFIX.length).split('_');
    if (parts.length === 1 && parts[0]!.toLowerCase() === 'configfile') { configFile = value; continue; }
    const { segments, known } = envSegments(parts, root);
    (known ? entries : foreign).push({ key: name, segments, value });
  }
  return { entries, foreign, ...(configFile !== undefined ? { configFile } : {}) };
}

/** The option path a variable names; `known` is false when some part of it names no option. */
function envSegments(parts: string[], root: StructDesc): { segments: string[]; known: boolean } {
  const out: string[] = [];
  let desc: StructDesc | undefined = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const hit: [string, FieldDesc] | undefined = desc === undefined || part === '' ? undefined : findField(desc, part, 'flat');
    if (hit === undefined) { out.push(...parts.slice(i)); return { segments: out, known: false }; }
    const [fieldName, field]: [string, FieldDesc] = hit;
    out.push(fieldName);
    if (field.kind === 'stringMap') {
      if (i + 1 < parts.length) out.push(parts.slice(i + 1).join('_').toLowerCase());
      break;
    }
    if (field.kind === 'structMap') {
      if (i + 1 < parts.length) { i++; out.push(parts[i]!.toLowerCase()); }
    }
    desc = field.struct;
  }
  return { segments: out, known: true };
}
